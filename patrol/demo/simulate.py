"""Simulate a conservation area, its zones and units, a known snare surface and a year of patrols.

Everything here is synthetic and deterministic for a given seed. The truth (snares per km2 per
cell) is kept so analytics can be scored against it: patrols only find snares where they walk,
and then only some of them (per-pass detection well below 1).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import shapely
import shapely.affinity
import shapely.ops
from shapely.geometry import mapping

from patrol.geo.projection import to_metric, to_wgs84, utm_epsg

__all__ = [
    "DemoArea",
    "SimulationSettings",
    "Track",
    "build_area",
    "demo_settlements",
    "simulate_patrols",
    "simulate_tracks",
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
SNARE_TYPES = (
    ("wire", 0.6),
    ("cable", 0.2),
    ("rope", 0.1),
    ("leghold", 0.05),
    ("pit", 0.02),
    ("other", 0.03),
)
SNARE_STATES = (("active", 0.7), ("inactive", 0.2), ("triggered", 0.1))
SNARE_ACTIONS = (("removed", 0.8), ("destroyed", 0.15), ("marked", 0.03), ("left_in_place", 0.02))
SPECIES = (None, "sika deer", "wild boar", "roe deer", "badger")
NAMESPACE = uuid.UUID("0d6c3c3a-3f4e-4c5e-8a8e-4b1a5c6d7e8f")


@dataclass
class DemoArea:
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

    def boundary_geojson(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "properties": {"name": "Demo area (synthetic)"},
            "geometry": mapping(shapely.set_precision(self.to_wgs84(self.boundary), 1e-6)),
        }

    def zones_geojson(self) -> dict[str, Any]:
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": code,
                    "properties": {"code": code, "name": f"{name} (synthetic)"},
                    "geometry": mapping(shapely.set_precision(self.to_wgs84(g), 1e-6)),
                }
                for code, name, g in self.zones
            ],
        }

    def roads_geojson(self) -> dict[str, Any]:
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": f"R{k + 1}",
                    "properties": {"name": f"Road {k + 1} (synthetic)"},
                    "geometry": mapping(shapely.set_precision(self.to_wgs84(r), 1e-6)),
                }
                for k, r in enumerate(self.roads)
            ],
        }

    def settlements_geojson(self) -> dict[str, Any]:
        points = demo_settlements(self)
        lon, lat = to_wgs84(
            np.array([p[1] for p in points]), np.array([p[2] for p in points]), self.epsg
        )
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": f"S{k + 1}",
                    "properties": {"name": name},
                    "geometry": {
                        "type": "Point",
                        "coordinates": [round(float(lon[k]), 6), round(float(lat[k]), 6)],
                    },
                }
                for k, (name, _, _) in enumerate(points)
            ],
        }

    def units_geojson(self) -> dict[str, Any]:
        lon, lat = to_wgs84(
            np.array([u[2] for u in self.units]), np.array([u[3] for u in self.units]), self.epsg
        )
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": code,
                    "properties": {"code": code, "name": name, "active": True},
                    "geometry": {
                        "type": "Point",
                        "coordinates": [round(float(lon[i]), 6), round(float(lat[i]), 6)],
                    },
                }
                for i, (code, name, _, _) in enumerate(self.units)
            ],
        }


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


def _roads(rng, boundary: shapely.Geometry) -> list[shapely.LineString]:
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


@dataclass(frozen=True)
class SimulationSettings:
    year: int = 2025
    seed: int = 2025
    patrols_per_unit_week: float = 2.5
    fix_interval_s: float = 60.0  # a GPS fix a minute: ~60 m apart on foot
    detection_half_width_km: float = 0.02  # snares within 20 m of the track can be seen
    detection_probability: float = 0.2  # per pass: rangers miss most hidden snares
    retrace_share: float = 0.3  # out-and-back patrols that walk the same trail home
    follow_finds: float = 0.5  # foot patrols heading for a recent find
    memory_days: int = 45  # how recent a find still draws patrols
    flat: bool = False  # a null world: the same snare density everywhere
    flat_rate_per_km2: float = 6.0


def _choice(rng: np.random.Generator, table) -> str:
    values, weights = zip(*table, strict=True)
    return values[rng.choice(len(values), p=np.array(weights) / sum(weights))]


def _walk(rng, start, target, n_steps, step_m, inside) -> np.ndarray:
    """A correlated random walk from ``start`` drifting to ``target``, kept inside the area."""
    xy = np.empty((n_steps + 1, 2))
    xy[0] = start
    heading = np.arctan2(target[1] - start[1], target[0] - start[0])
    for k in range(n_steps):
        to_target = np.arctan2(target[1] - xy[k, 1], target[0] - xy[k, 0])
        delta = np.angle(np.exp(1j * (to_target - heading)))
        heading += 0.25 * delta + rng.normal(0, 0.35)
        nxt = xy[k] + step_m * np.array([np.cos(heading), np.sin(heading)])
        if not inside(nxt):
            heading += np.pi
            nxt = xy[k] + step_m * np.array([np.cos(heading), np.sin(heading)])
            if not inside(nxt):
                nxt = xy[k]
        xy[k + 1] = nxt
    return xy


@dataclass
class Track:
    """One simulated patrol in the area's metric CRS, with the snares it found."""

    unit: str
    day: date
    vehicle: bool
    xy: np.ndarray  # (n, 2) metres
    start: datetime
    fix_interval_s: float
    finds_xy: np.ndarray  # (k, 2)
    finds_vertex: np.ndarray  # index of the segment each find was seen from (its time)
    finds_count: np.ndarray


def _road_start(area: DemoArea, target: tuple[float, float], rng) -> tuple[float, float] | None:
    """Where a vehicle drops a foot patrol: the road point nearest the target, if near."""
    if not area.roads:
        return None
    point = shapely.Point(target)
    best = min(area.roads, key=point.distance)
    if best.distance(point) > 8000:
        return None
    drop = best.interpolate(best.project(point) + rng.normal(0, 500))
    return drop.x, drop.y


def simulate_tracks(area: DemoArea, settings: SimulationSettings | None = None):
    """Yield one :class:`Track` per simulated patrol, by date.

    Foot patrols are dropped on a road near their target and walk there and home. A share of
    them head for a snare found in the last weeks (so effort follows past finds, as it does in
    parks); the rest pick a place within reach of their base. Vehicle patrols drive the roads
    and find nothing. A foot patrol finds each snare within ``detection_half_width_km`` of its
    track with ``detection_probability`` per pass; with ``flat`` the density is the same
    everywhere (a null world with no hotspot at all).
    """
    s = settings or SimulationSettings()
    rng = np.random.default_rng(s.seed)
    shapely.prepare(area.boundary)

    def inside(p) -> bool:
        return bool(shapely.contains_xy(area.boundary, p[0], p[1]))

    start_day = date(s.year, 1, 1)
    days = (date(s.year + 1, 1, 1) - start_day).days
    plans = []
    for code, _, bx, by in area.units:
        n = rng.poisson(s.patrols_per_unit_week * days / 7.0)
        for d in np.sort(rng.choice(days, size=min(n, days), replace=False)):
            plans.append((int(d), code, bx, by))
    plans.sort()
    recent: list[tuple[int, float, float]] = []  # (day, x, y) of finds
    for d, code, bx, by in plans:
        day = start_day + timedelta(days=d)
        vehicle = rng.random() < 0.1
        speed_kmh = rng.uniform(18, 30) if vehicle else rng.uniform(2.5, 4.0)
        length_km = rng.uniform(25, 60) if vehicle else rng.uniform(6, 18)
        step_m = speed_kmh * 1000 * s.fix_interval_s / 3600
        half = max(int(length_km * 500 / step_m), 3)
        recent = [f for f in recent if d - f[0] <= s.memory_days]
        near = [f for f in recent if np.hypot(f[1] - bx, f[2] - by) < 20000]
        if vehicle and area.roads:
            road = area.roads[rng.integers(len(area.roads))]
            a = rng.uniform(0, max(road.length - length_km * 500, 1.0))
            piece = shapely.ops.substring(road, a, a + length_km * 500).segmentize(step_m)
            out = np.array(piece.coords)
            xy = np.concatenate([out, out[::-1][1:]])
        else:
            if near and rng.random() < s.follow_finds:
                f = near[rng.integers(len(near))]
                target = (f[1] + rng.normal(0, 300), f[2] + rng.normal(0, 300))
            else:
                reach_m = min(length_km * 1000 / 2, 12000.0)
                angle = rng.uniform(0, 2 * np.pi)
                target = (bx + reach_m * np.cos(angle), by + reach_m * np.sin(angle))
            start_xy = _road_start(area, target, rng) or (bx, by)
            out = _walk(rng, start_xy, target, half, step_m, inside)
            if rng.random() < s.retrace_share:
                back = out[::-1][1:]  # the same trail home
            else:
                back = _walk(rng, out[-1], start_xy, half, step_m, inside)[1:]
            xy = np.concatenate([out, back])
        xy = xy + rng.normal(0, 4.0, size=xy.shape)
        start = datetime(day.year, day.month, day.day, 0, 0, tzinfo=UTC) + timedelta(
            hours=rng.uniform(-1, 2)
        )  # local morning (UTC+10)
        if vehicle:  # from a vehicle nobody sees a snare
            fx, fv, fc = np.zeros((0, 2)), np.zeros(0, int), np.zeros(0, int)
        else:
            fx, fv, fc = _detect(rng, area, s, xy, day)
            recent += [(d, float(x), float(y)) for x, y in fx]
        yield Track(code, day, vehicle, xy, start, s.fix_interval_s, fx, fv, fc)


def _detect(rng, area: DemoArea, s: SimulationSettings, xy: np.ndarray, day: date):
    mid = (xy[:-1] + xy[1:]) / 2
    seg_km = np.hypot(*(xy[1:] - xy[:-1]).T) / 1000
    if s.flat:
        rate = np.full(len(mid), s.flat_rate_per_km2)
    else:
        rate = truth_rate(area, mid[:, 0], mid[:, 1])
    rate = rate * season_factor(day)
    expected = rate * seg_km * 2 * s.detection_half_width_km * s.detection_probability
    hits = rng.poisson(expected)
    seg = np.repeat(np.arange(len(mid)), hits)
    points = mid[seg] + rng.normal(0, 8.0, size=(seg.size, 2))
    counts = 1 + rng.poisson(0.4, size=seg.size)
    return points, seg, counts


def simulate_patrols(area: DemoArea, settings: SimulationSettings | None = None):
    """Yield one report (a GeoJSON FeatureCollection dict) per simulated patrol, by date."""
    s = settings or SimulationSettings()
    attr_rng = np.random.default_rng(s.seed + 1)  # find attributes, apart from the tracks
    for track in simulate_tracks(area, s):
        xy = track.xy
        times = [track.start + timedelta(seconds=k * track.fix_interval_s) for k in range(len(xy))]
        lon, lat = to_wgs84(xy[:, 0], xy[:, 1], area.epsg)
        d = (track.day - date(s.year, 1, 1)).days
        patrol_id = str(uuid.uuid5(NAMESPACE, f"{s.seed}-{track.unit}-{d}"))
        features = [
            {
                "type": "Feature",
                "id": patrol_id,
                "geometry": {
                    "type": "LineString",
                    "coordinates": np.round(np.column_stack([lon, lat]), 6).tolist(),
                },
                "properties": {
                    "kind": "route",
                    "unit": track.unit,
                    "leader": f"{track.unit} leader",
                    "transport": "vehicle" if track.vehicle else "foot",
                    "started_at": times[0].isoformat(),
                    "ended_at": times[-1].isoformat(),
                    "coordTimes": [t.isoformat() for t in times],
                },
            }
        ]
        if len(track.finds_xy):
            flon, flat = to_wgs84(track.finds_xy[:, 0], track.finds_xy[:, 1], area.epsg)
            for k in range(len(track.finds_xy)):
                species = SPECIES[attr_rng.integers(len(SPECIES))]
                features.append(
                    {
                        "type": "Feature",
                        "id": str(uuid.uuid5(NAMESPACE, f"{patrol_id}-{k}")),
                        "geometry": {
                            "type": "Point",
                            "coordinates": [round(float(flon[k]), 6), round(float(flat[k]), 6)],
                        },
                        "properties": {
                            "kind": "snare",
                            "found_at": times[track.finds_vertex[k]].isoformat(),
                            "type": _choice(attr_rng, SNARE_TYPES),
                            "count": int(track.finds_count[k]),
                            "state": _choice(attr_rng, SNARE_STATES),
                            "action": _choice(attr_rng, SNARE_ACTIONS),
                            **({"species": species} if species else {}),
                        },
                    }
                )
        yield {"type": "FeatureCollection", "features": features}
