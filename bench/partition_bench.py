"""Partitioned or plain PostgreSQL schema: a national deployment's interleaved ingest in small.

Many areas submit at once, so in the plain schema one area-year's effort rows are scattered
among every other area's; partitioned (migration 0011 with PATROL_PG_PARTITIONED=1), each
area-year's rows sit in a partition of their own. Both databases get the same synthetic
patrols (rows written by SQL, not measured routes: this is about storage, not geometry), in
the same interleaved order; then one area-year's effort GROUP BY (the shape of the hotspot
query) is timed on each, with the pages it touched, and the patrol inserts (the id trigger)
are timed against the plain ones.

    PATROL_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        python bench/partition_bench.py --areas 10 --years 2 --patrols 5700 --cells 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patrol.store import partitioning, upgrade
from patrol.store.engine import make_engine

FIRST_YEAR = 2024

AREA = (
    "INSERT INTO conservation_area (id, slug, name, epsg, cell_m, grid_origin_x, grid_origin_y,"
    " timezone, boundary_geojson, area_km2, synthetic, zones_version, min_lon, min_lat,"
    " max_lon, max_lat, created_at) SELECT a, 'a' || a, 'Area ' || a, 32652, 1000, 0, 0,"
    " 'Asia/Vladivostok', '{}', 2600, TRUE, 1, 0, 0, 1, 1, now() FROM generate_series(1, %(n)s) a"
)
UNIT = (
    "INSERT INTO unit (id, area_id, code, name, active) SELECT a, a, 'U-' || a, 'U', TRUE"
    " FROM generate_series(1, %(n)s) a"
)
# Day by day, every area's patrols of the day: the order a national server receives them in.
PATROLS = (
    "INSERT INTO patrol (uuid, area_id, unit_id, leader, members_json, transport, started_at,"
    " ended_at, start_date, start_month, days, vertex_count, distance_km, duration_h, min_lon,"
    " min_lat, max_lon, max_lat, content_hash, source_format, revision, submitted_at)"
    " SELECT md5(d::text || '/' || a || '/' || k)::uuid::text, a, a, 'L', '[]', 'foot',"
    " t, t + interval '6 hours', t::date, extract(year from t)::int * 100"
    " + extract(month from t)::int, 1, 2000, 15, 6, 0, 0, 1, 1, 'h', 'geojson', 1, now()"
    " FROM generate_series(0, %(days)s - 1) d, generate_series(1, %(areas)s) a,"
    " generate_series(1, %(per_day)s) k,"
    " LATERAL (SELECT make_date(%(y0)s, 1, 1) + d * interval '1 day' + interval '2 hours' AS t) s"
    " ORDER BY d, a, k"
)
EFFORT = (
    "INSERT INTO effort_cell (patrol_id, ix, iy, effort_km, effort_h)"
    " SELECT p.id, (extract(doy FROM p.start_date)::int + c * 7) %% 60, c, 1.5, 0.6"
    " FROM patrol p, generate_series(1, %(cells)s) c ORDER BY p.start_date, p.area_id, p.uuid, c"
)
YEAR_QUERY = (
    "SELECT p.start_month, e.ix, e.iy, sum(e.effort_km), sum(e.effort_h),"
    " count(DISTINCT e.patrol_id), max(p.start_date) FROM effort_cell e"
    " JOIN patrol p ON p.id = e.patrol_id WHERE p.area_id = %(a)s AND p.deleted_at IS NULL"
    " AND p.start_date >= %(lo)s AND p.start_date < %(hi)s GROUP BY p.start_month, e.ix, e.iy"
)


# The same query with the window's patrol id range given to effort_cell too: its bounds are
# sub-selects, so PostgreSQL prunes the partitions outside them when the query runs (the
# planner does not count run-time pruning when it costs a join, see docs/scaling.md).
WINDOW = (
    "FROM patrol WHERE area_id = %(a)s AND deleted_at IS NULL"
    " AND start_date >= %(lo)s AND start_date < %(hi)s"
)
HINTED_QUERY = YEAR_QUERY.replace(
    " GROUP BY",
    f" AND e.patrol_id BETWEEN (SELECT min(id) FROM (SELECT id {WINDOW} OFFSET 0) w)"
    f" AND (SELECT max(id) FROM (SELECT id {WINDOW} OFFSET 0) w) GROUP BY",
)


def _time(conn, sql: str, q: dict, repeat: int) -> tuple[float, int, str, list[str]]:
    """Median ms, rows, the buffers line and the plan of ``sql``."""
    times, rows = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        rows = len(conn.exec_driver_sql(sql, q).all())
        times.append(time.perf_counter() - t)
    plan = [
        r[0]
        for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) " + sql, q)
    ]
    buffers = [line for line in plan if "Buffers:" in line]
    line = buffers[0].split("Buffers:")[1].strip() if buffers else "?"
    return statistics.median(times) * 1000, rows, line, plan


def _database(server: str, name: str) -> str:
    url = make_url(server).set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop(server: str, name: str) -> None:
    engine = sa.create_engine(
        make_url(server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def load(url: str, partitioned: bool, args) -> dict:
    os.environ["PATROL_PG_PARTITIONED"] = "1" if partitioned else "0"
    upgrade(url)
    engine = make_engine(url)
    days = 365 * args.years
    per_day = max(1, round(args.patrols / 365))
    out = {}
    with engine.begin() as conn:
        conn.exec_driver_sql(AREA, {"n": args.areas})
        conn.exec_driver_sql(UNIT, {"n": args.areas})
        if partitioned:
            for a in range(1, args.areas + 1):
                for y in range(FIRST_YEAR, FIRST_YEAR + args.years):
                    partitioning.create_partition(conn, a, y)
    with engine.begin() as conn:
        t = time.perf_counter()
        conn.exec_driver_sql(
            PATROLS, {"days": days, "areas": args.areas, "per_day": per_day, "y0": FIRST_YEAR}
        )
        out["patrol_insert_s"] = time.perf_counter() - t
        out["patrols"] = conn.exec_driver_sql("SELECT count(*) FROM patrol").scalar_one()
        t = time.perf_counter()
        conn.exec_driver_sql(EFFORT, {"cells": args.cells})
        out["effort_insert_s"] = time.perf_counter() - t
        out["effort_rows"] = conn.exec_driver_sql("SELECT count(*) FROM effort_cell").scalar_one()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    q = {"a": max(1, args.areas // 2), "lo": f"{FIRST_YEAR}-01-01", "hi": f"{FIRST_YEAR + 1}-01-01"}
    with engine.connect() as conn:
        for key, sql in (("year", YEAR_QUERY), ("hinted", HINTED_QUERY)):
            ms, rows, buffers, plan = _time(conn, sql, q, args.repeat)
            out[key] = {"ms": ms, "rows": rows, "buffers": buffers, "plan": plan}
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=10)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--patrols", type=int, default=5700, help="per area-year")
    parser.add_argument("--cells", type=int, default=10, help="effort rows per patrol")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--plans", action="store_true", help="print the query plans")
    args = parser.parse_args()
    server = os.environ.get("PATROL_BENCH_DATABASE_URL")
    if not server:
        sys.exit("set PATROL_BENCH_DATABASE_URL=postgresql://... (a server to create databases on)")
    results = {}
    for mode in ("plain", "partitioned"):
        name = f"patrol_partbench_{mode}_{uuid.uuid4().hex[:8]}"
        try:
            results[mode] = load(_database(server, name), mode == "partitioned", args)
        finally:
            _drop(server, name)
    print(f"{args.areas} areas x {args.years} years, interleaved day by day")
    for mode, r in results.items():
        print(
            f"{mode:>12}: {r['patrols']:,} patrols in {r['patrol_insert_s']:.2f} s"
            f" ({r['patrols'] / r['patrol_insert_s']:,.0f}/s), {r['effort_rows']:,} effort rows"
            f" in {r['effort_insert_s']:.2f} s"
        )
        for key in ("year", "hinted"):
            a = r[key]
            print(
                f"{'':>14}one area-year, {key} query: {a['rows']:,} groups in {a['ms']:.0f} ms"
                f" (median of {args.repeat}), buffers {a['buffers']}"
            )
            if args.plans:
                print("\n".join(a["plan"]))


if __name__ == "__main__":
    main()
