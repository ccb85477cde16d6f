"""The basemap endpoints: TileJSON and tiles for the area's users (XYZ addressing checked
against the MBTiles TMS rows and the PMTiles reader), 204 where the file has no tile, 404
outside its zooms, cache headers, and nobody else's area."""

from __future__ import annotations

import pytest

from patrol.db import get_session
from patrol.services import areas, basemaps
from tests.basemap_files import BOUNDS, make_mbtiles, make_pmtiles, png, tiles_of


@pytest.fixture
def folder(app, tmp_path):
    app.config["BASEMAP_DIR"] = str(tmp_path / "basemaps")
    return tmp_path / "basemaps"


def _load(app, folder, path):
    with app.app_context():
        s = get_session()
        return basemaps.load_basemap(s, areas.area_for(s, None, "test-area"), path, folder).id


@pytest.mark.parametrize("container", ["mbtiles", "pmtiles"])
def test_tiles_are_served_in_xyz_order(client, app, world, folder, tmp_path, container):
    path = tmp_path / f"park.{container}"
    # Every tile its own colour: a row flipped wrongly would find another tile or none.
    tiles = (make_mbtiles if container == "mbtiles" else make_pmtiles)(
        path, tile=lambda z, x, y: png((x % 256, y % 256, z * 10), size=8)
    )
    assert len(set(tiles.values())) == len(tiles)
    _load(app, folder, path)
    doc = client.get("/api/v1/areas/test-area/basemap", headers=world.auth("ranger1")).get_json()
    assert doc["format"] == "png" and doc["type"] == "raster" and doc["container"] == container
    assert (doc["minzoom"], doc["maxzoom"]) == (8, 11)
    assert doc["bounds"] == pytest.approx(list(BOUNDS))
    template = doc["tiles"][0]
    assert template.startswith("/api/v1/areas/test-area/basemap/{z}/{x}/{y}?v=")
    for (z, x, y), data in tiles.items():
        url = template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
        r = client.get(url, headers=world.auth("ranger1"))
        assert r.status_code == 200 and r.data == data
        assert r.mimetype == "image/png"
        assert (
            "private" in r.headers["Cache-Control"]
            and "max-age=86400" in r.headers["Cache-Control"]
        )
        assert r.headers["ETag"]
        again = client.get(
            url, headers={**world.auth("ranger1"), "If-None-Match": r.headers["ETag"]}
        )
        assert again.status_code == 304 and again.data == b""
    # Inside the zooms but where the file has no tile: 204, an empty tile.
    z = 11
    x, y = tiles_of(BOUNDS, z)[0]
    r = client.get(f"/api/v1/areas/test-area/basemap/{z}/{x - 3}/{y}", headers=world.auth("coord"))
    assert r.status_code == 204 and r.data == b""
    # Outside its zooms or the world's grid: 404 problems.
    for bad in ("7/100/46", "12/3500/1500", "3/8/0"):
        r = client.get(f"/api/v1/areas/test-area/basemap/{bad}", headers=world.auth("coord"))
        assert r.status_code == 404 and r.mimetype == "application/problem+json", bad


def test_prefetch_plan_covers_the_area_within_the_limit(client, app, world, folder, tmp_path):
    path = tmp_path / "park.mbtiles"
    make_mbtiles(path, zooms=range(8, 15))
    _load(app, folder, path)
    with app.app_context():
        area = areas.area_for(get_session(), None, "test-area")
        box = (area.min_lon, area.min_lat, area.max_lon, area.max_lat)
    app.config["BASEMAP_PREFETCH_MAX_TILES"] = 60
    plan = client.get("/api/v1/areas/test-area/basemap", headers=world.auth("ranger1")).get_json()[
        "prefetch"
    ]
    # The tiles of the area's box, zoom by zoom, counted here by the textbook formulas.
    counts = {z: len(tiles_of(box, z)) for z in range(8, 15)}
    kept = [r["z"] for r in plan["ranges"]]
    assert kept == [z for z in range(8, 15) if sum(counts[k] for k in range(8, z + 1)) <= 60]
    assert plan["tiles"] == sum(counts[z] for z in kept) <= 60
    assert plan["skipped_zooms"] == [z for z in range(8, 15) if z not in kept]
    for r in plan["ranges"]:
        expected = tiles_of(box, r["z"])
        assert (r["x"][0], r["x"][1]) == (min(t[0] for t in expected), max(t[0] for t in expected))
        assert (r["y"][0], r["y"][1]) == (min(t[1] for t in expected), max(t[1] for t in expected))


def test_vector_tiles_keep_their_gzip(client, app, world, folder, tmp_path):
    path = tmp_path / "park.pmtiles"
    tiles = make_pmtiles(path, vector=True)
    _load(app, folder, path)
    doc = client.get("/api/v1/areas/test-area/basemap", headers=world.auth("coord")).get_json()
    assert (doc["format"], doc["type"]) == ("pbf", "vector")
    assert doc["vector_layers"] == [{"id": "landcover"}, {"id": "roads"}]
    (z, x, y), data = next(iter(tiles.items()))
    r = client.get(f"/api/v1/areas/test-area/basemap/{z}/{x}/{y}", headers=world.auth("coord"))
    assert r.status_code == 200 and r.mimetype == "application/vnd.mapbox-vector-tile"
    assert r.headers["Content-Encoding"] == "gzip" and r.data == data


def test_who_may_see_the_basemap(client, app, world, folder, tmp_path):
    path = tmp_path / "park.mbtiles"
    tiles = make_mbtiles(path)
    _load(app, folder, path)
    z, x, y = next(iter(tiles))
    url = f"/api/v1/areas/test-area/basemap/{z}/{x}/{y}"
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/areas/test-area/basemap").status_code == 401
    for who in ("ranger1", "coord", "admin", "ngo"):  # every user of the area (no locations)
        assert client.get(url, headers=world.auth(who)).status_code == 200, who
    for who in ("coord_other", "ranger_other"):
        r = client.get(url, headers=world.auth(who))
        assert r.status_code == 404 and r.mimetype == "application/problem+json", who
        listing = client.get("/api/v1/basemaps", headers=world.auth(who)).get_json()
        assert listing == {"basemaps": []}
    listing = client.get("/api/v1/basemaps", headers=world.auth("ranger1")).get_json()
    assert [b["area"] for b in listing["basemaps"]] == ["test-area"]
    assert listing["basemaps"][0]["url"] == "/api/v1/areas/test-area/basemap"


def test_an_area_without_a_basemap(client, world, folder):
    assert client.get("/api/v1/basemaps", headers=world.auth("ranger1")).get_json() == {
        "basemaps": []
    }
    r = client.get("/api/v1/areas/test-area/basemap", headers=world.auth("ranger1"))
    assert r.status_code == 404 and "No offline basemap" in r.get_json()["detail"]
    r = client.get("/api/v1/areas/test-area/basemap/9/437/187", headers=world.auth("ranger1"))
    assert r.status_code == 404
