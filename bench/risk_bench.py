"""Speed of GET /risk and GET /units/{code}/route on a park-year of the demo area.

Loads the demo area with a park-year at the design's scale (22 units, 5 patrols a week each:
~5,700 patrols), then times the whole request (JSON included): /risk cold (the model fitted
from the stored rows) and cached, and a unit's day route; and the model fit alone.

    python bench/risk_bench.py                         # SQLite in a temporary folder
    PATROL_BENCH_DATABASE_URL=postgresql://... python bench/risk_bench.py
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
from patrol.demo.simulate import SimulationSettings
from patrol.services import risk as risk_service
from patrol.store import upgrade
from patrol.store.models import EffortCell, Patrol, SnareFind

TOKEN = {"Authorization": "Bearer ptl_demo_coordinator_000000000"}


def timed(client, path: str, cold: bool, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        if cold:
            risk_service._cache.clear()
        t = time.perf_counter()
        r = client.get(path, headers=TOKEN)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200, (path, r.status_code, r.data[:300])
    return statistics.median(times)


def main() -> None:
    url = os.environ.get("PATROL_BENCH_DATABASE_URL")
    url = url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    if url.startswith("postgresql"):
        admin = sa.create_engine(
            url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
        )
        name = f"patrol_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        url = url.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    app = create_app({"ENV": "development", "SECRET_KEY": "bench", "DATABASE_URL": url})
    client = app.test_client()
    with app.app_context():
        from patrol.db import get_session

        session = get_session()
        t = time.perf_counter()
        load_demo(session, SimulationSettings(patrols_per_unit_week=5.0))
        patrols = session.scalar(sa.select(sa.func.count()).select_from(Patrol))
        cells = session.scalar(sa.select(sa.func.count()).select_from(EffortCell))
        finds = session.scalar(sa.select(sa.func.count()).select_from(SnareFind))
        print(
            f"database: {url.split(':')[0]}; {patrols} patrols, {cells} effort-cell rows, "
            f"{finds} finds loaded in {time.perf_counter() - t:.0f} s"
        )
    rows = [
        ("/risk, cold (fit from stored rows)", "/api/v1/risk?until=2025-12-31", True),
        ("/risk, cached", "/api/v1/risk?until=2025-12-31", False),
        ("/risk 5 km cells, cold", "/api/v1/risk?until=2025-12-31&cell_km=5", True),
        ("/units/MU-07/route, cold", "/api/v1/units/MU-07/route?date=2026-01-01", True),
        ("/units/MU-07/route, cached", "/api/v1/units/MU-07/route?date=2026-01-01", False),
    ]
    for label, path, cold in rows:
        print(f"{label:<40} {1e3 * timed(client, path, cold):8.0f} ms (median of 5)")


if __name__ == "__main__":
    main()
