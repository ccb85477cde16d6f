"""A battery of bad reports through the API and the CLI: a clear 4xx, and nothing stored."""

from __future__ import annotations

import copy
import json
import math

import pytest

from tests.conftest import make_report, row_counts

GEOJSON = "application/geo+json"
GPX = "application/gpx+xml"


def _route(r):
    return r["features"][0]


def _props(r):
    return r["features"][0]["properties"]


def _find(r):
    return r["features"][1]


def _set(path_fn, key, value):
    def mutate(r):
        path_fn(r)[key] = value
        return r

    return mutate


def _del(path_fn, key):
    def mutate(r):
        del path_fn(r)[key]
        return r

    return mutate


def _coords(r):
    return _route(r)["geometry"]["coordinates"]


def _with(fn):
    def mutate(r):
        fn(r)
        return r

    return mutate


def _two_routes(r):
    r["features"].append(copy.deepcopy(r["features"][0]))
    return r


def _dup_find(r):
    r["features"].append(copy.deepcopy(r["features"][1]))
    return r


GOOD_GPX = (
    '<?xml version="1.0"?><gpx version="1.1" creator="t" '
    'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
    '<trkpt lat="43.2" lon="131.3"><time>2026-03-02T01:00:00Z</time></trkpt>'
    '<trkpt lat="43.21" lon="131.31"><time>2026-03-02T02:00:00Z</time></trkpt>'
    "</trkseg></trk></gpx>"
)

# name, mutation of a valid report (or raw bytes), content type, status, pointer expected.
CASES = [
    ("malformed json", b'{"type": "FeatureCollection", "features": [', GEOJSON, 400, None),
    ("not utf-8", b"\xff\xfe{\x00}", GEOJSON, 400, None),
    ("nan literal", b'{"type": "FeatureCollection", "features": [NaN]}', GEOJSON, 400, None),
    ("infinity literal", b'{"a": Infinity}', GEOJSON, 400, None),
    ("empty body", b"", GEOJSON, 400, None),
    ("json array", b"[1, 2]", GEOJSON, 422, ""),
    ("wrong top type", _set(lambda r: r, "type", "Feature"), GEOJSON, 422, "/type"),
    ("features not array", _set(lambda r: r, "features", {}), GEOJSON, 422, "/features"),
    ("empty collection", _set(lambda r: r, "features", []), GEOJSON, 422, "/features"),
    ("no route", lambda r: {**r, "features": r["features"][1:]}, GEOJSON, 422, "/features"),
    ("two routes", _two_routes, GEOJSON, 422, "/features/2/properties/kind"),
    ("unknown kind", _set(_props, "kind", "camp"), GEOJSON, 422, "/features/0/properties/kind"),
    ("feature wrong type", _set(_route, "type", "Geometry"), GEOJSON, 422, "/features/0/type"),
    (
        "route is a point",
        _set(_route, "geometry", {"type": "Point", "coordinates": [131.3, 43.2]}),
        GEOJSON,
        422,
        "/features/0/geometry/type",
    ),
    (
        "route is a polygon",
        _set(_route, "geometry", {"type": "Polygon", "coordinates": []}),
        GEOJSON,
        422,
        "/features/0/geometry/type",
    ),
    ("route null geometry", _set(_route, "geometry", None), GEOJSON, 422, "/features/0/geometry"),
    (
        "one-point line",
        _with(lambda r: _coords(r).__delitem__(slice(1, None))),
        GEOJSON,
        422,
        "/features/0/geometry/coordinates",
    ),
    (
        "two equal positions",
        _with(lambda r: _route(r)["geometry"].__setitem__("coordinates", [_coords(r)[0]] * 2)),
        GEOJSON,
        422,
        "/features/0/geometry/coordinates",
    ),
    (
        "longitude out of range",
        _with(lambda r: _coords(r)[1].__setitem__(0, 190.0)),
        GEOJSON,
        422,
        "/features/0/geometry/coordinates/1/0",
    ),
    (
        "latitude out of range",
        _with(lambda r: _coords(r)[2].__setitem__(1, -91.0)),
        GEOJSON,
        422,
        "/features/0/geometry/coordinates/2/1",
    ),
    (
        "coordinate is a string",
        _with(lambda r: _coords(r)[1].__setitem__(0, "131.3")),
        GEOJSON,
        422,
        "/features/0/geometry/coordinates/1",
    ),
    (
        "coordinate is a bool",
        _with(lambda r: _coords(r)[1].__setitem__(1, True)),
        GEOJSON,
        422,
        "/features/0/geometry/coordinates/1",
    ),
    (
        "position with one number",
        _with(lambda r: _coords(r).__setitem__(1, [131.3])),
        GEOJSON,
        422,
        "/features/0/geometry/coordinates/1",
    ),
    (
        "multiline with bad part",
        _with(
            lambda r: _route(r).__setitem__(
                "geometry", {"type": "MultiLineString", "coordinates": [_coords(r), [[1, 2]]]}
            )
        ),
        GEOJSON,
        422,
        "/features/0/geometry/coordinates/1",
    ),
    ("missing unit", _del(_props, "unit"), GEOJSON, 422, "/features/0/properties/unit"),
    ("unknown unit", _set(_props, "unit", "NOPE-9"), GEOJSON, 422, "/features/0/properties/unit"),
    (
        "other area's unit",
        _set(_props, "unit", "O-01"),
        GEOJSON,
        422,
        "/features/0/properties/unit",
    ),
    (
        "missing times",
        lambda r: _del(_props, "ended_at")(_del(_props, "started_at")(r)),
        GEOJSON,
        422,
        "/features/0/properties/started_at",
    ),
    (
        "time without offset",
        _set(_props, "started_at", "2026-03-02T01:00:00"),
        GEOJSON,
        422,
        "/features/0/properties/started_at",
    ),
    (
        "time not a time",
        _set(_props, "ended_at", "yesterday"),
        GEOJSON,
        422,
        "/features/0/properties/ended_at",
    ),
    (
        "ended before started",
        _set(_props, "ended_at", "2026-03-01T00:00:00Z"),
        GEOJSON,
        422,
        "/features/0/properties/ended_at",
    ),
    (
        "unknown transport",
        _set(_props, "transport", "horse"),
        GEOJSON,
        422,
        "/features/0/properties/transport",
    ),
    (
        "members not a list",
        _set(_props, "members", "A, B"),
        GEOJSON,
        422,
        "/features/0/properties/members",
    ),
    ("route id not a uuid", _set(_route, "id", "patrol-1"), GEOJSON, 422, "/features/0/id"),
    (
        "coordTimes wrong length",
        _set(_props, "coordTimes", ["2026-03-02T01:00:00Z"]),
        GEOJSON,
        422,
        "/features/0/properties/coordTimes",
    ),
    (
        "coordTimes backwards",
        _set(
            _props,
            "coordTimes",
            ["2026-03-02T03:00:00Z", "2026-03-02T02:00:00Z", "2026-03-02T04:00:00Z"],
        ),
        GEOJSON,
        422,
        "/features/0/properties/coordTimes/1",
    ),
    (
        "snare unknown type",
        _set(lambda r: _find(r)["properties"], "type", "net"),
        GEOJSON,
        422,
        "/features/1/properties/type",
    ),
    (
        "snare unknown action",
        _set(lambda r: _find(r)["properties"], "action", "kept"),
        GEOJSON,
        422,
        "/features/1/properties/action",
    ),
    (
        "snare unknown state",
        _set(lambda r: _find(r)["properties"], "state", "broken"),
        GEOJSON,
        422,
        "/features/1/properties/state",
    ),
    (
        "snare count zero",
        _set(lambda r: _find(r)["properties"], "count", 0),
        GEOJSON,
        422,
        "/features/1/properties/count",
    ),
    (
        "snare count negative",
        _set(lambda r: _find(r)["properties"], "count", -3),
        GEOJSON,
        422,
        "/features/1/properties/count",
    ),
    (
        "snare count fractional",
        _set(lambda r: _find(r)["properties"], "count", 1.5),
        GEOJSON,
        422,
        "/features/1/properties/count",
    ),
    (
        "snare is a line",
        _set(_find, "geometry", {"type": "LineString", "coordinates": []}),
        GEOJSON,
        422,
        "/features/1/geometry",
    ),
    (
        "snare latitude out of range",
        _with(lambda r: _find(r)["geometry"]["coordinates"].__setitem__(1, 95.0)),
        GEOJSON,
        422,
        "/features/1/geometry/coordinates/1",
    ),
    (
        "snare missing found_at",
        _del(lambda r: _find(r)["properties"], "found_at"),
        GEOJSON,
        422,
        "/features/1/properties/found_at",
    ),
    (
        "snare found outside the patrol",
        _set(lambda r: _find(r)["properties"], "found_at", "2026-03-05T00:00:00Z"),
        GEOJSON,
        422,
        "/features/1/properties/found_at",
    ),
    ("duplicate find ids", _dup_find, GEOJSON, 422, "/features/2/id"),
    (
        "snare far outside the area",
        _set(_find, "geometry", {"type": "Point", "coordinates": [135.0, 43.2]}),
        GEOJSON,
        422,
        "/features/1/geometry",
    ),
    (
        "route far outside the area",
        _with(
            lambda r: _route(r)["geometry"].__setitem__(
                "coordinates", [[10.0, 45.0], [10.01, 45.01]]
            )
        ),
        GEOJSON,
        422,
        "/features/0/geometry/coordinates/0",
    ),
    (
        "notes too long",
        _set(lambda r: _find(r)["properties"], "notes", "x" * 5000),
        GEOJSON,
        422,
        "/features/1/properties/notes",
    ),
    ("wrong content type", b"unit=T-01", "application/x-www-form-urlencoded", 415, None),
    ("text/plain", b"{}", "text/plain", 415, None),
    ("gpx that is not xml", b"this is not xml at all", GPX, 400, None),
    ("gpx truncated", GOOD_GPX[:-20].encode(), GPX, 400, None),
    (
        "gpx with no track",
        b'<?xml version="1.0"?><gpx version="1.1" creator="t" '
        b'xmlns="http://www.topografix.com/GPX/1/1"><wpt lat="43.2" lon="131.3"/></gpx>',
        GPX,
        422,
        "/gpx/trk",
    ),
    ("gpx without unit", GOOD_GPX.encode(), GPX, 422, "/unit"),
    (
        "gpx latitude out of range",
        GOOD_GPX.replace('lat="43.21"', 'lat="93.21"').encode(),
        GPX,
        422,
        "/gpx/trk/0/trkseg/0/trkpt/1/1",
    ),
]


def _body(case):
    _, mutation, *_ = case
    if isinstance(mutation, bytes):
        return mutation
    return json.dumps(mutation(make_report()), allow_nan=True).encode()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_report_through_the_api(client, world, app, case):
    name, _, content_type, status, pointer = case
    before = row_counts(app)
    r = client.post(
        "/api/v1/patrols",
        data=_body(case),
        content_type=content_type,
        headers=world.auth("ranger1"),
    )
    assert r.status_code == status, (name, r.get_json())
    assert r.mimetype == "application/problem+json"
    problem = r.get_json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    assert problem["type"].startswith("https://")
    if pointer is not None:
        pointers = [e["pointer"] for e in problem.get("errors", [])]
        assert pointer in pointers, (name, problem)
        assert all(e["detail"] for e in problem["errors"])
    assert row_counts(app) == before


def test_nan_written_as_a_number_is_refused(client, world, app):
    report = make_report()
    _coords(report)[1][0] = math.nan
    r = client.post(
        "/api/v1/patrols",
        data=json.dumps(report),
        content_type=GEOJSON,
        headers=world.auth("ranger1"),
    )
    assert r.status_code == 400  # Python writes NaN, which is not JSON


def test_oversized_body(client, world, app):
    before = row_counts(app)
    big = make_report(xy_m=[(i % 2000 - 1000, (i // 2000) * 10) for i in range(200_000)])
    r = client.post(
        "/api/v1/patrols", data=json.dumps(big), content_type=GEOJSON, headers=world.auth("ranger1")
    )
    assert r.status_code == 413
    assert r.mimetype == "application/problem+json"
    assert row_counts(app) == before


def test_too_many_vertices(client, world, app):
    report = make_report(xy_m=[(i % 100, i // 100) for i in range(60_000)], finds=())
    r = client.post(
        "/api/v1/patrols",
        data=json.dumps(report, separators=(",", ":")),
        content_type=GEOJSON,
        headers=world.auth("ranger1"),
    )
    assert r.status_code in (413, 422)


def test_every_problem_is_reported_at_once(client, world, app):
    report = make_report()
    _props(report)["transport"] = "horse"
    _find(report)["properties"]["count"] = 0
    _coords(report)[0][1] = 99.0
    r = client.post(
        "/api/v1/patrols",
        data=json.dumps(report),
        content_type=GEOJSON,
        headers=world.auth("ranger1"),
    )
    pointers = {e["pointer"] for e in r.get_json()["errors"]}
    assert {
        "/features/0/properties/transport",
        "/features/1/properties/count",
        "/features/0/geometry/coordinates/0/1",
    } <= pointers


CLI_CASES = [c for c in CASES if c[2] in (GEOJSON, GPX) and c[1] != b""]
# The CLI is trusted with every area: another area's unit is known there, and it is the
# route, far from that unit's area, that gets refused.
CLI_POINTER = {"other area's unit": "/features/0/geometry"}


@pytest.mark.parametrize("case", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_bad_report_through_the_cli(runner, world, app, tmp_path, case):
    name, _, content_type, _status, pointer = case
    path = tmp_path / ("report.gpx" if content_type == GPX else "report.geojson")
    path.write_bytes(_body(case))
    before = row_counts(app)
    result = runner.invoke(args=["patrols", "import", str(path)])
    assert result.exit_code == 1, (name, result.output)
    assert "rejected" in result.output
    pointer = CLI_POINTER.get(name, pointer)
    if pointer:
        assert pointer in result.output, (name, result.output)
    assert row_counts(app) == before


def test_good_gpx_imports_through_the_cli(runner, world, tmp_path):
    path = tmp_path / "t.gpx"
    path.write_text(GOOD_GPX)
    result = runner.invoke(args=["patrols", "import", "--unit", "T-01", str(path)])
    assert result.exit_code == 0, result.output
    assert "stored as patrol" in result.output
    again = runner.invoke(args=["patrols", "import", "--unit", "T-01", str(path)])
    assert "already stored" in again.output
