"""What one POST /patrols costs the app: statements, round trips and CPU per report.

Posts 2,000-vertex reports (those of ``http_ingest_bench``) through Flask's test client in one
process, with the server's garbage collector settings (``wsgi.py``), and counts per report the
statements executed (SQLAlchemy's events, where an executemany counts once; a COPY is counted
at psycopg's cursor), the pool's checkouts (each a pre-ping round trip on PostgreSQL), commits
and rollbacks; and the process's CPU time (``time.process_time``). The wall clock on a shared
machine measures the neighbours; these figures do not. Run it on a copy of another commit for
the before (the same venv), back to back.

    python bench/ingest_statements.py --reports 200
    PATROL_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        python bench/ingest_statements.py --reports 200
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent


def _bodies(count: int, vertices: int, tmp: Path) -> list[bytes]:
    import numpy as np
    import shapely
    from import_bench import prepare
    from ingest_bench import route_report, walk

    ctx, units = prepare(f"sqlite:///{tmp}/gen.sqlite3")
    rng = np.random.default_rng(5)
    centre = shapely.centroid(ctx.boundary_m)
    start = datetime(2025, 6, 1, tzinfo=UTC)
    return [
        orjson.dumps(
            route_report(
                walk(vertices, rng, (centre.x, centre.y), radius_m=4000.0),
                ctx.epsg,
                start + timedelta(hours=k),
                unit=units[k % len(units)],
            )
        )
        for k in range(count)
    ]


def _count_events(engine: object, counts: Counter) -> None:
    import sqlalchemy as sa

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _statement(conn, cursor, statement, parameters, context, executemany) -> None:
        counts["statements"] += 1
        counts[statement.split(None, 1)[0].upper()] += 1

    @sa.event.listens_for(engine, "checkout")
    def _checkout(*_args: object) -> None:
        counts["checkouts"] += 1

    @sa.event.listens_for(engine, "commit")
    def _commit(*_args: object) -> None:
        counts["commits"] += 1

    @sa.event.listens_for(engine, "rollback")
    def _rollback(*_args: object) -> None:
        counts["rollbacks"] += 1

    try:  # COPY goes to the driver's cursor, past SQLAlchemy's events: counted here
        import psycopg
    except ImportError:
        return
    copy = getattr(psycopg.Cursor.copy, "original", psycopg.Cursor.copy)

    def counted_copy(self, *args: object, **kwargs: object):
        counts["statements"] += 1
        counts["COPY"] += 1
        return copy(self, *args, **kwargs)

    counted_copy.original = copy
    psycopg.Cursor.copy = counted_copy


def run(label: str, url: str, bodies: list[bytes], warmup: int) -> None:
    from import_bench import prepare

    from patrol import create_app
    from patrol.services import auth

    prepare(url)
    app = create_app({"ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url})
    with app.app_context():
        from patrol.db import get_session

        s = get_session()
        auth.create_user(s, "bench", "coordinator", None, None, ["bench"])
        _, token = auth.create_token(s, "bench")
        s.commit()
    counts: Counter = Counter()
    _count_events(app.extensions["patrol.engine"], counts)
    client = app.test_client()
    headers = {
        "Content-Type": "application/geo+json",
        "Authorization": f"Bearer {token}",
        "Prefer": "return=minimal",
    }
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)
    cpu: list[float] = []
    for k, body in enumerate(bodies):
        if k == warmup:
            counts.clear()
        t = time.process_time()
        r = client.post("/api/v1/patrols", data=body, headers=headers)
        cpu.append(time.process_time() - t)
        if r.status_code != 201:
            sys.exit(f"{label}: {r.status_code} {r.get_data(as_text=True)[:300]}")
    timed = cpu[warmup:]
    n = len(timed)
    per = {k: v / n for k, v in sorted(counts.items())}
    print(
        f"{label}: {n} reports, CPU per report median {1e3 * statistics.median(timed):.2f} ms, "
        f"mean {1e3 * statistics.fmean(timed):.2f} ms; per report: "
        + ", ".join(f"{k} {v:g}" for k, v in per.items())
    )
    app.extensions["patrol.engine"].dispose()
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reports", type=int, default=200)
    ap.add_argument("--vertices", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--only", choices=("sqlite", "postgresql"))
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(BENCH))
    from import_bench import drop_pg, scratch_pg

    tmp = Path(tempfile.mkdtemp(prefix="patrol-statements-"))
    bodies = _bodies(args.reports + args.warmup, args.vertices, tmp)
    print(f"{ROOT}: load {os.getloadavg()[0]:.1f}")
    if args.only != "postgresql":
        run("sqlite", f"sqlite:///{tmp}/bench.sqlite3", bodies, args.warmup)
    base = os.environ.get("PATROL_BENCH_DATABASE_URL")
    if base and args.only != "sqlite":
        name, url = scratch_pg(base)
        try:
            run("postgresql", url, bodies, args.warmup)
        finally:
            drop_pg(base, name)
    print(f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
