"""What a patrol can physically be: speeds and segment lengths per transport, and the work a
route may cause when it is measured.

A report is bounded by these before its effort is allocated, so that a hostile or broken
file (vertices jumping between the park and Null Island, a clock set to 1970) is refused in
milliseconds instead of occupying a worker and the write lock for a minute.
"""

from __future__ import annotations

import numpy as np

from patrol.geo.effort import Segments
from patrol.geo.grid import Grid
from patrol.texts import N_
from patrol.vocabulary import Transport

__all__ = ["MAX_CELL_CROSSINGS", "MAX_SEGMENT_KM", "MAX_SPEED_KMH", "route_problems"]

# The fastest average a patrol keeps over its whole duration, with room for a sprint, a
# downhill run on skis or an empty forest road.
MAX_SPEED_KMH = {
    Transport.FOOT: 12.0,
    Transport.SKI: 25.0,
    Transport.VEHICLE: 120.0,
    Transport.MOTORBIKE: 120.0,
    Transport.BOAT: 80.0,
}
# The longest straight line between two vertices: a GPS that lost the sky for hours, or a
# route drawn on the map with a few clicks along a ridge, still puts a vertex every few km.
MAX_SEGMENT_KM = {
    Transport.FOOT: 25.0,
    Transport.SKI: 25.0,
    Transport.VEHICLE: 100.0,
    Transport.MOTORBIKE: 100.0,
    Transport.BOAT: 100.0,
}
# Grid lines a route may cross (each crossing is one more piece to allocate). A month of
# driving crosses a few thousand 1 km lines; this bound is far above any real patrol.
MAX_CELL_CROSSINGS = 200_000
# A short patrol's speed is judged over at least this long: a drawn route of 2 km whose
# start and end are the same minute is a typing slip, not a jet.
MIN_DURATION_H = 0.25


def cell_crossings(segments: Segments, grid: Grid) -> int:
    """How many grid lines the route crosses: the pieces allocating it will create.

    >>> s = Segments(*(np.array([v]) for v in (500.0, 500.0, 2500.0, 1500.0, 2.2, 1.0)))
    >>> cell_crossings(s, Grid(0.0, 0.0, 1000.0))
    3
    """
    fx0 = np.floor((segments.x0 - grid.origin_x) / grid.cell_m)
    fx1 = np.floor((segments.x1 - grid.origin_x) / grid.cell_m)
    fy0 = np.floor((segments.y0 - grid.origin_y) / grid.cell_m)
    fy1 = np.floor((segments.y1 - grid.origin_y) / grid.cell_m)
    return int(np.abs(fx1 - fx0).sum() + np.abs(fy1 - fy0).sum())


def crossings_bound(segments: Segments, grid: Grid) -> float:
    """At most how many grid lines the route crosses: each segment crosses no more lines than
    lie across the route's bounding box (floor is monotonic, so every end's cell is within
    the box's cells). A few reductions instead of ``cell_crossings``' passes; NaN if a
    coordinate is (never below a bound).

    >>> s = Segments(*(np.array([v]) for v in (500.0, 500.0, 2500.0, 1500.0, 2.2, 1.0)))
    >>> crossings_bound(s, Grid(0.0, 0.0, 1000.0))
    3.0
    """
    if len(segments) == 0:
        return 0.0
    span = 0.0
    for v0, v1, origin in (
        (segments.x0, segments.x1, grid.origin_x),
        (segments.y0, segments.y1, grid.origin_y),
    ):
        low = np.floor((np.minimum(v0.min(), v1.min()) - origin) / grid.cell_m)
        high = np.floor((np.maximum(v0.max(), v1.max()) - origin) / grid.cell_m)
        span += float(high - low)
    return len(segments) * span


def route_problems(
    segments: Segments, distance_km: float, duration_h: float, transport: str, grid: Grid
) -> list[str]:
    """Why the route cannot be a patrol by ``transport`` (empty when it can)."""
    problems = []
    max_segment = MAX_SEGMENT_KM.get(transport, max(MAX_SEGMENT_KM.values()))
    long_ones = np.flatnonzero(segments.km > max_segment)
    if long_ones.size:
        problems.append(
            N_(
                "{n} straight line(s) between consecutive vertices are longer than {km} km (the "
                "longest {longest} km): not a {transport} patrol's track; check for a vertex far "
                "from the others",
                n=long_ones.size,
                km=f"{max_segment:g}",
                longest=f"{segments.km.max():.1f}",
                transport=transport,
            )
        )
    max_speed = MAX_SPEED_KMH.get(transport, max(MAX_SPEED_KMH.values()))
    hours = max(duration_h, MIN_DURATION_H)
    if distance_km / hours > max_speed:
        problems.append(
            N_(
                "{km} km in {h} h is {speed} km/h, faster than a {transport} patrol goes "
                "({max_speed} km/h at most): check the times and the transport",
                km=f"{distance_km:.1f}",
                h=f"{duration_h:.2f}",
                speed=f"{distance_km / hours:.0f}",
                transport=transport,
                max_speed=f"{max_speed:g}",
            )
        )
    if (
        not problems
        and not crossings_bound(segments, grid) <= MAX_CELL_CROSSINGS
        and cell_crossings(segments, grid) > MAX_CELL_CROSSINGS
    ):
        problems.append(
            N_(
                "the route crosses more than {n} grid lines; split it into several reports",
                n=MAX_CELL_CROSSINGS,
            )
        )
    return problems
