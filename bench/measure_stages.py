"""Where measuring a report costs CPU in a bulk import, step by step, without a profiler.

Generates ``--patrols`` reports of bench/import_bench.py's generator, parses them, builds the
worker's area context as ``patrol patrols import`` does (its zones' raster built before the
clock starts: the steady state of a long import), then times with ``time.process_time``, per
report, each step of ``measure_report`` and ``patrol_rows`` called on its own, and the two
whole functions. ``--repeat`` passes over the reports; the median pass is printed, in ms of
CPU per report.

    python bench/measure_stages.py --patrols 200 --repeat 5
    python bench/measure_stages.py --root /path/to/other/checkout   # the same steps there
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--patrols", type=int, default=200)
    ap.add_argument("--vertices", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
    return ap.parse_args()


ARGS = _args()
ROOT = Path(ARGS.root).resolve()
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
from import_bench import generate, prepare  # noqa: E402

from patrol import create_app  # noqa: E402
from patrol.geo import packed_route  # noqa: E402
from patrol.geo.effort import allocate_cells, allocate_zones  # noqa: E402
from patrol.geo.importers import importer_for  # noqa: E402
from patrol.geo.plausible import route_problems  # noqa: E402
from patrol.geo.projection import geodesic_lengths_m, to_metric  # noqa: E402
from patrol.geo.report import Limits, ReportDefaults  # noqa: E402
from patrol.services import bulk_measure, ingest_steps  # noqa: E402
from patrol.services.measure import route_segments  # noqa: E402
from patrol.services.patrol_rows import patrol_rows  # noqa: E402


def one_pass(reports: list, setup: bulk_measure.Setup, contexts: dict) -> dict[str, float]:
    """Seconds of CPU per step over the reports (one pass)."""
    clock = time.process_time
    totals: dict[str, float] = {}

    def add(key: str, dt: float) -> None:
        totals[key] = totals.get(key, 0.0) + dt

    for report in reports:
        unit_id, area_id, code, _ = setup.units[report.unit]
        context = contexts[area_id]
        t = clock()
        route = [np.round(p, 7) for p in report.parts]
        add("round", clock() - t)
        t = clock()
        metric = [to_metric(p[:, 0], p[:, 1], context.epsg) for p in route]
        add("project", clock() - t)
        t = clock()
        ingest_steps._check_place(report, context, setup.margin_km, metric)
        add("place", clock() - t)
        t = clock()
        for p in route:
            geodesic_lengths_m(p[:, 0], p[:, 1])
        add("geod", clock() - t)
        t = clock()
        segments, km, h = route_segments(
            route, report.times, report.started_at, report.ended_at, context.epsg, metric
        )
        add("segments (geod again)", clock() - t)
        t = clock()
        route_problems(segments, km, h, report.transport, context.grid)
        add("plausible", clock() - t)
        t = clock()
        with context.lock:
            allocate_zones(segments, context.zones_m, context.zone_raster)
        add("zones", clock() - t)
        t = clock()
        allocate_cells(segments, context.grid)
        add("cells", clock() - t)
        t = clock()
        route, figures = ingest_steps.measure_report(report, context, setup.margin_km)
        add("MEASURE_REPORT", clock() - t)
        t = clock()
        rows = patrol_rows(
            report,
            unit_id=unit_id,
            unit_code=code,
            area_id=area_id,
            timezone=setup.timezones[area_id],
            context=context,
            route=route,
            figures=figures,
        )
        add("PATROL_ROWS", clock() - t)
        t = clock()
        packed_route.pack_route(route)
        packed_route.pack_times(report.times)
        add("pack (in rows)", clock() - t)
        t = clock()
        m = bulk_measure.Measured(
            "x", area_id, context.zones_version, [(s.id, s.pointer) for s in report.snares], rows
        )
        pickle.dumps([m], protocol=pickle.HIGHEST_PROTOCOL)
        add("pickle", clock() - t)
    return totals


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="patrol-measure-stages-"))
    try:
        ctx, units = prepare(f"sqlite:///{tmp}/bench.sqlite3")
        folder = tmp / "reports"
        folder.mkdir()
        generate(folder, ARGS.patrols, ARGS.vertices, ctx, units)
        url = f"sqlite:///{tmp}/bench.sqlite3"
        app = create_app({"ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url})
        with app.app_context():
            from patrol.db import get_session

            limits = Limits(app.config["MAX_ROUTE_VERTICES"], app.config["MAX_FINDS_PER_PATROL"])
            setup = bulk_measure.setup(get_session(), ReportDefaults(), limits, 10.0)
        app.extensions["patrol.engine"].dispose()
        bulk_measure.init_worker(setup)
        contexts = bulk_measure._WORKER["contexts"]
        reports = []
        for name in sorted(folder.glob("*.geojson")):
            data = name.read_bytes()
            reports.append(
                importer_for(None, str(name), data[:4096]).parse(data, setup.defaults, setup.limits)
            )
        for report in reports[:20]:  # the raster is built after a few reports
            _, area_id, _, _ = setup.units[report.unit]
            ingest_steps.measure_report(report, contexts[area_id], setup.margin_km)
        passes = [one_pass(reports, setup, contexts) for _ in range(ARGS.repeat)]
        n = len(reports)
        print(
            f"{ROOT}: {n} reports x {ARGS.vertices} vertices, load {os.getloadavg()[0]:.2f}; "
            f"median of {ARGS.repeat} passes, ms of CPU per report"
        )
        for key in passes[0]:
            values = [p[key] for p in passes]
            print(f"  {key:>22} {1000 * statistics.median(values) / n:6.3f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
