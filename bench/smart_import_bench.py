"""SMART import throughput: a synthetic SMART history of the demo area through the CLI.

Several years of the demo generator's patrols are loaded (GeoJSON ingest, timed as the peer),
written as SMART patrol XML by patrol's exporter (one file per patrol, as SMART exports them),
and imported into an empty database by `patrol smart import DIR` in a child process, timed,
with its peak memory. Prints patrols and vertices per second for both paths.

    python bench/smart_import_bench.py [--years 3] [--patrols-per-week 1.0]
    PATROL_BENCH_DATABASE_URL=postgresql://... python bench/smart_import_bench.py
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from datetime import date
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from patrol import create_app  # noqa: E402
from patrol.demo.area import build_area  # noqa: E402
from patrol.demo.build import AREA_SEED, DATA  # noqa: E402
from patrol.demo.load import DEMO_SLUG  # noqa: E402
from patrol.demo.simulate import SimulationSettings, simulate_patrols  # noqa: E402
from patrol.geo.geojson_report import parse_geojson_report  # noqa: E402
from patrol.services import areas, smart  # noqa: E402
from patrol.services.patrols import ingest_report  # noqa: E402
from patrol.store import upgrade  # noqa: E402
from patrol.store.models import ConservationArea, Patrol  # noqa: E402


def _database(base: str | None, label: str) -> tuple[str, sa.Engine | None, str | None]:
    if not base:
        return f"sqlite:///{tempfile.mkdtemp()}/{label}.sqlite3", None, None
    admin = sa.create_engine(
        base.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    name = f"patrol_bench_{label}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    return base.rsplit("/", 1)[0] + "/" + name, admin, name


def _area(session) -> ConservationArea:
    area = areas.create_area(
        session,
        DEMO_SLUG,
        "Demo area, southern Primorsky Krai (synthetic)",
        json.loads((DATA / "area.geojson").read_text()),
        cell_km=1.0,
        timezone="Asia/Vladivostok",
        synthetic=True,
    )
    session.commit()
    areas.replace_zones(session, area, (DATA / "zones.geojson").read_bytes())
    areas.import_units(session, area, (DATA / "units.geojson").read_bytes())
    return area


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--first-year", type=int, default=2023)
    parser.add_argument("--patrols-per-week", type=float, default=1.0)
    args = parser.parse_args()
    base = os.environ.get("PATROL_BENCH_DATABASE_URL")
    source_url, admin1, name1 = _database(base, "source")
    target_url, admin2, name2 = _database(base, "target")
    folder = Path(tempfile.mkdtemp()) / "smart"
    folder.mkdir()
    try:
        upgrade(source_url)
        upgrade(target_url)
        app = create_app({"ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": source_url})
        demo = build_area(AREA_SEED)
        with app.app_context():
            from patrol.db import get_session

            session = get_session()
            area = _area(session)
            contexts: dict = {}
            t0, c0 = time.perf_counter(), time.process_time()
            patrols = vertices = 0
            for year in range(args.first_year, args.first_year + args.years):
                settings = SimulationSettings(
                    year=year, seed=year, patrols_per_unit_week=args.patrols_per_week
                )
                for doc in simulate_patrols(demo, settings):
                    report = parse_geojson_report(doc)
                    ingest_report(session, None, report, contexts=contexts)
                    patrols += 1
                    vertices += report.vertex_count
            geojson_s = time.perf_counter() - t0
            geojson_cpu = time.process_time() - c0
            t0 = time.perf_counter()
            data, _, _ = smart.export_smart(
                session,
                None,
                area,
                date(args.first_year, 1, 1),
                date(args.first_year + args.years - 1, 12, 31),
            )
            export_s = time.perf_counter() - t0
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                zf.extractall(folder)
            files = len(list(folder.iterdir()))
            size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6

        target = create_app({"ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": target_url})
        with target.app_context():
            from patrol.db import get_session

            _area(get_session())
        env = os.environ | {
            "PATROL_ENV": "development",
            "PATROL_DATABASE_URL": target_url,
            "PATROL_MAX_ROUTE_VERTICES": "1000000",
        }
        patrol_cmd = str(Path(sys.executable).with_name("patrol"))
        t0 = time.perf_counter()
        run = subprocess.run(
            [patrol_cmd, "smart", "import", str(folder), "--area", DEMO_SLUG, "--quiet"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        import_s = time.perf_counter() - t0
        child = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mib = child.ru_maxrss / 1024
        import_cpu = child.ru_utime + child.ru_stime
        summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-500:]
        with target.app_context():
            from patrol.db import get_session

            stored = get_session().scalar(sa.select(sa.func.count()).select_from(Patrol))
        backend = "PostgreSQL" if base else "SQLite"
        print(f"SMART import benchmark ({backend}), demo area, {args.years} simulated years")
        print(f"  patrols {patrols}, vertices {vertices}, SMART files {files} ({size_mb:.1f} MB)")
        print(
            f"  GeoJSON ingest (peer):   {geojson_s:7.1f} s  {patrols / geojson_s:7.1f} patrols/s"
            f"  {vertices / geojson_s:9.0f} vertices/s  (CPU {geojson_cpu:.1f} s)"
        )
        print(f"  SMART export (zip):      {export_s:7.1f} s  {patrols / export_s:7.1f} patrols/s")
        print(
            f"  patrol smart import:     {import_s:7.1f} s  {patrols / import_s:7.1f} patrols/s"
            f"  {vertices / import_s:9.0f} vertices/s  (CLI process: CPU {import_cpu:.1f} s, "
            f"peak {peak_mib:.0f} MiB)"
        )
        print(f"  CLI: {summary}")
        print(f"  stored in the empty database: {stored} patrols (of {patrols})")
        if run.returncode != 0 or stored != patrols:
            sys.exit(1)
    finally:
        for admin, name in ((admin1, name1), (admin2, name2)):
            if admin is not None:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
