"""The demo conservation area (synthetic): its boundary, zones, unit bases, roads and villages,
and the true snare density the simulated patrols sample.

Everything here is deterministic for a given seed; ``python -m patrol.demo.build`` writes the
area's files into data/demo/ from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import mapping

from patrol.geo.documents import feature, feature_collection, point
from patrol.geo.projection import to_metric, to_wgs84, utm_epsg

__all__ = [
    "DemoArea",
    "build_area",
    "demo_settlements",
    "season_factor",
    "truth_rate",
]

CENTER_LON, CENTER_LAT = 131.45, 43.10  # southern Primorsky Krai
AREA_KM2 = 2600.0
ZONE_NAMES = [
    "Kedrovaya",
    "Barabash",
    "Narva",
    "Gakkelevka",
    "Ryazanovka",
    "Bezverkhovo",
    "Kravtsovka",
    "Filippovka",
    "Amba",
    "Sukhaya",
    "Zolotaya",
    "Perevalnaya",
]
N_UNITS = 22
BACKGROUND_PER_KM2 = 3.0


@dataclass
class DemoArea:
    """The area in its metric CRS, with the truth (hotspots) kept for scoring analytics."""

    epsg: int
    boundary: shapely.Geometry  # metric
    zones: list[tuple[str, str, shapely.Geometry]]  # code, name, metric polygon
    units: list[tuple[str, str, float, float]]  # code, name, x, y (metric base)
    hotspots: np.ndarray  # (k, 4): x, y, sigma_m, peak snares per km2
    roads: list[shapely.LineString]  # metric

    def to_wgs84(self, geometry: shapely.Geometry) -> shapely.Geometry:
        return shapely.transform(
            geometry, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], self.epsg))
        )

    def _geometry(self, geometry: shapely.Geometry) -> dict[str, Any]:
        """A metric geometry as GeoJSON in WGS84, to 6 decimals (0.1 m)."""
        return mapping(shapely.set_precision(self.to_wgs84(geometry), 1e-6))

    def _points(self, xy: list[tuple[float, float]]) -> list[dict[str, Any]]:
        """Metric points as GeoJSON Points in WGS84, to 6 decimals."""
        lon, lat = to_wgs84(np.array([p[0] for p in xy]), np.array([p[1] for p in xy]), self.epsg)
        return [
            point(round(float(o), 6), round(float(a), 6)) for o, a in zip(lon, lat, strict=True)
        ]

    def boundary_geojson(self) -> dict[str, Any]:
        return feature(self._geometry(self.boundary), {"name": "Demo area (synthetic)"})

    def zones_geojson(self) -> dict[str, Any]:
        return feature_collection(
            feature(self._geometry(g), {"code": code, "name": f"{name} (synthetic)"}, id=code)
            for code, name, g in self.zones
        )

    def roads_geojson(self) -> dict[str, Any]:
        return feature_collection(
            feature(self._geometry(r), {"name": f"Road {k + 1} (synthetic)"}, id=f"R{k + 1}")
            for k, r in enumerate(self.roads)
        )

    def settlements_geojson(self) -> dict[str, Any]:
        places = demo_settlements(self)
        points = self._points([(x, y) for _, x, y in places])
        return feature_collection(
            feature(points[k], {"name": name}, id=f"S{k + 1}")
            for k, (name, _, _) in enumerate(places)
        )

    def units_geojson(self) -> dict[str, Any]:
        points = self._points([(x, y) for _, _, x, y in self.units])
        return feature_collection(
            feature(points[i], {"code": code, "name": name, "active": True}, id=code)
            for i, (code, name, _, _) in enumerate(self.units)
        )


def truth_rate(area: DemoArea, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """True snare density (snares per km2 at the seasonal mean) at metric points."""
    x = np.asarray(x, float)[..., None]
    y = np.asarray(y, float)[..., None]
    hx, hy, sigma, peak = area.hotspots.T
    bumps = peak * np.exp(-((x - hx) ** 2 + (y - hy) ** 2) / (2 * sigma**2))
    return BACKGROUND_PER_KM2 + bumps.sum(axis=-1)


def season_factor(day: date) -> float:
    """More snares in autumn and early winter (the hunting season), fewer in summer."""
    return 1.0 + 0.5 * np.cos(2 * np.pi * (day.timetuple().tm_yday - 320) / 365.25)


def build_area(seed: int = 7) -> DemoArea:
    """The synthetic area: ~2,600 km2, 12 Voronoi zones, 22 unit bases, 7 true hotspots."""
    rng = np.random.default_rng(seed)
    epsg = utm_epsg(CENTER_LON, CENTER_LAT)
    cx, cy = (float(v[0]) for v in to_metric(np.array([CENTER_LON]), np.array([CENTER_LAT]), epsg))
    theta = np.linspace(0, 2 * np.pi, 121)[:-1]
    shape_r = (
        1 + 0.18 * np.sin(3 * theta + 1.0) + 0.09 * np.cos(5 * theta) + 0.05 * np.sin(8 * theta + 2)
    )
    unit_poly = shapely.Polygon(
        np.column_stack([np.cos(theta) * shape_r * 1.25, np.sin(theta) * shape_r * 0.85])
    )
    scale = np.sqrt(AREA_KM2 * 1e6 / unit_poly.area)
    boundary = shapely.affinity.translate(
        shapely.affinity.scale(unit_poly, scale, scale, origin=(0, 0)), cx, cy
    )

    # Zones: Voronoi cells of well-spread seeds (a few Lloyd steps), clipped to the boundary.
    minx, miny, maxx, maxy = boundary.bounds
    pts = rng.uniform([minx, miny], [maxx, maxy], size=(4000, 2))
    pts = pts[shapely.contains_xy(boundary, pts[:, 0], pts[:, 1])]
    seeds = pts[rng.choice(len(pts), 12, replace=False)]
    for _ in range(10):
        nearest = np.argmin(((pts[:, None, :] - seeds[None]) ** 2).sum(-1), axis=1)
        seeds = np.array([pts[nearest == k].mean(axis=0) for k in range(12)])
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=boundary)
    )
    zones = []
    order = np.lexsort((seeds[:, 0], -np.round(seeds[:, 1], -3)))
    for k, s in enumerate(order):
        cell = next(c for c in cells if c.contains(shapely.Point(seeds[s])))
        zone = shapely.set_precision(cell.intersection(boundary), 0.01)
        zones.append((f"Z{k + 1:02d}", ZONE_NAMES[k], zone))

    # Unit bases: ranger stations spread round the edge, 2-4 km inside, and a few inside.
    bases = []
    ring = boundary.buffer(-3000).exterior
    for k in range(16):
        p = ring.interpolate((k + rng.uniform(0.2, 0.8)) / 16, normalized=True)
        bases.append((p.x, p.y))
    inner = pts[rng.choice(len(pts), 200, replace=False)]
    inner = inner[shapely.contains_xy(boundary.buffer(-8000), inner[:, 0], inner[:, 1])]
    bases += [tuple(p) for p in inner[: N_UNITS - 16]]
    units = [
        (f"MU-{k + 1:02d}", f"Mobile unit {k + 1} (synthetic)", float(x), float(y))
        for k, (x, y) in enumerate(bases)
    ]

    # True hotspots: a few bumps inside the area, from small and intense to broad and mild.
    inside = pts[shapely.contains_xy(boundary.buffer(-4000), pts[:, 0], pts[:, 1])]
    centres = inside[rng.choice(len(inside), 7, replace=False)]
    hotspots = np.column_stack([centres, rng.uniform(1500, 4000, 7), rng.uniform(15, 45, 7)])
    return DemoArea(epsg, boundary, zones, units, hotspots, _roads(rng, boundary))


def _roads(rng: np.random.Generator, boundary: shapely.Geometry) -> list[shapely.LineString]:
    """Five forest roads crossing the area, wandering from one edge towards the other."""
    roads = []
    minx, miny, maxx, maxy = boundary.bounds
    c = boundary.centroid
    r = max(maxx - minx, maxy - miny)
    for k in range(5):
        angle = np.pi * k / 5 + rng.uniform(-0.2, 0.2)
        a = np.array([c.x - r * np.cos(angle), c.y - r * np.sin(angle)]) + rng.normal(0, 6000, 2)
        b = np.array([c.x + r * np.cos(angle), c.y + r * np.sin(angle)])
        t = np.linspace(0, 1, 40)[:, None]
        wiggle = np.cumsum(rng.normal(0, 400, (40, 2)), axis=0)
        clipped = shapely.LineString(a + t * (b - a) + wiggle).intersection(boundary)
        roads += [g for g in shapely.get_parts(clipped) if g.length > 5000]
    return roads


SETTLEMENT_NAMES = (
    "Barabash",
    "Kedrovaya Pad",
    "Filippovka",
    "Bezverkhovo",
    "Kravtsovka",
    "Ryazanovka",
)


def demo_settlements(area: DemoArea) -> list[tuple[str, float, float]]:
    """Six villages (synthetic) spread round the area, 1-3 km outside its boundary: where
    snares are carried from, a covariate of where they are set."""
    ring = area.boundary.buffer(2000).exterior
    out = []
    for k, name in enumerate(SETTLEMENT_NAMES):
        p = ring.interpolate((k + 0.3 + 0.15 * (k % 3)) / len(SETTLEMENT_NAMES), normalized=True)
        out.append((f"{name} (synthetic)", float(p.x), float(p.y)))
    return out
