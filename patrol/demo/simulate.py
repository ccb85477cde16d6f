"""Simulate a year of patrols in the demo area, with the snares each finds, as GeoJSON reports.

Everything here is synthetic and deterministic for a given seed. The truth (snares per km2 per
cell, ``patrol.demo.area``) is kept so analytics can be scored against it: patrols only find
snares where they walk, and then only some of them (per-pass detection well below 1).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import shapely
import shapely.ops

from patrol.demo.area import DemoArea, season_factor, truth_rate
from patrol.geo.documents import feature, feature_collection, line_string, point
from patrol.geo.projection import to_wgs84
from patrol.vocabulary import Action, FindState, FindType, Transport

__all__ = [
    "SimulationSettings",
    "Track",
    "simulate_patrols",
    "simulate_tracks",
]

SNARE_TYPES = (
    (FindType.WIRE, 0.6),
    (FindType.CABLE, 0.2),
    (FindType.ROPE, 0.1),
    (FindType.LEGHOLD, 0.05),
    (FindType.PIT, 0.02),
    (FindType.OTHER, 0.03),
)
SNARE_STATES = ((FindState.ACTIVE, 0.7), (FindState.INACTIVE, 0.2), (FindState.TRIGGERED, 0.1))
SNARE_ACTIONS = (
    (Action.REMOVED, 0.8),
    (Action.DESTROYED, 0.15),
    (Action.MARKED, 0.03),
    (Action.LEFT_IN_PLACE, 0.02),
)
SPECIES = (None, "sika deer", "wild boar", "roe deer", "badger")
NAMESPACE = uuid.UUID("0d6c3c3a-3f4e-4c5e-8a8e-4b1a5c6d7e8f")

Point = tuple[float, float]


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


def _choice(rng: np.random.Generator, table: Sequence[tuple[str, float]]) -> str:
    values, weights = zip(*table, strict=True)
    return values[rng.choice(len(values), p=np.array(weights) / sum(weights))]


def _walk(
    rng: np.random.Generator,
    start: Point,
    target: Point,
    n_steps: int,
    step_m: float,
    inside: Callable[[np.ndarray], bool],
) -> np.ndarray:
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


def _road_start(area: DemoArea, target: Point, rng: np.random.Generator) -> Point | None:
    """Where a vehicle drops a foot patrol: the road point nearest the target, if near."""
    if not area.roads:
        return None
    point = shapely.Point(target)
    best = min(area.roads, key=point.distance)
    if best.distance(point) > 8000:
        return None
    drop = best.interpolate(best.project(point) + rng.normal(0, 500))
    return drop.x, drop.y


def _plans(
    area: DemoArea, s: SimulationSettings, rng: np.random.Generator, days: int
) -> list[tuple[int, str, float, float]]:
    """(day of the year, unit, base x, base y) of every patrol, in order of day then unit."""
    plans = []
    for code, _, bx, by in area.units:
        n = rng.poisson(s.patrols_per_unit_week * days / 7.0)
        for d in np.sort(rng.choice(days, size=min(n, days), replace=False)):
            plans.append((int(d), code, bx, by))
    plans.sort()
    return plans


def _drive(area: DemoArea, rng: np.random.Generator, length_km: float, step_m: float) -> np.ndarray:
    """A vehicle patrol: a piece of a road, driven there and back."""
    road = area.roads[rng.integers(len(area.roads))]
    a = rng.uniform(0, max(road.length - length_km * 500, 1.0))
    piece = shapely.ops.substring(road, a, a + length_km * 500).segmentize(step_m)
    out = np.array(piece.coords)
    return np.concatenate([out, out[::-1][1:]])


def _foot_target(
    rng: np.random.Generator,
    s: SimulationSettings,
    base: Point,
    near: list[tuple[int, float, float]],
    length_km: float,
) -> Point:
    """Where a foot patrol heads: near a recent find, or a place within reach of its base."""
    if near and rng.random() < s.follow_finds:
        f = near[rng.integers(len(near))]
        return (f[1] + rng.normal(0, 300), f[2] + rng.normal(0, 300))
    reach_m = min(length_km * 1000 / 2, 12000.0)
    angle = rng.uniform(0, 2 * np.pi)
    return (base[0] + reach_m * np.cos(angle), base[1] + reach_m * np.sin(angle))


def _walk_out_and_home(
    area: DemoArea,
    rng: np.random.Generator,
    s: SimulationSettings,
    target: Point,
    base: Point,
    half: int,
    step_m: float,
    inside: Callable[[np.ndarray], bool],
) -> np.ndarray:
    """A foot patrol: dropped on a road near the target (else at its base), out and home."""
    start_xy = _road_start(area, target, rng) or base
    out = _walk(rng, start_xy, target, half, step_m, inside)
    if rng.random() < s.retrace_share:
        back = out[::-1][1:]  # the same trail home
    else:
        back = _walk(rng, out[-1], start_xy, half, step_m, inside)[1:]
    return np.concatenate([out, back])


def simulate_tracks(area: DemoArea, settings: SimulationSettings | None = None) -> Iterator[Track]:
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

    def inside(p: np.ndarray) -> bool:
        return bool(shapely.contains_xy(area.boundary, p[0], p[1]))

    start_day = date(s.year, 1, 1)
    days = (date(s.year + 1, 1, 1) - start_day).days
    recent: list[tuple[int, float, float]] = []  # (day, x, y) of finds
    for d, code, bx, by in _plans(area, s, rng, days):
        day = start_day + timedelta(days=d)
        vehicle = rng.random() < 0.1
        speed_kmh = rng.uniform(18, 30) if vehicle else rng.uniform(2.5, 4.0)
        length_km = rng.uniform(25, 60) if vehicle else rng.uniform(6, 18)
        step_m = speed_kmh * 1000 * s.fix_interval_s / 3600
        half = max(int(length_km * 500 / step_m), 3)
        recent = [f for f in recent if d - f[0] <= s.memory_days]
        near = [f for f in recent if np.hypot(f[1] - bx, f[2] - by) < 20000]
        if vehicle and area.roads:
            xy = _drive(area, rng, length_km, step_m)
        else:
            target = _foot_target(rng, s, (bx, by), near, length_km)
            xy = _walk_out_and_home(area, rng, s, target, (bx, by), half, step_m, inside)
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


def _detect(
    rng: np.random.Generator, area: DemoArea, s: SimulationSettings, xy: np.ndarray, day: date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The snares a foot patrol finds along ``xy``: where, from which segment, how many."""
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


def _route_feature(
    track: Track, patrol_id: str, lon: np.ndarray, lat: np.ndarray, times: list[datetime]
) -> dict[str, Any]:
    return feature(
        line_string(np.round(np.column_stack([lon, lat]), 6).tolist()),
        {
            "kind": "route",
            "unit": track.unit,
            "leader": f"{track.unit} leader",
            "transport": Transport.VEHICLE if track.vehicle else Transport.FOOT,
            "started_at": times[0].isoformat(),
            "ended_at": times[-1].isoformat(),
            "coordTimes": [t.isoformat() for t in times],
        },
        id=patrol_id,
    )


def _find_features(
    area: DemoArea,
    track: Track,
    patrol_id: str,
    times: list[datetime],
    attr_rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """The track's finds as snare features, with attributes drawn from the tables."""
    if not len(track.finds_xy):
        return []
    flon, flat = to_wgs84(track.finds_xy[:, 0], track.finds_xy[:, 1], area.epsg)
    features = []
    for k in range(len(track.finds_xy)):
        species = SPECIES[attr_rng.integers(len(SPECIES))]
        properties = {
            "kind": "snare",
            "found_at": times[track.finds_vertex[k]].isoformat(),
            "type": _choice(attr_rng, SNARE_TYPES),
            "count": int(track.finds_count[k]),
            "state": _choice(attr_rng, SNARE_STATES),
            "action": _choice(attr_rng, SNARE_ACTIONS),
            **({"species": species} if species else {}),
        }
        where = point(round(float(flon[k]), 6), round(float(flat[k]), 6))
        features.append(
            feature(where, properties, id=str(uuid.uuid5(NAMESPACE, f"{patrol_id}-{k}")))
        )
    return features


def simulate_patrols(
    area: DemoArea, settings: SimulationSettings | None = None
) -> Iterator[dict[str, Any]]:
    """Yield one report (a GeoJSON FeatureCollection dict) per simulated patrol, by date."""
    s = settings or SimulationSettings()
    attr_rng = np.random.default_rng(s.seed + 1)  # find attributes, apart from the tracks
    for track in simulate_tracks(area, s):
        xy = track.xy
        times = [track.start + timedelta(seconds=k * track.fix_interval_s) for k in range(len(xy))]
        lon, lat = to_wgs84(xy[:, 0], xy[:, 1], area.epsg)
        d = (track.day - date(s.year, 1, 1)).days
        patrol_id = str(uuid.uuid5(NAMESPACE, f"{s.seed}-{track.unit}-{d}"))
        route = _route_feature(track, patrol_id, lon, lat, times)
        yield feature_collection([route, *_find_features(area, track, patrol_id, times, attr_rng)])
