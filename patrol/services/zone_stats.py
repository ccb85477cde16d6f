"""Effort-corrected figures per zone: per-month sums, and the zone table with its hotspot flag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely.geometry import shape

from patrol.analytics.gistar import benjamini_hochberg
from patrol.analytics.hotspots import expected_by_period
from patrol.analytics.rates import cpue, eb_rates
from patrol.analytics.trend import mann_kendall
from patrol.geo.documents import feature
from patrol.geo.projection import to_metric
from patrol.geo.shapes import project
from patrol.services import month_figures
from patrol.services.cell_figures import (
    AnalysisSettings,
    Window,
    group_bins,
    months,
)
from patrol.services.grid_hotspots import HotspotResult, grid_hotspots, num
from patrol.services.queries import live_patrols
from patrol.store.models import ConservationArea, EffortZone, Patrol, SnareFind, Zone
from patrol.store.partitioning import window_hint
from patrol.vocabulary import REMOVED_ACTIONS, SIGNIFICANT_HOT

__all__ = ["ZONE_FIGURES", "ZoneRow", "zone_months", "zone_stats"]

EFFORT = ("effort_km", "effort_h", "patrols", "patrol_days")
FOUND = ("snares", "removed", "finds")
ZONE_FIGURES = EFFORT + FOUND


@dataclass
class ZoneRow:
    zone: Zone
    figures: dict[str, Any]

    def feature(self) -> dict[str, Any]:
        """The zone as a GeoJSON feature: its figures and its names in each language the park
        gave (``{}`` when none), the same in the API and in OGC API - Features."""
        return feature(
            self.zone.geometry, {**self.figures, "names": self.zone.names or {}}, id=self.zone.code
        )


@dataclass(frozen=True)
class _ZoneTests:
    """The zones' window totals and the Poisson test of their finds, aligned with the zones."""

    total: dict[str, np.ndarray]
    eb_rate: np.ndarray
    expected: np.ndarray
    p_high: np.ndarray
    high: np.ndarray
    trend: list[tuple[str, float, float]]


def zone_stats(
    session: so.Session,
    area: ConservationArea,
    window: Window,
    unit_id: int | None = None,
    settings: AnalysisSettings | None = None,
) -> tuple[list[ZoneRow], HotspotResult]:
    """Per zone: counts, effort, density, CPUE, EB rate, hotspot flag with reason, trend."""
    settings = settings or AnalysisSettings()
    zones = list(
        session.scalars(sa.select(Zone).where(Zone.area_id == area.id).order_by(Zone.code))
    )
    # One read of the window's fingerprints for the zones' figures and the cells'.
    with month_figures.reading(session, area, window.start, window.end):
        monthly = zone_months(session, area, window, zones, unit_id, settings.search_transports)
        cells = grid_hotspots(session, area, window, None, unit_id, settings, trend=False)
    tests = _zone_tests({key: v[:, : len(zones)] for key, v in monthly.items()}, settings)
    hot_cells = _hot_cells_per_zone(area, zones, cells)
    rows = [
        ZoneRow(z, _zone_figures(z, k, tests, int(hot_cells[k]), settings))
        for k, z in enumerate(zones)
    ]
    return rows, cells


def _zone_tests(monthly: dict[str, np.ndarray], settings: AnalysisSettings) -> _ZoneTests:
    """Exact Poisson test of each zone's finds against the area's rate in the same months."""
    from scipy import stats  # where it is used: 0.5 s of every command's start-up

    total = {key: values.sum(axis=0) for key, values in monthly.items()}
    n_finds = total["finds"]
    expected = expected_by_period(monthly["finds"], monthly["effort_km"])
    p_high = np.where(expected > 0, stats.poisson.sf(n_finds - 1, expected), 1.0)
    high = benjamini_hochberg(p_high, settings.fdr_alpha) & (n_finds > expected)
    eb = eb_rates(total["snares"], total["effort_km"]).rate
    return _ZoneTests(total, eb, expected, p_high, high, _zone_trend(monthly, settings))


def _hot_cells_per_zone(
    area: ConservationArea, zones: list[Zone], cells: HotspotResult
) -> np.ndarray:
    """How many significant hot cells have their centre in each zone."""
    hot = np.isin(cells.classes, SIGNIFICANT_HOT)
    cx, cy = to_metric(cells.centre_lon, cells.centre_lat, area.epsg)
    out = np.zeros(len(zones), np.int64)
    for k, z in enumerate(zones):
        geometry = project(shape(z.geometry), area.epsg)
        out[k] = int((hot & shapely.contains_xy(geometry, cx, cy)).sum())
    return out


def _reasons(k: int, t: _ZoneTests, n_hot: int, settings: AnalysisSettings) -> list[str]:
    """Why zone ``k`` is a hotspot, in words (none: it is not)."""
    reasons = []
    if t.high[k]:
        reasons.append(
            f"{int(t.total['finds'][k])} finds where the area's rate in the same months "
            f"predicts {t.expected[k]:.1f} (Poisson p={t.p_high[k]:.2g}, "
            f"FDR {settings.fdr_alpha:g})"
        )
    if n_hot:
        reasons.append(f"{n_hot} significant hot cell(s) (Gi*, FDR {settings.fdr_alpha:g})")
    return reasons


def _zone_figures(
    z: Zone, k: int, t: _ZoneTests, n_hot: int, settings: AnalysisSettings
) -> dict[str, Any]:
    """One zone's row of the table."""
    tot = t.total
    km, hours, snares = tot["effort_km"][k : k + 1], tot["effort_h"][k : k + 1], tot["snares"]
    reasons = _reasons(k, t, n_hot, settings)
    return {
        "zone": z.code,
        "name": z.name,
        "area_km2": round(z.area_km2, 3),
        "snares_found": int(snares[k]),
        "snares_removed": int(tot["removed"][k]),
        "finds": int(tot["finds"][k]),
        "patrols": int(tot["patrols"][k]),
        "patrol_days": int(tot["patrol_days"][k]),
        "effort_km": round(km[0], 3),
        "effort_h": round(hours[0], 3),
        "density_per_km2": num(snares[k] / z.area_km2 if z.area_km2 else np.nan),
        "cpue_per_100km": num(cpue(snares[k : k + 1], km, 100)[0]),
        "cpue_per_10h": num(cpue(snares[k : k + 1], hours, 10)[0]),
        "eb_rate_per_100km": num(t.eb_rate[k] * 100),
        "hotspot": bool(reasons),
        "hotspot_reason": "; ".join(reasons) or None,
        "trend": t.trend[k][0],
        "trend_tau_z": num(t.trend[k][1]),
        "trend_p": num(t.trend[k][2], 6),
    }


def zone_months(
    session: so.Session,
    area: ConservationArea,
    window: Window,
    zones: list[Zone],
    unit_id: int | None = None,
    transports: tuple[str, ...] | None = None,
) -> dict[str, np.ndarray]:
    """Every zone figure per month (rows: the window's months) and zone (columns, in the order
    of ``zones``, then one column for outside every zone): two GROUP BYs on the stored start
    month, per month kept by ``month_figures`` while the month's patrols are unchanged. Zone
    statistics and the annual export both sum these, so they cannot disagree."""
    transports = tuple(transports) if transports is not None else None
    kind = ("zones", tuple(z.id for z in zones), unit_id, transports)

    def compute(first: date, end: date) -> dict[str, np.ndarray]:
        return _zone_months(session, area, Window(first, end), zones, unit_id, transports)

    return month_figures.pieced(session, area, window.start, window.end, kind, compute)


def _zone_months(
    session: so.Session,
    area: ConservationArea,
    window: Window,
    zones: list[Zone],
    unit_id: int | None,
    transports: tuple[str, ...] | None,
) -> dict[str, np.ndarray]:
    """``zone_months`` straight from the database."""
    month_index = {m: k for k, m in enumerate(months(window))}
    index = {z.id: k for k, z in enumerate(zones)}
    out = {key: np.zeros((len(month_index), len(zones) + 1)) for key in ZONE_FIGURES}
    cond = live_patrols(area.id, window.start, window.end, unit_id, transports)
    conn = session.connection()
    for zid, m, *figures in conn.execute(_zone_effort_query(session, cond)):
        at = (month_index[m], index.get(zid, len(zones)))
        for key, value in zip(EFFORT, figures, strict=True):
            out[key][at] += value
    for zid, m, *figures in conn.execute(_zone_finds_query(cond)):
        at = (month_index[m], index.get(zid, len(zones)))
        for key, value in zip(FOUND, figures, strict=True):
            out[key][at] += value
    return out


def _zone_effort_query(session: so.Session, cond: list[sa.ColumnElement[bool]]) -> sa.Select:
    """Effort per zone and start month: km, hours, patrols, their local days."""
    month = Patrol.start_month
    return (
        sa.select(
            EffortZone.zone_id,
            month,
            sa.func.sum(EffortZone.effort_km),
            sa.func.sum(EffortZone.effort_h),
            sa.func.count(),
            sa.func.sum(Patrol.days),
        )
        .join(Patrol, Patrol.id == EffortZone.patrol_id)
        .where(*cond, *window_hint(session.get_bind(), EffortZone.patrol_id, cond))
        .group_by(EffortZone.zone_id, month)
    )


def _zone_finds_query(cond: list[sa.ColumnElement[bool]]) -> sa.Select:
    """Finds per zone and start month: snares, snares removed, find records."""
    month = Patrol.start_month
    removed = sa.func.sum(
        sa.case((SnareFind.action.in_(REMOVED_ACTIONS), SnareFind.count), else_=0)
    )
    return (
        sa.select(SnareFind.zone_id, month, sa.func.sum(SnareFind.count), removed, sa.func.count())
        .join(Patrol, Patrol.id == SnareFind.patrol_id)
        .where(*cond)
        .group_by(SnareFind.zone_id, month)
    )


def _zone_trend(
    monthly: dict[str, np.ndarray], settings: AnalysisSettings
) -> list[tuple[str, float, float]]:
    """Mann-Kendall over each zone's EB-smoothed rate per time bin (month or season)."""
    group = 3 if settings.bins == "seasonal" else 1
    km = group_bins(monthly["effort_km"], group)
    sn = group_bins(monthly["snares"], group)
    nb, nz = km.shape
    if nb < 3 or nz == 0:
        return [("too_few_bins", np.nan, np.nan)] * nz
    rates = np.vstack([np.nan_to_num(eb_rates(sn[k], km[k]).rate) for k in range(nb)])
    _, z, p = mann_kendall(rates.T)
    out = []
    for k in range(nz):
        label = ("increasing" if z[k] > 0 else "decreasing") if p[k] < 0.05 else "no_trend"
        out.append((label, float(z[k]), float(p[k])))
    return out
