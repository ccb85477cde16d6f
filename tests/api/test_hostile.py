"""Hostile and careless input, generated: every field of a report and every query parameter
set to every JSON type, null, empty, huge, out of range and malformed, on both databases.

The answer is a 2xx for what happens to be valid, otherwise a 4xx problem+json naming the
place, and never a 500; a refused request changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import timedelta
from urllib.parse import quote

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patrol.store.models import AuditEvent, EffortCell, Patrol
from tests.conftest import HALF_M, T0, lonlat, make_report, row_counts

GEOJSON = "application/geo+json"
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: a short, seeded sweep
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Strings chosen for what breaks parsers and databases, beside generated ones.
NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\x1b[31m",
    "²⁰²⁵",
    "٢٠٢٥-٠١-٠١",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-12:00",
    "10000-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-03-02T01:00:00",
    "NaN",
    "-1",
    "1e309",
    "x" * 70_000,
    "<script>alert(1)</script>",
    "'; DROP TABLE patrol; --",
]
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(NASTY_TEXT),
    st.text(st.characters(codec=None, categories=None), max_size=30),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)

# Where a value may land in a report: (feature index, part, key); part "properties",
# "geometry" or "feature" (the Feature object itself).
REPORT_FIELDS = [
    (0, "feature", "id"),
    (0, "feature", "type"),
    (0, "feature", "geometry"),
    (0, "geometry", "type"),
    (0, "geometry", "coordinates"),
    (0, "vertex", 1),
    (0, "properties", "kind"),
    (0, "properties", "unit"),
    (0, "properties", "transport"),
    (0, "properties", "leader"),
    (0, "properties", "members"),
    (0, "properties", "started_at"),
    (0, "properties", "ended_at"),
    (0, "properties", "coordTimes"),
    (1, "feature", "id"),
    (1, "geometry", "coordinates"),
    (1, "properties", "found_at"),
    (1, "properties", "type"),
    (1, "properties", "count"),
    (1, "properties", "state"),
    (1, "properties", "action"),
    (1, "properties", "species"),
    (1, "properties", "notes"),
]


def _mutated(field, value) -> dict:
    report = make_report(times=True)
    index, part, key = field
    feature = report["features"][index]
    if part == "feature":
        feature[key] = value
    elif part == "vertex":
        feature["geometry"]["coordinates"][key] = value
    else:
        feature[part][key] = value
    return report


def _assert_problem(r, before, app):
    assert r.status_code < 500, r.get_data(as_text=True)[:500]
    if r.status_code >= 400:
        assert r.mimetype == "application/problem+json"
        problem = r.get_json()
        assert problem["status"] == r.status_code and problem["detail"]
        if r.status_code == 422:
            assert problem["errors"] and all(e["pointer"] is not None for e in problem["errors"])
        assert row_counts(app) == before


@SETTINGS
@given(field=st.sampled_from(REPORT_FIELDS), value=json_values)
def test_any_value_in_any_report_field(client, world, app, field, value):
    report = _mutated(field, value)
    before = row_counts(app)
    r = client.post(
        "/api/v1/patrols",
        data=json.dumps(report),
        content_type=GEOJSON,
        headers=world.auth("ranger1"),
    )
    _assert_problem(r, before, app)


PARAMS = [
    "from",
    "to",
    "unit",
    "zone",
    "bbox",
    "limit",
    "offset",
    "year",
    "to_year",
    "cell_km",
    "min_effort_km",
    "bins",
    "format",
    "area",
    "revision",
]
ENDPOINTS = [
    "/api/v1/patrols",
    "/api/v1/snares",
    "/api/v1/zones/stats",
    "/api/v1/hotspots",
    "/api/v1/dispatch",
    "/api/v1/units/T-01/targets",
    "/api/v1/exports/annual",
    "/api/v1/exports/finds",
    "/api/v1/exports/routes",
    "/api/v1/zones",
    "/api/v1/units",
]
param_text = st.one_of(
    st.sampled_from(NASTY_TEXT[:-3]),
    st.text(st.characters(codec="utf-8"), max_size=20),
    st.integers().map(str),
    st.floats().map(str),
)


@SETTINGS
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    params=st.dictionaries(st.sampled_from(PARAMS), param_text, min_size=1, max_size=3),
    who=st.sampled_from(["coord", "ranger1", "ngo"]),
)
def test_any_query_string(client, world, app, endpoint, params, who):
    before = row_counts(app)
    # Bytes as a client sends them: lone surrogates become the (invalid) UTF-8 they encode to.
    query = "&".join(
        f"{name}={quote(value.encode('utf-8', 'surrogatepass'))}" for name, value in params.items()
    )
    r = client.get(endpoint, query_string=query, headers=world.auth(who))
    _assert_problem(r, before, app)
    if r.status_code >= 400:
        assert r.mimetype == "application/problem+json"


def _post(client, world, report, who="ranger1"):
    return client.post(
        "/api/v1/patrols", data=json.dumps(report), content_type=GEOJSON, headers=world.auth(who)
    )


@pytest.mark.parametrize(
    ("field", "pointer"),
    [
        ((0, "properties", "ended_at"), "/features/0/properties/ended_at"),
        ((0, "properties", "started_at"), "/features/0/properties/started_at"),
        ((1, "properties", "found_at"), "/features/1/properties/found_at"),
    ],
)
def test_null_time_is_a_missing_time(client, world, app, field, pointer):
    report = make_report()
    index, part, key = field
    report["features"][index][part][key] = None
    before = row_counts(app)
    r = _post(client, world, report)
    assert r.status_code == 422
    assert pointer in [e["pointer"] for e in r.get_json()["errors"]]
    assert row_counts(app) == before


@pytest.mark.parametrize(
    ("path", "params", "pointer"),
    [
        ("/api/v1/zones/stats", {"to": "9999-12-31"}, "/to"),
        ("/api/v1/hotspots", {"from": "9999-12-31"}, "/from"),
        ("/api/v1/patrols", {"from": "0001-01-01T00:00:00+05:00"}, "/from"),
        ("/api/v1/snares", {"to": "9999-12-31T23:59:59-12:00"}, "/to"),
        ("/api/v1/exports/annual", {"year": "0000"}, "/year"),
        ("/api/v1/exports/annual", {"year": "²⁰²⁵"}, "/year"),
        ("/api/v1/patrols", {"limit": "²"}, "/limit"),
        ("/api/v1/hotspots", {"unit": "T-01\x00"}, "/unit"),
        ("/api/v1/patrols", {"unit": "\x00"}, "/unit"),
    ],
)
def test_reproduced_query_crashes_are_problems(client, world, path, params, pointer):
    r = client.get(path, query_string=params, headers=world.auth("coord"))
    assert r.status_code in (400, 422), r.get_data(as_text=True)[:300]
    assert pointer in [e["pointer"] for e in r.get_json()["errors"]]


def test_nul_in_a_path_id_is_refused(client, world):
    r = client.get("/api/v1/patrols/ab%00cd", headers=world.auth("coord"))
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["pointer"] == "/patrol_id"


def test_superscript_revision_is_refused(client, world, app):
    report = make_report()
    assert _post(client, world, report).status_code == 201
    before = row_counts(app)
    pid = report["features"][0]["id"]
    r = client.delete(f"/api/v1/patrols/{pid}?revision=²", headers=world.auth("coord"))
    assert r.status_code == 422
    assert [e["pointer"] for e in r.get_json()["errors"]] == ["/revision"]
    assert row_counts(app) == before


@pytest.mark.parametrize(
    ("where", "value"),
    [("notes", "\ud800 lone"), ("notes", "nul \x00 byte"), ("species", "x\x07")],
)
def test_texts_that_cannot_be_stored(client, world, app, where, value):
    report = make_report()
    report["features"][1]["properties"][where] = value
    before = row_counts(app)
    r = _post(client, world, report)
    assert r.status_code == 422
    assert f"/features/1/properties/{where}" in [e["pointer"] for e in r.get_json()["errors"]]
    assert row_counts(app) == before


@pytest.mark.parametrize(
    ("change", "pointer"),
    [({"leader": "x" * 201}, "/leader"), ({"members": ["a\x00"]}, "/members/0")],
)
def test_patch_is_validated_like_a_report(client, world, app, change, pointer):
    report = make_report()
    assert _post(client, world, report).status_code == 201
    pid = report["features"][0]["id"]
    before = row_counts(app)
    r = client.patch(
        f"/api/v1/patrols/{pid}", json={"revision": 1, **change}, headers=world.auth("coord")
    )
    assert r.status_code == 422
    assert pointer in [e["pointer"] for e in r.get_json()["errors"]]
    assert row_counts(app) == before


def test_a_vertex_time_in_the_year_10000_is_refused(client, world, app):
    report = make_report(times=True)
    report["features"][0]["properties"]["coordTimes"][1] = "10000-01-01T00:00:00Z"
    before = row_counts(app)
    r = _post(client, world, report)
    assert r.status_code == 422
    assert "/features/0/properties/coordTimes/1" in [e["pointer"] for e in r.get_json()["errors"]]
    assert row_counts(app) == before


def test_a_vertex_time_outside_the_patrol_is_refused(client, world, app, session):
    """A first time in 1970 would make a 4 h patrol weigh 56 years of effort."""
    report = make_report(times=True)
    report["features"][0]["properties"]["coordTimes"][0] = "1970-01-01T00:00:00Z"
    r = _post(client, world, report)
    assert r.status_code == 422
    assert "/features/0/properties/coordTimes/0" in [e["pointer"] for e in r.get_json()["errors"]]
    # Without started_at the times themselves are the window: 1970 is no patrol's time.
    del report["features"][0]["properties"]["started_at"]
    r = _post(client, world, report)
    assert r.status_code == 422
    assert "/features/0/properties/started_at" in [e["pointer"] for e in r.get_json()["errors"]]
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 0


def test_vertices_times_in_order_inside_the_window_are_stored(client, world, session):
    report = make_report(times=True, hours=4.0)
    r = _post(client, world, report)
    assert r.status_code == 201
    hours = session.scalar(sa.select(sa.func.sum(EffortCell.effort_h)))
    assert hours == pytest.approx(4.0, rel=1e-9)


def test_a_route_alternating_with_null_island_is_refused_before_measuring(client, world, app):
    """The stall reproducer: vertices alternating between the area and lon 0 / lat 0."""
    inside = lonlat([0], [0])[0]
    coords = [inside if k % 2 == 0 else [0.0, 0.0] for k in range(2000)]
    report = make_report()
    report["features"][0]["geometry"]["coordinates"] = coords
    before = row_counts(app)
    r = _post(client, world, report)
    assert r.status_code == 422
    problem = r.get_json()
    assert problem["errors"][0]["pointer"] == "/features/0/geometry/coordinates/1"
    assert "1000 vertex" in problem["errors"][0]["detail"]
    assert row_counts(app) == before


@pytest.mark.parametrize(
    ("xy", "hours", "transport", "what"),
    [
        (((-9000, 0), (9000, 0)), 0.5, "foot", "km/h"),
        (((-9000, -9000), (9000, 9000)), 30.0, "foot", "longer than 25 km"),
        (((-18000, 0), (18000, 0)), 0.01, "vehicle", "km/h"),
    ],
)
def test_implausible_routes_are_refused(client, world, app, xy, hours, transport, what):
    report = make_report(xy_m=xy, hours=hours, finds=(), transport=transport)
    before = row_counts(app)
    r = _post(client, world, report)
    assert r.status_code == 422
    assert what in r.get_json()["errors"][0]["detail"]
    assert row_counts(app) == before


def test_effort_north_of_the_area_lands_in_no_cell_of_it(client, world, session):
    """Effort within the margin but outside the area's cells: it counts in no cell of the
    area (with keys ix*span+iy it was added to a cell 45 km south)."""
    north = HALF_M + 5500
    report = make_report(xy_m=((-3000, north), (3000, north)), finds=())
    assert _post(client, world, report).status_code == 201
    stored = session.scalar(sa.select(sa.func.sum(EffortCell.effort_km)))
    assert stored > 5.9  # measured, and kept with the patrol
    r = client.get(
        "/api/v1/hotspots", query_string={"from": "2026-03-01"}, headers=world.auth("coord")
    )
    assert r.status_code == 200
    cells = r.get_json()["features"]
    assert sum(f["properties"]["effort_km"] or 0 for f in cells) == 0


def test_effort_inside_and_north_adds_up_per_cell(client, world, session):
    """An independent tally: each area cell's effort equals the stored rows of that cell."""
    north = HALF_M + 5500
    inside = make_report(xy_m=((-9000, 9000), (9000, 9000)), finds=())
    outside = make_report(
        xy_m=((-9000, north), (9000, north)), finds=(), start=T0 + timedelta(days=1)
    )
    for report in (inside, outside):
        assert _post(client, world, report).status_code == 201
    r = client.get(
        "/api/v1/hotspots", query_string={"from": "2026-03-01"}, headers=world.auth("coord")
    )
    rows = session.execute(sa.select(EffortCell.ix, EffortCell.iy, EffortCell.effort_km)).all()
    expected: dict[tuple[int, int], float] = {}
    for ix, iy, km in rows:
        expected[(ix, iy)] = expected.get((ix, iy), 0.0) + km
    got = {(f["properties"]["ix"], f["properties"]["iy"]): f for f in r.get_json()["features"]}
    for key, feature in got.items():
        assert (feature["properties"]["effort_km"] or 0) == pytest.approx(
            expected.get(key, 0.0), abs=1e-3
        )
    assert sum((f["properties"]["effort_km"] or 0) for f in got.values()) == pytest.approx(
        sum(km for key, km in expected.items() if key in got), abs=1e-3
    )


@pytest.mark.parametrize("who", ["ranger_other", "ranger2"])
def test_a_known_id_tells_nothing_to_who_may_not_see_it(client, world, app, session, who):
    report = make_report()
    assert _post(client, world, report).status_code == 201
    pid = report["features"][0]["id"]
    other = make_report(patrol_id=pid, unit="O-01" if who == "ranger_other" else "T-02")
    answers = []
    for deleted in (False, True):
        if deleted:
            r = client.delete(f"/api/v1/patrols/{pid}?revision=1", headers=world.auth("coord"))
            assert r.status_code == 200
        r = _post(client, world, other, who)
        answers.append((r.status_code, r.get_json()))
    for status, problem in answers:
        assert status == 409
        assert problem["type"].endswith("/id-unavailable")
        assert "revision" not in problem and "deleted" not in problem["detail"]
    # The same answer whether the original is live or deleted.
    assert answers[0][1]["detail"] == answers[1][1]["detail"]
    # Even the very same report (a replay to its owner) is no receipt for them.
    r = _post(client, world, report, who)
    assert r.status_code == 409 and r.get_json()["type"].endswith("/id-unavailable")


def test_a_reused_find_id_does_not_name_a_hidden_patrol(client, world):
    report = make_report()
    assert _post(client, world, report).status_code == 201
    mine = make_report(unit="T-02")
    mine["features"][1]["id"] = report["features"][1]["id"]
    r = _post(client, world, mine, "ranger2")
    assert r.status_code == 422
    detail = r.get_json()["errors"][0]["detail"]
    assert report["features"][0]["id"] not in detail
    # A coordinator, who may read that patrol, is told which it is.
    r = _post(client, world, mine, "coord")
    assert report["features"][0]["id"] in r.get_json()["errors"][0]["detail"]


def test_replay_to_its_owner_is_still_a_replay(client, world):
    report = make_report()
    assert _post(client, world, report).status_code == 201
    again = _post(client, world, report)
    assert again.status_code == 200
    assert again.get_json()["id"] == report["features"][0]["id"]


def test_405_names_the_allowed_methods(client, world):
    r = client.put("/api/v1/patrols", headers=world.auth("coord"))
    assert r.status_code == 405
    assert set(r.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert r.mimetype == "application/problem+json"


def test_hsts_only_over_https(client, world):
    plain = client.get("/api/v1/units", headers=world.auth("coord"))
    assert "Strict-Transport-Security" not in plain.headers
    secure = client.get(
        "/api/v1/units", headers=world.auth("coord"), base_url="https://patrol.example.org"
    )
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_an_edit_leaves_one_audit_event(client, world, session):
    report = make_report()
    assert _post(client, world, report).status_code == 201
    pid = report["features"][0]["id"]
    r = client.patch(
        f"/api/v1/patrols/{pid}", json={"revision": 1, "leader": "New"}, headers=world.auth("coord")
    )
    assert r.status_code == 200
    events = session.scalars(sa.select(AuditEvent).where(AuditEvent.entity_id == pid)).all()
    assert [e.action for e in events] == ["create", "correct"]


def test_mixed_case_uuid_is_the_same_patrol(client, world):
    report = make_report()
    pid = str(uuid.uuid4())
    report["features"][0]["id"] = pid.upper()
    r = _post(client, world, report)
    assert r.status_code == 201 and r.get_json()["id"] == pid
    assert np.isfinite(r.get_json()["figures"]["distance_km"])


def test_a_read_does_not_wait_for_a_writer_to_note_token_use(app, client, world, session):
    """Another transaction holds the write lock (SQLite) or the token's row (PostgreSQL): a
    GET is answered at once and the token's last use is simply noted another time (waiting
    would end, after the 30 s busy timeout, in 'database is locked')."""
    from patrol.store.models import ApiToken

    engine = app.extensions["patrol.engine"]
    if engine.dialect.name == "sqlite":
        writer = sqlite3.connect(engine.url.database, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
    else:
        writer = engine.connect()
        writer.execute(sa.select(ApiToken.id).with_for_update())
    try:
        r = client.get("/api/v1/units", headers=world.auth("coord"))
        assert r.status_code == 200
    finally:
        writer.rollback()
        writer.close()
    session.rollback()
    last = session.scalars(sa.select(ApiToken.last_used_at)).all()
    assert all(t is None for t in last)
    assert client.get("/api/v1/units", headers=world.auth("coord")).status_code == 200
    session.rollback()
    assert sum(t is not None for t in session.scalars(sa.select(ApiToken.last_used_at))) == 1
