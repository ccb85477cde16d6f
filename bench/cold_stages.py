"""Where a cold answer's time goes: wall clock and CPU time per stage, no profiler.

Opens a stored database (the bench's demo year or ten years: build them once with
``hotspot_bench.py``'s ``load_demo`` and ``copy_years``), and for each coordinator answer
(hotspots at 1 and 5 km, zone statistics, dispatch; a year, and ten years when the
database holds them) times it cold (``hotspot_bench.touch`` before each: a correction of the
window's latest patrol) and warm. Each stage named in ``--stages`` (``module:function``,
replaced in its module by a timed wrapper: inclusive times, a nested stage counts in its
caller too) is summed per answer, and so are the collector's full (generation 2)
collections. ``--server-gc`` tunes the collector as ``wsgi.py`` does; ``--root`` imports
patrol from another checkout (to time the code before a change in the same run).

    python bench/cold_stages.py sqlite:////tmp/bench/ten.sqlite3 --server-gc
    python bench/cold_stages.py URL --root /tmp/old-checkout --repeat 7
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

STAGES = (
    "patrol.services.month_figures:fingerprints",
    "patrol.services.cell_figures:_monthly",
    "patrol.services.grid_hotspots:_trend",
    "patrol.services.grid_hotspots:hotspot_features",
    "patrol.services.dispatch:grid_hotspots",
    "patrol.services.risk:risk",
    "patrol.services.risk:_compute",
    "patrol.services.risk:load_visits",
    "patrol.services.risk:_distances",
    "patrol.services.risk:_fit",
)
spent: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
collections: list[list] = []


def timed_stage(spec: str) -> None:
    """Replace ``module:function`` by a wrapper adding its wall and CPU time to ``spent``."""
    module_name, name = spec.rsplit(":", 1)
    module = importlib.import_module(module_name)
    fn = getattr(module, name)
    label = f"{module_name.rsplit('.', 1)[-1]}.{name}"

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            entry = spent[label]
            entry[0] += time.perf_counter() - wall
            entry[1] += time.process_time() - cpu
            entry[2] += 1

    setattr(module, name, wrapper)


def on_collection(phase: str, info: dict) -> None:
    if phase == "start":
        collections.append([time.perf_counter(), info["generation"]])
    elif collections:
        collections[-1][0] = time.perf_counter() - collections[-1][0]


def measure(client, session, hb, url: str, end: str, repeat: int) -> None:
    """One answer: cold (a write before each) and warm, then its stages."""
    hb.timed(client, url, 1)  # this process has read the window's other months once
    walls, cpus, full = [], [], []
    spent.clear()
    for k in range(repeat):
        hb.touch(client, session, end, k)
        collections.clear()
        wall, cpu = time.perf_counter(), time.process_time()
        r = client.get(url, headers=hb.TOKEN)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        assert r.status_code == 200, (url, r.status_code)
        full += [c[0] for c in collections if c[1] == 2]
    stages = {label: list(entry) for label, entry in spent.items()}
    warm = [hb.timed(client, url, 1) for _ in range(repeat)]
    print(
        f"{url:<58} cold {1e3 * statistics.median(walls):6.1f} ms wall "
        f"{1e3 * statistics.median(cpus):6.1f} ms CPU; warm {1e3 * statistics.median(warm):5.1f} ms"
    )
    stages["full collections (wall only)"] = [sum(full), 0.0, len(full)]
    for label, (wall, cpu, n) in sorted(stages.items(), key=lambda x: -x[1][0]):
        print(
            f"    {label:<32} {1e3 * wall / repeat:7.1f} ms wall {1e3 * cpu / repeat:7.1f} ms CPU"
            f"  x{n / repeat:g}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--server-gc", action="store_true")
    parser.add_argument("--stages", default=",".join(STAGES))
    args = parser.parse_args()
    sys.path[:0] = [args.root, str(Path(args.root) / "bench")]
    import hotspot_bench as hb

    from patrol import create_app

    for spec in filter(None, args.stages.split(",")):
        timed_stage(spec)
    app = create_app({"ENV": "development", "SECRET_KEY": "bench", "DATABASE_URL": args.url})
    if args.server_gc:
        gc.freeze()  # as patrol.server_gc.tune (wsgi.py), which an older checkout lacks
        gc.set_threshold(20_000, 10, 10)
    gc.callbacks.append(on_collection)
    client = app.test_client()
    windows = [("2025-01-01", "2025-12-31"), ("2016-01-01", "2025-12-31")]
    with app.app_context():
        from patrol.db import get_session

        session = get_session()
        first = session.execute(hb.sa.text("SELECT min(start_date) FROM patrol")).scalar()
        for start, end in windows if str(first) < "2017" else windows[:1]:
            for path in hb.PATHS.values():
                url = path.format(q=f"from={start}&to={end}")
                measure(client, session, hb, url, end, args.repeat)
    app.extensions["patrol.engine"].dispose()


if __name__ == "__main__":
    main()
