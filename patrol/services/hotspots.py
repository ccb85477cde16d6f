"""Effort-corrected figures per zone and per grid cell, hotspots, their trend, and dispatch.

Every figure is a GROUP BY over the effort and finds stored at ingest, then array work in
patrol.analytics. Windows are local calendar days of the area: [start, end).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
import sqlalchemy.orm as so
from scipy import stats
from shapely.geometry import shape

from patrol.analytics.dispatch import assign_targets
from patrol.analytics.gistar import benjamini_hochberg, queen_weights
from patrol.analytics.hotspots import CellVerdicts, bin_verdicts, cell_verdicts, expected_by_period
from patrol.analytics.rates import cpue, eb_rates
from patrol.analytics.trend import emerging_categories, mann_kendall
from patrol.errors import FieldError, ValidationFailed
from patrol.geo.grid import Grid
from patrol.geo.projection import to_metric, to_wgs84
from patrol.geo.report import REMOVED_ACTIONS
from patrol.geo.shapes import project
from patrol.services.auth import Principal
from patrol.services.days import started_in
from patrol.services.privacy import Suppression, check_aggregate_request, whole_months
from patrol.store.models import (
    ConservationArea,
    EffortCell,
    EffortZone,
    Patrol,
    SnareFind,
    Unit,
    Zone,
)
from patrol.store.partitioning import window_hint

__all__ = [
    "AnalysisSettings",
    "Window",
    "dispatch",
    "grid_hotspots",
    "resolve_window",
    "visible_cells",
    "zone_stats",
]

SIGNIFICANT_HOT = ("hot_99", "hot_95")
# The ngo role sees aggregates only: no cell finer than this, none with fewer patrols.


@dataclass(frozen=True)
class AnalysisSettings:
    min_effort_km: float = 1.0  # a cell walked less than this in the window is under-patrolled
    fdr_alpha: float = 0.05
    bins: str = "monthly"  # or "seasonal" (three months) for the trend
    under_patrolled_share: float = 0.2  # of under-patrolled cells next to hot ones, as targets
    capacity: int = 3  # targets per unit
    # Effort that searches for snares: from a vehicle, motorbike or boat nobody sees one.
    search_transports: tuple[str, ...] = ("foot", "ski")
    visit_km: float = 5.0  # effort of one visit to a target, for its expected finds


@dataclass(frozen=True)
class Window:
    start: date
    end: date  # exclusive

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}/{(self.end - timedelta(days=1)).isoformat()}"


def resolve_window(
    session: so.Session, area: ConservationArea, start: date | None, end: date | None
) -> Window:
    """The window asked for; by default the year up to the area's latest patrol."""
    if end is None:
        latest = session.scalar(
            sa.select(sa.func.max(Patrol.start_date)).where(
                Patrol.area_id == area.id, Patrol.deleted_at.is_(None)
            )
        )
        end = (latest or date.today()) + timedelta(days=1)
        if start is not None and start >= end:
            end = start + timedelta(days=365)
    if start is None:
        start = _years_before(end, 1)
    if end <= start:
        raise ValidationFailed(
            "The window is empty.", errors=[FieldError("/to", "must be after 'from'")]
        )
    if end - start > timedelta(days=366 * 20):
        raise ValidationFailed(
            "The window is too long.", errors=[FieldError("/from", "at most 20 years")]
        )
    return Window(start, end)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _patrol_filter(
    area_id: int, window: Window, unit_id: int | None, transports: tuple[str, ...] | None = None
):
    cond = [
        Patrol.area_id == area_id,
        Patrol.deleted_at.is_(None),
        *started_in(window.start, window.end),
    ]
    if unit_id is not None:
        cond.append(Patrol.unit_id == unit_id)
    if transports is not None:
        cond.append(Patrol.transport.in_(transports))
    return cond


def _months(window: Window) -> list[int]:
    """The window's months as yyyymm, first to last (partial months included)."""
    months = []
    year, month = window.start.year, window.start.month
    last = window.end - timedelta(days=1)
    while (year, month) <= (last.year, last.month):
        months.append(year * 100 + month)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _group_bins(values: np.ndarray, size: int) -> np.ndarray:
    """Sum consecutive rows in groups of ``size`` (monthly bins into seasons)."""
    if size == 1:
        return values
    pad = (-values.shape[0]) % size
    padded = np.vstack([values, np.zeros((pad, values.shape[1]))])
    return padded.reshape(-1, size, values.shape[1]).sum(axis=1)


@dataclass
class CellFigures:
    """Per-cell sums for the cells covering the area, aligned with ``ix``/``iy``."""

    ix: np.ndarray
    iy: np.ndarray
    effort_km: np.ndarray
    effort_h: np.ndarray
    patrols: np.ndarray
    snares: np.ndarray
    removed: np.ndarray
    finds: np.ndarray
    last_patrolled: list[date | None]
    by_bin: dict[str, np.ndarray] = field(default_factory=dict)  # (bins, cells) arrays


@lru_cache(maxsize=64)
def _area_cells(boundary_geojson: str, epsg: int, ox: float, oy: float, cell_m: float):
    """Cells of a grid covering an area, with their WGS84 polygons (cached per grid)."""
    boundary = project(shape(json.loads(boundary_geojson)), epsg)
    grid = Grid(ox, oy, cell_m)
    ix, iy = grid.cells_covering(boundary)
    x0 = ox + ix * cell_m
    y0 = oy + iy * cell_m
    xs = np.stack([x0, x0 + cell_m, x0 + cell_m, x0, x0], axis=1)
    ys = np.stack([y0, y0, y0 + cell_m, y0 + cell_m, y0], axis=1)
    lon, lat = to_wgs84(xs.ravel(), ys.ravel(), epsg)
    rings = np.stack([lon.reshape(xs.shape), lat.reshape(ys.shape)], axis=2)
    clon, clat = to_wgs84(x0 + cell_m / 2, y0 + cell_m / 2, epsg)
    return ix, iy, np.round(rings, 6), clon, clat


def _grid_for(area: ConservationArea, cell_km: float | None) -> tuple[Grid, int]:
    if cell_km is None:
        return Grid(area.grid_origin_x, area.grid_origin_y, area.cell_m), 1
    factor = cell_km * 1000.0 / area.cell_m
    if factor < 1 or abs(factor - round(factor)) > 1e-9 or factor > 50:
        raise ValidationFailed(
            "The cell size must be a whole multiple of the area's grid.",
            errors=[
                FieldError(
                    "/cell_km",
                    f"use {area.cell_m / 1000:g} km or a whole multiple of it (at most 50x)",
                )
            ],
        )
    factor = round(factor)
    return Grid(area.grid_origin_x, area.grid_origin_y, area.cell_m * factor), factor


def cell_figures(
    session: so.Session,
    area: ConservationArea,
    window: Window,
    factor: int = 1,
    unit_id: int | None = None,
    transports: tuple[str, ...] | None = None,
) -> CellFigures:
    """Sum stored effort and finds per month and cell (of ``factor`` x ``factor`` stored
    cells), of patrols by ``transports`` only when given.

    Two GROUP BYs on the stored start month; the window's totals are sums over the months
    (a patrol starts in one month, so even its distinct count adds up).
    """
    grid = Grid(area.grid_origin_x, area.grid_origin_y, area.cell_m * factor)
    ix, iy, *_ = _area_cells(
        area.boundary_geojson, area.epsg, grid.origin_x, grid.origin_y, grid.cell_m
    )
    n = ix.size
    # Cell (ix, iy) -> its position among the area's cells, -1 for cells outside the area
    # (effort within the margin lies there): a table, so no two cells can share a key.
    index = np.full((int(ix.max()) + 1, int(iy.max()) + 1) if n else (0, 0), -1, np.int64)
    index[ix, iy] = np.arange(n)
    nm = len(_months(window))
    cond = _patrol_filter(area.id, window, unit_id, transports)
    cx = EffortCell.ix // factor if factor > 1 else EffortCell.ix
    cy = EffortCell.iy // factor if factor > 1 else EffortCell.iy
    fx = SnareFind.cell_ix // factor if factor > 1 else SnareFind.cell_ix
    fy = SnareFind.cell_iy // factor if factor > 1 else SnareFind.cell_iy
    removed = sa.func.sum(
        sa.case((SnareFind.action.in_(REMOVED_ACTIONS), SnareFind.count), else_=0)
    )
    month = Patrol.start_month
    conn = session.connection()  # Core rows: no ORM bookkeeping for 10^5 aggregates

    months_ = _months(window)
    first_month = months_[0] // 100 * 12 + months_[0] % 100 - 1

    def place(rows) -> tuple[np.ndarray, np.ndarray, list[tuple]] | None:
        """Rows of (yyyymm, cell x, cell y, figures...) as bin and cell positions, and the
        figures' columns, rows outside the area dropped; column-wise, not row by row."""
        if not rows:
            return None
        cols = list(zip(*rows, strict=True))
        yyyymm = np.asarray(cols[0], np.int64)
        kx, ky = np.asarray(cols[1], np.int64), np.asarray(cols[2], np.int64)
        inside = (kx >= 0) & (ky >= 0) & (kx < index.shape[0]) & (ky < index.shape[1])
        pos = np.full(kx.size, -1, np.int64)
        pos[inside] = index[kx[inside], ky[inside]]
        months = yyyymm // 100 * 12 + yyyymm % 100 - 1 - first_month
        ok = pos >= 0
        return months[ok], pos[ok], [np.asarray(c)[ok] for c in cols[3:]]

    by_bin = {
        key: np.zeros((nm, n))
        for key in ("effort_km", "effort_h", "patrols", "snares", "removed", "finds")
    }
    last = np.full(n, np.iinfo(np.int64).min)  # days since 1970, per cell
    effort = place(
        _driver_rows(
            conn,
            sa.select(
                month,
                cx,
                cy,
                sa.func.sum(EffortCell.effort_km),
                sa.func.sum(EffortCell.effort_h),
                sa.func.count(sa.distinct(EffortCell.patrol_id)),
                sa.func.max(Patrol.start_date),
            )
            .join(Patrol, Patrol.id == EffortCell.patrol_id)
            .where(
                *cond,
                *window_hint(session.get_bind(), EffortCell.patrol_id, cond),
                EffortCell.ix >= 0,
                EffortCell.iy >= 0,
            )
            .group_by(month, cx, cy),
        )
    )
    if effort is not None:
        m, p, (km, hours, patrols, latest) = effort
        by_bin["effort_km"][m, p] = km.astype(float)
        by_bin["effort_h"][m, p] = hours.astype(float)
        by_bin["patrols"][m, p] = patrols.astype(float)
        # A cell's last patrol day lies in its last month: read only those rows' days (ISO
        # text on SQLite, dates on PostgreSQL; numpy reads both), not every month's.
        last_month = np.full(n, -1, np.int64)
        np.maximum.at(last_month, p, m)
        final = m == last_month[p]
        days = latest[final].astype("datetime64[D]").astype(np.int64)
        np.maximum.at(last, p[final], days)
    found = place(
        _driver_rows(
            conn,
            sa.select(month, fx, fy, sa.func.sum(SnareFind.count), removed, sa.func.count())
            .join(Patrol, Patrol.id == SnareFind.patrol_id)
            .where(*cond, SnareFind.cell_ix >= 0, SnareFind.cell_iy >= 0)
            .group_by(month, fx, fy),
        )
    )
    if found is not None:
        m, p, (snares, removed_n, finds) = found
        by_bin["snares"][m, p] = snares.astype(float)
        by_bin["removed"][m, p] = removed_n.astype(float)
        by_bin["finds"][m, p] = finds.astype(float)
    totals = {key: values.sum(axis=0) for key, values in by_bin.items()}
    return CellFigures(
        ix,
        iy,
        totals["effort_km"],
        totals["effort_h"],
        totals["patrols"],
        totals["snares"],
        totals["removed"],
        totals["finds"],
        _days_or_none(last),
        by_bin,
    )


def _driver_rows(conn: sa.Connection, statement: sa.Select) -> list[tuple]:
    """The rows as the database driver returns them (plain tuples): a ten-year window has
    10^5 month x cell rows of numbers, and building SQLAlchemy Row objects for them cost half
    as much again as fetching them. Values are the driver's own: dates are ISO text on SQLite
    and ``date`` objects on PostgreSQL (callers read both)."""
    result = conn.execute(statement)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _days_or_none(days: np.ndarray) -> list[date | None]:
    """Days since 1970 as dates, the int64 minimum (never walked) as None."""
    walked = days > np.iinfo(np.int64).min
    out: list[date | None] = [None] * days.size
    for k, day in zip(
        np.flatnonzero(walked).tolist(), days[walked].astype("datetime64[D]").tolist(), strict=True
    ):
        out[k] = day
    return out


ADDITIVE = ("effort_km", "effort_h", "snares", "removed", "finds")


def _suppressed(
    session: so.Session,
    area: ConservationArea,
    window: Window,
    figures: CellFigures,
    factor: int,
    suppression: Suppression,
    settings: AnalysisSettings,
) -> CellFigures:
    """``figures`` with each additive figure rebuilt from the allowed atoms only (atom cells
    x months with no patrol or at least ``min_patrols``); patrol counts stay as counted."""
    atom = round(suppression.atom_km * 1000 / area.cell_m)
    if factor % atom:
        raise ValueError("the cell size must be a whole multiple of the atom")
    atoms = cell_figures(session, area, window, atom, None, settings.search_transports)
    few = (atoms.by_bin["patrols"] > 0) & (atoms.by_bin["patrols"] < suppression.min_patrols)
    m = factor // atom
    table = np.full((int(figures.ix.max()) + 1, int(figures.iy.max()) + 1), -1, np.int64)
    table[figures.ix, figures.iy] = np.arange(figures.ix.size)
    px, py = atoms.ix // m, atoms.iy // m
    target = np.full(atoms.ix.size, -1, np.int64)
    inside = (px < table.shape[0]) & (py < table.shape[1])
    target[inside] = table[px[inside], py[inside]]
    keep = target >= 0
    by_bin = dict(figures.by_bin)
    for key in ADDITIVE:
        values = np.where(few, 0.0, atoms.by_bin[key])[:, keep]
        rebuilt = np.zeros_like(figures.by_bin[key])
        for b in range(values.shape[0]):
            rebuilt[b] = np.bincount(target[keep], values[b], minlength=rebuilt.shape[1])
        by_bin[key] = rebuilt
    totals = {key: by_bin[key].sum(axis=0) for key in ADDITIVE}
    return replace(figures, by_bin=by_bin, **totals)


@dataclass
class HotspotResult:
    window: Window
    grid: Grid
    figures: CellFigures
    verdicts: CellVerdicts
    trend: list[str]
    trend_z: np.ndarray
    trend_p: np.ndarray
    rings: np.ndarray
    centre_lon: np.ndarray
    centre_lat: np.ndarray

    @property
    def classes(self) -> np.ndarray:
        return self.verdicts.classes

    @property
    def eb_per_km(self) -> np.ndarray:
        return self.verdicts.eb_per_km


def grid_hotspots(
    session: so.Session,
    area: ConservationArea,
    window: Window,
    cell_km: float | None = None,
    unit_id: int | None = None,
    settings: AnalysisSettings | None = None,
    trend: bool = True,
    suppression: Suppression | None = None,
) -> HotspotResult:
    """Gi* of the EB-smoothed CPUE over cells with enough effort, FDR-classified, with trend.

    With ``suppression`` (figures for NGOs) every additive figure is a sum of the atoms it
    allows, and so is everything computed from them.
    """
    settings = settings or AnalysisSettings()
    grid, factor = _grid_for(area, cell_km)
    f = cell_figures(session, area, window, factor, unit_id, settings.search_transports)
    if suppression is not None:
        f = _suppressed(session, area, window, f, factor, suppression, settings)
    ix, iy, rings, clon, clat = _area_cells(
        area.boundary_geojson, area.epsg, grid.origin_x, grid.origin_y, grid.cell_m
    )
    v = cell_verdicts(
        ix,
        iy,
        f.snares,
        f.finds,
        f.effort_km,
        settings.min_effort_km,
        settings.fdr_alpha,
        expected_finds=expected_by_period(f.by_bin["finds"], f.by_bin["effort_km"]),
    )
    labels = ["no_pattern"] * ix.size
    tz = np.full(ix.size, np.nan)
    tp = np.full(ix.size, np.nan)
    tested = v.tested
    group = 3 if settings.bins == "seasonal" else 1
    bins = {key: _group_bins(values, group) for key, values in f.by_bin.items()}
    nb = bins["finds"].shape[0]
    if trend and nb >= 2 and tested.sum() >= 3:
        weights = queen_weights(ix[tested], iy[tested])
        # The space-time cube: the window's tested cells, one Gi* per time bin, all bins
        # at once (hot and cold as the 95 % verdicts, which hold the 99 % ones).
        z, hot, cold = bin_verdicts(
            bins["snares"], bins["finds"], bins["effort_km"], tested, weights
        )
        # Rounded to 1e-9: Mann-Kendall counts ties, and months with the same figures must tie
        # however the arithmetic ordered its sums (a difference of 1e-15 is not a trend).
        series = np.round(np.nan_to_num(z), 9)
        _, mz, mp = mann_kendall(series[:, tested].T)
        tz[tested], tp[tested] = mz, mp
        idx = np.flatnonzero(tested)
        categories = emerging_categories(hot[:, idx], cold[:, idx], tz[idx], tp[idx])
        for k, label in zip(idx, categories, strict=True):
            labels[k] = label
    return HotspotResult(window, grid, f, v, labels, tz, tp, rings, clon, clat)


def _num(value: float, digits: int = 4) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _nums(values: np.ndarray, digits: int = 4) -> list[float | None]:
    """``_num`` over an array at once (rounded in numpy, non-finite values as None)."""
    a = np.asarray(values, dtype=float)
    out = np.round(a, digits).tolist()
    for k in np.flatnonzero(~np.isfinite(a)):
        out[k] = None
    return out


@lru_cache(maxsize=64)
def _cell_coordinates(boundary_geojson: str, epsg: int, ox: float, oy: float, cell_m: float):
    """The cells' polygon coordinates as JSON-ready lists, built once per grid: shared by every
    answer, so nothing may modify them."""
    rings = _area_cells(boundary_geojson, epsg, ox, oy, cell_m)[2]
    return tuple([ring] for ring in rings.tolist())


def hotspot_features(result: HotspotResult, area: ConservationArea) -> list[dict[str, Any]]:
    """The cells as GeoJSON features; columns are converted at once, not cell by cell (a
    year's answer has thousands of cells and this was a third of its time)."""
    f = result.figures
    g = result.grid
    coords = _cell_coordinates(area.boundary_geojson, area.epsg, g.origin_x, g.origin_y, g.cell_m)
    v = result.verdicts
    ix, iy = f.ix.tolist(), f.iy.tolist()
    columns = {
        "ix": ix,
        "iy": iy,
        "snares": f.snares.astype(np.int64).tolist(),
        "snares_removed": f.removed.astype(np.int64).tolist(),
        "finds": f.finds.astype(np.int64).tolist(),
        "effort_km": _nums(f.effort_km, 3),
        "effort_h": _nums(f.effort_h, 3),
        "patrols": f.patrols.astype(np.int64).tolist(),
        "cpue_per_100km": _nums(cpue(f.snares, f.effort_km, 100)),
        "cpue_per_10h": _nums(cpue(f.snares, f.effort_h, 10)),
        "eb_rate_per_100km": _nums(result.eb_per_km * 100),
        "gi_z": _nums(v.z),
        "gi_p": _nums(v.p, 6),
        "fdr_significant": np.asarray(v.fdr, bool).tolist(),
        "neighbourhood_p": _nums(v.p_high, 6),
        "hotspot_class": [str(c) for c in result.classes],
        "trend": list(result.trend),
        "trend_z": _nums(result.trend_z),
        "trend_p": _nums(result.trend_p, 6),
        "last_patrolled": [d.isoformat() if d else None for d in f.last_patrolled],
    }
    keys = list(columns)
    return [
        {
            "type": "Feature",
            "id": f"{ix[k]}_{iy[k]}",
            "geometry": {"type": "Polygon", "coordinates": coords[k]},
            "properties": dict(zip(keys, row, strict=True)),
        }
        for k, row in enumerate(zip(*columns.values(), strict=True))
    ]


def visible_cells(
    session: so.Session,
    principal: Principal | None,
    area: ConservationArea,
    window: Window,
    cell_km: float | None = None,
    unit_id: int | None = None,
    settings: AnalysisSettings | None = None,
) -> tuple[HotspotResult, list[dict[str, Any]]]:
    """The grid cells ``principal`` may see, as GeoJSON features.

    One place for the role rules of cells (``privacy.check_aggregate_request``), so the API,
    OGC API - Features and the GeoPackage export cannot drift apart. For NGOs the window is
    widened to whole months (callers that take dates from people refuse other windows
    first), cells are 5 km or a multiple, every additive figure is a sum of allowed atoms,
    and a cell whose effort came from fewer than 3 patrols is ``suppressed``. No principal:
    the operator's command line, which sees everything.
    """
    suppression = None
    if principal is not None:
        if principal.role == "ngo":
            window = Window(*whole_months(window.start, window.end))
        suppression = check_aggregate_request(
            principal, window.start, window.end, unit_id, cell_km, area.cell_m / 1000
        )
    if suppression is not None:
        cell_km = cell_km or suppression.atom_km
    result = grid_hotspots(
        session, area, window, cell_km, unit_id, settings, suppression=suppression
    )
    features = hotspot_features(result, area)
    if suppression is not None:
        for feature in features:
            props = feature["properties"]
            if props["patrols"] < suppression.min_patrols:
                for key in list(props):
                    if key not in ("ix", "iy", "hotspot_class"):
                        props[key] = None
                props["hotspot_class"] = "suppressed"
    return result, features


# ---------------------------------------------------------------------------------------
# Zones


@dataclass
class ZoneRow:
    zone: Zone
    figures: dict[str, Any]


def zone_stats(
    session: so.Session,
    area: ConservationArea,
    window: Window,
    unit_id: int | None = None,
    settings: AnalysisSettings | None = None,
) -> tuple[list[ZoneRow], HotspotResult]:
    """Per zone: counts, effort, density, CPUE, EB rate, hotspot flag with reason, trend."""
    settings = settings or AnalysisSettings()
    zones = session.scalars(
        sa.select(Zone).where(Zone.area_id == area.id).order_by(Zone.code)
    ).all()
    monthly = zone_months(session, area, window, zones, unit_id, settings.search_transports)
    total = {key: values[:, : len(zones)].sum(axis=0) for key, values in monthly.items()}
    km, hours, snares, n_finds = (total[k] for k in ("effort_km", "effort_h", "snares", "finds"))
    eb = eb_rates(snares, km)
    # Exact Poisson test of each zone's finds against the area's rate in the same months.
    expected = expected_by_period(
        monthly["finds"][:, : len(zones)], monthly["effort_km"][:, : len(zones)]
    )
    p_high = np.where(expected > 0, stats.poisson.sf(n_finds - 1, expected), 1.0)
    high = benjamini_hochberg(p_high, settings.fdr_alpha) & (n_finds > expected)
    trend = _zone_trend({key: values[:, : len(zones)] for key, values in monthly.items()}, settings)

    cells = grid_hotspots(session, area, window, None, unit_id, settings, trend=False)
    hot_cells = np.isin(cells.classes, SIGNIFICANT_HOT)
    cx, cy = to_metric(cells.centre_lon, cells.centre_lat, area.epsg)
    zone_geoms = [project(shape(json.loads(z.geometry_geojson)), area.epsg) for z in zones]

    rows = []
    for k, z in enumerate(zones):
        inside = shapely.contains_xy(zone_geoms[k], cx, cy)
        n_hot = int((hot_cells & inside).sum())
        reasons = []
        if high[k]:
            reasons.append(
                f"{int(n_finds[k])} finds where the area's rate in the same months predicts "
                f"{expected[k]:.1f} (Poisson p={p_high[k]:.2g}, FDR {settings.fdr_alpha:g})"
            )
        if n_hot:
            reasons.append(f"{n_hot} significant hot cell(s) (Gi*, FDR {settings.fdr_alpha:g})")
        rows.append(
            ZoneRow(
                z,
                {
                    "zone": z.code,
                    "name": z.name,
                    "area_km2": round(z.area_km2, 3),
                    "snares_found": int(snares[k]),
                    "snares_removed": int(total["removed"][k]),
                    "finds": int(n_finds[k]),
                    "patrols": int(total["patrols"][k]),
                    "patrol_days": int(total["patrol_days"][k]),
                    "effort_km": round(km[k], 3),
                    "effort_h": round(hours[k], 3),
                    "density_per_km2": _num(snares[k] / z.area_km2 if z.area_km2 else np.nan),
                    "cpue_per_100km": _num(cpue(snares[k : k + 1], km[k : k + 1], 100)[0]),
                    "cpue_per_10h": _num(cpue(snares[k : k + 1], hours[k : k + 1], 10)[0]),
                    "eb_rate_per_100km": _num(eb.rate[k] * 100),
                    "hotspot": bool(reasons),
                    "hotspot_reason": "; ".join(reasons) or None,
                    "trend": trend[k][0],
                    "trend_tau_z": _num(trend[k][1]),
                    "trend_p": _num(trend[k][2], 6),
                },
            )
        )
    return rows, cells


ZONE_FIGURES = ("effort_km", "effort_h", "patrols", "patrol_days", "snares", "removed", "finds")


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
    month. Zone statistics and the annual export both sum these, so they cannot disagree."""
    month_index = {m: k for k, m in enumerate(_months(window))}
    index = {z.id: k for k, z in enumerate(zones)}
    outside = len(zones)
    out = {key: np.zeros((len(month_index), len(zones) + 1)) for key in ZONE_FIGURES}
    cond = _patrol_filter(area.id, window, unit_id, transports)
    month = Patrol.start_month
    conn = session.connection()
    for zid, m, km, hours, patrols, days in conn.execute(
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
    ):
        at = (month_index[m], index.get(zid, outside))
        for key, value in zip(
            ("effort_km", "effort_h", "patrols", "patrol_days"),
            (km, hours, patrols, days),
            strict=True,
        ):
            out[key][at] += value
    removed = sa.func.sum(
        sa.case((SnareFind.action.in_(REMOVED_ACTIONS), SnareFind.count), else_=0)
    )
    for zid, m, total, removed_n, count in conn.execute(
        sa.select(SnareFind.zone_id, month, sa.func.sum(SnareFind.count), removed, sa.func.count())
        .join(Patrol, Patrol.id == SnareFind.patrol_id)
        .where(*cond)
        .group_by(SnareFind.zone_id, month)
    ):
        at = (month_index[m], index.get(zid, outside))
        out["snares"][at] += total
        out["removed"][at] += removed_n
        out["finds"][at] += count
    return out


def _zone_trend(monthly: dict[str, np.ndarray], settings) -> list[tuple[str, float, float]]:
    """Mann-Kendall over each zone's EB-smoothed rate per time bin (month or season)."""
    group = 3 if settings.bins == "seasonal" else 1
    km = _group_bins(monthly["effort_km"], group)
    sn = _group_bins(monthly["snares"], group)
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


# ---------------------------------------------------------------------------------------
# Dispatch


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
    result = grid_hotspots(session, area, window, None, None, settings, trend=False)
    ix, iy = result.figures.ix, result.figures.iy
    hot = np.isin(result.classes, SIGNIFICANT_HOT)
    candidates = np.flatnonzero(hot)
    under = result.classes == "under_patrolled"
    if hot.any() and under.any():
        w = queen_weights(ix, iy)
        next_to_hot = (w @ hot.astype(float)) > 0
        pool = np.flatnonzero(under & next_to_hot)
        take = int(np.ceil(settings.under_patrolled_share * pool.size))
        # Absence of data is not absence of snares: visit the most promising of them.
        chosen = pool[np.argsort(-result.eb_per_km[pool], kind="stable")[:take]]
        candidates = np.concatenate([candidates, chosen])
    units = session.scalars(
        sa.select(Unit)
        .where(Unit.area_id == area.id, Unit.active.is_(True), Unit.base_lon.is_not(None))
        .order_by(Unit.code)
    ).all()
    if candidates.size == 0 or not units:
        return [], list(units)
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
    return targets, list(units)


def targets_geojson(targets: list[Target], window: Window) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "window": window.label,
        "features": [
            {
                "type": "Feature",
                "id": f"{t.unit}-{t.rank}",
                "geometry": {"type": "Point", "coordinates": [t.lon, t.lat]},
                "properties": {
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
            }
            for t in targets
        ],
    }


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
