"""A unit's targets as CSV (RFC 4180) beside the GPX: the same targets, in the same order."""

from __future__ import annotations

import csv
import io

import gpxpy
import pytest

from tests.conftest import sweep_month

WINDOW = "from=2026-03-01&to=2026-03-31"


@pytest.fixture
def month(client, world):
    sweep_month(client, world)


def test_targets_csv_matches_geojson_and_gpx(client, world, month):
    auth = world.auth("coord")
    doc = client.get(f"/api/v1/units/T-01/targets?{WINDOW}", headers=auth).get_json()
    assert doc["features"], "the sweep gives T-01 targets"
    r = client.get(f"/api/v1/units/T-01/targets?{WINDOW}&format=csv", headers=auth)
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert r.headers["Content-Disposition"] == 'attachment; filename="T-01-targets.csv"'
    text = r.get_data(as_text=True)
    lines = text.split("\r\n")
    assert lines[-1] == "" and all("\n" not in line for line in lines)  # CRLF ends every row
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert list(rows[0]) == [
        "unit",
        "rank",
        "lon",
        "lat",
        "cell_ix",
        "cell_iy",
        "hotspot_class",
        "expected_snares",
        "distance_km",
        "eb_rate_per_100km",
        "last_patrolled",
    ]
    assert len(rows) == len(doc["features"])
    for row, f in zip(rows, doc["features"], strict=True):
        p = f["properties"]
        assert row["unit"] == "T-01" and int(row["rank"]) == p["rank"]
        assert [int(row["cell_ix"]), int(row["cell_iy"])] == p["cell"]
        assert (float(row["lon"]), float(row["lat"])) == pytest.approx(
            tuple(f["geometry"]["coordinates"]), abs=1e-6
        )
        assert row["hotspot_class"] == p["hotspot_class"]
        assert float(row["expected_snares"]) == pytest.approx(p["expected_snares"])
        assert float(row["distance_km"]) == pytest.approx(p["distance_km"])
        assert row["last_patrolled"] == (p["last_patrolled"] or "")
    gpx = gpxpy.parse(
        client.get(f"/api/v1/units/T-01/targets?{WINDOW}&format=gpx", headers=auth).get_data(
            as_text=True
        )
    )
    assert [w.name for w in gpx.waypoints] == [f"T-01 #{row['rank']}" for row in rows]


def test_targets_csv_keeps_the_role_rules(client, world, month):
    r = client.get(f"/api/v1/units/T-02/targets?{WINDOW}&format=csv", headers=world.auth("ranger1"))
    assert r.status_code == 403
    assert r.mimetype == "application/problem+json"
    r = client.get(f"/api/v1/units/T-01/targets?{WINDOW}&format=csv", headers=world.auth("ngo"))
    assert r.status_code == 403
    r = client.get(f"/api/v1/units/T-01/targets?{WINDOW}&format=xls", headers=world.auth("coord"))
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["pointer"] == "/format"
