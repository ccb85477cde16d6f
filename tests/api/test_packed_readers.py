"""Routes stored packed (migration 0015) answer exactly what the GeoJSON text storage did.

The expected answers are computed here from each report's input, the way the text era built
them: the route rounded to 7 decimals (``measure_report``) written as a MultiLineString text by
orjson and read back (so every float is the one the text held), the times as JSON floats. Each
reader is checked against that: the patrol document (geometry and coordTimes), the routes
layer whole and simplified (against ``simplify_routes`` of the old text), the routes export,
and a recompute of every patrol (the effort rows it writes equal the ones ingest wrote). One
report is a MultiLineString of two parts with its times per part.
"""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import orjson
import sqlalchemy as sa

from patrol.geo.documents import multi_line_string
from patrol.geo.packed_route import pack_route, unpack_route
from patrol.geo.precision import round_geojson
from patrol.geo.simplify import simplify_routes
from patrol.geo.times import iso_utc_seconds, parse_time
from patrol.store.models import EffortCell, EffortZone, Patrol, PatrolTrack, Zone
from tests.conftest import EPSG, T0, make_report, quadrant_zones

GEOJSON = "application/geo+json"


def _walk(seed: int, n: int = 400) -> np.ndarray:
    """A patrol's wander in metres from the test area's centre (inside its 20 km square)."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0, 25, size=(n, 2))
    return np.clip(np.cumsum(steps, axis=0) + rng.uniform(-3000, 3000, 2), -9000, 9000)


def _reports() -> list[dict]:
    out = []
    for k in range(4):
        doc = make_report(
            xy_m=[tuple(v) for v in _walk(k)],
            finds=(),
            start=T0 + timedelta(days=k),
            hours=3.99 if k == 0 else 4.0 + 0.0003 * k,  # k = 0: a vertex every 36 s
            times=k % 2 == 0 or k == 3,
        )
        out.append(doc)
    out.append(_two_parts(make_report(xy_m=[tuple(v) for v in _walk(4)], finds=(), times=True)))
    return out


def _two_parts(doc: dict) -> dict:
    """The report as a MultiLineString of two parts (a gap in the track), times per part."""
    route = doc["features"][0]
    coords, times = route["geometry"]["coordinates"], route["properties"]["coordTimes"]
    route["geometry"] = {"type": "MultiLineString", "coordinates": [coords[:150], coords[150:]]}
    route["properties"]["coordTimes"] = [times[:150], times[150:]]
    return doc


def _text_era(doc: dict) -> tuple[dict, list[list[float]] | None]:
    """The route geometry and times as the text storage gave them back, from the report."""
    props = doc["features"][0]["properties"]
    geometry = doc["features"][0]["geometry"]
    parts = geometry["coordinates"]
    multi = geometry["type"] == "MultiLineString"
    coords = [np.round(np.asarray(p, float), 7).tolist() for p in (parts if multi else [parts])]
    text = orjson.dumps(multi_line_string(coords)).decode()
    times = None
    if "coordTimes" in props:
        raw = props["coordTimes"] if multi else [props["coordTimes"]]
        seconds = [[parse_time(t).timestamp() for t in part] for part in raw]
        times = orjson.loads(orjson.dumps(seconds))
    return orjson.loads(text), times


def _post_all(client, world) -> dict[str, dict]:
    docs = {}
    for doc in _reports():
        r = client.post(
            "/api/v1/patrols",
            data=json.dumps(doc),
            content_type=GEOJSON,
            headers=world.auth("coord"),
        )
        assert r.status_code == 201, r.get_json()
        docs[doc["features"][0]["id"]] = doc
    return docs


def test_documents_layers_and_exports_are_those_of_the_text_storage(client, world, session):
    docs = _post_all(client, world)
    kinds = {
        (r[:1], t and t[:1])
        for r, t in session.execute(sa.select(PatrolTrack.route_packed, PatrolTrack.times_packed))
    }
    # whole-second times as integers, fractional ones as float64, and reports without times
    assert kinds == {(b"q", b"i"), (b"q", b"d"), (b"q", None)}
    routes = session.scalars(sa.select(PatrolTrack.route_packed)).all()
    assert sorted(len(unpack_route(r)) for r in routes) == [1, 1, 1, 1, 2]  # the two-part report
    auth = world.auth("coord")
    for uuid, doc in docs.items():
        geometry, times = _text_era(doc)
        got = client.get(f"/api/v1/patrols/{uuid}", headers=auth).get_json()
        route = got["features"][0]
        assert route["geometry"] == round_geojson(geometry)
        expected_times = None if times is None else [iso_utc_seconds(np.array(t)) for t in times]
        assert route["properties"].get("coordTimes") == expected_times

    layer = client.get("/api/v1/patrols?limit=100", headers=auth).get_json()["features"]
    assert {f["id"]: f["geometry"] for f in layer} == {
        u: round_geojson(_text_era(d)[0]) for u, d in docs.items()
    }
    simple = client.get("/api/v1/patrols?limit=100&tolerance_m=30", headers=auth).get_json()
    texts = {u: orjson.dumps(_text_era(d)[0]).decode() for u, d in docs.items()}
    old = dict(zip(texts, simplify_routes(list(texts.values()), EPSG, 30.0), strict=True))
    assert {f["id"]: f["geometry"] for f in simple["features"]} == {
        u: round_geojson(g) for u, g in old.items()
    }
    assert all(
        len(f["geometry"]["coordinates"][0]) < len(_text_era(docs[f["id"]])[0]["coordinates"][0])
        for f in simple["features"]
    )  # simplified indeed

    export = client.get(f"/api/v1/exports/routes?area=test-area&year={T0.year}", headers=auth)
    assert export.status_code == 200, export.get_data(as_text=True)[:300]
    assert {f["id"]: f["geometry"] for f in export.get_json()["features"]} == {
        u: round_geojson(_text_era(d)[0]) for u, d in docs.items()
    }


def _effort(session) -> tuple[list, list]:
    session.rollback()
    uuid_of = dict(session.execute(sa.select(Patrol.id, Patrol.uuid)).all())
    code_of = dict(session.execute(sa.select(Zone.id, Zone.code)).all())
    cells = sorted(
        (uuid_of[c.patrol_id], c.ix, c.iy, c.effort_km, c.effort_h)
        for c in session.scalars(sa.select(EffortCell))
    )
    zones = sorted(
        (uuid_of[z.patrol_id], code_of[z.zone_id], z.effort_km, z.effort_h)
        for z in session.scalars(sa.select(EffortZone))
    )
    return cells, zones


def test_recompute_from_packed_routes_gives_the_stored_effort(app, client, world, session):
    from patrol.services import areas, recompute
    from patrol.store.engine import write
    from patrol.store.models import ConservationArea
    from patrol.vocabulary import JobKind

    _post_all(client, world)
    cells, zones = _effort(session)
    assert len(cells) >= 8 and len(zones) >= 4
    area = session.get(ConservationArea, world.area_id)
    job = areas.replace_zones(session, area, quadrant_zones()).job.id  # the same zones again
    assert recompute.run_job(session, job).state == "done"
    assert _effort(session) == (cells, zones)
    session.rollback()
    with write(session):
        job = recompute.open_job(session, session.get(ConservationArea, world.area_id), JobKind.ALL)
    assert recompute.run_job(session, job.id).state == "done"
    assert _effort(session) == (cells, zones)


def test_a_routes_page_with_empty_routes_first_and_last_is_simplified(client, world, session):
    """Migration 0015 turns a coordinate-less text row into an empty route: a simplified page
    holding such routes first and last answers them as the text storage did (an empty
    MultiLineString), every other route simplified in its place."""
    docs = _post_all(client, world)
    auth = world.auth("coord")
    order = [
        f["id"]
        for f in client.get("/api/v1/patrols?limit=100", headers=auth).get_json()["features"]
    ]
    empty = {order[0], order[-1]}
    ids = sa.select(Patrol.id).where(Patrol.uuid.in_(empty)).scalar_subquery()
    session.execute(
        sa.update(PatrolTrack)
        .where(PatrolTrack.patrol_id.in_(ids))
        .values(route_packed=pack_route([]))
    )
    session.commit()
    r = client.get("/api/v1/patrols?limit=100&tolerance_m=30", headers=auth)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    got = {f["id"]: f["geometry"] for f in r.get_json()["features"]}
    assert [f["id"] for f in r.get_json()["features"]] == order
    texts = {u: orjson.dumps(_text_era(docs[u])[0]).decode() for u in order if u not in empty}
    old = dict(zip(texts, simplify_routes(list(texts.values()), EPSG, 30.0), strict=True))
    assert got == {
        u: {"type": "MultiLineString", "coordinates": []} if u in empty else round_geojson(old[u])
        for u in order
    }
