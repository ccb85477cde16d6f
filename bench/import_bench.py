"""Bulk import of a park-year through `patrol patrols import`, end to end, beside its peer.

Generates a park-year of report files (default 5,700 patrols x 2,000 vertices, fixed seed,
routes walked inside the demo area, a third of them with snare finds) into a temporary
folder, then times the CLI importing them into a fresh database (parse, validate, measure,
store, commit) and prints vertices/s and the peak memory of the importing processes. The
peer, measured on the same routes in the same run: `ogr2ogr` loading them into PostGIS plus
the PostGIS SQL of km per 1 km cell (when PostGIS is installed; else `ogr2ogr` into a
GeoPackage, labelled so).

    python bench/import_bench.py --patrols 300                # SQLite in a temporary folder
    PATROL_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        python bench/import_bench.py --patrols 300            # also PostgreSQL (a scratch DB)

`--profile` runs the import in this process (one job) under cProfile instead.

Peak RSS: the sum over the importing process and its workers, sampled every 50 ms from
/proc, and resource.getrusage(RUSAGE_CHILDREN).ru_maxrss (the largest single process).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import orjson
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest_bench import route_report, walk  # noqa: E402

from patrol import create_app  # noqa: E402
from patrol.demo.build import DATA  # noqa: E402
from patrol.geo.projection import to_wgs84  # noqa: E402
from patrol.services import areas  # noqa: E402
from patrol.services.measure import AreaContext  # noqa: E402
from patrol.store import upgrade  # noqa: E402

SEED = 15
YEAR = datetime(2025, 1, 1, tzinfo=UTC)


def generate(folder: Path, n: int, vertices: int, ctx: AreaContext, units: list[str]) -> int:
    """Write ``n`` reports to ``folder`` (and every route to routes.geojsons for the peer);
    returns the vertex count. One report in memory at a time."""
    rng = np.random.default_rng(SEED)
    inner = shapely.buffer(ctx.boundary_m, -3000)
    minx, miny, maxx, maxy = shapely.bounds(inner)
    total = 0
    with open(folder / "routes.geojsons", "wb") as seq:
        for k in range(n):
            while True:
                x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                if shapely.contains_xy(inner, x, y):
                    break
            xy = walk(vertices, rng, (x, y), radius_m=4000.0)
            start = YEAR + timedelta(hours=float(k) * 365 * 24 / n)
            doc = route_report(xy, ctx.epsg, start, unit=units[k % len(units)])
            if k % 3 == 0:
                for j in sorted(
                    rng.choice(vertices, size=int(rng.integers(1, 4)), replace=False).tolist()
                ):
                    lon, lat = to_wgs84(xy[j : j + 1, 0], xy[j : j + 1, 1], ctx.epsg)
                    found = start + timedelta(seconds=10.0 * int(j))
                    doc["features"].append(
                        {
                            "type": "Feature",
                            "id": str(uuid.UUID(int=int(rng.integers(2**62)) << 64 | k << 8 | j)),
                            "geometry": {
                                "type": "Point",
                                "coordinates": [round(float(lon[0]), 7), round(float(lat[0]), 7)],
                            },
                            "properties": {
                                "kind": "snare",
                                "found_at": found.isoformat(),
                                "type": "wire",
                                "count": 1,
                                "state": "active",
                                "action": "removed",
                            },
                        }
                    )
            route = doc["features"][0]
            route["id"] = str(uuid.UUID(int=int(rng.integers(2**62)) << 64 | k))
            (folder / f"patrol-{k:05d}.geojson").write_bytes(orjson.dumps(doc))
            seq.write(orjson.dumps(route) + b"\n")
            total += vertices
    return total


class TreeRss:
    """Peak of the summed RSS of a process and its descendants, sampled from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_kib, self._stop = pid, 0, threading.Event()
        me = os.getpid()
        self._children_files = Path(f"/proc/{me}/task/{me}/children").exists()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        """The process and its descendants: each task's ``children`` file (Linux 4.2+) walks
        the tree in a few reads; without it, every /proc/PID/stat is read (1.5 ms a sample on
        a machine with ~90 processes, taken from the cores the import runs on)."""
        if not self._children_files:
            return self._tree_from_stat()
        out, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            out.append(p)
            try:
                tasks = os.listdir(f"/proc/{p}/task")
            except OSError:
                continue
            for t in tasks:
                try:
                    todo.extend(map(int, Path(f"/proc/{p}/task/{t}/children").read_text().split()))
                except OSError:  # the task ended meanwhile
                    continue
        return out

    def _tree_from_stat(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    ppid = int(Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(d))
        out, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(children.get(p, []))
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for p in self._tree():
                try:
                    for line in Path(f"/proc/{p}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
                except OSError:
                    pass
            self.peak_kib = max(self.peak_kib, total)
            self._stop.wait(0.05)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak_kib


def postgres_cpu() -> float:
    """CPU seconds spent so far by this machine's PostgreSQL server processes (the backends'
    own, and through the postmaster's ``cutime`` those of backends that have exited): the
    server shares the two cores with the import, so its CPU belongs beside the import's."""
    ticks = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                name, rest = Path(f"/proc/{d}/stat").read_text().split(") ", 1)
            except (OSError, ValueError):
                continue
            if name.endswith("(postgres"):
                ticks += sum(int(v) for v in rest.split()[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def prepare(url: str) -> tuple[AreaContext, list[str]]:
    upgrade(url)
    app = create_app({"ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url})
    with app.app_context():
        from patrol.db import get_session

        session = get_session()
        area = areas.create_area(
            session, "bench", "bench", json.loads((DATA / "area.geojson").read_text())
        )
        session.commit()
        areas.replace_zones(session, area, (DATA / "zones.geojson").read_bytes())
        areas.import_units(session, area, (DATA / "units.geojson").read_text())
        ctx = AreaContext.load(session, area)
        codes = [
            f["properties"]["code"]
            for f in json.loads((DATA / "units.geojson").read_text())["features"]
        ]
    app.extensions["patrol.engine"].dispose()
    return ctx, codes


def run_import(url: str, files: list[str], jobs: int, batch: int) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (the CLI and its workers), peak summed RSS (KiB), summary."""
    env = dict(os.environ, PATROL_DATABASE_URL=url, PATROL_ENV="testing", PATROL_SECRET_KEY="b")
    cmd = [sys.executable, "-m", "flask", "--app", "patrol", "patrols", "import", "--quiet"]
    cmd += ["--jobs", str(jobs), "--batch", str(batch), *files]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    rss = TreeRss(proc.pid)
    out, err = proc.communicate()
    seconds = time.perf_counter() - t
    peak = rss.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(getattr(after, f) - getattr(before, f) for f in ("ru_utime", "ru_stime"))
    if proc.returncode != 0:
        sys.exit(f"import failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    return seconds, cpu, peak, out.decode().strip().splitlines()[-1]


def scratch_pg(base: str) -> tuple[str, str]:
    name = f"patrol_bench_{uuid.uuid4().hex[:8]}"
    url = make_url(base).set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return name, url.set(database=name).render_as_string(hide_password=False)


def drop_pg(base: str, name: str) -> None:
    url = make_url(base).set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def peer(folder: Path, epsg: int, pg_base: str | None) -> str:
    """ogr2ogr of the same routes into PostGIS and the km-per-cell SQL; else a GeoPackage."""
    seq = str(folder / "routes.geojsons")
    if not shutil.which("ogr2ogr"):
        return "peer: ogr2ogr not installed"
    if pg_base:
        name, url = scratch_pg(pg_base)
        try:
            u = make_url(url)
            engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                try:
                    conn.exec_driver_sql("CREATE EXTENSION postgis")
                except sa.exc.DBAPIError:
                    engine.dispose()
                    drop_pg(pg_base, name)
                    return peer(folder, epsg, None) + " (PostGIS is not installed)"
            pg = f"PG:host={u.host} port={u.port or 5432} user={u.username} dbname={name}"
            t = time.perf_counter()
            subprocess.run(
                ["ogr2ogr", "-f", "PostgreSQL", pg, seq, "-nln", "routes", "-lco",
                 "GEOMETRY_NAME=geom", "--config", "PG_USE_COPY", "YES"],
                check=True, env=dict(os.environ, PGPASSWORD=u.password or ""),
            )  # fmt: skip
            load_s = time.perf_counter() - t
            t = time.perf_counter()
            with engine.connect() as conn:
                cells = conn.exec_driver_sql(
                    f"""SELECT count(*), sum(km) FROM (
                        SELECT g.i, g.j, sum(ST_Length(ST_Intersection(r.g, g.geom))) / 1000 AS km
                        FROM (SELECT ST_Transform(geom, {epsg}) AS g FROM routes) r
                        CROSS JOIN LATERAL ST_SquareGrid(1000, r.g) g
                        WHERE ST_Intersects(r.g, g.geom) GROUP BY g.i, g.j) c"""
                ).one()
            sql_s = time.perf_counter() - t
            engine.dispose()
            return (
                f"peer (PostGIS): ogr2ogr load {load_s:.1f} s + km per 1 km cell SQL {sql_s:.1f} s"
                f" = {load_s + sql_s:.1f} s ({cells[0]} cells, {cells[1]:.0f} km)"
            )
        finally:
            drop_pg(pg_base, name)
    gpkg = folder / "peer.gpkg"
    t = time.perf_counter()
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(gpkg), seq, "-nln", "routes"], check=True)
    return f"peer (FALLBACK, no PostGIS): ogr2ogr into a GeoPackage {time.perf_counter() - t:.1f} s"


def profile(url: str, files: list[str]) -> None:
    """Where the time goes: the import in this process (--jobs 1) under cProfile."""
    import cProfile
    import pstats

    from patrol.geo.report import Limits, ReportDefaults
    from patrol.services.bulk import import_files

    prepare(url)
    app = create_app({"ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url})
    with app.app_context():
        from patrol.db import get_session

        session = get_session()
        limits = Limits(app.config["MAX_ROUTE_VERTICES"], app.config["MAX_FINDS_PER_PATROL"])
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in import_files(
            session, files, defaults=ReportDefaults(), limits=limits, margin_km=10.0, jobs=1
        ):
            pass
        profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--patrols", type=int, default=5700)
    ap.add_argument("--vertices", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--sqlite-only", action="store_true")
    ap.add_argument("--profile", action="store_true", help="cProfile the import in-process")
    args = ap.parse_args()
    # As an installed service has it (make install): patrol's modules compiled, so the CLI's
    # start-up is not charged ~0.2 s of compiling where PYTHONDONTWRITEBYTECODE is set.
    compileall.compile_dir(str(ROOT / "patrol"), quiet=1)
    pg_base = None if args.sqlite_only else os.environ.get("PATROL_BENCH_DATABASE_URL")
    tmp = Path(tempfile.mkdtemp(prefix="patrol-import-bench-"))
    try:
        ctx, units = prepare(f"sqlite:///{tmp}/gen.sqlite3")
        reports = tmp / "reports"
        reports.mkdir()
        t = time.perf_counter()
        total = generate(reports, args.patrols, args.vertices, ctx, units)
        files = sorted(str(p) for p in reports.glob("*.geojson"))
        size = sum(os.path.getsize(f) for f in files)
        print(
            f"{args.patrols:,} patrols x {args.vertices:,} vertices = {total:,} vertices, "
            f"{size / 2**20:.0f} MiB of GeoJSON (generated in {time.perf_counter() - t:.0f} s); "
            f"jobs {args.jobs}, batch {args.batch}; load {os.getloadavg()[0]:.1f}"
        )
        if args.profile:
            profile(f"sqlite:///{tmp}/profile.sqlite3", files)
            return
        targets = [("sqlite", f"sqlite:///{tmp}/bench.sqlite3", None)]
        if pg_base:
            name, url = scratch_pg(pg_base)
            targets.append(("postgresql", url, name))
        for label, url, name in targets:
            try:
                prepare(url)
                server = postgres_cpu() if name else 0.0
                seconds, cpu, peak_kib, summary = run_import(url, files, args.jobs, args.batch)
                server = postgres_cpu() - server if name else 0.0
            finally:
                if name:
                    drop_pg(pg_base, name)
            print(
                f"{label:>10}: {seconds:6.1f} s end to end, {total / seconds:>10,.0f} vertices/s, "
                f"peak RSS {peak_kib / 1024:.0f} MiB (import + workers, summed); {summary}"
            )
            # On a shared machine the wall clock measures the neighbours too: CPU time is what
            # the import itself spent (all its processes), so vertices per CPU-second is the
            # figure that carries over to an idle machine (at most cores x that, less startup).
            print(
                f"{'':>10}  CPU {cpu:.1f} s: {total / cpu:,.0f} vertices per CPU-second, "
                f"{1e6 * cpu / total:.2f} µs of CPU a vertex (at most {2 * total / cpu:,.0f} "
                f"vertices/s on 2 idle cores); load {os.getloadavg()[0]:.1f}"
            )
            if name:
                print(
                    f"{'':>10}  PostgreSQL server CPU {server:.1f} s ({1e6 * server / total:.2f} µs"
                    f" a vertex; import and server together {1e6 * (cpu + server) / total:.2f})"
                )
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            f"getrusage ru_maxrss: largest child {children / 1024:.0f} MiB, "
            f"bench {own / 1024:.0f} MiB"
        )
        if not args.no_peer:
            print(peer(reports, ctx.epsg, pg_base))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
