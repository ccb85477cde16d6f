"""Dispatch: the significant hot cells (and promising under-patrolled ones) given to units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.analytics.dispatch import Assignment, assign_targets
from patrol.analytics.gistar import queen_weights
from patrol.geo.documents import feature, feature_collection, point
from patrol.geo.projection import to_metric
from patrol.services import month_figures
from patrol.services.cell_figures import AnalysisSettings, Window
from patrol.services.grid_hotspots import HotspotResult, grid_hotspots
from patrol.store.models import ConservationArea, Unit
from patrol.vocabulary import SIGNIFICANT_HOT, HotspotClass

__all__ = ["Target", "dispatch", "targets_geojson", "targets_gpx"]


@dataclass
class Target:
    unit: str
    rank: int
    ix: int
    iy: int
    lon: float
    lat: float
    hotspot_class: str
    expected_snares: float
    distance_km: float
    eb_rate_per_100km: float
    last_patrolled: date | None


def dispatch(
    session: so.Session,
    area: ConservationArea,
    window: Window,
    settings: AnalysisSettings | None = None,
) -> tuple[list[Target], list[Unit]]:
    """Significant hot cells, and a share of the under-patrolled cells next to them, assigned
    to the area's active units (at most ``capacity`` each), nearest bases first overall."""
    settings = settings or AnalysisSettings()
    # One read of the window's fingerprints for the cells' figures and, when the window is
    # the prediction's year (the default), for the prediction too.
    with month_figures.reading(session, area, window.start, window.end):
        return _dispatch(session, area, window, settings)


def _dispatch(
    session: so.Session, area: ConservationArea, window: Window, settings: AnalysisSettings
) -> tuple[list[Target], list[Unit]]:
    result = grid_hotspots(session, area, window, None, None, settings, trend=False)
    candidates = _candidates(result, settings)
    units = list(
        session.scalars(
            sa.select(Unit)
            .where(Unit.area_id == area.id, Unit.active.is_(True), Unit.base_lon.is_not(None))
            .order_by(Unit.code)
        )
    )
    if candidates.size == 0 or not units:
        return [], units
    cx, cy = to_metric(result.centre_lon[candidates], result.centre_lat[candidates], area.epsg)
    bx, by = to_metric(
        np.array([u.base_lon for u in units]), np.array([u.base_lat for u in units]), area.epsg
    )
    # Hot cells are the evidence; what a visit should find there next ranks them: the
    # setting-rate model's expected finds of a 5 km search (snares standing, and set, by then).
    from patrol.services.risk import risk

    predicted = risk(session, area, window.end - timedelta(days=1), 30)
    expected = predicted.model.expected_finds[candidates]
    a = assign_targets(
        np.column_stack([cx, cy]), expected, np.column_stack([bx, by]), settings.capacity
    )
    return _targets(result, units, candidates, expected, a), units


def _candidates(result: HotspotResult, settings: AnalysisSettings) -> np.ndarray:
    """The significant hot cells, then the most promising share of the under-patrolled cells
    next to them: absence of data is not absence of snares."""
    hot = np.isin(result.classes, SIGNIFICANT_HOT)
    candidates = np.flatnonzero(hot)
    under = result.classes == HotspotClass.UNDER_PATROLLED
    if hot.any() and under.any():
        w = queen_weights(result.figures.ix, result.figures.iy)
        next_to_hot = (w @ hot.astype(float)) > 0
        pool = np.flatnonzero(under & next_to_hot)
        take = int(np.ceil(settings.under_patrolled_share * pool.size))
        chosen = pool[np.argsort(-result.eb_per_km[pool], kind="stable")[:take]]
        candidates = np.concatenate([candidates, chosen])
    return candidates


def _targets(
    result: HotspotResult,
    units: list[Unit],
    candidates: np.ndarray,
    expected: np.ndarray,
    a: Assignment,
) -> list[Target]:
    """The assignment as targets, in its order."""
    ix, iy = result.figures.ix, result.figures.iy
    targets = []
    for u, t, rank, dist in zip(a.unit, a.target, a.rank, a.distance_m, strict=True):
        c = candidates[t]
        targets.append(
            Target(
                unit=units[u].code,
                rank=int(rank),
                ix=int(ix[c]),
                iy=int(iy[c]),
                lon=round(float(result.centre_lon[c]), 6),
                lat=round(float(result.centre_lat[c]), 6),
                hotspot_class=str(result.classes[c]),
                expected_snares=round(float(expected[t]), 2),
                distance_km=round(float(dist) / 1000, 2),
                eb_rate_per_100km=round(float(result.eb_per_km[c] * 100), 3),
                last_patrolled=result.figures.last_patrolled[c],
            )
        )
    return targets


def targets_geojson(targets: list[Target], window: Window) -> dict[str, Any]:
    return feature_collection(
        (
            feature(
                point(t.lon, t.lat),
                {
                    "unit": t.unit,
                    "rank": t.rank,
                    "cell": [t.ix, t.iy],
                    "hotspot_class": t.hotspot_class,
                    "expected_snares": t.expected_snares,
                    "expected_finds_5km": t.expected_snares,
                    "distance_km": t.distance_km,
                    "eb_rate_per_100km": t.eb_rate_per_100km,
                    "last_patrolled": t.last_patrolled.isoformat() if t.last_patrolled else None,
                },
                id=f"{t.unit}-{t.rank}",
            )
            for t in targets
        ),
        window=window.label,
    )


def targets_gpx(targets: list[Target], title: str) -> str:
    """GPX 1.1 waypoints a handheld GPS loads: one per target, named by unit and rank."""
    import gpxpy.gpx

    gpx = gpxpy.gpx.GPX()
    gpx.creator = "patrol"
    gpx.name = title
    for t in targets:
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                latitude=t.lat,
                longitude=t.lon,
                name=f"{t.unit} #{t.rank}",
                description=(
                    f"{t.hotspot_class.replace('_', ' ')}; expect {t.expected_snares} "
                    f"snares in {AnalysisSettings().visit_km:g} km; cell {t.ix},{t.iy}"
                ),
                symbol="Flag, Red",
            )
        )
    return gpx.to_xml(version="1.1")
