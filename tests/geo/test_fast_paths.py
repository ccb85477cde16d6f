"""The fast paths of measuring give the very arrays of the general path they stand in for.

References (copied from commit bef9e47, before the fast paths): ``allocate_cells_before``
cuts every segment at the grid lines and sorts all breakpoints; ``settle_before`` looks up
the four corners' labels one by one; ``beyond_margin`` without the area's raster, and
``cell_crossings`` for the bound on grid lines. Compared bit for bit (``tobytes``).
"""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from patrol.geo.effort import (
    BORDER,
    OUTSIDE,
    CellEffort,
    Segments,
    ZoneRaster,
    allocate_cells,
)
from patrol.geo.grid import Grid
from patrol.geo.plausible import cell_crossings, crossings_bound
from patrol.services.measure import AreaContext


def _crossings_before(g0: np.ndarray, g1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def allocate_cells_before(segments: Segments, grid: Grid) -> CellEffort:
    n = len(segments)
    if n == 0:
        empty = np.zeros(0)
        return CellEffort(empty.astype(np.int64), empty.astype(np.int64), empty, empty)
    c = grid.cell_m
    gx0 = (segments.x0 - grid.origin_x) / c
    gy0 = (segments.y0 - grid.origin_y) / c
    gx1 = (segments.x1 - grid.origin_x) / c
    gy1 = (segments.y1 - grid.origin_y) / c
    seg_x, t_x = _crossings_before(gx0, gx1)
    seg_y, t_y = _crossings_before(gy0, gy1)
    own = np.arange(n)
    seg = np.concatenate([own, own, seg_x, seg_y])
    t = np.concatenate([np.zeros(n), np.ones(n), t_x, t_y])
    order = np.argsort(seg * 2.0 + t, kind="stable")
    seg, t = seg[order], t[order]
    same = seg[:-1] == seg[1:]
    p_seg = seg[:-1][same]
    t_a = t[:-1][same]
    t_b = t[1:][same]
    dt = t_b - t_a
    keep = dt > 0
    p_seg, t_a, dt = p_seg[keep], t_a[keep], dt[keep]
    tm = t_a + dt / 2.0
    mx = gx0[p_seg] + tm * (gx1[p_seg] - gx0[p_seg])
    my = gy0[p_seg] + tm * (gy1[p_seg] - gy0[p_seg])
    ix = np.floor(mx).astype(np.int64)
    iy = np.floor(my).astype(np.int64)
    x_min, y_min = ix.min(), iy.min()
    span = int(iy.max() - y_min) + 1
    keys, inverse = np.unique((ix - x_min) * span + (iy - y_min), return_inverse=True)
    km = np.bincount(inverse, weights=dt * segments.km[p_seg], minlength=len(keys))
    hours = np.bincount(inverse, weights=dt * segments.hours[p_seg], minlength=len(keys))
    return CellEffort(keys // span + x_min, keys % span + y_min, km, hours)


def settle_before(raster: ZoneRaster, segments: Segments) -> tuple[np.ndarray, np.ndarray]:
    nx, ny = raster.labels.shape

    def label_of(ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
        inside = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
        out = np.full(ix.shape, OUTSIDE, dtype=np.int32)
        out[inside] = raster.labels[ix[inside], iy[inside]]
        return out

    def index(v: np.ndarray, origin: float, n: int) -> np.ndarray:
        return np.clip(np.floor((v - origin) / raster.size), -1, n).astype(np.int64)

    ax, bx = index(segments.x0, raster.origin_x, nx), index(segments.x1, raster.origin_x, nx)
    ay, by = index(segments.y0, raster.origin_y, ny), index(segments.y1, raster.origin_y, ny)
    lo_x, hi_x = np.minimum(ax, bx), np.maximum(ax, bx)
    lo_y, hi_y = np.minimum(ay, by), np.maximum(ay, by)
    label = label_of(lo_x, lo_y)
    settled = (hi_x - lo_x <= 1) & (hi_y - lo_y <= 1) & (label != BORDER)
    for cx, cy in ((lo_x, hi_y), (hi_x, lo_y), (hi_x, hi_y)):
        settled &= label_of(cx, cy) == label
    return settled, label


def assert_same_cells(a: CellEffort, b: CellEffort) -> None:
    for name in ("ix", "iy", "km", "hours"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), name


def segments_of(xy: np.ndarray, rng: np.random.Generator | None = None) -> Segments:
    """Segments of a polyline with geodesic-like km (planar length off by up to 1 %) and
    hours that are not proportional to it, as a measured route's are."""
    rng = rng or np.random.default_rng(0)
    n = len(xy) - 1
    km = np.hypot(*(xy[1:] - xy[:-1]).T) / 1000.0 * rng.uniform(0.99, 1.01, n)
    return Segments(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1], km, rng.uniform(0, 0.01, n))


# Coordinates on grid lines and cell corners (multiples of a quarter of 1,000 m from the
# grids' origins), between them, and repeated points (segments of zero length).
on_lines = st.integers(-12, 12).map(lambda v: v * 250.0)
anywhere = st.floats(-3000, 3000, allow_nan=False, allow_infinity=False)
point = st.tuples(st.one_of(on_lines, anywhere), st.one_of(on_lines, anywhere))
polyline = st.lists(point, min_size=2, max_size=40).flatmap(
    lambda pts: st.lists(st.integers(0, len(pts) - 1), max_size=5).map(
        lambda dup: sorted(pts + [pts[i] for i in dup], key=lambda p: pts.index(p))
    )
)
grids = st.builds(
    Grid,
    st.sampled_from([0.0, -250.0, 1000.0, 0.1, 333.3]),
    st.sampled_from([0.0, 500.0, -1000.0, 0.7]),
    st.sampled_from([250.0, 500.0, 1000.0, 1234.5]),
)


@settings(max_examples=600, deadline=None)
@given(polyline, grids, st.integers(0, 2**32 - 1))
def test_cells_are_those_of_cutting_every_segment(points, grid, seed):
    s = segments_of(np.array(points), np.random.default_rng(seed))
    assert_same_cells(allocate_cells(s, grid), allocate_cells_before(s, grid))


@settings(max_examples=100, deadline=None)
@given(st.lists(point, min_size=2, max_size=20), grids, st.integers(0, 10**6))
def test_cells_of_a_route_spread_far_apart_are_those_of_cutting(points, grid, offset):
    """A route whose cells span a large box (summed through np.unique, not a counting array)."""
    xy = np.array(points)
    xy[len(xy) // 2 :] += [offset * 10.0, offset * 7.0]
    s = segments_of(xy)
    assert_same_cells(allocate_cells(s, grid), allocate_cells_before(s, grid))


def test_cells_of_a_long_walk_are_those_of_cutting():
    """Cut segments at large indices, where the sort key rounds t (2 * index + t)."""
    rng = np.random.default_rng(15)
    for n, step in ((200_000, (2.0, 40.0)), (20_000, (50.0, 600.0))):
        heading = np.cumsum(rng.normal(0, 0.3, n))
        length = rng.uniform(*step, n)
        xy = np.cumsum(np.column_stack([length * np.cos(heading), length * np.sin(heading)]), 0)
        xy[rng.integers(0, n, n // 50)] = np.floor(xy[rng.integers(0, n, n // 50)] / 500) * 500
        s = segments_of(xy + 5e5, rng)
        grid = Grid(0.0, 0.0, 1000.0)
        assert_same_cells(allocate_cells(s, grid), allocate_cells_before(s, grid))


def test_cells_of_no_segments_and_of_one():
    grid = Grid(0.0, 0.0, 1000.0)
    for xy in ([[0.0, 0.0]], [[500.0, 500.0], [500.0, 500.0]], [[1000.0, 0.0], [1000.0, 0.0]]):
        s = segments_of(np.array(xy))
        assert_same_cells(allocate_cells(s, grid), allocate_cells_before(s, grid))


@st.composite
def zones_and_segments(draw):
    """Boxes (touching, overlapping or apart) and a route around and beyond them."""
    boxes = []
    for _ in range(draw(st.integers(1, 4))):
        x, y = draw(st.integers(0, 6)) * 100.0, draw(st.integers(0, 6)) * 100.0
        w, h = draw(st.integers(1, 5)) * 100.0, draw(st.integers(1, 5)) * 100.0
        boxes.append(shapely.box(x, y, x + w, y + h))
    coord = st.one_of(
        st.integers(-4, 30).map(lambda v: v * 25.0),  # on raster lines and zone borders
        st.floats(-3000, 4000, allow_nan=False, allow_infinity=False),
    )
    xy = draw(st.lists(st.tuples(coord, coord), min_size=2, max_size=40))
    size = draw(st.sampled_from([25.0, 50.0, 100.0, 333.0]))
    return np.array(boxes, dtype=object), np.array(xy), size


@settings(max_examples=400, deadline=None)
@given(zones_and_segments())
def test_settling_is_the_four_corners_lookup(case):
    zones, xy, size = case
    raster = ZoneRaster.of(zones, size)
    s = segments_of(xy)
    settled, label = raster.settle(s)
    settled_then, label_then = settle_before(raster, s)
    assert settled.tolist() == settled_then.tolist()
    assert label[settled].tolist() == label_then[settled].tolist()
    assert (label[~settled] == BORDER).all()


@settings(max_examples=300, deadline=None)
@given(zones_and_segments(), st.sampled_from([0.0, 10.0, 150.0, 1000.0]))
def test_place_check_with_the_area_raster_is_the_check_without(case, margin_m):
    zones, xy, size = case
    area = shapely.union_all(zones)
    if area.geom_type != "Polygon":  # an area is one polygon here; boxes apart make several
        area = shapely.convex_hull(area)
    shapely.prepare(area)
    context = AreaContext(
        area_id=1,
        zones_version=1,
        epsg=32652,
        grid=Grid(0.0, 0.0, size * 4),
        boundary_m=area,
        zone_ids=np.zeros(0, np.int64),
        zone_codes=[],
        zones_m=np.zeros(0, dtype=object),
        zone_tree=None,
    )
    x, y = xy[:, 0], xy[:, 1]
    without = context.beyond_margin(x, y, margin_m)
    context.boundary_raster = ZoneRaster.of(np.array([area], dtype=object), size)
    assert context.beyond_margin(x, y, margin_m).tolist() == without.tolist()


def test_the_area_raster_is_built_with_the_zones_raster():
    area = shapely.box(0, 0, 5000, 5000)
    context = AreaContext(
        area_id=1,
        zones_version=1,
        epsg=32652,
        grid=Grid(0.0, 0.0, 1000.0),
        boundary_m=area,
        zone_ids=np.zeros(0, np.int64),
        zone_codes=[],
        zones_m=np.zeros(0, dtype=object),
        zone_tree=None,
    )
    for _ in range(10):
        context.raster()
    assert context.zone_raster is None  # no zones
    raster = context.boundary_raster
    assert raster is not None
    assert raster.label_points(np.array([2500.0, -10.0]), np.array([2500.0, 10.0])).tolist() == [
        0,
        BORDER,
    ]


@settings(max_examples=300, deadline=None)
@given(polyline, grids)
def test_the_bound_on_grid_lines_crossed_is_never_below_the_count(points, grid):
    s = segments_of(np.array(points))
    assert crossings_bound(s, grid) >= cell_crossings(s, grid)
