"""GET /api/v1/exports/smart and the round trip: import, export, re-import into an empty
database gives the same patrols, routes, finds, observations and attributes."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
import sqlalchemy as sa

from patrol.geo.packed_route import unpack_route, unpack_times
from patrol.store.models import (
    AuditEvent,
    EffortCell,
    EffortZone,
    Observation,
    ObservationAttribute,
    Patrol,
    SmartLeg,
    SmartPatrol,
    SnareFind,
)
from tests.api.test_smart_import import post_xml
from tests.conftest import make_report
from tests.smart_files import read_independently, standard_patrol


def forget_patrols(app) -> None:
    """Empty every patrol table (areas, units and users stay): an empty database to import to."""
    engine = app.extensions["patrol.engine"]
    with engine.begin() as conn:
        for model in (
            ObservationAttribute,
            Observation,
            SnareFind,
            EffortCell,
            EffortZone,
            SmartLeg,
            SmartPatrol,
            Patrol,
            AuditEvent,
        ):
            conn.execute(sa.delete(model))


def export(client, world, query="?from=2026-03-01&to=2026-03-31", who="coord"):
    return client.get(f"/api/v1/exports/smart{query}", headers=world.auth(who))


def files_of(response) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def snapshot(session) -> dict:
    """Everything stored about patrols, keyed by ids, in comparable plain values."""
    session.rollback()
    patrols = {}
    for p in session.scalars(sa.select(Patrol).order_by(Patrol.uuid)):
        patrols[p.uuid] = {
            "unit": p.unit.code,
            "transport": p.transport,
            "leader": p.leader,
            "members": p.members,
            "started_at": p.started_at,
            "ended_at": p.ended_at,
            "route": [r.tolist() for r in unpack_route(p.route_packed)],
            "times": None
            if p.times_packed is None
            else [t.tolist() for t in unpack_times(p.times_packed)],
            "distance_km": round(p.distance_km, 6),
        }
    finds = {
        f.uuid: (f.patrol.uuid, f.found_at, f.lon, f.lat, f.type, f.count, f.state, f.action)
        for f in session.scalars(sa.select(SnareFind))
    }
    observations = {}
    for o in session.scalars(sa.select(Observation)):
        observations[o.uuid] = (
            o.patrol.uuid,
            o.observed_at,
            o.lon,
            o.lat,
            o.category_key,
            o.group_index,
            o.waypoint_id,
            o.snare_find_uuid,
            [
                (a.key, a.kind, a.items, a.number_value, a.bool_value, a.text_value)
                for a in o.attributes
            ],
        )
    smart = {
        s.smart_id: {k: v for k, v in s.doc.items()}
        for s in session.scalars(sa.select(SmartPatrol))
    }
    return {"patrols": patrols, "finds": finds, "observations": observations, "smart": smart}


def assert_same(a: dict, b: dict) -> None:
    assert a["patrols"].keys() == b["patrols"].keys()
    for key, pa in a["patrols"].items():
        pb = b["patrols"][key]
        for field in ("unit", "transport", "leader", "members", "started_at", "ended_at"):
            assert pa[field] == pb[field], field
        for ra, rb in zip(pa["route"], pb["route"], strict=True):
            np.testing.assert_allclose(ra, rb, atol=1e-9)
        if pa["times"] is None:
            assert pb["times"] is None
        else:
            for ta, tb in zip(pa["times"], pb["times"], strict=True):
                np.testing.assert_allclose(ta, tb, atol=1e-3)
        assert pa["distance_km"] == pytest.approx(pb["distance_km"], abs=1e-6)
    assert a["finds"] == b["finds"]
    assert a["observations"] == b["observations"]
    assert a["smart"] == b["smart"]


def test_round_trip_of_an_imported_patrol(client, world, app, session):
    original = standard_patrol()
    assert post_xml(client, world, original).status_code == 201
    before = snapshot(session)
    r = export(client, world)
    assert r.status_code == 200 and r.mimetype == "application/zip"
    files = files_of(r)
    assert list(files) == ["SMART_000101-001.xml"]
    exported = files["SMART_000101-001.xml"]
    assert b'xmlns:ns2="http://www.smartconservationsoftware.org/xml/1.3/patrol"' in exported
    # The exported file says what the original said, element by element.
    a, b = read_independently(original), read_independently(exported)
    for leg_a, leg_b in zip(a["legs"], b["legs"], strict=True):
        for day_a, day_b in zip(leg_a["days"], leg_b["days"], strict=True):
            for ta, tb in zip(day_a["tracks"], day_b["tracks"], strict=True):
                np.testing.assert_allclose(ta[:, :2], tb[:, :2], atol=1e-7)
                np.testing.assert_allclose(ta[:, 2], tb[:, 2], atol=1)
            day_a["tracks"] = day_b["tracks"] = None
    assert a == b
    forget_patrols(app)
    r = post_xml(client, world, exported)
    assert r.status_code == 201, r.get_json()
    assert_same(before, snapshot(session))


def test_round_trip_of_a_patrol_submitted_as_geojson(client, world, app, session):
    report = make_report(
        xy_m=((-3000, -3000), (3000, -3000), (3000, 3000)),
        finds=((0, -3000), (3000, 0)),
        times=True,
    )
    report["features"][2]["properties"].update(
        {
            "type": "leghold",
            "state": "triggered",
            "action": "left_in_place",
            "species": "sika deer",
            "notes": "under a fallen tree",
            "count": 4,
        }
    )
    r = client.post(
        "/api/v1/patrols",
        data=json.dumps(report),
        content_type="application/geo+json",
        headers=world.auth("coord"),
    )
    assert r.status_code == 201, r.get_json()
    native_id = r.get_json()["id"]
    before = snapshot(session)
    files = files_of(export(client, world))
    assert list(files) == [f"{native_id}.xml"]
    # Sent back to the database it came from, patrol's own export is a replay.
    again = post_xml(client, world, files[f"{native_id}.xml"], query="")
    assert again.status_code == 200 and again.get_json()["status"] == "replayed"
    forget_patrols(app)
    r = post_xml(client, world, files[f"{native_id}.xml"], query="")  # team T-01 is the unit
    assert r.status_code == 201, r.get_json()
    after = snapshot(session)
    (pa,), (pb,) = before["patrols"].values(), after["patrols"].values()
    for field in ("unit", "transport", "leader", "members", "started_at", "ended_at"):
        assert pa[field] == pb[field], field
    np.testing.assert_allclose(pa["route"][0], pb["route"][0], atol=1e-9)
    np.testing.assert_allclose(pa["times"][0], pb["times"][0], atol=1e-3)
    # The same finds (new ids: SMART has none of patrol's), from the snare category.
    strip = sorted(f[1:] for f in before["finds"].values())
    assert sorted(f[1:] for f in after["finds"].values()) == strip
    finds = {f.type: f for f in session.scalars(sa.select(SnareFind))}
    assert finds["leghold"].species == "sika deer"
    assert finds["leghold"].notes == "under a fallen tree"
    assert finds["leghold"].count == 4


def test_xml_format_and_its_reimport(client, world, app):
    assert post_xml(client, world, standard_patrol("SMART_A")).status_code == 201
    assert post_xml(client, world, standard_patrol("SMART_B", shift=500)).status_code == 201
    r = export(client, world, "?from=2026-03-01&to=2026-03-31&format=xml")
    assert r.status_code == 200 and r.mimetype == "application/xml"
    assert r.data.count(b"<ns2:patrol ") == 2
    forget_patrols(app)
    again = post_xml(client, world, r.data)
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["totals"]["stored"] == 2


def test_export_window_and_deleted_patrols(client, world):
    body = post_xml(client, world, standard_patrol()).get_json()
    assert files_of(export(client, world, "?from=2026-04-01&to=2026-04-30")) == {}
    # A deleted leg leaves the exported patrol without it.
    vehicle = body["patrols"][1]["id"]
    assert (
        client.delete(f"/api/v1/patrols/{vehicle}?revision=1", headers=world.auth("coord"))
    ).status_code == 200
    (data,) = files_of(export(client, world)).values()
    legs = read_independently(data)["legs"]
    assert [leg["transport"] for leg in legs] == ["Foot", "Vehicle", "Ski"]
    assert legs[1]["days"] == []


@pytest.mark.parametrize(
    ("who", "query", "status"),
    [
        ("ngo", "?from=2026-03-01&to=2026-03-31", 403),
        ("ranger1", "?from=2026-03-01&to=2026-03-31", 403),
        ("coord", "?to=2026-03-31", 422),
        ("coord", "?from=2026-03-31&to=2026-03-01", 422),
        ("coord", "?from=2026-03-01&to=2026-03-31&format=pdf", 422),
    ],
)
def test_export_refusals(client, world, who, query, status):
    r = export(client, world, query, who)
    assert r.status_code == status and r.mimetype == "application/problem+json"


def test_a_corrected_find_goes_back_corrected(client, world, app, session):
    body = post_xml(client, world, standard_patrol()).get_json()
    foot = body["patrols"][0]["id"]
    find_id = session.scalar(sa.select(SnareFind.uuid))
    r = client.patch(
        f"/api/v1/patrols/{foot}",
        json={"revision": 1, "finds": {find_id: {"count": 5, "action": "marked"}}},
        headers=world.auth("coord"),
    )
    assert r.status_code == 200, r.get_json()
    (data,) = files_of(export(client, world)).values()
    trap = read_independently(data)["legs"][0]["days"][0]["waypoints"][0]["observations"][0]
    assert dict(trap[2])["numberoftraps"] == [("dValue", "5.0")]
    assert dict(trap[2])["actiontakentraps"] == [("itemKey", "marked")]
    forget_patrols(app)
    assert post_xml(client, world, data).status_code == 201
    session.rollback()
    again = session.scalar(sa.select(SnareFind))
    assert (again.uuid, again.type, again.count, again.state, again.action) == (
        find_id,
        "wire",
        5,
        "active",
        "marked",
    )
