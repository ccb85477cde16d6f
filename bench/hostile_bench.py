"""What hostile or heavy requests cost the other rangers (issue 8, items 3 and 4).

Prints, on the demo area's geometry with a few hundred simulated patrols:

1. the stall report (vertices alternating between the area and lon 0 / lat 0): the time to
   refuse it, against the time measuring it would take (allocating a fraction of it, the
   peer, scaled up; measuring the whole would take minutes and gigabytes);
2. small reports sent while a 100,000-vertex report is ingested: their latencies, against
   the big report's own time (measured outside the write lock, the big one holds it only to
   insert, so the small ones wait milliseconds, not its whole time);
3. replacing the zones: the request's time against the recompute job's, with a submission
   made while the job runs.

    python bench/hostile_bench.py                 # SQLite in a temporary folder
    PATROL_BENCH_DATABASE_URL=postgresql://... python bench/hostile_bench.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest_bench import route_report, walk  # noqa: E402
from patrol import create_app  # noqa: E402
from patrol.demo.build import DATA  # noqa: E402
from patrol.geo.effort import allocate_cells  # noqa: E402
from patrol.geo.geojson_report import parse_geojson_report  # noqa: E402
from patrol.geo.projection import to_wgs84  # noqa: E402
from patrol.services import areas, auth  # noqa: E402
from patrol.services.measure import AreaContext, route_segments  # noqa: E402
from patrol.services.patrols import ingest_report  # noqa: E402
from patrol.store import upgrade  # noqa: E402

PATROLS = 300


def main() -> None:
    url = os.environ.get("PATROL_BENCH_DATABASE_URL") or (
        f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    )
    upgrade(url)
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "bench",
            "DATABASE_URL": url,
            "MAX_CONTENT_LENGTH": 1 << 28,
        }
    )
    rng = np.random.default_rng(8)
    sessions = app.extensions["patrol.sessions"]
    session = sessions()
    area = areas.create_area(
        session,
        f"bench-{uuid.uuid4().hex[:6]}",
        "bench",
        json.loads((DATA / "area.geojson").read_text()),
    )
    session.commit()
    areas.replace_zones(session, area, (DATA / "zones.geojson").read_bytes())
    units = json.loads((DATA / "units.geojson").read_text())
    units["features"] = units["features"][:1]
    areas.import_units(session, area, units)
    auth.create_user(session, "bench", "coordinator", None, None, [area.slug])
    _, token = auth.create_token(session, "bench")
    session.commit()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/geo+json"}
    ctx = AreaContext.load(session, area)
    centre = shapely.centroid(ctx.boundary_m)
    t0 = datetime(2025, 6, 1, tzinfo=UTC)
    print(f"database: {url.split('://')[0]}; area {area.area_km2:.0f} km2, {PATROLS} patrols")
    for k in range(PATROLS):
        doc = route_report(walk(2000, rng, (centre.x, centre.y)), area.epsg, t0 + timedelta(days=k))
        ingest_report(session, None, parse_geojson_report(doc), contexts={area.id: ctx})
    client = app.test_client()

    # 1. The stall report.
    inside = to_wgs84(np.array([centre.x]), np.array([centre.y]), area.epsg)
    point = [round(float(inside[0][0]), 7), round(float(inside[1][0]), 7)]
    coords = [point if k % 2 == 0 else [0.0, 0.0] for k in range(1600)]
    stall = route_report(np.zeros((2, 2)), area.epsg, t0)
    stall["features"][0]["geometry"]["coordinates"] = coords
    stall["features"][0]["properties"].pop("coordTimes")
    body = json.dumps(stall).encode()
    t = time.perf_counter()
    r = client.post("/api/v1/patrols", data=body, headers=headers)
    refuse_s = time.perf_counter() - t
    assert r.status_code == 422, r.get_json()
    share = 40
    parts = [np.array(coords[:share], float)]
    segments, _, _ = route_segments(parts, None, t0, t0 + timedelta(hours=2), ctx.epsg)
    t = time.perf_counter()
    allocate_cells(segments, ctx.grid)
    peer_s = (time.perf_counter() - t) * (len(coords) / share)
    print(
        f"1. stall report ({len(body) / 1024:.0f} KB, {len(coords)} vertices): refused in "
        f"{1e3 * refuse_s:.1f} ms; measuring it (peer, {share} vertices scaled up) "
        f"{peer_s:.1f} s -> {peer_s / refuse_s:,.0f}x"
    )

    # 2. Small reports during a big one.
    big = json.dumps(
        route_report(walk(100_000, rng, (centre.x, centre.y)), area.epsg, t0 - timedelta(days=30))
    ).encode()
    small = [
        json.dumps(
            route_report(
                walk(200, rng, (centre.x, centre.y)), area.epsg, t0 - timedelta(days=40 + k)
            )
        ).encode()
        for k in range(20)
    ]
    latencies: list[float] = []
    big_s: list[float] = []
    start_small = threading.Event()

    def send_big() -> None:
        c = app.test_client()
        t = time.perf_counter()
        start_small.set()
        r = c.post("/api/v1/patrols", data=big, headers=headers)
        big_s.append(time.perf_counter() - t)
        assert r.status_code == 201, r.get_json()

    def send_small() -> None:
        c = app.test_client()
        start_small.wait()
        for doc in small:
            t = time.perf_counter()
            r = c.post("/api/v1/patrols", data=doc, headers=headers)
            latencies.append(time.perf_counter() - t)
            assert r.status_code == 201, r.get_json()

    threads = [threading.Thread(target=send_big), threading.Thread(target=send_small)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    print(
        f"2. a 100,000-vertex report took {big_s[0]:.2f} s; 20 small reports sent meanwhile: "
        f"median {1e3 * statistics.median(latencies):.0f} ms, max {1e3 * max(latencies):.0f} ms "
        f"(max / big = {max(latencies) / big_s[0]:.2f})"
    )

    # 3. Replacing the zones.
    zones = (DATA / "zones.geojson").read_bytes()
    t = time.perf_counter()
    r = client.put(f"/api/v1/zones?area={area.slug}", data=zones, headers=headers)
    put_s = time.perf_counter() - t
    assert r.status_code == 202, r.get_json()
    t = time.perf_counter()
    during = json.dumps(
        route_report(walk(2000, rng, (centre.x, centre.y)), area.epsg, t0 - timedelta(days=60))
    ).encode()
    submit = client.post("/api/v1/patrols", data=during, headers=headers)
    submit_s = time.perf_counter() - t
    while True:
        job = client.get(r.headers["Location"], headers=headers).get_json()
        if job["state"] != "running":
            break
        time.sleep(0.05)
    job_s = time.perf_counter() - t + put_s
    print(
        f"3. PUT /zones answered in {1e3 * put_s:.0f} ms (202); a submission during the job: "
        f"{submit.status_code} in {1e3 * submit_s:.0f} ms; the job measured {job['done']} "
        f"patrols in {job_s:.1f} s ({job['state']})"
    )
    session.close()


if __name__ == "__main__":
    main()
