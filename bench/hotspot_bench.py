"""Speed of the coordinator's answers on a year and on ten years of the demo area.

Loads the demo park-year (2,863 patrols, ~3,000 finds), times the API answers (the whole
request, JSON included) for a one-year window, then copies that year into nine earlier years
(same routes, effort rows and finds, dates shifted) and times them again, for the last year and
for all ten. Each answer twice: cold, the first request after a write (a coordinator's
correction of the window's latest patrol, through the API: its month's figures, and every
answer kept for the window, are stale), and warm (asked again, nothing written). The garbage
collector is tuned as in a server's worker (``patrol.server_gc``, called by ``wsgi.py``).
Beside them, the peer a tool without stored effort would need: measuring the window's routes
again (parse the stored GeoJSON, project, allocate to cells).

    python bench/hotspot_bench.py                         # SQLite in a temporary folder
    PATROL_BENCH_DATABASE_URL=postgresql://... python bench/hotspot_bench.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patrol import create_app, server_gc
from patrol.app import preload
from patrol.demo.load import DEMO_SLUG, load_demo
from patrol.geo import packed_route
from patrol.services.measure import AreaContext, measure_route
from patrol.store import upgrade
from patrol.store.models import (
    ConservationArea,
    EffortCell,
    EffortZone,
    Patrol,
    PatrolTrack,
    SnareFind,
)

TOKEN = {"Authorization": "Bearer ptl_demo_coordinator_000000000"}


def timed(client, path: str, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = client.get(path, headers=TOKEN)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200, (path, r.status_code, r.data[:300])
    return statistics.median(times)


def peer_recompute(session, year: int) -> float:
    """Measure every route of the year again, as a tool without stored effort must."""
    area = session.scalar(sa.select(ConservationArea).where(ConservationArea.slug == DEMO_SLUG))
    t = time.perf_counter()
    ctx = AreaContext.load(session, area)
    rows = session.execute(
        sa.select(
            PatrolTrack.route_packed,
            PatrolTrack.times_packed,
            Patrol.started_at,
            Patrol.ended_at,
        )
        .join(PatrolTrack, PatrolTrack.patrol_id == Patrol.id)
        .where(Patrol.start_date >= date(year, 1, 1), Patrol.start_date < date(year + 1, 1, 1))
    ).all()
    for route, times, start, end in rows:
        parts = packed_route.unpack_route(route)
        measure_route(parts, packed_route.unpack_times(times), start, end, ctx)
    return time.perf_counter() - t


def copy_years(session, years: int) -> None:
    """Copy every patrol of the demo year into ``years`` earlier years (dates shifted)."""
    # End the read transaction the timings left open: a request in between noted its token's
    # use (a write), and SQLite refuses to turn an older snapshot into a write.
    session.commit()
    patrols = session.execute(sa.select(Patrol.__table__)).mappings().all()
    cells = session.execute(sa.select(EffortCell.__table__)).mappings().all()
    zones = session.execute(sa.select(EffortZone.__table__)).mappings().all()
    finds = session.execute(sa.select(SnareFind.__table__)).mappings().all()
    tracks = session.execute(sa.select(PatrolTrack.__table__)).mappings().all()
    next_id = max(p["id"] for p in patrols) + 1
    for k in range(1, years + 1):
        shift = timedelta(days=round(365.25 * k))
        new_id = {}
        rows = []
        for p in patrols:
            new_id[p["id"]] = next_id
            day = p["start_date"] - shift
            rows.append(
                dict(p)
                | {
                    "id": next_id,
                    "uuid": str(uuid.uuid5(uuid.UUID(p["uuid"]), str(k))),
                    "started_at": p["started_at"] - shift,
                    "ended_at": p["ended_at"] - shift,
                    "submitted_at": p["submitted_at"] - shift,
                    "start_date": day,
                    "start_month": day.year * 100 + day.month,
                }
            )
            next_id += 1
        session.execute(sa.insert(Patrol.__table__), rows)
        session.execute(
            sa.insert(PatrolTrack.__table__),
            [dict(t) | {"patrol_id": new_id[t["patrol_id"]]} for t in tracks],
        )
        session.execute(
            sa.insert(EffortCell.__table__),
            [dict(c) | {"patrol_id": new_id[c["patrol_id"]]} for c in cells],
        )
        session.execute(
            sa.insert(EffortZone.__table__),
            [dict(z) | {"patrol_id": new_id[z["patrol_id"]]} for z in zones],
        )
        session.execute(
            sa.insert(SnareFind.__table__),
            [
                {key: value for key, value in f.items() if key != "id"}
                | {
                    "patrol_id": new_id[f["patrol_id"]],
                    "found_at": f["found_at"] - shift,
                    "uuid": str(uuid.uuid5(uuid.UUID(f["uuid"]), str(k))),
                }
                for f in finds
            ],
        )
        session.commit()


def touch(client, session, end: str, k: int) -> None:
    """A write that changes what the window's last month counts: a correction of its latest
    patrol (its revision goes up), through the API as a coordinator would."""
    session.rollback()
    pid, revision = session.execute(
        sa.select(Patrol.uuid, Patrol.revision)
        .where(Patrol.start_date <= date.fromisoformat(end), Patrol.deleted_at.is_(None))
        .order_by(Patrol.start_date.desc(), Patrol.id.desc())
        .limit(1)
    ).one()
    r = client.patch(
        f"/api/v1/patrols/{pid}", json={"revision": revision, "leader": f"bench {k}"}, headers=TOKEN
    )
    assert r.status_code == 200, r.data[:300]


def cold(client, session, path: str, end: str, repeat: int = 5) -> float:
    """The first answer after a write (median of ``repeat``, a write before each)."""
    times = []
    for k in range(repeat):
        touch(client, session, end, k)
        times.append(timed(client, path, repeat=1))
    return statistics.median(times)


PATHS = {
    "hotspots": "/api/v1/hotspots?{q}",
    "5 km": "/api/v1/hotspots?{q}&cell_km=5",
    "zones/stats": "/api/v1/zones/stats?{q}",
    "dispatch": "/api/v1/dispatch?{q}",
}


def report(client, session, label: str, windows: list[tuple[str, str]]) -> None:
    """Per window: each answer cold (the first after a write in the window's last month) and
    warm (asked again, nothing written), in ms."""
    n = session.scalar(sa.select(sa.func.count()).select_from(Patrol))
    e = session.scalar(sa.select(sa.func.count()).select_from(EffortCell))
    print(f"\n{label}: {n:,} patrols, {e:,} effort-cell rows; ms, cold / warm")
    print(f"{'window':<24}" + "".join(f"{name:>16}" for name in PATHS))
    for start, end in windows:
        q = f"from={start}&to={end}"
        cells = []
        for path in PATHS.values():
            url = path.format(q=q)
            c = cold(client, session, url, end)
            cells.append(f"{1e3 * c:.0f} / {1e3 * timed(client, url):.0f}")
        print(f"{start + '/' + end:<24}" + "".join(f"{cell:>16}" for cell in cells))


def _rss_mib() -> float:
    """The process's resident memory now (Linux), in MiB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _reset_peak() -> None:
    """Start the kernel's peak-RSS mark (VmHWM) again from the memory held now (Linux >= 4.0),
    so each request's own peak can be read after it."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _request_peak_mib() -> float:
    with open("/proc/self/status") as f:
        line = next(x for x in f if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


# What a coordinator's map asks a worker for (issue 15, item 4): the figures, the finds layer,
# the routes layer as map.js asks for it (simplified to a pixel at zoom 10: 64 m) and the
# routes as stored (what an API client gets), plain and with Brotli as a browser takes them.
WORKER_REQUESTS = [
    ("hotspots", "hotspots?{q}", {}),
    ("zones/stats", "zones/stats?{q}", {}),
    ("dispatch", "dispatch?{q}", {}),
    ("finds layer", "snares?limit=1000&{q}", {}),
    ("routes layer (64 m)", "patrols?limit=1000&tolerance_m=64&{q}", {}),
    ("routes as stored", "patrols?limit=1000&{q}", {}),
    ("routes as stored, br", "patrols?limit=1000&{q}", {"Accept-Encoding": "br"}),
]


def worker(url: str) -> None:
    """Answer the coordinator's map for a year and for ten years in one fresh process, as a
    server worker would: for each request, the memory held before it, its own peak (RSS)
    and what is held after it; then the process's peak over all of them."""
    started = _rss_mib()
    app = create_app({"ENV": "development", "SECRET_KEY": "bench", "DATABASE_URL": url})
    preload()  # as wsgi.py does: the answers' scipy imported before the first answer
    server_gc.tune()  # as wsgi.py does in a server's worker
    client = app.test_client()
    highest = _rss_mib()  # getrusage's peak is the mark _reset_peak clears: keep our own
    print(f"worker: {started:.0f} MiB with the bench's imports, {highest:.0f} MiB with the app")
    print(
        f"{'request':<22} {'window':<22} {'KB':>8} {'ms':>6} {'before MiB':>10} "
        f"{'peak MiB':>9} {'after MiB':>9}"
    )
    for q in ("from=2025-01-01&to=2025-12-31", "from=2016-01-01&to=2025-12-31"):
        for kind, path, headers in WORKER_REQUESTS:
            before = _rss_mib()
            _reset_peak()
            t = time.perf_counter()
            r = client.get(f"/api/v1/{path.format(q=q)}", headers=TOKEN | headers)
            ms = 1e3 * (time.perf_counter() - t)
            assert r.status_code == 200, (path, r.status_code, r.data[:300])
            size = len(r.get_data())
            peak = _request_peak_mib()
            highest = max(highest, peak)
            del r
            window = q.replace("from=", "").replace("&to=", "/")
            print(
                f"{kind:<22} {window:<22} {size / 1e3:>8,.0f} {ms:>6.0f} {before:>10.0f} "
                f"{peak:>9.0f} {_rss_mib():>9.0f}"
            )
    print(f"peak memory of a worker answering them for ten years: {highest:.0f} MiB")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(sys.argv[2])
        return
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
    try:
        upgrade(url)
        app = create_app({"ENV": "development", "SECRET_KEY": "bench", "DATABASE_URL": url})
        # What the answers import on first use, imported before the first answer as wsgi.py
        # does: a cold answer times the answer, not scipy's import.
        preload()
        # The collector as a server's worker has it (wsgi.py): without it, every few answers
        # paid a full collection of the whole heap (~90 ms), which no worker pays.
        server_gc.tune()
        client = app.test_client()
        with app.app_context():
            from patrol.db import get_session

            session = get_session()
            t = time.perf_counter()
            load_demo(session)
            print(
                f"database: {url.split(':')[0]}; demo year loaded in "
                f"{time.perf_counter() - t:.0f} s"
            )
            report(client, session, "one park-year", [("2025-01-01", "2025-12-31")])
            print(
                f"peer, measuring the year's routes again: "
                f"{1e3 * peer_recompute(session, 2025):.0f} ms"
            )
            t = time.perf_counter()
            copy_years(session, 9)
            if url.startswith("sqlite"):
                # Settle the write-ahead log, as SQLite's auto-checkpoint does between requests.
                session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
                session.commit()
            print(f"nine more years copied in {time.perf_counter() - t:.0f} s")
            report(
                client,
                session,
                "ten park-years",
                [("2025-01-01", "2025-12-31"), ("2016-01-01", "2025-12-31")],
            )
            app.extensions["patrol.engine"].dispose()
        # A fresh process, as a server worker: only the app and these requests.
        out = subprocess.run(
            [sys.executable, __file__, "--worker", url], check=True, capture_output=True, text=True
        )
        print(out.stdout.strip())
    finally:
        if url.startswith("postgresql") and "patrol_bench_" in url:
            app.extensions["patrol.engine"].dispose()
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
