"""A digest of everything ingest stores, to show a change to the ingest path leaves it alone.

Loads the demo's simulated year of patrols (``patrol.demo.load_demo``: every report through
``ingest_report``, the path of ``POST /patrols``) into a fresh database, then prints one
SHA-256 per table over its rows in a fixed order (patrols by id, cells by patrol and cell,
zones by patrol and zone code, finds by id), floats written with ``repr`` (every bit). Run it
before and after a change, on SQLite and PostgreSQL: equal digests mean equal figures.

Routes are stored packed since migration 0015, so ``patrol_track``'s digest (over the stored
bytes) differs from the text era's by design; ``patrol_track as text`` digests each packed row
written back as the text that was stored before (GeoJSON MultiLineString and times JSON, as
the text codec wrote them), so it equals the old ``patrol_track`` digest when the routes and
times are the same to the bit.

    python bench/ingest_digest.py [--weeks-scale 1.0]
    PATROL_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        python bench/ingest_digest.py
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

import orjson
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from import_bench import drop_pg, scratch_pg  # noqa: E402

from patrol import create_app  # noqa: E402
from patrol.demo.load import load_demo  # noqa: E402
from patrol.demo.simulate import SimulationSettings  # noqa: E402
from patrol.geo import packed_route  # noqa: E402
from patrol.store import upgrade  # noqa: E402

QUERIES = {
    "patrol": """SELECT uuid, unit_id, transport, started_at, ended_at, start_date, start_month,
        days, vertex_count, distance_km, duration_h, min_lon, min_lat, max_lon, max_lat,
        content_hash FROM patrol ORDER BY uuid""",
    "patrol_track": """SELECT p.uuid, t.route_packed, t.times_packed FROM patrol_track t
        JOIN patrol p ON p.id = t.patrol_id ORDER BY p.uuid""",
    "effort_cell": """SELECT p.uuid, c.ix, c.iy, c.effort_km, c.effort_h FROM effort_cell c
        JOIN patrol p ON p.id = c.patrol_id ORDER BY p.uuid, c.ix, c.iy""",
    "effort_zone": """SELECT p.uuid, z.code, e.effort_km, e.effort_h FROM effort_zone e
        JOIN patrol p ON p.id = e.patrol_id JOIN zone z ON z.id = e.zone_id
        ORDER BY p.uuid, z.code""",
    "snare_find": """SELECT f.uuid, p.uuid, f.found_at, f.lon, f.lat, f.cell_ix, f.cell_iy,
        z.code FROM snare_find f JOIN patrol p ON p.id = f.patrol_id
        LEFT JOIN zone z ON z.id = f.zone_id ORDER BY f.uuid""",
}


def _digest(rows: list[tuple]) -> tuple[int, str]:
    h = hashlib.sha256()
    for row in rows:
        h.update(repr(row).encode())
        h.update(b"\n")
    return len(rows), h.hexdigest()


def _as_text(uuid: str, route: bytes, times: bytes | None) -> tuple[str, str, str | None]:
    """A packed row as the text of the text era (geo/tracks.py's encoders, d2d9fe7)."""
    parts = packed_route.unpack_times(times)
    times_text = None if parts is None else orjson.dumps([t.tolist() for t in parts]).decode()
    return uuid, orjson.dumps(packed_route.route_geometry(route)).decode(), times_text


def digests(url: str, scale: float) -> dict[str, tuple[int, str]]:
    upgrade(url)
    app = create_app({"ENV": "testing", "SECRET_KEY": "digest", "DATABASE_URL": url})
    with app.app_context():
        from patrol.db import get_session

        session = get_session()
        t = time.process_time()
        load_demo(session, SimulationSettings(patrols_per_unit_week=2.5 * scale))
        print(f"loaded in {time.process_time() - t:.1f} CPU-s", file=sys.stderr)
        out = {}
        for table, sql in QUERIES.items():
            rows = [tuple(row) for row in session.execute(sa.text(sql))]
            out[table] = _digest(rows)
            if table == "patrol_track":
                out["patrol_track as text"] = _digest([_as_text(*row) for row in rows])
        session.rollback()
    app.extensions["patrol.engine"].dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weeks-scale", type=float, default=1.0, help="share of the demo's patrols")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="patrol-digest-"))
    targets = [("sqlite", f"sqlite:///{tmp}/digest.sqlite3", None)]
    base = os.environ.get("PATROL_BENCH_DATABASE_URL")
    if base:
        name, url = scratch_pg(base)
        targets.append(("postgresql", url, name))
    for label, url, name in targets:
        try:
            for table, (n, digest) in digests(url, args.weeks_scale).items():
                print(f"{label:>10} {table:<20} {n:>8} rows  sha256 {digest}")
        finally:
            if name:
                drop_pg(base, name)


if __name__ == "__main__":
    main()
