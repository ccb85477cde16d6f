"""GDAL's own OGC API - Features driver (Debian's gdal-bin) reads /ogc from a real server."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from patrol.services.ogc import RISK_FIGURES
from tests.api.test_observations import imported  # noqa: F401  (fixture)
from tests.ogc.test_roles import COLLECTIONS

pytestmark = pytest.mark.skipif(
    shutil.which("ogrinfo") is None or shutil.which("ogr2ogr") is None,
    reason="GDAL's ogrinfo/ogr2ogr are not installed (apt-get install gdal-bin; .ci/run does)",
)
FIGURES = (
    "snares",
    "snares_removed",
    "finds",
    "patrols",
    "effort_km",
    "effort_h",
    "cpue_per_100km",
    "eb_rate_per_100km",
    "gi_z",
)


def gdal(world, who: str, *args: str) -> subprocess.CompletedProcess:
    """Run a GDAL utility with the role's token in GDAL_HTTP_HEADERS, as an analyst would."""
    env = os.environ | {"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    return subprocess.run(
        [
            *args,
            "--config",
            "GDAL_HTTP_HEADERS",
            f"Authorization: Bearer {world.tokens[who]}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.mark.parametrize("who", ["admin", "coord", "ngo", "ranger1", "coord_other"])
def test_ogrinfo_lists_exactly_the_roles_collections(world, live_url, who):
    r = gdal(world, who, "ogrinfo", "-ro", "-so", f"OAPIF:{live_url}/ogc/")
    assert r.returncode == 0, r.stderr
    layers = re.findall(r"^\d+: (\S+) \(title", r.stdout, re.MULTILINE)
    assert layers == COLLECTIONS[who]


def test_ogrinfo_without_a_token_gets_nothing(world, live_url):
    r = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"OAPIF:{live_url}/ogc/"],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"NO_PROXY": "127.0.0.1"},
    )
    assert r.returncode != 0 and "401" in r.stderr


@pytest.mark.parametrize("who", ["coord", "ngo"])
def test_ogr2ogr_cells_equal_the_api_hotspots(client, world, month, live_url, tmp_path, who):
    """The hotspot collection read by GDAL for March 2026 holds the cells, classes and
    figures that /api/v1/hotspots gives for the same period (5 km cells for the ngo role)."""
    out = tmp_path / "cells.geojson"
    r = gdal(
        world,
        who,
        "ogr2ogr",
        "-f",
        "GeoJSON",
        str(out),
        f"OAPIF:{live_url}/ogc/collections/test-area-cells?datetime=2026-03-01/2026-03-31",
        "-oo",
        "PAGE_SIZE=1000",
    )
    assert r.returncode == 0, r.stderr
    read = {f["properties"]["id"]: f for f in json.loads(out.read_text())["features"]}
    api = client.get(
        "/api/v1/hotspots?from=2026-03-01&to=2026-03-31", headers=world.auth(who)
    ).get_json()
    assert set(read) == {f["id"] for f in api["features"]}
    assert len(read) == (25 if who == "ngo" else 441)
    for feature in api["features"]:
        mine = read[feature["id"]]["properties"]
        assert mine["hotspot_class"] == feature["properties"]["hotspot_class"]
        for key in FIGURES:
            assert mine[key] == pytest.approx(feature["properties"][key], abs=1e-9), key
        ring = read[feature["id"]]["geometry"]["coordinates"][0]
        np.testing.assert_allclose(ring, feature["geometry"]["coordinates"][0], atol=1e-6)
    classes = {f["properties"]["hotspot_class"] for f in read.values()}
    assert ("suppressed" in classes) if who == "ngo" else ({"hot_99", "hot_95"} & classes)
    # The predicted setting rate, typed as numbers, equal to /api/v1/risk for March's end.
    risk = client.get(
        f"/api/v1/risk?until=2026-03-31&cell_km={5 if who == 'ngo' else 1}",
        headers=world.auth(who),
    ).get_json()
    rated = 0
    for feature in risk["features"]:
        mine = read[feature["id"]]["properties"]
        hidden = mine["hotspot_class"] == "suppressed"
        for key in RISK_FIGURES:
            wanted = None if hidden else feature["properties"].get(key)
            assert mine.get(key) == (None if wanted is None else pytest.approx(wanted)), key
        rated += mine.get("setting_rate") is not None
    assert rated > 0


@pytest.mark.parametrize("kind", ["routes", "finds", "bases", "observations"])
def test_ngo_cannot_read_located_collections_by_name(world, live_url, kind):
    by_url = gdal(
        world, "ngo", "ogrinfo", "-ro", "-so", f"OAPIF:{live_url}/ogc/collections/test-area-{kind}"
    )
    assert by_url.returncode != 0 and "404" in by_url.stderr
    by_layer = gdal(
        world, "ngo", "ogrinfo", "-ro", "-so", f"OAPIF:{live_url}/ogc/", f"test-area-{kind}"
    )
    assert by_layer.returncode != 0
    assert f"Couldn't fetch requested layer test-area-{kind}" in by_layer.stdout + by_layer.stderr


def test_ogr2ogr_routes_of_a_ranger_are_the_units(client, world, month, live_url, tmp_path):
    out = tmp_path / "routes.geojson"
    r = gdal(
        world,
        "ranger1",
        "ogr2ogr",
        "-f",
        "GeoJSON",
        str(out),
        f"OAPIF:{live_url}/ogc/collections/test-area-routes",
        "-oo",
        "PAGE_SIZE=1000",
    )
    assert r.returncode == 0, r.stderr
    features = json.loads(out.read_text())["features"]
    api = client.get("/api/v1/patrols?limit=1000", headers=world.auth("ranger1")).get_json()
    assert sorted(f["properties"]["id"] for f in features) == sorted(
        f["id"] for f in api["features"]
    )
    assert {f["properties"]["unit"] for f in features} == {"T-01"}
    assert {f["geometry"]["type"] for f in features} == {"MultiLineString"}


@pytest.mark.parametrize("who", ["coord", "ranger1"])
def test_ogr2ogr_observations_equal_the_api(client, world, imported, live_url, tmp_path, who):  # noqa: F811
    """The observations collection read by GDAL: the ids, categories and points that
    /api/v1/observations lists for the role, the attributes as one JSON column."""
    out = tmp_path / "observations.geojson"
    r = gdal(
        world,
        who,
        "ogr2ogr",
        "-f",
        "GeoJSON",
        str(out),
        f"OAPIF:{live_url}/ogc/collections/test-area-observations",
        "-oo",
        "PAGE_SIZE=1000",
    )
    assert r.returncode == 0, r.stderr
    read = {f["properties"]["id"]: f for f in json.loads(out.read_text())["features"]}
    api = client.get("/api/v1/observations?limit=1000", headers=world.auth(who)).get_json()
    assert set(read) == {f["id"] for f in api["features"]} and len(read) == 6
    for feature in api["features"]:
        mine = read[feature["id"]]
        assert mine["properties"]["category"] == feature["properties"]["category"]
        assert mine["geometry"]["type"] == "Point"
        np.testing.assert_allclose(
            mine["geometry"]["coordinates"], feature["geometry"]["coordinates"], atol=1e-9
        )
    trap = next(f for f in read.values() if f["properties"]["category"].startswith("human"))
    attributes = trap["properties"]["attributes"]
    attributes = json.loads(attributes) if isinstance(attributes, str) else attributes
    assert attributes["numberoftraps"] == 3.0
