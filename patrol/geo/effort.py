"""Patrol effort allocated to grid cells and zones: km and hours of route inside each one.

The allocation is exact for any route: segments are cut where they cross grid lines (a
vectorised traversal in numpy), each piece goes to the half-open cell holding its midpoint, so a
trail walked there and back counts twice and a segment lying on a cell edge is never dropped.
Projected pieces carry their share of the segment's geodesic length, so the sum over cells
equals the route's geodesic length to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from patrol.geo.grid import Grid

__all__ = [
    "CellEffort",
    "Segments",
    "ZoneEffort",
    "ZoneRaster",
    "allocate_cells",
    "allocate_zones",
]

OUTSIDE = -1  # a raster square that touches no zone
BORDER = -2  # a raster square that touches a zone's border or two zones: geometry decides


@dataclass(frozen=True)
class Segments:
    """A route as arrays of straight segments in the metric CRS, with their weights.

    ``km`` is each segment's geodesic length and ``hours`` the time spent on it; both are
    shared out in proportion to the part of the segment inside a cell or zone.
    """

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    km: np.ndarray
    hours: np.ndarray

    def __len__(self) -> int:
        return int(self.x0.size)


@dataclass(frozen=True)
class CellEffort:
    ix: np.ndarray
    iy: np.ndarray
    km: np.ndarray
    hours: np.ndarray


@dataclass(frozen=True)
class ZoneEffort:
    zone: np.ndarray  # positions in the zones array given
    km: np.ndarray
    hours: np.ndarray


def _crossings(g0: np.ndarray, g1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segment index and parameter t of every crossing of an integer grid line (one axis)."""
    i0 = np.floor(g0)
    i1 = np.floor(g1)
    count = np.abs(i1 - i0).astype(np.int64)
    total = int(count.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    seg = np.repeat(np.arange(g0.size), count)
    first = np.cumsum(count) - count
    step = np.arange(total) - np.repeat(first, count)
    lines = np.repeat(np.minimum(i0, i1) + 1.0, count) + step
    t = (lines - g0[seg]) / (g1[seg] - g0[seg])
    return seg, np.clip(t, 0.0, 1.0)


def allocate_cells(segments: Segments, grid: Grid) -> CellEffort:
    """Effort of a route per grid cell (cells with no effort are left out).

    >>> g = Grid(0.0, 0.0, 1000.0)
    >>> s = Segments(*(np.array([v]) for v in (500.0, 500.0, 2500.0, 500.0, 2.0, 1.0)))
    >>> e = allocate_cells(s, g)
    >>> e.ix.tolist(), e.km.round(6).tolist()
    ([0, 1, 2], [0.5, 1.0, 0.5])
    """
    n = len(segments)
    if n == 0:
        empty = np.zeros(0)
        return CellEffort(empty.astype(np.int64), empty.astype(np.int64), empty, empty)
    c = grid.cell_m
    gx0 = (segments.x0 - grid.origin_x) / c
    gy0 = (segments.y0 - grid.origin_y) / c
    gx1 = (segments.x1 - grid.origin_x) / c
    gy1 = (segments.y1 - grid.origin_y) / c

    seg_x, t_x = _crossings(gx0, gx1)
    seg_y, t_y = _crossings(gy0, gy1)
    own = np.arange(n)
    seg = np.concatenate([own, own, seg_x, seg_y])
    t = np.concatenate([np.zeros(n), np.ones(n), t_x, t_y])
    # One sort by segment, then t: t lies in [0, 1], so seg * 2 + t orders both at once.
    order = np.argsort(seg * 2.0 + t, kind="stable")
    seg, t = seg[order], t[order]

    # Consecutive breakpoints on the same segment bound one piece.
    same = seg[:-1] == seg[1:]
    p_seg = seg[:-1][same]
    t_a = t[:-1][same]
    t_b = t[1:][same]
    dt = t_b - t_a
    # A zero-length segment (the GPS standing still) is one piece of dt == 1; a crossing at a
    # cell corner yields a duplicate breakpoint and an empty piece, which carries nothing.
    keep = dt > 0
    p_seg, t_a, dt = p_seg[keep], t_a[keep], dt[keep]
    tm = t_a + dt / 2.0
    mx = gx0[p_seg] + tm * (gx1[p_seg] - gx0[p_seg])
    my = gy0[p_seg] + tm * (gy1[p_seg] - gy0[p_seg])
    ix = np.floor(mx).astype(np.int64)
    iy = np.floor(my).astype(np.int64)

    # Group pieces by cell with one integer key (np.unique on rows sorts far slower).
    x_min, y_min = ix.min(), iy.min()
    span = int(iy.max() - y_min) + 1
    keys, inverse = np.unique((ix - x_min) * span + (iy - y_min), return_inverse=True)
    km = np.bincount(inverse, weights=dt * segments.km[p_seg], minlength=len(keys))
    hours = np.bincount(inverse, weights=dt * segments.hours[p_seg], minlength=len(keys))
    return CellEffort(keys // span + x_min, keys % span + y_min, km, hours)


@dataclass(frozen=True)
class ZoneRaster:
    """The zones on a raster of squares: each square lies wholly inside exactly one zone and
    touches no other (the zone's position), touches no zone (``OUTSIDE``), or is a ``BORDER``.

    A segment within one square, or within a 2 x 2 block of squares of one label, is settled
    by the label alone: inside that zone's interior and no other zone's (so ``contains_properly``
    would say so and its whole length counts), or in no zone. Only the segments near a border
    need geometry. Squares are labelled slightly enlarged (``size * 1e-6``), so a point that
    rounding puts into the neighbouring square is still covered; squares beyond the raster
    are a whole square away from every zone's bounding box, hence ``OUTSIDE``.
    """

    origin_x: float
    origin_y: float
    size: float
    labels: np.ndarray  # (nx, ny) int32

    @classmethod
    def of(cls, zones: np.ndarray, size: float, max_squares: int = 1 << 16) -> ZoneRaster:
        """Label the squares of ``size`` metres over ``zones`` (coarser when there would be
        more than ``max_squares``: labelling costs about 2 microseconds a square)."""
        zones = np.asarray(zones, dtype=object)
        minx, miny, maxx, maxy = shapely.total_bounds(zones)
        while ((maxx - minx) / size + 3) * ((maxy - miny) / size + 3) > max_squares:
            size *= 2.0
        nx = int(np.ceil((maxx - minx) / size)) + 2
        ny = int(np.ceil((maxy - miny) / size)) + 2
        ox, oy = minx - size, miny - size
        ix, iy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
        eps = size * 1e-6
        x0, y0 = ox + ix.ravel() * size, oy + iy.ravel() * size
        boxes = shapely.box(x0 - eps, y0 - eps, x0 + size + eps, y0 + size + eps)
        box_i, zone_i = shapely.STRtree(zones).query(boxes, predicate="intersects")
        count = np.bincount(box_i, minlength=boxes.size)
        labels = np.full(boxes.size, BORDER, dtype=np.int32)
        labels[count == 0] = OUTSIDE
        one = count[box_i] == 1
        box_i, zone_i = box_i[one], zone_i[one]
        shapely.prepare(zones)
        inside = shapely.contains_properly(zones[zone_i], boxes[box_i])
        labels[box_i[inside]] = zone_i[inside]
        return cls(float(ox), float(oy), float(size), labels.reshape(nx, ny))

    def _label(self, ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
        nx, ny = self.labels.shape
        inside = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
        out = np.full(ix.shape, OUTSIDE, dtype=np.int32)
        out[inside] = self.labels[ix[inside], iy[inside]]
        return out

    def settle(self, segments: Segments) -> tuple[np.ndarray, np.ndarray]:
        """Which segments the raster settles, and their zone (``OUTSIDE``: none)."""
        nx, ny = self.labels.shape

        def index(v: np.ndarray, origin: float, n: int) -> np.ndarray:
            return np.clip(np.floor((v - origin) / self.size), -1, n).astype(np.int64)

        ax, bx = index(segments.x0, self.origin_x, nx), index(segments.x1, self.origin_x, nx)
        ay, by = index(segments.y0, self.origin_y, ny), index(segments.y1, self.origin_y, ny)
        lo_x, hi_x = np.minimum(ax, bx), np.maximum(ax, bx)
        lo_y, hi_y = np.minimum(ay, by), np.maximum(ay, by)
        label = self._label(lo_x, lo_y)
        settled = (hi_x - lo_x <= 1) & (hi_y - lo_y <= 1) & (label != BORDER)
        for cx, cy in ((lo_x, hi_y), (hi_x, lo_y), (hi_x, hi_y)):
            settled &= self._label(cx, cy) == label
        return settled, label


def _zone_pairs(
    segments: Segments, zones: np.ndarray, which: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Segment, zone, whether the zone properly contains the segment, and the length inside
    (NaN where contained: the whole segment), for the segments ``which`` touching a zone."""
    if which.size == 0:
        return which, which.copy(), np.zeros(0, bool), np.zeros(0)
    start = np.stack([segments.x0[which], segments.y0[which]], axis=1)
    end = np.stack([segments.x1[which], segments.y1[which]], axis=1)
    lines = shapely.linestrings(np.stack([start, end], axis=1))
    tree = shapely.STRtree(zones)
    # Bounding boxes first; then most segments lie wholly inside one zone, which a prepared
    # containment test settles, and only the rest need the (slower) intersects predicate.
    # Same pairs as query(predicate="intersects"), in the same order, at a third of its cost.
    seg_i, zone_i = tree.query(lines)
    shapely.prepare(zones)
    contained = shapely.contains_properly(zones[zone_i], lines[seg_i])
    rest = np.flatnonzero(~contained)
    keep = contained.copy()
    keep[rest] = shapely.intersects(zones[zone_i[rest]], lines[seg_i[rest]])
    seg_i, zone_i, contained = seg_i[keep], zone_i[keep], contained[keep]
    inside = np.full(seg_i.size, np.nan)
    inside[~contained] = shapely.length(
        shapely.intersection(lines[seg_i[~contained]], zones[zone_i[~contained]])
    )
    return which[seg_i], zone_i, contained, inside


def allocate_zones(
    segments: Segments, zones: np.ndarray, raster: ZoneRaster | None = None
) -> ZoneEffort:
    """Effort of a route per zone (metric polygons); zones the route never enters are left out.

    Each straight segment is intersected with the zones it touches on its own, so overlapping
    passes of the route are never merged. A segment running along the border of two zones is
    shared between them rather than counted in both. With the zones' ``raster`` the segments
    away from every border are settled without geometry; the pairs of segment and zone, their
    order and so every figure are the same as without it.
    """
    zones = np.asarray(zones, dtype=object)
    n = len(segments)
    empty = ZoneEffort(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    if n == 0 or zones.size == 0:
        return empty
    if raster is None:
        seg_i, zone_i, contained, inside = _zone_pairs(segments, zones, np.arange(n))
    else:
        settled, label = raster.settle(segments)
        seg_i, zone_i, contained, inside = _zone_pairs(segments, zones, np.flatnonzero(~settled))
        own = np.flatnonzero(settled & (label >= 0))
        seg_i = np.concatenate([seg_i, own])
        order = np.argsort(seg_i, kind="stable")
        seg_i = seg_i[order]
        zone_i = np.concatenate([zone_i, label[own].astype(np.int64)])[order]
        contained = np.concatenate([contained, np.ones(own.size, bool)])[order]
        inside = np.concatenate([inside, np.full(own.size, np.nan)])[order]
    if seg_i.size == 0:
        return empty
    proj_len = np.hypot(segments.x1 - segments.x0, segments.y1 - segments.y0)
    inside = np.where(contained, proj_len[seg_i], inside)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(proj_len[seg_i] > 0, inside / proj_len[seg_i], 1.0)
    frac = np.clip(frac, 0.0, 1.0)
    # Shared borders: a segment's shares never add up to more than the whole segment.
    per_seg = np.bincount(seg_i, weights=frac, minlength=n)
    frac = frac / np.maximum(per_seg[seg_i], 1.0)

    zone_ids, inverse = np.unique(zone_i, return_inverse=True)
    km = np.bincount(inverse, weights=frac * segments.km[seg_i])
    hours = np.bincount(inverse, weights=frac * segments.hours[seg_i])
    return ZoneEffort(zone_ids.astype(np.int64), km, hours)
