"""Effort allocation to 1 km cells: ours against GeoPandas overlay and STRtree + intersection.

The routes are the demo simulation's (correlated walks, 30 % walking home on the same trail,
vehicle patrols along roads), with a GPS fix every 20 s: at least 500 patrols and 300k
vertices. Every method gets the same projected routes and the same grid and is timed end to
end; "kept" is the total length it allocates, against the routes' true (planar) length.

Two scenarios: as recorded (independent GPS noise on every fix, so a trail walked home never
lies exactly on itself), and with the home leg an exact copy of the way out, as routes drawn
on a map, snapped to a trail network or written by some converters are.

    python bench/effort_bench.py [--patrols 500]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patrol.demo.area import build_area
from patrol.demo.build import AREA_SEED
from patrol.demo.simulate import SimulationSettings, simulate_tracks
from patrol.geo.effort import Segments, allocate_cells
from patrol.geo.grid import Grid


def ours(routes: list[np.ndarray], grid: Grid) -> tuple[float, list[float]]:
    kept = []
    for xy in routes:
        km = np.hypot(*(xy[1:] - xy[:-1]).T) / 1000
        cells = allocate_cells(Segments(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1], km, km), grid)
        kept.append(float(cells.km.sum()))
    return sum(kept), kept


def strtree_intersection(routes, grid, boxes, tree) -> tuple[float, list[float]]:
    kept = []
    for xy in routes:
        line = shapely.LineString(xy)
        hits = tree.query(line, predicate="intersects")
        kept.append(float(shapely.length(shapely.intersection(line, boxes[hits])).sum() / 1000))
    return sum(kept), kept


def overlay(routes, boxes, crs) -> tuple[float, list[float]]:
    import geopandas as gpd

    lines = gpd.GeoDataFrame(
        {"patrol": np.arange(len(routes))},
        geometry=[shapely.LineString(xy) for xy in routes],
        crs=crs,
    )
    cells = gpd.GeoDataFrame({"cell": np.arange(len(boxes))}, geometry=list(boxes), crs=crs)
    pieces = gpd.overlay(lines, cells, how="intersection", keep_geom_type=True)
    per = pieces.geometry.length.groupby(pieces["patrol"]).sum() / 1000
    kept = [float(per.get(k, 0.0)) for k in range(len(routes))]
    return sum(kept), kept


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patrols", type=int, default=500)
    a = parser.parse_args()
    area = build_area(AREA_SEED)
    settings = SimulationSettings(seed=42, fix_interval_s=20.0)
    tracks = []
    for track in simulate_tracks(area, settings):
        tracks.append(track)
        if len(tracks) == a.patrols:
            break
    routes = [t.xy for t in tracks]
    # An out-and-back route retraces its own trail: the second half mirrors the first.
    retraced = [
        k
        for k, r in enumerate(routes)
        if len(r) > 4 and np.allclose(r[1 : len(r) // 2][::-1], r[len(r) // 2 + 1 : -1], atol=30)
    ]
    for scenario, rs in (("as recorded", routes), ("exact retrace", exact(routes, retraced))):
        run(scenario, rs, retraced, area)


def exact(routes: list[np.ndarray], retraced: list[int]) -> list[np.ndarray]:
    out = list(routes)
    for k in retraced:
        r = routes[k]
        half = len(r) // 2
        out[k] = np.concatenate([r[: half + 1], r[:half][::-1]])
    return out


def run(scenario: str, routes: list[np.ndarray], retraced: list[int], area) -> None:
    vertices = sum(len(r) for r in routes)
    true_km = [float(np.hypot(*(r[1:] - r[:-1]).T).sum() / 1000) for r in routes]
    grid = Grid.covering(shapely.bounds(area.boundary), 1000.0)
    allxy = np.concatenate(routes)
    line_bounds = shapely.box(*allxy.min(axis=0), *allxy.max(axis=0))
    gx, gy = grid.cells_covering(line_bounds)
    boxes = grid.boxes(gx, gy)
    tree = shapely.STRtree(boxes)
    print(
        f"\n{scenario}: {len(routes)} patrols, {vertices:,} vertices, {sum(true_km):,.0f} km, "
        f"{len(retraced)} walked home on the same trail; {len(boxes):,} cells of 1 km"
    )
    print(
        f"{'method':<28} {'seconds':>8} {'kept km':>10} {'kept %':>7} "
        f"{'retraced kept %':>16} {'x ours':>7}"
    )
    rows = []
    for name, fn in (
        ("ours (numpy traversal)", lambda: ours(routes, grid)),
        ("STRtree + intersection", lambda: strtree_intersection(routes, grid, boxes, tree)),
        ("GeoPandas overlay", lambda: overlay(routes, boxes, f"EPSG:{area.epsg}")),
    ):
        t = time.perf_counter()
        total, kept = fn()
        rows.append((name, time.perf_counter() - t, total, kept))
    base = rows[0][1]
    for name, seconds, total, kept in rows:
        share = 100 * total / sum(true_km)
        back = (
            100 * sum(kept[k] for k in retraced) / sum(true_km[k] for k in retraced)
            if retraced
            else float("nan")
        )
        print(
            f"{name:<28} {seconds:>8.2f} {total:>10,.1f} {share:>7.2f} {back:>16.2f} "
            f"{seconds / base:>7.1f}"
        )


if __name__ == "__main__":
    main()
