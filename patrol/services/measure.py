"""A report's figures in its area: distance, duration, and effort per grid cell and per zone."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
import shapely
import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely.geometry import shape

from patrol.geo.effort import (
    CellEffort,
    Segments,
    ZoneEffort,
    ZoneRaster,
    allocate_cells,
    allocate_zones,
)
from patrol.geo.grid import Grid
from patrol.geo.projection import geodesic_lengths_m, to_metric
from patrol.geo.shapes import project
from patrol.services.area_grid import area_grid
from patrol.store.models import ConservationArea, Zone
from patrol.store.types import json_text

if TYPE_CHECKING:
    from patrol.geo.report import PatrolReport
    from patrol.services.ingest_probe import AreaRow

__all__ = [
    "AreaContext",
    "RouteFigures",
    "finds_metric",
    "measure_route",
    "measure_segments",
    "route_segments",
]

# Contexts are shared by the threads of a process. GEOS builds a prepared geometry's indexes
# lazily, on its first predicates, and that is not thread-safe: two requests testing one area's
# prepared zones at once crashed the process (a segfault in the concurrency tests). Every use
# of a context's geometries therefore holds the context's own lock.
_CACHE: OrderedDict[bytes, AreaContext] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 16
# The zones' raster (geo/effort.py) takes ~0.1 s to label for a park: worth it for a context
# that measures many reports (a worker's, a bulk import's), not for one that measures one.
RASTER_AFTER = 8


# Built once (a report's context is looked up on every POST): plain rows on the connection.
_ZONES_TEXT = (
    sa.select(Zone.id, Zone.code, sa.type_coerce(Zone.geometry, sa.Text))
    .where(Zone.area_id == sa.bindparam("area_id"))
    .order_by(Zone.id)
)


@dataclass
class AreaContext:
    """What measuring needs to know of an area, projected once and reused across reports."""

    area_id: int
    zones_version: int
    epsg: int
    grid: Grid
    boundary_m: shapely.Geometry
    zone_ids: np.ndarray
    zone_codes: list[str]
    zones_m: np.ndarray
    zone_tree: shapely.STRtree | None
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    zone_raster: ZoneRaster | None = field(default=None, repr=False, compare=False)
    boundary_raster: ZoneRaster | None = field(default=None, repr=False, compare=False)
    measured: int = field(default=0, repr=False, compare=False)

    def raster(self) -> ZoneRaster | None:
        """The zones' raster once this context has measured ``RASTER_AFTER`` reports (call
        under ``lock``). Squares a quarter of a grid cell: most segments of a route lie in
        one square or two, away from every zone's border. The area's own raster, built with
        it, settles the place check (``beyond_margin``) the same way."""
        self.measured += 1
        if self.measured >= RASTER_AFTER and self.boundary_raster is None:
            if len(self.zones_m):
                self.zone_raster = ZoneRaster.of(self.zones_m, self.grid.cell_m / 4)
            # Whole grid cells: labelling the area's polygon costs ~0.2 s at a quarter cell
            # (a park's boundary) and ~0.02 s at a cell, which settles nearly as many points.
            boundary = np.array([self.boundary_m], dtype=object)
            self.boundary_raster = ZoneRaster.of(boundary, self.grid.cell_m)
        return self.zone_raster

    @classmethod
    def load(cls, session: so.Session, area: ConservationArea | AreaRow) -> AreaContext:
        """The area's context, projected once per process for each version of its geometry.

        Cached by content (boundary, grid, every zone's id, code and polygon), not by ids:
        a replaced boundary or zone set, or another database with the same ids, can never
        be served a stale context. Reading the rows costs a query; projecting and indexing
        them (~10 ms for a park's zones) is what the cache saves on every report.
        """
        # The zones' geometry as its stored text (JSONDocument writes equal documents as
        # equal text): hashing the text costs a fraction of decoding and re-encoding each
        # polygon, and only a context not cached yet needs the decoded geometry.
        zones = session.connection().execute(_ZONES_TEXT, {"area_id": area.id}).all()
        digest = hashlib.blake2b(digest_size=16)
        for part in (
            area.id, area.zones_version, area.epsg, area.grid_origin_x, area.grid_origin_y,
            area.cell_m, json_text(area.boundary), *((z[0], z[1]) for z in zones),
        ):  # fmt: skip
            digest.update(repr(part).encode())
            digest.update(b"\x00")
        for z in zones:  # JSON text never holds a raw NUL: the separator is unambiguous
            digest.update(z[2].encode())
            digest.update(b"\x00")
        key = digest.digest()
        with _CACHE_LOCK:
            cached = _CACHE.get(key)
            if cached is not None:
                _CACHE.move_to_end(key)
                return cached
        rows = [SimpleNamespace(id=i, code=c, geometry=json.loads(g)) for i, c, g in zones]
        context = cls._build(area, rows)
        with _CACHE_LOCK:
            _CACHE[key] = context
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        return context

    @classmethod
    def _build(cls, area: ConservationArea | AreaRow, zones: list) -> AreaContext:
        zones_m = np.array([project(shape(z.geometry), area.epsg) for z in zones], dtype=object)
        shapely.prepare(zones_m)
        boundary = project(shape(area.boundary), area.epsg)
        shapely.prepare(boundary)
        return cls(
            area_id=area.id,
            zones_version=area.zones_version,
            epsg=area.epsg,
            grid=area_grid(area),
            boundary_m=boundary,
            zone_ids=np.array([z.id for z in zones], dtype=np.int64),
            zone_codes=[z.code for z in zones],
            zones_m=zones_m,
            zone_tree=shapely.STRtree(zones_m) if len(zones) else None,
        )

    def zone_of(self, x: np.ndarray, y: np.ndarray) -> list[int | None]:
        """Zone id holding each metric point (None outside every zone)."""
        result: list[int | None] = [None] * len(x)
        if self.zone_tree is None or len(x) == 0:
            return result
        points = shapely.points(np.asarray(x), np.asarray(y))
        with self.lock:
            p_i, z_i = self.zone_tree.query(points, predicate="intersects")
        for p, z in zip(p_i[::-1], z_i[::-1], strict=True):  # first zone wins on a border
            result[int(p)] = int(self.zone_ids[z])
        return result

    def any_inside(self, x: np.ndarray, y: np.ndarray) -> bool:
        with self.lock:
            return bool(shapely.contains_xy(self.boundary_m, x, y).any())

    def route_distance_m(self, x: np.ndarray, y: np.ndarray) -> float:
        """Distance from the area to a metric polyline (0 when they touch)."""
        shape_ = (
            shapely.points(x[0], y[0])
            if len(x) == 1
            else shapely.linestrings(np.column_stack([x, y]))
        )
        with self.lock:
            return float(shapely.distance(self.boundary_m, shape_))

    def beyond_margin(self, x: np.ndarray, y: np.ndarray, margin_m: float) -> np.ndarray:
        """Which metric points lie more than ``margin_m`` outside the area.

        Once the area's raster is built, a point in a square wholly inside the area is
        settled by the square's label; of the others, the bounding box settles most at numpy
        speed, and only points inside the widened box but outside the polygon are measured
        with GEOS.
        """
        x, y = np.asarray(x, float), np.asarray(y, float)
        raster = self.boundary_raster
        if raster is not None:
            # A point in a square wholly inside the area is inside it: only the others are
            # looked at (nearly every point of a route lies in such a square).
            rest = np.flatnonzero(raster.label_points(x, y) != 0)
            far = np.zeros(x.shape, bool)
            if rest.size:
                far[rest] = self._beyond_margin(x[rest], y[rest], margin_m)
            return far
        return self._beyond_margin(x, y, margin_m)

    def _beyond_margin(self, x: np.ndarray, y: np.ndarray, margin_m: float) -> np.ndarray:
        minx, miny, maxx, maxy = shapely.bounds(self.boundary_m)
        far = (x < minx - margin_m) | (x > maxx + margin_m) | (y < miny - margin_m)
        far |= y > maxy + margin_m
        check = np.flatnonzero(~far)
        with self.lock:
            check = check[~shapely.contains_xy(self.boundary_m, x[check], y[check])]
        if check.size:
            far[check] = self.distance_outside_m(x[check], y[check]) > margin_m
        return far

    def distance_outside_m(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """How far each metric point lies outside the area's boundary (0 inside)."""
        points = shapely.points(np.asarray(x), np.asarray(y))
        with self.lock:
            return shapely.distance(self.boundary_m, points)


@dataclass
class RouteFigures:
    distance_km: float
    duration_h: float
    segments: Segments
    cells: CellEffort
    zones: ZoneEffort
    # The finds in the area's CRS when measuring projected them (``measure_report``).
    finds_m: tuple[np.ndarray, np.ndarray] | None = None


def finds_metric(report: PatrolReport, epsg: int) -> tuple[np.ndarray, np.ndarray]:
    """The report's finds in the metric CRS ``epsg``."""
    lon = np.array([s.lon for s in report.snares])
    lat = np.array([s.lat for s in report.snares])
    return to_metric(lon, lat, epsg)


def route_segments(
    parts: list[np.ndarray],
    times: list[np.ndarray] | None,
    started_at: datetime,
    ended_at: datetime,
    epsg: int,
    metric: list[tuple[np.ndarray, np.ndarray]] | None = None,
) -> tuple[Segments, float, float]:
    """The route's segments in the metric CRS with geodesic km and hours; distance, duration
    (``metric``: the parts already projected, when the caller has them)."""
    x0s, y0s, x1s, y1s, kms, hs = [], [], [], [], [], []
    for k, part in enumerate(parts):
        x, y = to_metric(part[:, 0], part[:, 1], epsg) if metric is None else metric[k]
        x0s.append(x[:-1])
        y0s.append(y[:-1])
        x1s.append(x[1:])
        y1s.append(y[1:])
        kms.append(geodesic_lengths_m(part[:, 0], part[:, 1]) / 1000.0)
        if times is not None:
            hs.append(np.maximum(np.diff(times[k]), 0.0) / 3600.0)
    km = np.concatenate(kms)
    distance_km = float(km.sum())
    duration_h = (ended_at - started_at).total_seconds() / 3600.0
    if times is not None:
        hours = np.concatenate(hs)
    elif distance_km > 0:
        # No vertex times: the patrol's duration is shared in proportion to distance.
        hours = km / distance_km * duration_h
    else:
        hours = np.zeros_like(km)
    segments = Segments(
        np.concatenate(x0s),
        np.concatenate(y0s),
        np.concatenate(x1s),
        np.concatenate(y1s),
        km,
        hours,
    )
    return segments, distance_km, duration_h


def measure_route(
    parts: list[np.ndarray],
    times: list[np.ndarray] | None,
    started_at: datetime,
    ended_at: datetime,
    context: AreaContext,
) -> RouteFigures:
    segments, distance_km, duration_h = route_segments(
        parts, times, started_at, ended_at, context.epsg
    )
    return measure_segments(segments, distance_km, duration_h, context)


def measure_segments(
    segments: Segments, distance_km: float, duration_h: float, context: AreaContext
) -> RouteFigures:
    """Effort per cell and zone of segments already bounded (``route_problems``)."""
    with context.lock:  # the zones are prepared geometries (see _CACHE)
        zones = allocate_zones(segments, context.zones_m, context.raster())
    return RouteFigures(
        distance_km=distance_km,
        duration_h=duration_h,
        segments=segments,
        cells=allocate_cells(segments, context.grid),
        zones=zones,
    )
