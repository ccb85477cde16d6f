"""The annual export: every format read back independently, totals checked against the
stored rows, and proof that the ngo role never reaches a route or a find point."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import UTC, datetime

import geojson
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from patrol.services.exports import COLUMNS
from patrol.services.xlsx import HEADERS
from patrol.store.models import EffortZone, Patrol, SnareFind, Zone
from tests.conftest import make_report

GEOJSON = "application/geo+json"


@pytest.fixture
def two_years(client, world):
    """Patrols in 2025 and 2026 across the quadrant zones; one vehicle patrol (not search)."""
    plan = [
        (datetime(2025, 3, 10, 1, tzinfo=UTC), ((-6000, -6000), (6000, -6000)), "T-01", 2),
        (datetime(2025, 11, 5, 1, tzinfo=UTC), ((-6000, 6000), (6000, 6000)), "T-02", 3),
        (datetime(2026, 1, 31, 20, tzinfo=UTC), ((-6000, 3000), (-2000, 3000)), "T-01", 1),
        (datetime(2026, 3, 2, 1, tzinfo=UTC), ((2000, -6000), (2000, 6000)), "T-02", 4),
        (datetime(2026, 3, 20, 1, tzinfo=UTC), ((-6000, -2000), (6000, -2000)), "T-01", 0),
    ]
    for start, xy, unit, n in plan:
        x0, y0 = xy[0]
        finds = [
            (
                x0 + 1000 * (k + 1) * (1 if xy[1][0] > x0 else 0),
                y0 + 1000 * (k + 1) * (1 if xy[1][1] > y0 else 0),
            )
            for k in range(n)
        ]
        r = client.post(
            "/api/v1/patrols",
            data=json.dumps(make_report(xy_m=xy, unit=unit, finds=finds, start=start, hours=5.0)),
            content_type=GEOJSON,
            headers=world.auth("coord"),
        )
        assert r.status_code == 201, r.get_json()
    drive = make_report(
        xy_m=((-6000, 0), (6000, 0)),
        finds=(),
        transport="vehicle",
        start=datetime(2026, 3, 3, 1, tzinfo=UTC),
    )
    assert (
        client.post(
            "/api/v1/patrols",
            data=json.dumps(drive),
            content_type=GEOJSON,
            headers=world.auth("coord"),
        ).status_code
        == 201
    )


def stored_figures(session) -> dict:
    """Zone x month figures computed here from the stored rows (foot patrols only)."""
    zones = {z.id: z.code for z in session.scalars(sa.select(Zone))}
    out = defaultdict(lambda: defaultdict(float))
    for e, p in session.execute(sa.select(EffortZone, Patrol).join(Patrol)):
        if p.transport != "foot":
            continue
        key = (zones[e.zone_id], f"{p.start_date.year}-{p.start_date.month:02d}")
        out[key]["effort_km"] += e.effort_km
        out[key]["effort_h"] += e.effort_h
        out[key]["patrols"] += 1
        out[key]["patrol_days"] += p.days
    for f, p in session.execute(sa.select(SnareFind, Patrol).join(Patrol)):
        key = (zones[f.zone_id], f"{p.start_date.year}-{p.start_date.month:02d}")
        out[key]["snares_found"] += f.count
        out[key]["snares_removed"] += f.count if f.action in ("removed", "destroyed") else 0
        out[key]["finds"] += 1
    return out


def fetch(client, world, query, who="ngo"):
    r = client.get(f"/api/v1/exports/annual?{query}", headers=world.auth(who))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return r


def test_csv_rows_match_the_stored_rows(client, world, two_years, session):
    r = fetch(client, world, "year=2026&format=csv")
    assert r.mimetype == "text/csv" and b"\r\n" in r.data
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8"))))
    assert list(rows[0]) == list(COLUMNS)
    monthly = [row for row in rows if row["month"]]
    assert len(monthly) == 4 * 12 * 2  # four zones, twelve months, 2026 and 2025 before it
    expected = stored_figures(session)
    for row in monthly:
        want = expected.get((row["zone"], row["month"]), {})
        for key in ("snares_found", "snares_removed", "finds", "patrols", "patrol_days"):
            assert int(row[key]) == int(want.get(key, 0)), (row, key)
        assert float(row["effort_km"]) == pytest.approx(want.get("effort_km", 0), abs=1e-3)
        assert row["comparison"] == ("true" if row["year"] == "2025" else "false")
        if want.get("effort_km"):
            assert float(row["cpue_per_100km"]) == pytest.approx(
                100 * want.get("snares_found", 0) / want["effort_km"], abs=1e-3
            )
    # The patrol that started 31 January 20:00 UTC is in February, local time.
    feb = [row for row in monthly if row["month"] == "2026-02" and int(row["patrols"])]
    assert feb and not [row for row in monthly if row["month"] == "2026-01" and int(row["patrols"])]
    totals = [row for row in rows if not row["month"]]
    area_2026 = next(t for t in totals if t["year"] == "2026" and not t["zone"])
    foot_2026 = session.scalars(
        sa.select(Patrol).where(
            Patrol.transport == "foot", Patrol.start_date >= datetime(2026, 1, 1).date()
        )
    ).all()
    assert int(area_2026["patrols"]) == len(foot_2026)  # each once, whatever zones it crossed
    assert int(area_2026["snares_found"]) == sum(
        int(row["snares_found"]) for row in monthly if row["year"] == "2026"
    )


def test_xlsx_has_totals_months_and_definitions(client, world, two_years):
    r = fetch(client, world, "year=2026&format=xlsx")
    book = load_workbook(io.BytesIO(r.data), read_only=True)
    assert book.sheetnames == ["Totals", "Zone months", "About"]
    header = [c.value for c in next(book["Zone months"].iter_rows(min_row=3, max_row=3))]
    assert header == [HEADERS[c][0] for c in COLUMNS]
    csv_rows = list(csv.DictReader(io.StringIO(fetch(client, world, "year=2026").data.decode())))
    xlsx_rows = list(book["Zone months"].iter_rows(min_row=4, values_only=True))
    assert len(xlsx_rows) == len([r for r in csv_rows if r["month"]])
    snares = header.index("Snares found")
    assert sum(r[snares] for r in xlsx_rows) == sum(
        int(r["snares_found"]) for r in csv_rows if r["month"]
    )
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True) if row and row[0]}
    assert about["period"] == "2026" and about["area"] == "test-area"
    assert about["produced_at"].endswith("Z")
    for column in COLUMNS:
        assert about[column] == HEADERS[column][0]  # every column is named and defined


def test_json_and_geojson(client, world, two_years):
    doc = fetch(client, world, "year=2025&to_year=2026&format=json").get_json()
    assert doc["period"] == "2025-2026" and doc["comparison_year"] == 2024
    assert set(doc["definitions"]) == set(COLUMNS)
    years = {row["year"] for row in doc["rows"]}
    assert years == {2024, 2025, 2026}
    r = fetch(client, world, "year=2026&format=geojson")
    fc = geojson.loads(r.data)
    assert fc.is_valid, fc.errors()
    assert {f["geometry"]["type"] for f in fc["features"]} <= {"Polygon", "MultiPolygon"}
    totals = {t["zone"]: t for t in doc["totals"] if t["year"] == 2026 and t["zone"]}
    for f in fc["features"]:
        assert f["properties"]["snares_found"] == totals[f["id"]]["snares_found"]


def test_cli_writes_the_same_table(client, world, two_years, runner, tmp_path):
    out = tmp_path / "a.csv"
    result = runner.invoke(
        args=["export", "annual", "--year", "2026", "--area", "test-area", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == fetch(client, world, "year=2026&format=csv").data
    xlsx = runner.invoke(
        args=["export", "annual", "--year", "2026", "--format", "xlsx", "--area", "test-area"]
    )
    assert xlsx.exit_code != 0 and "--output" in xlsx.output


@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ("", "/year"),
        ("year=abc", "/year"),
        ("year=2026&format=pdf", "/format"),
        ("year=2026&to_year=2020", "/year"),
    ],
)
def test_bad_export_parameters(client, world, query, pointer):
    r = client.get(f"/api/v1/exports/annual?{query}", headers=world.auth("ngo"))
    assert r.status_code == 422
    assert pointer in [e["pointer"] for e in r.get_json()["errors"]]


def _geometry_types(value, found: set) -> set:
    if isinstance(value, dict):
        if value.get("type") in ("Point", "MultiPoint", "LineString", "MultiLineString"):
            found.add(value["type"])
        for v in value.values():
            _geometry_types(v, found)
    elif isinstance(value, list):
        for v in value:
            _geometry_types(v, found)
    return found


def test_ngo_never_reaches_a_route_or_a_point(client, world, two_years):
    """Every GET endpoint of the API, every format: no route, no find point, no unit base."""
    spec = client.get("/api/v1/openapi.json").get_json()
    h = world.auth("ngo")
    reached = []
    for path, ops in spec["paths"].items():
        if "get" not in ops:
            continue
        url = "/api/v1" + path.replace("{id}", "00000000-0000-0000-0000-000000000000").replace(
            "{code}", "T-01"
        )
        for query in (
            "",
            "?format=gpx",
            "?format=csv",
            "?format=geojson",
            "?cell_km=1",
            "?year=2026&format=json",
            "?year=2026&format=geojson",
        ):
            r = client.get(url + query, headers=h)
            if r.status_code != 200:
                assert r.status_code in (403, 404, 422), (url, query, r.status_code)
                continue
            body = r.get_data(as_text=True)
            assert "<trkpt" not in body and "<wpt" not in body, (url, query)
            if r.mimetype in ("application/json", "application/geo+json"):
                found = _geometry_types(json.loads(body), set())
                assert not found, (url, query, found)
            reached.append(url + query)
    assert any("exports/annual" in u for u in reached)  # the exports themselves are open
    assert any("zones/stats" in u for u in reached)


def test_a_year_without_patrols_says_so(client, world, two_years):
    """Not a file of zeros: a 404 problem naming the years that do have patrols."""
    for fmt in ("csv", "xlsx", "json"):
        r = client.get(f"/api/v1/exports/annual?year=2031&format={fmt}", headers=world.auth("ngo"))
        assert r.status_code == 404 and r.mimetype == "application/problem+json"
        problem = r.get_json()
        assert problem["type"].endswith("no-patrols")
        assert "No patrols were recorded in 2031" in problem["detail"]
        assert problem["years_with_patrols"] == [2025, 2026]
    # A period with patrols in some of its years: a file, whose notes name the empty ones.
    doc = fetch(client, world, "year=2026&to_year=2027&format=json").get_json()
    assert any("No patrols were recorded in 2027" in n for n in doc["notes"])
    rows = [r for r in doc["rows"] if r["year"] == 2027]
    assert rows and all(r["cpue_per_100km"] is None for r in rows)  # no effort: no rate


def test_coordinators_export_finds_and_routes(client, world, two_years, session):
    h = world.auth("coord")
    r = client.get("/api/v1/exports/finds?year=2026&format=csv", headers=h)
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.data.decode())))
    stored = session.scalars(
        sa.select(SnareFind).join(Patrol).where(Patrol.start_date >= datetime(2026, 1, 1).date())
    ).all()
    assert sorted(row["id"] for row in rows) == sorted(f.uuid for f in stored)
    assert all(float(row["lon"]) and float(row["lat"]) for row in rows)
    fc = geojson.loads(client.get("/api/v1/exports/routes?year=2026", headers=h).data)
    assert fc.is_valid
    assert len(fc["features"]) == session.scalar(
        sa.select(sa.func.count())
        .select_from(Patrol)
        .where(Patrol.start_date >= datetime(2026, 1, 1).date())
    )
    for path in ("/api/v1/exports/finds?year=2026", "/api/v1/exports/routes?year=2026"):
        assert client.get(path, headers=world.auth("ngo")).status_code == 403
        assert client.get(path, headers=world.auth("ranger1")).status_code == 403


def test_the_files_state_the_aggregation_rule(client, world, two_years):
    doc = fetch(client, world, "year=2026&format=json").get_json()
    assert "3 or more patrols" in doc["aggregation"] and "5 km" in doc["aggregation"]
    book = load_workbook(io.BytesIO(fetch(client, world, "year=2026&format=xlsx").data))
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True) if row and row[0]}
    assert "no find locations" in about["aggregation"]
    cells = client.get(
        "/api/v1/hotspots?from=2026-01-01&to=2026-12-31", headers=world.auth("ngo")
    ).get_json()
    assert "3 or more patrols" in cells["aggregation"]
