"""GeoPackage downloads, read back with sqlite3 (the GeoPackage tables themselves) and with
GDAL's ogrinfo: a layer per table, the area's CRS, the about table, the ngo rule."""

from __future__ import annotations

import csv
import io
import re
import shutil
import sqlite3
import struct
import subprocess
from datetime import date

import pytest
import shapely
import sqlalchemy as sa

from patrol.services.exports import AGGREGATION_RULE
from patrol.store.models import ConservationArea, Patrol, SnareFind, Zone
from tests.api.test_exports import two_years  # noqa: F401  (fixture)

GPKG = "application/geopackage+sqlite3"
ANNUAL = "/api/v1/exports/annual?year=2026&format=gpkg"
# Patrols in 2025 and 2026 across the quadrant zones (tests/api/test_exports.py).
pytestmark = pytest.mark.usefixtures("two_years")


def download(client, world, path, who, tmp_path):
    r = client.get(path, headers=world.auth(who))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.mimetype == GPKG
    assert re.search(r'filename="test-area-\w+-2026\.gpkg"', r.headers["Content-Disposition"])
    path = tmp_path / f"{who}.gpkg"
    path.write_bytes(r.data)
    return path


def tables(path) -> dict[str, tuple[str, int | None, int]]:
    """Each layer: its data type, its geometry's srs_id, its row count (GeoPackage tables)."""
    with sqlite3.connect(path) as db:
        srs = dict(db.execute("SELECT table_name, srs_id FROM gpkg_geometry_columns").fetchall())
        out = {}
        for name, kind in db.execute("SELECT table_name, data_type FROM gpkg_contents"):
            count = db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            out[name] = (kind, srs.get(name), count)
        return out


def about(path) -> dict[str, str]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT key, value FROM about").fetchall())


def geometries(path, table: str) -> dict[str, shapely.Geometry]:
    """Geometries by id, decoded from GeoPackage binary (header, envelope, then WKB)."""
    sizes = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
    out = {}
    with sqlite3.connect(path) as db:
        key = "zone" if table == "zone_months" else "id"
        for ident, blob in db.execute(f'SELECT "{key}", geom FROM "{table}"'):
            assert blob[:2] == b"GP"
            flags = blob[3]
            start = 8 + sizes[(flags >> 1) & 7]
            out[ident] = shapely.from_wkb(bytes(blob[start:]))
            assert struct.unpack("<i" if flags & 1 else ">i", blob[4:8])[0] > 32600
    return out


@pytest.mark.parametrize("who", ["ngo", "coord"])
def test_annual_geopackage_layers_crs_and_about(client, world, session, tmp_path, who):
    path = download(client, world, ANNUAL, who, tmp_path)
    epsg = session.scalar(
        sa.select(ConservationArea.epsg).where(ConservationArea.slug == "test-area")
    )
    layers = tables(path)
    cells = 25 if who == "ngo" else 441  # 5 km cells for the ngo role, 1 km otherwise
    assert layers == {
        "zones": ("features", epsg, 4),
        "zone_months": ("features", epsg, 4 * 12 * 2),  # 2026 and the year before
        "totals": ("attributes", None, 4 * 2 + 2),
        "cells": ("features", epsg, cells),
        "about": ("attributes", None, layers["about"][2]),
    }
    with sqlite3.connect(path) as db:
        srs = db.execute(
            "SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys "
            "WHERE srs_id = ?",
            (epsg,),
        ).fetchone()
    assert srs == ("EPSG", epsg)
    with sqlite3.connect(path) as db:
        kinds = {t for (t,) in db.execute("SELECT geometry_type_name FROM gpkg_geometry_columns")}
    assert kinds == {"POLYGON", "MULTIPOLYGON"}  # aggregates: no point, no line
    info = about(path)
    assert info["aggregation"] == AGGREGATION_RULE
    assert info["crs"] == f"EPSG:{epsg}" and info["area"] == "test-area"
    assert float(info["cell_km"]) == (5.0 if who == "ngo" else 1.0)
    assert info["column cpue_per_100km"]
    # Zones are stored in the area's metric CRS: their areas in m2 are the zones' km2.
    stored = {z.code: z.area_km2 for z in session.scalars(sa.select(Zone))}
    for code, geometry in geometries(path, "zones").items():
        assert geometry.area / 1e6 == pytest.approx(stored[code], rel=1e-6)


def test_zone_months_are_the_csv_rows(client, world, tmp_path):
    path = download(client, world, ANNUAL, "ngo", tmp_path)
    r = client.get("/api/v1/exports/annual?year=2026&format=csv", headers=world.auth("ngo"))
    rows = [row for row in csv.DictReader(io.StringIO(r.data.decode())) if row["month"]]
    with sqlite3.connect(path) as db:
        stored = {
            (zone, month): (snares, effort, comparison)
            for zone, month, snares, effort, comparison in db.execute(
                "SELECT zone, month, snares_found, effort_km, comparison FROM zone_months"
            )
        }
    assert len(stored) == len(rows)
    for row in rows:
        snares, effort, comparison = stored[(row["zone"], row["month"])]
        assert snares == int(row["snares_found"])
        assert effort == pytest.approx(float(row["effort_km"]), abs=1e-9)
        assert bool(comparison) == (row["comparison"] == "true")


def test_ngo_cells_follow_the_ngo_rule(client, world, tmp_path):
    path = download(client, world, ANNUAL, "ngo", tmp_path)
    api = client.get(
        "/api/v1/hotspots?from=2026-01-01&to=2026-12-31", headers=world.auth("ngo")
    ).get_json()
    with sqlite3.connect(path) as db:
        rows = {
            ident: (cls, patrols, snares)
            for ident, cls, patrols, snares in db.execute(
                "SELECT id, hotspot_class, patrols, snares FROM cells"
            )
        }
    assert set(rows) == {f["id"] for f in api["features"]}
    for feature in api["features"]:
        props = feature["properties"]
        assert rows[feature["id"]] == (props["hotspot_class"], props["patrols"], props["snares"])
    suppressed = [r for r in rows.values() if r[0] == "suppressed"]
    assert suppressed and all(r[1] is None and r[2] is None for r in suppressed)


def test_finds_and_routes_geopackages(client, world, session, tmp_path):
    epsg = session.scalar(
        sa.select(ConservationArea.epsg).where(ConservationArea.slug == "test-area")
    )
    in_2026 = Patrol.start_date >= date(2026, 1, 1)
    finds = session.scalar(
        sa.select(sa.func.count()).select_from(SnareFind).join(Patrol).where(in_2026)
    )
    routes = session.scalar(sa.select(sa.func.count()).select_from(Patrol).where(in_2026))
    for kind, geometry, count in (("finds", "Point", finds), ("routes", "MultiLineString", routes)):
        path = download(
            client, world, f"/api/v1/exports/{kind}?year=2026&format=gpkg", "coord", tmp_path
        )
        layers = tables(path)
        assert layers[kind] == ("features", epsg, count) and count > 0
        assert set(layers) == {kind, "about"}
        assert "exact locations" in about(path)["aggregation"]
        assert {g.geom_type for g in geometries(path, kind).values()} == {geometry}
        for who in ("ngo", "ranger1"):
            r = client.get(f"/api/v1/exports/{kind}?year=2026&format=gpkg", headers=world.auth(who))
            assert r.status_code == 403


def test_cli_writes_a_geopackage_with_every_cell(world, runner, tmp_path):
    out = tmp_path / "annual.gpkg"
    result = runner.invoke(
        args=[
            "export",
            "annual",
            "--year",
            "2026",
            "--format",
            "gpkg",
            "--area",
            "test-area",
            "-o",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    assert tables(out)["cells"][2] == 441
    refused = runner.invoke(args=["export", "annual", "--year", "2026", "--format", "gpkg"])
    assert refused.exit_code != 0 and "--output" in refused.output


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="GDAL's ogrinfo is not installed")
@pytest.mark.parametrize(
    ("who", "path", "expected"),
    [
        ("ngo", ANNUAL, {"zones": 4, "zone_months": 96, "totals": 10, "cells": 25, "about": None}),
        (
            "coord",
            ANNUAL,
            {"zones": 4, "zone_months": 96, "totals": 10, "cells": 441, "about": None},
        ),
        ("coord", "/api/v1/exports/finds?year=2026&format=gpkg", {"finds": 5, "about": 5}),
        ("coord", "/api/v1/exports/routes?year=2026&format=gpkg", {"routes": 4, "about": 5}),
    ],
)
def test_ogrinfo_opens_each_geopackage(client, world, session, tmp_path, who, path, expected):
    """GDAL opens the file without a warning; each layer has its count and the area's CRS."""
    epsg = session.scalar(
        sa.select(ConservationArea.epsg).where(ConservationArea.slug == "test-area")
    )
    file = download(client, world, path, who, tmp_path)
    r = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", str(file)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    blocks = r.stdout.split("Layer name: ")[1:]
    seen = {}
    for block in blocks:
        name = block.split("\n", 1)[0].strip()
        seen[name] = int(re.search(r"Feature Count: (\d+)", block).group(1))
        spatial = "Geometry: None" not in block
        assert (f'ID["EPSG",{epsg}]' in block) == spatial, name
    assert set(seen) == set(expected)
    for name, count in expected.items():
        if count is not None:
            assert seen[name] == count, name


def test_openapi_names_gpkg(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/exports/annual", "/exports/finds", "/exports/routes"):
        params = spec["paths"][path]["get"]["parameters"]
        assert "gpkg" in next(p for p in params if p["name"] == "format")["schema"]["enum"]
