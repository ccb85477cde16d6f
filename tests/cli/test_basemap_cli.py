"""`patrol basemap load|list|remove`: MBTiles and PMTiles files built here, bad files refused
with the reason and nothing changed."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from patrol.store.models import AreaBasemap
from tests.basemap_files import BOUNDS, make_mbtiles, make_pmtiles, png
from tests.conftest import row_counts


def _folder(app):
    return app.config.get("BASEMAP_DIR") or f"{app.instance_path}/basemaps"


@pytest.fixture
def basemap_dir(app, tmp_path):
    app.config["BASEMAP_DIR"] = str(tmp_path / "basemaps")
    return tmp_path / "basemaps"


def test_load_list_replace_remove(runner, world, session, tmp_path, basemap_dir):
    mb = tmp_path / "park.mbtiles"
    tiles = make_mbtiles(mb)
    result = runner.invoke(args=["basemap", "load", "test-area", str(mb), "--by", "admin"])
    assert result.exit_code == 0, result.output
    assert "mbtiles raster png, zoom 8-11" in result.output
    row = session.scalar(sa.select(AreaBasemap))
    assert (row.container, row.tile_format, row.min_zoom, row.max_zoom) == ("mbtiles", "png", 8, 11)
    assert (row.min_lon, row.min_lat, row.max_lon, row.max_lat) == pytest.approx(BOUNDS)
    assert row.bytes == mb.stat().st_size and row.loaded_by == "admin"
    kept = basemap_dir / row.file_path
    assert kept.read_bytes() == mb.read_bytes()  # a copy: the source may go
    assert len(tiles) == 31

    result = runner.invoke(args=["basemap", "list"])
    assert result.exit_code == 0 and "test-area" in result.output and "z8-11" in result.output

    pm = tmp_path / "park.pmtiles"
    make_pmtiles(pm, zooms=range(9, 11))
    result = runner.invoke(args=["basemap", "load", "test-area", str(pm)])
    assert result.exit_code == 0, result.output
    session.rollback()
    rows = session.scalars(sa.select(AreaBasemap)).all()
    assert [(r.container, r.min_zoom, r.max_zoom) for r in rows] == [("pmtiles", 9, 10)]
    assert not kept.exists()  # the replaced file is gone
    assert sorted(p.name for p in basemap_dir.iterdir()) == [rows[0].file_path]

    result = runner.invoke(args=["basemap", "remove", "test-area"])
    assert result.exit_code == 0, result.output
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(AreaBasemap)) == 0
    assert list(basemap_dir.iterdir()) == []
    result = runner.invoke(args=["basemap", "remove", "test-area"])
    assert result.exit_code == 1 and "has no basemap" in result.output


def _not_sqlite(path):
    path.write_bytes(b"GIF89a not a tile file at all")


def _no_tiles_table(path):
    sqlite3.connect(path).execute("CREATE TABLE other (a)").connection.commit()


def _no_tiles(path):
    make_mbtiles(path, zooms=range(0))


def _unknown_format(path):
    make_mbtiles(path, fmt="tiff")


def _unknown_tiles(path):
    make_mbtiles(path, fmt=None, tile=lambda z, x, y: b"BM not a png")


def _wrong_bounds(path):
    make_mbtiles(path, metadata={"bounds": "131.5,43.3,131.1,43.0"})


def _elsewhere(path):
    make_mbtiles(path, bounds=(10.0, 50.0, 10.5, 50.3))


def _lying_format(path):
    make_mbtiles(path, fmt="jpg")


def _bad_zooms(path):
    make_mbtiles(path, metadata={"minzoom": "12", "maxzoom": "3"})


def _truncated_pmtiles(path):
    make_pmtiles(path)
    path.write_bytes(path.read_bytes()[:60])


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (_not_sqlite, "neither an MBTiles (SQLite) file nor a PMTiles file"),
        (_no_tiles_table, "no 'tiles' table"),
        (_no_tiles, "holds no tiles"),
        (_unknown_format, "'tiff' is not one of png, jpg, webp, pbf"),
        (_unknown_tiles, "neither PNG, JPEG, WebP nor gzipped vector tiles"),
        (_wrong_bounds, "west < east, south < north"),
        (_elsewhere, "do not overlap the area 'test-area'"),
        (_lying_format, "its metadata says jpg but its tiles are png"),
        (_bad_zooms, "zoom levels 12..3"),
        (_truncated_pmtiles, "not a readable PMTiles file"),
    ],
)
def test_bad_files_are_refused_and_change_nothing(
    runner, app, world, tmp_path, basemap_dir, build, reason
):
    good = tmp_path / "good.mbtiles"
    make_mbtiles(good)
    assert runner.invoke(args=["basemap", "load", "test-area", str(good)]).exit_code == 0
    before, files = row_counts(app), sorted(basemap_dir.iterdir())
    bad = tmp_path / "bad.mbtiles"
    build(bad)
    result = runner.invoke(args=["basemap", "load", "test-area", str(bad)])
    assert result.exit_code == 1
    assert reason in result.output
    assert row_counts(app) == before
    assert sorted(basemap_dir.iterdir()) == files  # the kept file untouched, no leftovers


def test_png_helper_is_a_png():
    data = png((1, 2, 3), size=4)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and b"IHDR" in data and data.endswith(b"IEND\xaeB`\x82")
