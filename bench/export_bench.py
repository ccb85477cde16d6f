"""Speed of the annual export and the printable report on a year of the demo area.

python bench/export_bench.py        # SQLite; PATROL_BENCH_DATABASE_URL for PostgreSQL
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patrol import create_app
from patrol.demo.load import load_demo
from patrol.store import upgrade

TOKEN = {"Authorization": "Bearer ptl_demo_ngo_00000000000000000000"}


def main() -> None:
    url = os.environ.get("PATROL_BENCH_DATABASE_URL")
    admin = None
    if url:
        admin = sa.create_engine(
            url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
        )
        name = f"patrol_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        url = url.rsplit("/", 1)[0] + "/" + name
    url = url or f"sqlite:///{tempfile.mkdtemp()}/export.sqlite3"
    try:
        upgrade(url)
        app = create_app({"ENV": "development", "SECRET_KEY": "bench", "DATABASE_URL": url})
        with app.app_context():
            from patrol.db import get_session

            load_demo(get_session())
        client = app.test_client()
        print(f"database: {url.split(':')[0]}; the demo park-year (2025)")
        for fmt in ("csv", "xlsx", "json", "geojson"):
            times, size = [], 0
            for _ in range(5):
                t = time.perf_counter()
                r = client.get(f"/api/v1/exports/annual?year=2025&format={fmt}", headers=TOKEN)
                times.append(time.perf_counter() - t)
                assert r.status_code == 200
                size = len(r.data)
            print(
                f"  annual export {fmt:<8} {1e3 * statistics.median(times):6.0f} ms "
                f"({size:,} bytes)"
            )
        app.extensions["patrol.engine"].dispose()
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
