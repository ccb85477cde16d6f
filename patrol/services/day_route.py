"""A unit's day route: from its base and back, through the cells where a search should find most."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import sqlalchemy.orm as so

from patrol.analytics.exposure import detection_per_visit
from patrol.analytics.route import DayRoute, plan_route
from patrol.errors import Conflict, FieldError, ValidationFailed
from patrol.geo.documents import feature, feature_collection, line_string, point
from patrol.geo.projection import to_metric
from patrol.services.grid_hotspots import num
from patrol.services.risk import RiskResult, resolve_until, risk
from patrol.store.models import ConservationArea, Unit
from patrol.texts import N_

__all__ = ["DEFAULT_WALK_KM", "DayRouteResult", "day_route", "route_geojson", "route_gpx"]

DEFAULT_WALK_KM = 20.0
SEARCH_KM = 2.0  # searched at each stop of a day route


@dataclass
class DayRouteResult:
    unit: Unit
    day: date
    walk_km: float
    search_km: float
    base_lon: float
    base_lat: float
    stops: list[dict[str, Any]]
    legs_km: list[float]
    length_km: float
    expected_finds: float
    exact: bool
    # For a printed map: metric base and stops, and the cells within reach of the base
    # (lower-left x, y, side, expected finds of a stop there).
    base_xy: tuple[float, float] = (0.0, 0.0)
    stops_xy: list[tuple[float, float]] = field(default_factory=list)
    cells: list[tuple[float, float, float, float]] = field(default_factory=list)


def day_route(
    session: so.Session, area: ConservationArea, unit: Unit, day: date | None
) -> DayRouteResult:
    """The unit's day route on ``day``: from its base and back within its walking length,
    through the cells whose expected finds (standing stock at the start of the day times the
    chance a ``SEARCH_KM`` search sees a snare) add up to the most."""
    if unit.base_lon is None or unit.base_lat is None:
        raise Conflict(N_("Unit {code} has no base to start from.", code=unit.code))
    latest = resolve_until(session, area, None)
    day = day or latest + timedelta(days=1)
    if day.year < 1990 or day > latest + timedelta(days=366):
        raise ValidationFailed(
            N_("No route for that day."),
            errors=[FieldError("/date", N_("within a year of the data"))],
        )
    result = risk(session, area, day - timedelta(days=1), 1)
    m, s = result.model, result.settings
    pass_km = s.pass_km or result.grid.cell_m / 1000
    q = detection_per_visit(np.array([SEARCH_KM]), s.detection_probability, pass_km)[0]
    score = m.standing_stock * q
    bx, by = to_metric(np.array([unit.base_lon]), np.array([unit.base_lat]), area.epsg)
    walk_km = unit.walk_km or DEFAULT_WALK_KM
    plan = plan_route(
        np.array([bx[0], by[0]]),
        np.column_stack([result.centre_x, result.centre_y]),
        score,
        walk_km,
        SEARCH_KM,
    )
    side = result.grid.cell_m
    near = np.flatnonzero(
        np.hypot(result.centre_x - bx[0], result.centre_y - by[0]) <= walk_km * 500 + side
    )
    return DayRouteResult(
        unit,
        day,
        walk_km,
        SEARCH_KM,
        float(unit.base_lon),
        float(unit.base_lat),
        _stops(result, plan, score),
        [round(float(v), 3) for v in plan.legs_km],
        round(plan.length_km, 3),
        round(plan.score, 3),
        plan.exact,
        (float(bx[0]), float(by[0])),
        [(float(result.centre_x[c]), float(result.centre_y[c])) for c in plan.stops.tolist()],
        [
            (
                float(result.centre_x[c] - side / 2),
                float(result.centre_y[c] - side / 2),
                float(side),
                float(score[c]),
            )
            for c in near.tolist()
        ],
    )


def _stops(result: RiskResult, plan: DayRoute, score: np.ndarray) -> list[dict[str, Any]]:
    """The route's stops in their order, each with what a search there should find."""
    m = result.model
    stops = []
    for rank, c in enumerate(plan.stops.tolist(), start=1):
        stops.append(
            {
                "priority": rank,
                "cell": [int(result.ix[c]), int(result.iy[c])],
                "lon": round(float(result.centre_lon[c]), 6),
                "lat": round(float(result.centre_lat[c]), 6),
                "expected_finds": round(float(score[c]), 3),
                "leg_km": round(float(plan.legs_km[rank - 1]), 3),
                "walked": bool(m.walked[c]),
                "setting_rate": num(m.setting_rate[c]) if m.walked[c] else None,
                "standing_stock": num(m.standing_stock[c]),
                "last_patrolled": (
                    result.last_patrolled[c].isoformat() if result.last_patrolled[c] else None
                ),
            }
        )
    return stops


def route_geojson(r: DayRouteResult) -> dict[str, Any]:
    """The route as a LineString (base, stops, base) and one Point per stop, each with its
    expected finds and the length of the leg that reaches it."""
    base = [round(r.base_lon, 6), round(r.base_lat, 6)]
    line = [base, *([s["lon"], s["lat"]] for s in r.stops), base]
    route = feature(
        line_string(line),
        {
            "kind": "route",
            "unit": r.unit.code,
            "date": r.day.isoformat(),
            "walk_km": r.walk_km,
            "search_km_per_stop": r.search_km,
            "length_km": r.length_km,
            "expected_finds": r.expected_finds,
            "legs_km": r.legs_km,
            "home_leg_km": r.legs_km[-1] if r.legs_km else 0.0,
            "exact": r.exact,
        },
        id=f"{r.unit.code}-{r.day.isoformat()}",
    )
    stops = (
        feature(
            point(s["lon"], s["lat"]), {"kind": "stop", **s}, id=f"{r.unit.code}-P{s['priority']}"
        )
        for s in r.stops
    )
    return feature_collection([route, *stops], unit=r.unit.code, date=r.day.isoformat())


def route_gpx(r: DayRouteResult) -> str:
    """GPX 1.1 ``<rte>`` a handheld follows: base, the stops named by priority, base."""
    import gpxpy.gpx

    gpx = gpxpy.gpx.GPX()
    gpx.creator = "patrol"
    route = gpxpy.gpx.GPXRoute(name=f"{r.unit.code} {r.day.isoformat()}")
    route.description = (
        f"{r.length_km:.1f} km, {len(r.stops)} stops, expect {r.expected_finds:.1f} snares"
    )
    route.points.append(gpxpy.gpx.GPXRoutePoint(r.base_lat, r.base_lon, name=f"{r.unit.code} base"))
    for s in r.stops:
        route.points.append(
            gpxpy.gpx.GPXRoutePoint(
                s["lat"],
                s["lon"],
                name=f"{r.unit.code} P{s['priority']}",
                description=(
                    f"priority {s['priority']}: expect {s['expected_finds']:.2f} snares in "
                    f"{r.search_km:g} km; leg {s['leg_km']:.1f} km; last patrolled "
                    f"{s['last_patrolled'] or 'never'}"
                ),
            )
        )
    route.points.append(gpxpy.gpx.GPXRoutePoint(r.base_lat, r.base_lon, name=f"{r.unit.code} home"))
    gpx.routes.append(route)
    return gpx.to_xml(version="1.1")
