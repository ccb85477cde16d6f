"""Ingest throughput: vertices per second for routes of 1k, 10k and 100k vertices.

Prints, per route size, the time of each stage of `POST /patrols` (parse + validate the
GeoJSON, measure = project + geodesic lengths + allocate to cells and zones, and the whole
ingest into the database), and beside it the peer an analyst would write for the allocation:
an STRtree of the cells and `shapely.intersection` of the route with each cell it touches.

    python bench/ingest_bench.py                 # SQLite in a temporary folder
    PATROL_BENCH_DATABASE_URL=postgresql://... python bench/ingest_bench.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from patrol import create_app  # noqa: E402
from patrol.demo.build import DATA  # noqa: E402
from patrol.geo.geojson_report import parse_geojson_report  # noqa: E402
from patrol.geo.projection import to_wgs84  # noqa: E402
from patrol.services import areas  # noqa: E402
from patrol.services.measure import AreaContext, measure_route, route_segments  # noqa: E402
from patrol.services.patrols import ingest_report  # noqa: E402
from patrol.store import upgrade  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
REPEATS = {1_000: 20, 10_000: 10, 100_000: 3}


def walk(
    n: int, rng: np.random.Generator, start_xy: tuple[float, float], radius_m: float = 8000.0
) -> np.ndarray:
    """A GPS-like walk of ``n`` fixes 10-30 m apart (metric), folded back at ``radius_m``
    from its start like a patrol turning at the park's edge (every vertex stays in the area,
    as ingest requires; folding keeps each step's length)."""
    heading = np.cumsum(rng.normal(0, 0.3, n))
    step = rng.uniform(10, 30, n)
    xy = np.cumsum(np.column_stack([step * np.cos(heading), step * np.sin(heading)]), axis=0)
    r = radius_m
    folded = np.abs((xy - xy[0] + r) % (4 * r) - 2 * r) - r
    return folded + np.array(start_xy)


def route_report(
    xy: np.ndarray, epsg: int, start: datetime, step_s: float = 10.0, unit: str = "MU-01"
) -> dict:
    """A foot patrol report along metric positions ``xy``, one fix every ``step_s``."""
    lon, lat = to_wgs84(xy[:, 0], xy[:, 1], epsg)
    times = [(start + timedelta(seconds=step_s * k)).isoformat() for k in range(len(xy))]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": str(uuid.uuid4()),
                "geometry": {
                    "type": "LineString",
                    "coordinates": np.round(np.column_stack([lon, lat]), 7).tolist(),
                },
                "properties": {
                    "kind": "route",
                    "unit": unit,
                    "transport": "foot",
                    "started_at": times[0],
                    "ended_at": times[-1],
                    "coordTimes": times,
                },
            }
        ],
    }


def report(n: int, rng, area_ctx: AreaContext, start_xy) -> dict:
    return route_report(walk(n, rng, start_xy), area_ctx.epsg, datetime(2025, 6, 1, 0, tzinfo=UTC))


def peer_allocation(segments, grid) -> float:
    """The STRtree + shapely.intersection approach; returns the length it keeps (km)."""
    line = shapely.linestrings(
        np.column_stack(
            [np.append(segments.x0, segments.x1[-1]), np.append(segments.y0, segments.y1[-1])]
        )
    )
    ix, iy = grid.cells_covering(line)
    boxes = grid.boxes(ix, iy)
    tree = shapely.STRtree(boxes)
    hit = tree.query(line, predicate="intersects")
    return float(shapely.length(shapely.intersection(line, boxes[hit])).sum() / 1000)


def main() -> None:
    url = os.environ.get("PATROL_BENCH_DATABASE_URL")
    tmp = tempfile.mkdtemp()
    url = url or f"sqlite:///{tmp}/bench.sqlite3"
    upgrade(url)
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "bench",
            "DATABASE_URL": url,
            "MAX_ROUTE_VERTICES": 200_000,
        }
    )
    rng = np.random.default_rng(1)
    with app.app_context():
        from patrol.db import get_session

        session = get_session()
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
        ctx = AreaContext.load(session, area)
        centre = shapely.centroid(ctx.boundary_m)
        print(
            f"database: {url.split('://')[0]}; area: {area.area_km2:.0f} km2, "
            f"{len(ctx.zone_codes)} zones, 1 km cells"
        )
        print(
            f"{'vertices':>9} {'parse ms':>9} {'measure ms':>10} {'ingest ms':>10} "
            f"{'vertices/s':>11} | {'peer alloc ms':>13} {'ours alloc ms':>13} "
            f"{'peer kept %':>11}"
        )
        for n in SIZES:
            parse_t, measure_t, ingest_t, peer_t, ours_t, kept = [], [], [], [], [], []
            for _ in range(REPEATS[n]):
                doc = report(n, rng, ctx, (centre.x, centre.y))
                body = json.dumps(doc).encode()
                t = time.perf_counter()
                parsed = parse_geojson_report(body)
                parse_t.append(time.perf_counter() - t)
                t = time.perf_counter()
                fig = measure_route(
                    parsed.parts, parsed.times, parsed.started_at, parsed.ended_at, ctx
                )
                measure_t.append(time.perf_counter() - t)
                t = time.perf_counter()
                ingest_report(session, None, parse_geojson_report(body), contexts={area.id: ctx})
                ingest_t.append(time.perf_counter() - t + parse_t[-1])
                segs, dist, _ = route_segments(
                    parsed.parts, None, parsed.started_at, parsed.ended_at, ctx.epsg
                )
                from patrol.geo.effort import allocate_cells

                t = time.perf_counter()
                allocate_cells(segs, ctx.grid)
                ours_t.append(time.perf_counter() - t)
                t = time.perf_counter()
                peer_km = peer_allocation(segs, ctx.grid)
                peer_t.append(time.perf_counter() - t)
                planar_km = float(np.hypot(segs.x1 - segs.x0, segs.y1 - segs.y0).sum() / 1000)
                kept.append(100 * peer_km / planar_km)
                assert abs(fig.cells.km.sum() - dist) < 1e-6 * dist
            med = statistics.median
            print(
                f"{n:>9,} {1e3 * med(parse_t):>9.1f} {1e3 * med(measure_t):>10.1f} "
                f"{1e3 * med(ingest_t):>10.1f} {n / med(ingest_t):>11,.0f} | "
                f"{1e3 * med(peer_t):>13.1f} {1e3 * med(ours_t):>13.1f} {med(kept):>11.1f}"
            )


if __name__ == "__main__":
    main()
