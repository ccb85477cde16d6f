"""Light on the wire: compression, ETag and 304, 6-decimal coordinates, simplified routes."""

from __future__ import annotations

import gc
import gzip
import json
import warnings
from decimal import Decimal

import brotli
import numpy as np
import pytest
import shapely
import sqlalchemy as sa
from pyproj import Transformer

from patrol import create_app
from patrol.geo.packed_route import unpack_route
from patrol.store.models import Patrol
from tests.conftest import EPSG, T0, lonlat, make_report, row_counts

GEOJSON = "application/geo+json"


def _post(client, world, report, who="coord"):
    r = client.post(
        "/api/v1/patrols", data=json.dumps(report), content_type=GEOJSON, headers=world.auth(who)
    )
    assert r.status_code == 201, r.get_json()
    return r


def _wiggle(n: int = 400, seed: int = 7) -> np.ndarray:
    """A GPS-like walk: 6 km east with 2 m of jitter and a 300 m bend in the middle."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-3000, 3000, n)
    y = 300 * np.exp(-((x / 800) ** 2)) + rng.normal(0, 2, n)
    return np.column_stack([x, y])


@pytest.fixture
def walked(client, world):
    """Three patrols: a wiggly 400-vertex one, and two short ones for the other unit."""
    reports = [make_report(xy_m=_wiggle(), finds=((0, 300), (-2000, 0)))]
    reports += [
        make_report(xy_m=((x, -3000), (x, 3000)), unit="T-02", finds=((x, 0),))
        for x in (-6000, 6000)
    ]
    for report in reports:
        _post(client, world, report)
    return reports


# --- compression ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "decompress"), [("gzip", gzip.decompress), ("br", brotli.decompress)]
)
@pytest.mark.parametrize(
    "path",
    ["/api/v1/patrols", "/api/v1/zones", "/api/v1/hotspots", "/api/v1/zones/stats?format=csv"],
)
def test_a_compressed_answer_is_the_same_answer(client, world, walked, path, encoding, decompress):
    h = world.auth("coord")
    plain = client.get(path, headers=h)
    packed = client.get(path, headers={**h, "Accept-Encoding": encoding})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert packed.mimetype == plain.mimetype
    body = decompress(packed.data)
    assert body == plain.data
    assert len(packed.data) < len(plain.data) / 2
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    # One representation, two encodings: the same (weak) validator.
    assert packed.headers["ETag"] == plain.headers["ETag"]


def test_gzip_geojson_decodes_to_the_same_json(client, world, walked):
    h = world.auth("coord")
    plain = client.get("/api/v1/patrols", headers=h).get_json()
    packed = client.get("/api/v1/patrols", headers={**h, "Accept-Encoding": "gzip, deflate"})
    assert json.loads(gzip.decompress(packed.data)) == plain
    assert len(plain["features"]) == 3


def test_problems_are_never_stored(client, world):
    # Flask-Compress compresses 2xx answers only; a problem lists at most 10 errors.
    bad = {"from": "x" * 50, "to": "y" * 50, "bbox": "1,2", "limit": "0", "offset": "-1"}
    r = client.get(
        "/api/v1/patrols",
        query_string=bad,
        headers={**world.auth("coord"), "Accept-Encoding": "gzip"},
    )
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert "Content-Encoding" not in r.headers
    problem = r.get_json()
    assert [e["pointer"] for e in problem["errors"]] == [
        "/from",
        "/to",
        "/bbox",
        "/limit",
        "/offset",
    ]
    assert r.headers["Cache-Control"] == "no-store" and "ETag" not in r.headers


def test_small_and_already_compressed_answers_are_sent_as_they_are(client, world, walked):
    h = {**world.auth("coord"), "Accept-Encoding": "gzip, br"}
    xlsx = client.get("/api/v1/exports/annual?year=2026&format=xlsx", headers=h)
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert "Content-Encoding" not in xlsx.headers
    small = client.get("/api/v1/session", headers=h)
    assert len(small.data) < 500 and "Content-Encoding" not in small.headers


def test_compression_can_be_switched_off(database_url, world, walked):
    app = create_app(
        {"ENV": "testing", "SECRET_KEY": "x", "DATABASE_URL": database_url, "COMPRESS": False}
    )
    try:
        r = app.test_client().get(
            "/api/v1/patrols", headers={**world.auth("coord"), "Accept-Encoding": "gzip, br"}
        )
        assert r.status_code == 200 and "Content-Encoding" not in r.headers
        assert len(r.get_json()["features"]) == 3
        assert r.headers["ETag"].startswith('W/"')  # validators do not depend on compression
    finally:
        app.extensions["patrol.engine"].dispose()


@pytest.mark.parametrize(
    ("encoding", "decompress"), [("gzip", gzip.decompress), ("br", brotli.decompress)]
)
def test_files_still_stream_compressed(client, encoding, decompress):
    plain = client.get("/vendor/leaflet/leaflet.js")
    r = client.get("/vendor/leaflet/leaflet.js", headers={"Accept-Encoding": encoding})
    assert r.status_code == 200 and r.is_streamed and "Content-Length" not in r.headers
    assert r.headers["Content-Encoding"] == encoding
    assert decompress(r.data) == plain.data and b"Leaflet" in plain.data
    plain.close()  # a streamed file is closed with its answer, not left to the collector
    r.close()


def test_a_compressed_file_is_closed_with_its_answer(client):
    # Flask-Compress swaps a streamed body for its compressing generator: the file under it
    # must still be closed when the answer is (not left to the garbage collector).
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", ResourceWarning)
        for _ in range(3):
            r = client.get("/static/js/map.js", headers={"Accept-Encoding": "br"})
            assert r.headers["Content-Encoding"] == "br" and brotli.decompress(r.data)
            r.close()
        del r
        gc.collect()
    assert not [w for w in seen if "map.js" in str(w.message)]


# --- validators ---------------------------------------------------------------------------


def test_an_unchanged_answer_costs_a_304(client, world, walked, app):
    h = world.auth("coord")
    first = client.get("/api/v1/patrols", headers=h)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and first.headers["Cache-Control"] == "private, no-cache"
    assert {"Accept", "Accept-Encoding", "Cookie", "Authorization"} <= {
        v.strip() for v in first.headers["Vary"].split(",")
    }
    again = client.get("/api/v1/patrols", headers={**h, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    # Through compression: the tag a browser got with a gzip body revalidates the same way.
    packed = client.get(
        "/api/v1/patrols", headers={**h, "If-None-Match": etag, "Accept-Encoding": "gzip"}
    )
    assert packed.status_code == 304 and "Content-Encoding" not in packed.headers
    head = client.head("/api/v1/patrols", headers={**h, "If-None-Match": etag})
    assert head.status_code == 304
    # Another answer of the same URL (a correction): a full 200 with a new tag.
    patrol_id = walked[0]["features"][0]["id"]
    before = row_counts(app)
    fix = client.patch(
        f"/api/v1/patrols/{patrol_id}", json={"revision": 1, "leader": "New Leader"}, headers=h
    )
    assert fix.status_code == 200
    assert row_counts(app)["audit_event"] == before["audit_event"] + 1
    after = client.get("/api/v1/patrols", headers={**h, "If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    leaders = [f["properties"]["leader"] for f in after.get_json()["features"]]
    assert "New Leader" in leaders
    # A stale tag among others does not match; the current one does.
    both = f'"stale", {after.headers["ETag"]}'
    assert client.get("/api/v1/patrols", headers={**h, "If-None-Match": both}).status_code == 304


def test_a_new_patrol_changes_the_tag_of_the_figures(client, world, walked):
    h = world.auth("coord")
    first = client.get("/api/v1/hotspots", headers=h)
    _post(client, world, make_report(xy_m=((-8000, 8000), (8000, 8000)), start=T0))
    later = client.get("/api/v1/hotspots", headers={**h, "If-None-Match": first.headers["ETag"]})
    assert later.status_code == 200 and later.get_data() != first.get_data()


def test_tags_do_not_cross_roles(client, world, walked):
    coord = client.get("/api/v1/units", headers=world.auth("coord"))
    ngo = client.get("/api/v1/units", headers=world.auth("ngo"))
    assert coord.status_code == ngo.status_code == 200
    assert coord.get_json() != ngo.get_json()  # bases are hidden from NGOs
    assert coord.headers["ETag"] != ngo.headers["ETag"]
    # The coordinator's tag, sent by the NGO, is not the NGO's answer: a full 200.
    cross = client.get(
        "/api/v1/units", headers={**world.auth("ngo"), "If-None-Match": coord.headers["ETag"]}
    )
    assert cross.status_code == 200 and cross.get_json() == ngo.get_json()
    month = {"from": "2026-03-01", "to": "2026-03-31", "cell_km": "5"}
    c = client.get("/api/v1/hotspots", query_string=month, headers=world.auth("coord"))
    n = client.get("/api/v1/hotspots", query_string=month, headers=world.auth("ngo"))
    assert c.status_code == n.status_code == 200
    assert c.get_data() != n.get_data() and c.headers["ETag"] != n.headers["ETag"]


def test_the_session_and_writes_are_never_stored(client, world, walked):
    h = world.auth("coord")
    session = client.get("/api/v1/session", headers=h)
    assert "ETag" not in session.headers and session.headers["Cache-Control"] == "no-store"
    r = _post(client, world, make_report(), who="coord")
    assert "ETag" not in r.headers and r.headers["Cache-Control"] == "no-store"


def test_ogc_answers_have_validators(client, world, walked):
    h = world.auth("coord")
    url = "/ogc/collections/test-area-routes/items?f=json"
    first = client.get(url, headers=h)
    assert first.status_code == 200 and first.headers["ETag"].startswith('W/"')
    assert client.get(url, headers={**h, "If-None-Match": first.headers["ETag"]}).status_code == 304
    page = client.get("/ogc/collections?f=html", headers=h)
    # The same resource as a page is another representation with its own tag.
    assert page.headers["ETag"] != client.get("/ogc/collections?f=json", headers=h).headers["ETag"]


# --- coordinates --------------------------------------------------------------------------


def _positions(obj):
    """Every number under a "coordinates" member, as the Decimal written on the wire."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == "coordinates":
                yield from _numbers(value)
            else:
                yield from _positions(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _positions(value)


def _numbers(value):
    if isinstance(value, list):
        for v in value:
            yield from _numbers(v)
    else:
        yield value


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/patrols",
        "/api/v1/snares",
        "/api/v1/zones",
        "/api/v1/units",
        "/api/v1/hotspots",
        "/api/v1/zones/stats",
        "/api/v1/exports/routes?year=2026",
        "/api/v1/exports/finds?year=2026&format=geojson",
        "/api/v1/exports/annual?year=2026&format=geojson",
        "/ogc/collections/test-area-routes/items?f=json",
        "/ogc/collections/test-area-finds/items?f=json",
        "/ogc/collections/test-area-zones/items?f=json",
        "/ogc/collections/test-area-cells/items?f=json&limit=50",
    ],
)
def test_coordinates_have_at_most_6_decimals(client, world, walked, path):
    r = client.get(path, headers=world.auth("coord"))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    doc = json.loads(r.get_data(as_text=True), parse_float=Decimal)
    numbers = list(_positions(doc))
    assert numbers, "the answer has coordinates"
    assert all(isinstance(v, int) or v.as_tuple().exponent >= -6 for v in numbers)


def test_rounding_is_of_the_answer_only(client, world, walked, session):
    sent = walked[0]["features"][0]["geometry"]["coordinates"]  # a LineString
    doc = client.get(
        f"/api/v1/patrols/{walked[0]['features'][0]['id']}", headers=world.auth("coord")
    ).get_json()
    (got,) = doc["features"][0]["geometry"]["coordinates"]  # stored as a MultiLineString
    blob = session.scalar(sa.select(Patrol).where(Patrol.uuid == doc["id"])).route_packed
    (stored,) = unpack_route(blob)
    assert len(got) == len(stored) == len(sent)
    # Each number is the 6-decimal one nearest to the stored one (within half a unit).
    gap = np.abs(np.array(got) - np.array(stored))
    assert gap.max() <= 0.5e-6 + 1e-12
    assert np.abs(np.round(np.array(got) * 1e6) - np.array(got) * 1e6).max() < 1e-6
    # The store keeps what it kept before: finer than the answer (ingest keeps 1 cm).
    assert max(len(repr(v).split(".")[1]) for p in stored for v in p) > 6
    assert np.abs(np.array(stored) - np.array(sent)).max() < 1e-7
    find = doc["features"][1]["geometry"]["coordinates"]
    sent_find = walked[0]["features"][1]["geometry"]["coordinates"]
    assert np.abs(np.array(find) - np.array(sent_find)).max() <= 0.5e-6 + 1e-7


# --- simplified routes ----------------------------------------------------------------------


def _metric(coords):
    to_m = Transformer.from_crs(4326, EPSG, always_xy=True)
    c = np.asarray(coords, float)
    return np.column_stack(to_m.transform(c[:, 0], c[:, 1]))


def test_tolerance_simplifies_routes_and_keeps_their_ends(client, world, walked):
    h = world.auth("coord")
    full = client.get("/api/v1/patrols", headers=h).get_json()["features"]
    simple = client.get("/api/v1/patrols?tolerance_m=20", headers=h).get_json()["features"]
    coarse = client.get("/api/v1/patrols?tolerance_m=200", headers=h).get_json()["features"]
    assert [f["id"] for f in simple] == [f["id"] for f in full]
    # Stored routes are MultiLineStrings: this one has one part.
    (wiggly_full,), (wiggly,) = (f[0]["geometry"]["coordinates"] for f in (full, simple))
    assert len(wiggly_full) == 400
    assert 3 <= len(coarse[0]["geometry"]["coordinates"][0]) < len(wiggly) < 60
    assert wiggly[0] == wiggly_full[0] and wiggly[-1] == wiggly_full[-1]
    # Every kept vertex is one of the route's own, in order.
    index = [wiggly_full.index(p) for p in wiggly]
    assert index == sorted(index) and index[0] == 0 and index[-1] == 399
    # No recorded vertex is farther than the tolerance from the simplified line (in metres,
    # measured independently with pyproj in the area's CRS).
    line = shapely.LineString(_metric(wiggly))
    far = shapely.distance(line, shapely.points(_metric(wiggly_full))).max()
    assert far <= 20.0 + 0.01
    # A two-vertex route has nothing to drop; figures are those of the stored routes.
    assert simple[1]["geometry"] == full[1]["geometry"]
    for a, b in zip(full, simple, strict=True):
        assert a["properties"] == b["properties"]


def test_tolerance_zero_or_absent_is_the_route_as_stored(client, world, walked):
    h = world.auth("coord")
    full = client.get("/api/v1/patrols", headers=h)
    zero = client.get("/api/v1/patrols?tolerance_m=0", headers=h)
    assert zero.get_json() == full.get_json()
    assert zero.headers["ETag"] == full.headers["ETag"]


def test_tolerance_keeps_a_multilinestring_and_each_parts_ends(client, world):
    parts = [
        lonlat(*_wiggle(200, seed=1).T),
        lonlat(*(_wiggle(200, seed=2) + np.array([0, 2000])).T),
    ]
    report = make_report()
    report["features"][0]["geometry"] = {"type": "MultiLineString", "coordinates": parts}
    _post(client, world, report)
    h = world.auth("coord")
    full = client.get("/api/v1/patrols", headers=h).get_json()["features"][0]["geometry"]
    got = client.get("/api/v1/patrols?tolerance_m=10", headers=h).get_json()["features"][0]
    geometry = got["geometry"]
    assert geometry["type"] == "MultiLineString" and len(geometry["coordinates"]) == 2
    for kept, whole in zip(geometry["coordinates"], full["coordinates"], strict=True):
        assert kept[0] == whole[0] and kept[-1] == whole[-1] and len(kept) < len(whole)


def test_an_out_and_back_route_is_thinned_too(client, world):
    """Out along a trail and back on it (GPS jitter both ways), ending where it started."""
    out = _wiggle(200, seed=3)
    back = out[::-1] + np.random.default_rng(4).normal(0, 2, out.shape)
    xy = np.concatenate([out, back[1:], out[:1]])
    _post(client, world, make_report(xy_m=xy))
    h = world.auth("coord")
    (full,) = client.get("/api/v1/patrols", headers=h).get_json()["features"][0]["geometry"][
        "coordinates"
    ]
    (kept,) = client.get("/api/v1/patrols?tolerance_m=50", headers=h).get_json()["features"][0][
        "geometry"
    ]["coordinates"]
    assert len(full) == len(xy) and len(kept) < len(full) / 10
    assert kept[0] == full[0] == kept[-1] == full[-1]
    far = shapely.distance(shapely.LineString(_metric(kept)), shapely.points(_metric(full)))
    assert far.max() <= 50.01


@pytest.mark.parametrize("value", ["-1", "1000.5", "abc", "nan", "inf", "1e400", "٣", "10m"])
def test_bad_tolerance_is_422(client, world, walked, value, app):
    before = row_counts(app)
    r = client.get(
        "/api/v1/patrols", query_string={"tolerance_m": value}, headers=world.auth("coord")
    )
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert [e["pointer"] for e in r.get_json()["errors"]] == ["/tolerance_m"]
    assert row_counts(app) == before


def test_tolerance_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"]: p for p in spec["paths"]["/patrols"]["get"]["parameters"]}
    assert params["tolerance_m"]["schema"] == {"type": "number", "minimum": 0, "maximum": 1000}
