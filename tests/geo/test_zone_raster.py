"""Zone allocation with the zones' raster gives the very figures it gives without it, and the
figures of the function before the raster existed (bit for bit: same pairs, same order)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from patrol.geo.effort import BORDER, OUTSIDE, Segments, ZoneEffort, ZoneRaster, allocate_zones
from patrol.geo.projection import utm_epsg
from patrol.geo.shapes import project

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


def allocate_zones_before(segments: Segments, zones: np.ndarray) -> ZoneEffort:
    """allocate_zones as it was before the raster (commit 04d53b4), the reference."""
    zones = np.asarray(zones, dtype=object)
    n = len(segments)
    if n == 0 or zones.size == 0:
        empty = np.zeros(0)
        return ZoneEffort(empty.astype(np.int64), empty, empty)
    start = np.stack([segments.x0, segments.y0], axis=1)
    end = np.stack([segments.x1, segments.y1], axis=1)
    lines = shapely.linestrings(np.stack([start, end], axis=1))
    tree = shapely.STRtree(zones)
    seg_i, zone_i = tree.query(lines)
    shapely.prepare(zones)
    contained = shapely.contains_properly(zones[zone_i], lines[seg_i])
    rest = np.flatnonzero(~contained)
    keep = contained.copy()
    keep[rest] = shapely.intersects(zones[zone_i[rest]], lines[seg_i[rest]])
    seg_i, zone_i, contained = seg_i[keep], zone_i[keep], contained[keep]
    if seg_i.size == 0:
        empty = np.zeros(0)
        return ZoneEffort(empty.astype(np.int64), empty, empty)
    proj_len = np.hypot(segments.x1 - segments.x0, segments.y1 - segments.y0)
    inside = proj_len[seg_i].copy()
    crossing = ~contained
    inside[crossing] = shapely.length(
        shapely.intersection(lines[seg_i[crossing]], zones[zone_i[crossing]])
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(proj_len[seg_i] > 0, inside / proj_len[seg_i], 1.0)
    frac = np.clip(frac, 0.0, 1.0)
    per_seg = np.bincount(seg_i, weights=frac, minlength=n)
    frac = frac / np.maximum(per_seg[seg_i], 1.0)
    zone_ids, inverse = np.unique(zone_i, return_inverse=True)
    km = np.bincount(inverse, weights=frac * segments.km[seg_i])
    hours = np.bincount(inverse, weights=frac * segments.hours[seg_i])
    return ZoneEffort(zone_ids.astype(np.int64), km, hours)


def assert_identical(a: ZoneEffort, b: ZoneEffort) -> None:
    assert a.zone.tolist() == b.zone.tolist()
    assert a.km.tobytes() == b.km.tobytes()
    assert a.hours.tobytes() == b.hours.tobytes()


def demo_zones() -> np.ndarray:
    doc = json.loads((DEMO / "zones.geojson").read_text())
    zones = [shapely.geometry.shape(f["geometry"]) for f in doc["features"]]
    c = shapely.centroid(shapely.union_all(zones))
    epsg = utm_epsg(c.x, c.y)
    return np.array([project(z, epsg) for z in zones], dtype=object)


def walk(rng: np.random.Generator, n: int, start: np.ndarray, step: tuple[float, float]):
    heading = np.cumsum(rng.normal(0, 0.4, n))
    length = rng.uniform(*step, n)
    xy = start + np.cumsum(np.column_stack([length * np.cos(heading), length * np.sin(heading)]), 0)
    km = np.hypot(*(xy[1:] - xy[:-1]).T) / 1000.0 * rng.uniform(0.99, 1.01, n - 1)
    hours = rng.uniform(0, 0.01, n - 1)
    return Segments(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1], km, hours)


def test_random_walks_over_the_demo_zones_match_the_function_before():
    zones = demo_zones()
    raster = ZoneRaster.of(zones, 250.0)
    assert (raster.labels >= 0).sum() > 0 and (raster.labels == BORDER).sum() > 0
    rng = np.random.default_rng(15)
    minx, miny, maxx, maxy = shapely.total_bounds(zones)
    settled = 0
    for k in range(150):
        start = rng.uniform([minx, miny], [maxx, maxy])
        step = (10.0, 30.0) if k % 3 else (50.0, 400.0)  # on foot, and by car
        s = walk(rng, 2000, start, step)
        before = allocate_zones_before(s, zones)
        assert_identical(allocate_zones(s, zones), before)
        assert_identical(allocate_zones(s, zones, raster), before)
        settled += int(raster.settle(s)[0].sum())
    assert settled > 150 * 2000 * 0.5  # the raster did settle most segments


@st.composite
def zones_and_route(draw):
    """A few boxes (touching, overlapping or apart) and a route around them."""
    k = draw(st.integers(1, 4))
    boxes = []
    for _ in range(k):
        x, y = draw(st.integers(0, 6)) * 100.0, draw(st.integers(0, 6)) * 100.0
        w, h = draw(st.integers(1, 5)) * 100.0, draw(st.integers(1, 5)) * 100.0
        boxes.append(shapely.box(x, y, x + w, y + h))
    coord = st.one_of(
        st.integers(-2, 14).map(lambda v: v * 50.0),  # on grid and raster lines
        st.floats(-100, 1200, allow_nan=False, allow_infinity=False),
    )
    xy = draw(st.lists(st.tuples(coord, coord), min_size=2, max_size=30))
    size = draw(st.sampled_from([25.0, 50.0, 100.0, 333.0]))
    return np.array(boxes, dtype=object), np.array(xy), size


@settings(max_examples=300, deadline=None)
@given(zones_and_route())
def test_any_zones_and_route_match_the_function_before(case):
    zones, xy, size = case
    km = np.hypot(*(xy[1:] - xy[:-1]).T) / 1000.0
    s = Segments(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1], km, km * 2)
    before = allocate_zones_before(s, zones)
    assert_identical(allocate_zones(s, zones, ZoneRaster.of(zones, size)), before)


def test_labels_inside_outside_and_border():
    zones = np.array([shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)])
    r = ZoneRaster.of(zones, 250.0)

    def label(x: float, y: float) -> int:
        ix, iy = int((x - r.origin_x) // r.size), int((y - r.origin_y) // r.size)
        return int(r.labels[ix, iy])

    assert label(500, 500) == 0 and label(1500, 500) == 1
    assert label(-100, 500) == BORDER  # the raster's first column touches the edge x = 0
    assert label(125, 500) == BORDER  # the square touches the zone's edge at x = 0
    assert label(1125, 500) == BORDER  # touches both zones
    # A segment across two squares inside zone 1 is settled; one crossing x = 1000 is not.
    s = Segments(*(np.array(v) for v in ([1300.0, 900.0], [500.0, 500.0], [1600.0, 1100.0],
                                            [510.0, 500.0], [0.3, 0.2], [1.0, 1.0])))  # fmt: skip
    settled, zone = r.settle(s)
    assert settled.tolist() == [True, False] and zone[0] == 1


def test_squares_between_zones_and_beyond_the_raster_are_outside():
    zones = np.array([shapely.box(0, 0, 1000, 1000), shapely.box(2000, 0, 3000, 1000)])
    r = ZoneRaster.of(zones, 250.0)
    ix, iy = int((1600 - r.origin_x) // r.size), int((500 - r.origin_y) // r.size)
    assert r.labels[ix, iy] == OUTSIDE
    s = Segments(*(np.array(v) for v in ([1600.0, -5000.0], [500.0, 500.0], [1610.0, -5020.0],
                                            [510.0, 500.0], [0.3, 0.2], [1.0, 1.0])))  # fmt: skip
    settled, zone = r.settle(s)
    assert settled.tolist() == [True, True] and zone.tolist() == [OUTSIDE, OUTSIDE]
    assert allocate_zones(s, zones, r).zone.size == 0


def test_the_raster_grows_coarser_rather_than_larger():
    zones = np.array([shapely.box(0, 0, 100_000, 100_000)])
    r = ZoneRaster.of(zones, 10.0, max_squares=10_000)
    assert r.labels.size <= 10_000 and r.size > 10.0
