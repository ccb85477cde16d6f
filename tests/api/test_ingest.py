"""Submitting reports: stored once, measured, replayed, refused on conflict."""

from __future__ import annotations

import json

import numpy as np
import shapely
import sqlalchemy as sa
from shapely.geometry import LineString

from patrol.geo.grid import Grid
from patrol.geo.projection import GEOD
from patrol.geo.shapes import project
from patrol.store.models import (
    AuditEvent,
    ConservationArea,
    EffortCell,
    EffortZone,
    Patrol,
    SnareFind,
)
from tests.conftest import make_report, row_counts

GEOJSON = "application/geo+json"


def post(client, world, report, who="ranger1"):
    return client.post(
        "/api/v1/patrols", data=json.dumps(report), content_type=GEOJSON, headers=world.auth(who)
    )


def test_submit_stores_and_measures(client, world, session):
    report = make_report()
    r = post(client, world, report)
    assert r.status_code == 201, r.get_json()
    pid = report["features"][0]["id"]
    assert r.headers["Location"].endswith(f"/api/v1/patrols/{pid}")
    body = r.get_json()
    assert body["id"] == pid
    coords = np.array(report["features"][0]["geometry"]["coordinates"])
    expected_km = GEOD.line_length(coords[:, 0], coords[:, 1]) / 1000
    assert abs(body["figures"]["distance_km"] - expected_km) < 1e-3
    assert body["figures"]["duration_h"] == 4.0
    assert body["figures"]["snares_found"] == 2 and body["figures"]["snares_removed"] == 2
    zones = {z["zone"]: z for z in body["figures"]["zones"]}
    # The route runs 2 km east in SW then SE, then 4 km north in SE then NE.
    assert abs(zones["SW"]["effort_km"] - 2.0) < 0.02
    assert abs(zones["SE"]["effort_km"] - 4.0) < 0.03
    assert abs(zones["NE"]["effort_km"] - 2.0) < 0.02
    # The find at (0, -2000) is on the SW/SE border: one zone holds it, never both.
    assert sum(z["finds"] for z in zones.values()) == 1
    assert abs(sum(z["effort_h"] for z in body["figures"]["zones"]) - 4.0) < 1e-6

    stored = session.scalar(sa.select(Patrol).where(Patrol.uuid == pid))
    assert stored.revision == 1 and stored.deleted_at is None
    cells = session.scalars(sa.select(EffortCell).where(EffortCell.patrol_id == stored.id)).all()
    assert abs(sum(c.effort_km for c in cells) - stored.distance_km) < 1e-9
    # Independently: the cells whose box the projected route passes through for some length.
    area = session.get(ConservationArea, stored.area_id)
    line = project(LineString(coords), area.epsg)
    grid = Grid(area.grid_origin_x, area.grid_origin_y, area.cell_m)
    gx, gy = grid.cells_covering(line)
    inside = shapely.length(shapely.intersection(grid.boxes(gx, gy), line)) > 1e-6
    assert {(c.ix, c.iy) for c in cells} == set(
        zip(gx[inside].tolist(), gy[inside].tolist(), strict=True)
    )
    zone_rows = session.scalars(sa.select(EffortZone)).all()
    # Coordinates are stored to 7 decimals (1 cm), so allow 10 cm on 8 km.
    assert abs(sum(z.effort_km for z in zone_rows) - expected_km) < 1e-4
    assert session.scalar(sa.select(sa.func.count()).select_from(SnareFind)) == 1
    events = session.scalars(sa.select(AuditEvent).where(AuditEvent.entity_id == pid)).all()
    assert [e.action for e in events] == ["create"]


def test_replay_and_conflict(client, world, app):
    report = make_report()
    assert post(client, world, report).status_code == 201
    before = row_counts(app)
    again = post(client, world, report)
    assert again.status_code == 200
    assert again.get_json()["id"] == report["features"][0]["id"]
    changed = json.loads(json.dumps(report))
    changed["features"][1]["properties"]["count"] = 5
    r = post(client, world, changed)
    assert r.status_code == 409
    assert r.mimetype == "application/problem+json"
    assert r.get_json()["type"].endswith("/conflict")
    assert row_counts(app) == before


def test_resend_of_deleted_patrol_has_its_own_problem(client, world):
    report = make_report()
    pid = report["features"][0]["id"]
    assert post(client, world, report).status_code == 201
    r = client.delete(f"/api/v1/patrols/{pid}?revision=1", headers=world.auth("coord"))
    assert r.status_code == 200
    r = post(client, world, report)
    assert r.status_code == 409
    assert r.get_json()["type"].endswith("/patrol-deleted")


def test_vertex_times_give_hours_inside_cells(client, world, session):
    report = make_report(xy_m=((-3500, 500), (-500, 500)), finds=(), hours=3.0, times=True)
    r = post(client, world, report)
    assert r.status_code == 201
    cells = session.scalars(sa.select(EffortCell)).all()
    assert abs(sum(c.effort_h for c in cells) - 3.0) < 1e-9
    # Constant speed along a straight line: hours share the km split exactly.
    for c in cells:
        assert abs(c.effort_h / 3.0 - c.effort_km / sum(x.effort_km for x in cells)) < 1e-6


def test_multilinestring_route(client, world, session):
    report = make_report(finds=())
    a = report["features"][0]["geometry"]["coordinates"]
    report["features"][0]["geometry"] = {"type": "MultiLineString", "coordinates": [a[:2], a[1:]]}
    r = post(client, world, report)
    assert r.status_code == 201
    coords = np.array(a)
    assert (
        abs(
            r.get_json()["figures"]["distance_km"]
            - GEOD.line_length(coords[:, 0], coords[:, 1]) / 1000
        )
        < 1e-3
    )


def test_prefer_minimal_answers_a_receipt(client, world, app):
    """RFC 7240 ``Prefer: return=minimal``: the id, revision and figures, not the report."""
    report = make_report()
    pid = report["features"][0]["id"]
    headers = {**world.auth("ranger1"), "Prefer": "respond-async, return=minimal"}
    r = client.post("/api/v1/patrols", json=report, headers=headers)
    assert r.status_code == 201 and r.mimetype == "application/json"
    assert r.headers["Preference-Applied"] == "return=minimal"
    assert "Prefer" in r.headers["Vary"]
    receipt = r.get_json()
    assert set(receipt) == {"id", "revision", "figures"}
    full = client.get(f"/api/v1/patrols/{pid}", headers=world.auth("ranger1")).get_json()
    assert receipt["id"] == pid and receipt["revision"] == 1
    assert receipt["figures"] == {k: v for k, v in full["figures"].items() if k != "zones"}
    # A replay answers the receipt with 200; without the preference, the whole report.
    before = row_counts(app)
    again = client.post("/api/v1/patrols", json=report, headers=headers)
    assert again.status_code == 200 and again.get_json() == receipt
    plain = client.post("/api/v1/patrols", json=report, headers=world.auth("ranger1"))
    assert plain.status_code == 200 and "Preference-Applied" not in plain.headers
    assert plain.get_json()["features"][0]["id"] == pid
    assert row_counts(app) == before
