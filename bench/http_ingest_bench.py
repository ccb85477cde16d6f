"""Ingest through HTTP: gunicorn with 2 workers, 8 concurrent clients posting reports.

Each client posts 2,000-vertex GeoJSON reports with `Prefer: return=minimal` to patrol under
gunicorn on 127.0.0.1 until a bounded count is sent; the bench prints reports/s, p50/p95
latency, errors and the server's CPU time per report (gunicorn's processes, from /proc: on a
shared machine the honest figure, as the wall clock measures the neighbours too), on SQLite
and (with PATROL_BENCH_DATABASE_URL) PostgreSQL. The peer, in the same run and with the same
server and clients: a minimal WSGI app (this module's ``peer_app``) that parses each body
with orjson and stores it as one row.

    python bench/http_ingest_bench.py --reports 400
    PATROL_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        python bench/http_ingest_bench.py --reports 400
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent


def peer_app(environ, start_response):
    """The peer: parse the body, store it as one row, answer its id (no validation, no
    measuring): what any ingest costs at least on this server and database."""
    if environ["REQUEST_METHOD"] != "POST":  # the readiness probe
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ready"]
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    doc = orjson.loads(body)
    pid = doc["features"][0]["id"]
    url = os.environ["PEER_DATABASE_URL"]
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1], timeout=30)
        with conn:
            conn.execute("INSERT INTO peer_report VALUES (?, ?)", (pid, body.decode()))
        conn.close()
    else:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
            conn.execute("INSERT INTO peer_report VALUES (%s, %s)", (pid, body.decode()))
    start_response("201 Created", [("Content-Type", "application/json")])
    return [orjson.dumps({"id": pid})]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(app: str, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen(
        [gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", app],
        cwd=ROOT,
        env=env,
    )
    # Ready when both workers have loaded the app and answered (not merely when the master
    # listens): a few GETs after the first answer, so no timed POST waits for a worker's boot.
    deadline, answered = time.monotonic() + 120, 0
    while time.monotonic() < deadline and answered < 6:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/api/v1/openapi.json")
            conn.getresponse().read()
            conn.close()
            answered += 1
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
    if answered < 6:
        proc.kill()
        sys.exit("gunicorn did not start")
    return proc, port


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds spent so far by the processes ``pids`` (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / tick


def _backend_cpu(url: str) -> float | None:
    """CPU seconds of the PostgreSQL backends serving the app's pool (None on SQLite): they
    are opened by the run's first requests and live until the server stops, so their whole
    CPU time is the run's (plus each connection's start). The database's share of a report,
    which the app's CPU leaves out; read from /proc (the server runs on this machine)."""
    if not url.startswith("postgresql"):
        return None
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        pids = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
    return _cpu_seconds([pid for (pid,) in pids])


def _server_pids(proc: subprocess.Popen) -> list[int]:
    """gunicorn's master and its workers."""
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    except OSError:
        children = []
    return [proc.pid, *map(int, children)]


def _post_all(port: int, bodies: list[bytes], token: str, clients: int):
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    next_index = iter(range(len(bodies)))
    headers = {
        "Content-Type": "application/geo+json",
        "Authorization": f"Bearer {token}",
        "Prefer": "return=minimal",
    }

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                k = next(next_index, None)
            if k is None:
                break
            t = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/patrols", body=bodies[k], headers=headers)
                r = conn.getresponse()
                r.read()
                status = r.status
            except (OSError, http.client.HTTPException) as exc:
                status = repr(exc)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            dt = time.perf_counter() - t
            with lock:
                latencies.append(dt)
                if status != 201:
                    errors.append(str(status))
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - t, latencies, errors


def _line(label: str, seconds: float, latencies: list[float], errors: list[str], cpu: float) -> str:
    q = statistics.quantiles(latencies, n=20)
    kinds = sorted(set(errors))[:3]
    return (
        f"{label:>22}: {len(latencies) / seconds:6.1f} reports/s, "
        f"p50 {1e3 * statistics.median(latencies):5.0f} ms, p95 {1e3 * q[18]:5.0f} ms, "
        f"errors {len(errors)}{' ' + str(kinds) if kinds else ''}; "
        f"server CPU {1e3 * cpu / len(latencies):.1f} ms/report "
        f"(= {len(latencies) / cpu:.0f} reports per CPU-second)"
    )


def run(label: str, url: str, bodies: list[bytes], clients: int) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(BENCH))
    import sqlalchemy as sa
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
        s.execute(sa.text("CREATE TABLE peer_report (id VARCHAR(36) PRIMARY KEY, body TEXT)"))
        s.commit()
    app.extensions["patrol.engine"].dispose()
    env = dict(
        os.environ,
        PATROL_DATABASE_URL=url,
        PEER_DATABASE_URL=url,
        PATROL_SECRET_KEY=secrets.token_hex(16),
        PATROL_ENV="production",
        PYTHONPATH=f"{ROOT}:{BENCH}",
    )
    for name, app_path in (
        ("patrol", "wsgi:app"),
        ("peer (parse + 1 row)", "http_ingest_bench:peer_app"),
    ):
        proc, port = _serve(app_path, env)
        try:
            pids = _server_pids(proc)
            cpu = _cpu_seconds(pids)
            seconds, latencies, errors = _post_all(port, bodies, token, clients)
            cpu = _cpu_seconds(pids) - cpu
            backends = _backend_cpu(url) if name == "patrol" else None
        finally:
            proc.terminate()
            proc.wait(30)
        print(_line(f"{label} {name}", seconds, latencies, errors, cpu))
        if backends is not None:
            print(
                f"{'':>24}PostgreSQL backends CPU {1e3 * backends / len(latencies):.1f} ms/report"
            )
        print(f"{'':>24}load {os.getloadavg()[0]:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reports", type=int, default=400)
    ap.add_argument("--vertices", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=8)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(BENCH))
    import numpy as np
    import shapely
    from import_bench import drop_pg, prepare, scratch_pg
    from ingest_bench import route_report, walk

    tmp = Path(tempfile.mkdtemp(prefix="patrol-http-bench-"))
    ctx, units = prepare(f"sqlite:///{tmp}/gen.sqlite3")
    rng = np.random.default_rng(5)
    centre = shapely.centroid(ctx.boundary_m)
    start = datetime(2025, 6, 1, tzinfo=UTC)
    bodies = [
        orjson.dumps(
            route_report(
                walk(args.vertices, rng, (centre.x, centre.y), radius_m=4000.0),
                ctx.epsg,
                start + timedelta(hours=k),
                unit=units[k % len(units)],
            )
        )
        for k in range(args.reports)
    ]
    print(
        f"{args.reports} reports x {args.vertices:,} vertices "
        f"({sum(map(len, bodies)) / len(bodies) / 1024:.0f} KiB each), {args.clients} clients, "
        f"gunicorn -w 2 on 127.0.0.1; load {os.getloadavg()[0]:.1f}"
    )
    run("sqlite", f"sqlite:///{tmp}/bench.sqlite3", bodies, args.clients)
    base = os.environ.get("PATROL_BENCH_DATABASE_URL")
    if base:
        name, url = scratch_pg(base)
        try:
            run("postgresql", url, bodies, args.clients)
        finally:
            drop_pg(base, name)


if __name__ == "__main__":
    main()
