"""Serving an offline basemap: tiles per second through the API (token checked, row read, file
opened, cache headers) from an MBTiles and a PMTiles file, beside reading the same tiles straight
from the file (the floor: sqlite3 for MBTiles, the pmtiles reader for PMTiles), and the tiles and
bytes a phone keeps for the test area at the default limit.

python bench/basemap_bench.py
"""

from __future__ import annotations

import mmap
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patrol import create_app
from patrol.db import get_session
from patrol.services import areas, auth, basemaps
from patrol.store import upgrade
from tests.basemap_files import make_mbtiles, make_pmtiles, png
from tests.conftest import CX, CY, HALF_M, square

ZOOMS = range(8, 15)


def tile(z: int, x: int, y: int) -> bytes:
    return png(((x * 7) % 256, (y * 13) % 256, z * 15), size=64)


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    upgrade(url)
    app = create_app({"ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url})
    app.instance_path = str(tmp)
    files = {"mbtiles": tmp / "park.mbtiles", "pmtiles": tmp / "park.pmtiles"}
    tiles = make_mbtiles(files["mbtiles"], zooms=ZOOMS, tile=tile)
    make_pmtiles(files["pmtiles"], zooms=ZOOMS, tile=tile)
    with app.app_context():
        s = get_session()
        areas.create_area(s, "bench", "Bench area", square(CX, CY, HALF_M))
        s.commit()
        auth.create_user(s, "coord", "coordinator", None, None, ["bench"])
        _, token = auth.create_token(s, "coord")
        s.commit()
    headers = {"Authorization": f"Bearer {token}"}
    keys = list(tiles)
    print(f"{len(keys)} tiles, zoom {ZOOMS.start}-{ZOOMS.stop - 1}, 64 px PNG")
    client = app.test_client()
    for container, path in files.items():
        with app.app_context():
            s = get_session()
            basemaps.load_basemap(s, areas.area_for(s, None, "bench"), path, tmp / "basemaps")
        started = time.perf_counter()
        for z, x, y in keys:
            r = client.get(f"/api/v1/areas/bench/basemap/{z}/{x}/{y}", headers=headers)
            assert r.status_code == 200
        api = len(keys) / (time.perf_counter() - started)
        started = time.perf_counter()
        if container == "mbtiles":
            for z, x, y in keys:
                conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
                conn.execute(
                    "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? "
                    "AND tile_row=?",
                    (z, x, 2**z - 1 - y),
                ).fetchone()
                conn.close()
        else:
            from pmtiles.reader import Reader

            for z, x, y in keys:
                with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                    Reader(lambda o, n, m=m: m[o : o + n]).get(z, x, y)
        direct = len(keys) / (time.perf_counter() - started)
        print(f"{container}: API {api:,.0f} tiles/s; the file read directly {direct:,.0f} tiles/s")
    doc = client.get("/api/v1/areas/bench/basemap", headers=headers).get_json()
    plan = doc["prefetch"]
    kept = sum(
        len(tiles[(r["z"], x, y)])
        for r in plan["ranges"]
        for x in range(r["x"][0], r["x"][1] + 1)
        for y in range(r["y"][0], r["y"][1] + 1)
        if (r["z"], x, y) in tiles
    )
    print(
        f"a phone keeps {plan['tiles']} tiles of the 20 km test area (limit {plan['limit']}), "
        f"zooms {[r['z'] for r in plan['ranges']]}, skipped {plan['skipped_zooms']}, "
        f"{kept / 1e3:.0f} kB of these 64 px tiles"
    )


if __name__ == "__main__":
    main()
