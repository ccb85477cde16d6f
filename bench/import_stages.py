"""Where a bulk import's CPU goes, stage by stage, without a profiler.

cProfile charges a Python frame for every step of a generator, which inflated the parser's
generators several-fold in the profiles of docs/performance.md; here each stage of
``patrol patrols import`` is timed with ``time.process_time`` around the same calls the
import makes, in this one process, on generated 2,000-vertex reports (bench/import_bench.py's
generator):

- worker side, per report: read + parse + validate (the importer), measure
  (``measure_report``), rows (``patrol_rows``, of which the track's encoding alone), and the
  pickling of the measured rows that a worker sends to the writer (and the writer's unpickling);
- writer side, per batch of ``--batch`` reports: the batch's lookups and inserts
  (``_store_batch``, one transaction) with its commit, on SQLite and, with
  PATROL_BENCH_DATABASE_URL, PostgreSQL (a scratch database). The database server's own CPU
  is not in these figures (PostgreSQL runs in its own processes).

    python bench/import_stages.py --patrols 200
    PATROL_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        python bench/import_stages.py --patrols 200
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from import_bench import drop_pg, generate, prepare, scratch_pg  # noqa: E402

from patrol import create_app  # noqa: E402
from patrol.geo.importers import importer_for  # noqa: E402
from patrol.geo.report import Limits, ReportDefaults  # noqa: E402
from patrol.services import bulk, bulk_measure, patrol_rows  # noqa: E402
from patrol.services.ingest_steps import measure_report  # noqa: E402


def _encode_track(report, route) -> object:
    """The track's stored values, as this checkout builds them (text or packed)."""
    try:
        from patrol.geo import packed_route

        return packed_route.pack_route(route), packed_route.pack_times(report.times)
    except ImportError:
        from patrol.geo import tracks

        return tracks.encode_route(route), tracks.encode_times(report.times)


def worker_side(files: list[str], setup: bulk_measure.Setup) -> tuple[dict, list]:
    """Seconds of CPU per stage over ``files``, and the Measured rows."""
    bulk_measure.init_worker(setup)
    contexts = bulk_measure._WORKER["contexts"]
    totals = dict.fromkeys(("parse", "measure", "rows", "track", "pickle", "unpickle"), 0.0)
    out = []
    pickled = 0
    clock = time.process_time
    for name in files:
        t0 = clock()
        data = Path(name).read_bytes()
        report = importer_for(None, name, data[:4096]).parse(data, setup.defaults, setup.limits)
        t1 = clock()
        unit_id, area_id, code, _ = setup.units[report.unit]
        context = contexts[area_id]
        route, figures = measure_report(report, context, setup.margin_km)
        t2 = clock()
        rows = patrol_rows.patrol_rows(
            report,
            unit_id=unit_id,
            unit_code=code,
            area_id=area_id,
            timezone=setup.timezones[area_id],
            context=context,
            route=route,
            figures=figures,
        )
        t3 = clock()
        _encode_track(report, route)
        t4 = clock()
        m = bulk_measure.Measured(
            name, area_id, context.zones_version, [(s.id, s.pointer) for s in report.snares], rows
        )
        blob = pickle.dumps([m], protocol=pickle.HIGHEST_PROTOCOL)
        t5 = clock()
        out.extend(pickle.loads(blob))
        t6 = clock()
        steps = (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)
        for key, dt in zip(totals, steps, strict=True):
            totals[key] += dt
        pickled += len(blob)
    totals["pickled_bytes"] = pickled
    return totals, out


def writer_side(url: str, measured: list, batch: int) -> tuple[float, float]:
    """CPU and wall seconds of storing ``measured`` in batches (lookups, inserts, commits)."""
    app = create_app({"ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url})
    with app.app_context():
        from patrol.db import get_session

        session = get_session()
        cpu, wall = 0.0, 0.0
        for k in range(0, len(measured), batch):
            part = measured[k : k + batch]
            c, w = time.process_time(), time.perf_counter()
            outcomes = bulk._store_batch(session, part)
            cpu += time.process_time() - c
            wall += time.perf_counter() - w
            assert outcomes is not None and all(o.state == "stored" for o in outcomes)
    app.extensions["patrol.engine"].dispose()
    return cpu, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--patrols", type=int, default=200)
    ap.add_argument("--vertices", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=200)
    args = ap.parse_args()
    pg_base = os.environ.get("PATROL_BENCH_DATABASE_URL")
    tmp = Path(tempfile.mkdtemp(prefix="patrol-import-stages-"))
    try:
        ctx, units = prepare(f"sqlite:///{tmp}/gen.sqlite3")
        reports = tmp / "reports"
        reports.mkdir()
        total = generate(reports, args.patrols, args.vertices, ctx, units)
        files = sorted(str(p) for p in reports.glob("*.geojson"))
        n = len(files)
        print(
            f"{n} reports x {args.vertices} vertices ({total:,}); "
            f"load {os.getloadavg()[0]:.2f}; ms of CPU per report (process_time)"
        )
        targets = [("sqlite", f"sqlite:///{tmp}/bench.sqlite3", None)]
        if pg_base:
            name, url = scratch_pg(pg_base)
            targets.append(("postgresql", url, name))
        for label, url, name in targets:
            try:
                prepare(url)
                app = create_app({"ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url})
                with app.app_context():
                    from patrol.db import get_session

                    limits = Limits(
                        app.config["MAX_ROUTE_VERTICES"], app.config["MAX_FINDS_PER_PATROL"]
                    )
                    setup = bulk_measure.setup(get_session(), ReportDefaults(), limits, 10.0)
                app.extensions["patrol.engine"].dispose()
                totals, measured = worker_side(files, setup)
                cpu, wall = writer_side(url, measured, args.batch)
            finally:
                if name:
                    drop_pg(pg_base, name)
            # "track" is timed again apart from "rows" (which includes it): not added twice
            skip = ("track", "unpickle", "pickled_bytes")
            worker = sum(v for k, v in totals.items() if k not in skip)
            stages = ", ".join(
                f"{k} {1000 * v / n:.2f}" for k, v in totals.items() if k != "pickled_bytes"
            )
            print(f"{label:>10} workers: {stages} (track is part of rows)")
            print(
                f"{'':>10} writer: store + commit {1000 * cpu / n:.2f} ms CPU "
                f"({1000 * wall / n:.2f} ms wall); pickled rows "
                f"{totals['pickled_bytes'] / n / 1024:.0f} KiB a report"
            )
            per_vertex = (worker + totals["unpickle"] + cpu) / total
            print(
                f"{'':>10} total {1000 * (worker + totals['unpickle'] + cpu) / n:.2f} ms a report:"
                f" {per_vertex * 1e9:.0f} ns of CPU a vertex -> at most "
                f"{2 / per_vertex:,.0f} vertices/s on 2 idle cores (startup and server excluded)"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
