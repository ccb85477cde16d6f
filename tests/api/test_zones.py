"""Replacing zones recomputes effort and finds; bad zone files change nothing."""

from __future__ import annotations

import copy
import json

import pytest
import sqlalchemy as sa

from patrol.store.models import EffortCell, EffortZone, SnareFind, Zone
from tests.conftest import CX, CY, HALF_M, make_report, quadrant_zones, rect, row_counts

GEOJSON = "application/geo+json"


def halves() -> dict:
    """Two zones, west and east halves of the test area."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "W", "name": "West"},
                "geometry": rect(CX - HALF_M, CY - HALF_M, CX, CY + HALF_M),
            },
            {
                "type": "Feature",
                "properties": {"code": "E", "name": "East"},
                "geometry": rect(CX, CY - HALF_M, CX + HALF_M, CY + HALF_M),
            },
        ],
    }


def test_replacing_zones_recomputes(client, world, session):
    report = make_report(xy_m=((-4000, 1000), (4000, 1000)), finds=((3000, 1000),))
    assert (
        client.post(
            "/api/v1/patrols",
            data=json.dumps(report),
            content_type=GEOJSON,
            headers=world.auth("ranger1"),
        ).status_code
        == 201
    )
    cells_before = sorted(
        (c.ix, c.iy, round(c.effort_km, 9)) for c in session.scalars(sa.select(EffortCell))
    )
    r = client.put(
        "/api/v1/zones?area=test-area",
        data=json.dumps(halves()),
        content_type=GEOJSON,
        headers=world.auth("coord"),
    )
    assert r.status_code == 200, r.get_json()
    assert [f["id"] for f in r.get_json()["features"]] == ["E", "W"]
    session.rollback()
    zones = {z.id: z.code for z in session.scalars(sa.select(Zone))}
    assert sorted(zones.values()) == ["E", "W"]
    effort = {zones[e.zone_id]: e.effort_km for e in session.scalars(sa.select(EffortZone))}
    assert effort["W"] == pytest.approx(4.0, rel=2e-3)
    assert effort["E"] == pytest.approx(4.0, rel=2e-3)
    find = session.scalar(sa.select(SnareFind))
    assert zones[find.zone_id] == "E"
    # The grid did not change: cell effort is untouched.
    cells_after = sorted(
        (c.ix, c.iy, round(c.effort_km, 9)) for c in session.scalars(sa.select(EffortCell))
    )
    assert cells_after == cells_before


def _bad(doc_fn):
    doc = quadrant_zones()
    doc_fn(doc)
    return doc


BAD_ZONES = [
    ("not a collection", lambda d: d.update(type="Feature"), "/type"),
    ("no features", lambda d: d.update(features=[]), "/features"),
    (
        "duplicate code",
        lambda d: d["features"][1]["properties"].update(code="SW"),
        "/features/1/properties/code",
    ),
    (
        "missing code",
        lambda d: d["features"][2]["properties"].pop("code"),
        "/features/2/properties/code",
    ),
    (
        "a line",
        lambda d: d["features"][0].update(
            geometry={"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
        ),
        "/features/0/geometry",
    ),
    (
        "open ring",
        lambda d: d["features"][0]["geometry"]["coordinates"][0].pop(),
        "/features/0/geometry/coordinates/0",
    ),
    (
        "bow tie",
        lambda d: d["features"][0].update(
            geometry={
                "type": "Polygon",
                "coordinates": [
                    [[131.3, 43.2], [131.31, 43.21], [131.31, 43.2], [131.3, 43.21], [131.3, 43.2]]
                ],
            }
        ),
        "/features/0/geometry",
    ),
    (
        "overlap",
        lambda d: d["features"].append(
            copy.deepcopy(d["features"][0]) | {"properties": {"code": "X", "name": "X"}}
        ),
        "/features/4/geometry",
    ),
    (
        "latitude out of range",
        lambda d: d["features"][0]["geometry"]["coordinates"][0][1].__setitem__(1, 99.0),
        "/features/0/geometry/coordinates/0/1/1",
    ),
]


@pytest.mark.parametrize("case", BAD_ZONES, ids=[c[0] for c in BAD_ZONES])
def test_bad_zone_files(client, world, app, runner, tmp_path, case):
    name, mutate, pointer = case
    doc = _bad(mutate)
    before = row_counts(app)
    r = client.put(
        "/api/v1/zones?area=test-area",
        data=json.dumps(doc),
        content_type=GEOJSON,
        headers=world.auth("coord"),
    )
    assert r.status_code == 422, (name, r.get_json())
    assert pointer in [e["pointer"] for e in r.get_json()["errors"]], r.get_json()
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(doc))
    result = runner.invoke(args=["zones", "import", "--area", "test-area", str(path)])
    assert result.exit_code == 1
    assert pointer in result.output
    assert row_counts(app) == before


def test_cli_zones_import(runner, world, tmp_path, session):
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(halves()))
    result = runner.invoke(args=["zones", "import", "--area", "test-area", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 zones stored" in result.output
    assert sorted(session.scalars(sa.select(Zone.code))) == ["E", "W"]
