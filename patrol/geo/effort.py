"""Patrol effort allocated to grid cells and zones: km and hours of route inside each one.

The allocation is exact for any route: segments are cut where they cross grid lines (a
vectorised traversal in numpy), each piece goes to the half-open cell holding its midpoint, so a
trail walked there and back counts twice and a segment lying on a cell edge is never dropped.
Projected pieces carry their share of the segment's geodesic length, so the sum over cells
equals the route's geodesic length to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


def _crossings(
    g0: np.ndarray, g1: np.ndarray, i0: np.ndarray, i1: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Segment index and parameter t of every crossing of an integer grid line (one axis;
    ``i0``, ``i1``: the floors of ``g0``, ``g1``)."""
    gap = np.abs(i1 - i0)
    if gap.max() <= 1:  # (the common case) one line at most: the larger floor
        seg = np.flatnonzero(gap)
        t = (np.maximum(i0[seg], i1[seg]) - g0[seg]) / (g1[seg] - g0[seg])
        return seg, np.clip(t, 0.0, 1.0)
    count = gap.astype(np.int64)
    total = int(count.sum())
    seg = np.repeat(np.arange(g0.size), count)
    first = np.cumsum(count) - count
    step = np.arange(total) - np.repeat(first, count)
    lines = np.repeat(np.minimum(i0, i1) + 1.0, count) + step
    t = (lines - g0[seg]) / (g1[seg] - g0[seg])
    return seg, np.clip(t, 0.0, 1.0)


def _split(
    ids: np.ndarray, g: list[np.ndarray], f: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pieces of the segments ``ids`` (indices in the route) cut at grid lines: each
    piece's segment (a position in ``ids``), start t and dt, in route order and along each
    segment. ``g``: the segments' gx0, gy0, gx1, gy1 in grid units, ``f``: their floors.

    The breakpoints are ordered by ``index * 2 + t`` with the route's indices and laid out in
    the same order whichever other segments are cut, so a segment's pieces never depend on
    them (the key rounds t by the index's magnitude).
    """
    seg_x, t_x = _crossings(g[0], g[2], f[0], f[2])
    seg_y, t_y = _crossings(g[1], g[3], f[1], f[3])
    own = np.arange(ids.size)
    seg = np.concatenate([own, own, seg_x, seg_y])
    t = np.concatenate([np.zeros(ids.size), np.ones(ids.size), t_x, t_y])
    # One sort by segment, then t: t lies in [0, 1], so seg * 2 + t orders both at once.
    order = np.argsort(ids[seg] * 2.0 + t, kind="stable")
    seg, t = seg[order], t[order]
    # Consecutive breakpoints on the same segment bound one piece.
    same = seg[:-1] == seg[1:]
    t_a = t[:-1][same]
    dt = t[1:][same] - t_a
    # A zero-length segment (the GPS standing still) is one piece of dt == 1; a crossing at a
    # cell corner yields a duplicate breakpoint and an empty piece, which carries nothing.
    keep = dt > 0
    return seg[:-1][same][keep], t_a[keep], dt[keep]


def allocate_cells(segments: Segments, grid: Grid) -> CellEffort:
    """Effort of a route per grid cell (cells with no effort are left out).

    Most segments of a GPS track cross no grid line: each is one piece (t from 0 to 1) that
    goes straight to its cell; only the others are cut (``_split``). The pieces are laid out
    in route order, so each cell adds up its pieces in the order it did when every segment
    went through the cutting: the figures are the same to the bit.

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
    ox, oy, c = grid.origin_x, grid.origin_y, grid.cell_m
    g = [(segments.x0 - ox) / c, (segments.y0 - oy) / c]
    g += [(segments.x1 - ox) / c, (segments.y1 - oy) / c]
    f = [np.floor(v) for v in g]
    # A piece goes to the cell holding its middle, t_a + dt / 2: 0.5 for a whole segment.
    ix = np.floor(g[0] + 0.5 * (g[2] - g[0])).astype(np.int64)
    iy = np.floor(g[1] + 0.5 * (g[3] - g[1])).astype(np.int64)
    km, hours = segments.km, segments.hours
    cut = np.flatnonzero((f[0] != f[2]) | (f[1] != f[3]))
    if cut.size:
        gc, fc = [v[cut] for v in g], [v[cut] for v in f]
        seg, t_a, dt = _split(cut, gc, fc)
        # Every segment's pieces in route order: one for a whole segment, its own for the rest
        # (each piece of a cut segment written over the copies of its segment's values).
        pieces = np.bincount(seg, minlength=cut.size)
        count = np.ones(n, np.int64)
        count[cut] = pieces
        first = cut + np.cumsum(pieces - 1) - (pieces - 1)  # where a cut segment's pieces start
        at = first[seg] + np.arange(seg.size) - np.searchsorted(seg, seg)
        tm = t_a + dt / 2.0
        ix, iy, km, hours = (np.repeat(v, count) for v in (ix, iy, km, hours))
        ix[at] = np.floor(gc[0][seg] + tm * (gc[2][seg] - gc[0][seg]))
        iy[at] = np.floor(gc[1][seg] + tm * (gc[3][seg] - gc[1][seg]))
        km[at] = dt * segments.km[cut[seg]]
        hours[at] = dt * segments.hours[cut[seg]]
    return _sum_by_cell(ix, iy, km, hours)


def _sum_by_cell(ix: np.ndarray, iy: np.ndarray, km: np.ndarray, hours: np.ndarray) -> CellEffort:
    """The pieces' km and hours summed per cell, each cell adding its pieces in their order
    (bincount), whichever way the cells are keyed.

    One integer key per cell (np.unique on rows sorts far slower); a route's cells span a small
    box, so the keys are counted over the box rather than sorted when it is small.
    """
    x_min, y_min = ix.min(), iy.min()
    span = int(iy.max() - y_min) + 1
    key = (ix - x_min) * span + (iy - y_min)
    bins = (int(ix.max() - x_min) + 1) * span
    if bins <= max(1 << 12, 4 * key.size):
        keys = np.flatnonzero(np.bincount(key, minlength=bins))
        km = np.bincount(key, weights=km, minlength=bins)[keys]
        hours = np.bincount(key, weights=hours, minlength=bins)[keys]
    else:
        keys, inverse = np.unique(key, return_inverse=True)
        km = np.bincount(inverse, weights=km, minlength=len(keys))
        hours = np.bincount(inverse, weights=hours, minlength=len(keys))
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
    # The label shared by the squares from (ix, iy) to (ix + dx, iy + dy), BORDER if they differ,
    # for dx, dy in {0, 1}: flat, indexed by ((dx * 2 + dy) * (nx + 2) + ix + 1) * (ny + 2) + iy + 1
    # (a ring of OUTSIDE squares around the raster stands for every square beyond it).
    blocks: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        nx, ny = self.labels.shape
        a = np.full((nx + 3, ny + 3), OUTSIDE, dtype=np.int32)
        a[1 : nx + 1, 1 : ny + 1] = self.labels
        here, up, right = a[:-1, :-1], a[:-1, 1:], a[1:, :-1]
        column = np.where(here == up, here, BORDER)
        row = np.where(here == right, here, BORDER)
        block = np.where((row == a[:-1, 1:]) & (row == a[1:, 1:]), row, BORDER)
        object.__setattr__(self, "blocks", np.stack([here, column, row, block]).ravel())

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

    def _squares(self, v: np.ndarray, origin: float, n: int) -> np.ndarray:
        """The square of each coordinate along one axis of ``n`` squares: beyond the raster,
        -1 or ``n`` (the ring of ``blocks``, OUTSIDE), and so for a NaN (fmax drops it)."""
        i = np.floor((v - origin) / self.size)
        if i.size and not (i.min() >= -1 and i.max() <= n):
            i = np.fmax(np.minimum(i, n), -1)
        return i.astype(np.int64)

    def label_points(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The label of the square holding each point (``OUTSIDE`` beyond the raster)."""
        nx, ny = self.labels.shape
        ix, iy = self._squares(x, self.origin_x, nx), self._squares(y, self.origin_y, ny)
        return self.blocks[ix * (ny + 2) + iy + (ny + 3)]

    def settle(self, segments: Segments) -> tuple[np.ndarray, np.ndarray]:
        """Which segments the raster settles, and their zone (``OUTSIDE``: none; ``BORDER``
        where not settled): those whose ends' squares are one square or a 2 x 2 block (or
        less) of one label, looked up at once in ``blocks``."""
        nx, ny = self.labels.shape
        m = len(segments)
        x = self._squares(np.concatenate([segments.x0, segments.x1]), self.origin_x, nx)
        y = self._squares(np.concatenate([segments.y0, segments.y1]), self.origin_y, ny)
        ax, bx, ay, by = x[:m], x[m:], y[:m], y[m:]
        dx, dy = np.abs(bx - ax), np.abs(by - ay)
        near = (dx <= 1) & (dy <= 1)
        kind = np.minimum(dx, 1) * 2 + np.minimum(dy, 1)
        # (squares shifted by one into ``blocks``, past its ring)
        at = (kind * (nx + 2) + np.minimum(ax, bx)) * (ny + 2) + np.minimum(ay, by) + (ny + 3)
        label = np.where(near, self.blocks[at], BORDER)
        return label != BORDER, label


def _zone_pairs(
    segments: Segments, zones: np.ndarray, which: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Segment, zone, whether the zone properly contains the segment, and the length inside
    (NaN where contained: the whole segment), for the segments ``which`` touching a zone."""
    if which.size == 0:
        return which, which.copy(), np.zeros(0, bool), np.zeros(0)
    ends = np.column_stack([v[which] for v in (segments.x0, segments.y0, segments.x1, segments.y1)])
    lines = shapely.linestrings(ends.reshape(-1, 2, 2))
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


def _pair_weights(
    segments: Segments, seg_i: np.ndarray, contained: np.ndarray, inside: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The km and hours each pair of segment and zone counts: the segment's fraction inside
    the zone, shared out where its fractions add up to more than the whole segment."""
    proj_len = np.hypot(
        segments.x1[seg_i] - segments.x0[seg_i], segments.y1[seg_i] - segments.y0[seg_i]
    )
    inside = np.where(contained, proj_len, inside)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(proj_len > 0, inside / proj_len, 1.0)
    frac = np.clip(frac, 0.0, 1.0)
    # Shared borders: a segment's shares never add up to more than the whole segment.
    per_seg = np.bincount(seg_i, weights=frac)
    frac = frac / np.maximum(per_seg[seg_i], 1.0)
    return frac * segments.km[seg_i], frac * segments.hours[seg_i]


def _in_route_order(
    segments: Segments,
    settled_bin: np.ndarray,
    which: np.ndarray,
    seg_i: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zone, km and hours of every pair in route order: one for each settled segment (its bin,
    km and hours), and ``pairs`` (zone, km, hours) of the segments ``which`` settled none,
    in place of theirs. The sums per zone add the pairs in this order, as they always did."""
    local = np.searchsorted(which, seg_i)
    per = np.bincount(local, minlength=which.size)
    # The first pair of which[k]: the settled segments before it, and the earlier pairs.
    first = which - np.arange(which.size) + np.cumsum(per) - per
    at = first[local] + np.arange(seg_i.size) - np.searchsorted(seg_i, seg_i)
    count = np.ones(len(segments), np.int64)
    count[which] = per
    zone_i = np.repeat(settled_bin, count)
    km, hours = np.repeat(segments.km, count), np.repeat(segments.hours, count)
    zone_i[at], km[at], hours[at] = pairs
    return zone_i, km, hours


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
        km, hours = _pair_weights(segments, seg_i, contained, inside)
    else:
        settled, label = raster.settle(segments)
        # A settled segment is one pair of fraction exactly 1 (its km and hours as they are),
        # in its label's zone or, outside every zone, in a bin past the zones that is dropped.
        zone_i = np.where(label >= 0, label, zones.size).astype(np.int64)
        km, hours = segments.km, segments.hours
        which = np.flatnonzero(~settled)
        if which.size:
            seg_i, pair_zone, contained, inside = _zone_pairs(segments, zones, which)
            if np.any(seg_i[1:] < seg_i[:-1]):  # (STRtree.query gives them in segment order)
                order = np.argsort(seg_i, kind="stable")
                seg_i, pair_zone, contained, inside = (
                    v[order] for v in (seg_i, pair_zone, contained, inside)
                )
            pair_km, pair_h = _pair_weights(segments, seg_i, contained, inside)
            zone_i, km, hours = _in_route_order(
                segments, zone_i, which, seg_i, (pair_zone, pair_km, pair_h)
            )
    # Summed per zone in the pairs' order (bincount), as with np.unique's inverse.
    bins = zones.size + 1
    zone_ids = np.flatnonzero(np.bincount(zone_i, minlength=bins)[:-1])
    km = np.bincount(zone_i, weights=km, minlength=bins)[zone_ids]
    hours = np.bincount(zone_i, weights=hours, minlength=bins)[zone_ids]
    return ZoneEffort(zone_ids.astype(np.int64), km, hours)
