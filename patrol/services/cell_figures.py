"""Analysis windows and settings, and the per-month figures of grid cells read from the store.

Every figure is a GROUP BY over the effort and finds stored at ingest, then array work in
patrol.analytics. Windows are local calendar days of the area: [start, end).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import FieldError, ValidationFailed
from patrol.services import month_figures
from patrol.services.area_grid import area_cells, area_grid
from patrol.services.privacy import Suppression
from patrol.services.queries import live_patrols
from patrol.store.models import ConservationArea, EffortCell, Patrol, SnareFind
from patrol.store.partitioning import window_hint
from patrol.texts import N_
from patrol.vocabulary import REMOVED_ACTIONS, Transport

__all__ = [
    "ADDITIVE",
    "NEVER",
    "AnalysisSettings",
    "CellFigures",
    "Window",
    "cell_figures",
    "days_or_none",
    "group_bins",
    "months",
    "resolve_window",
    "suppressed",
]

FIGURES = ("effort_km", "effort_h", "patrols", "snares", "removed", "finds")
ADDITIVE = ("effort_km", "effort_h", "snares", "removed", "finds")
NEVER = np.iinfo(np.int64).min  # a cell's last patrol day when nobody walked it


@dataclass(frozen=True)
class AnalysisSettings:
    min_effort_km: float = 1.0  # a cell walked less than this in the window is under-patrolled
    fdr_alpha: float = 0.05
    bins: str = "monthly"  # or "seasonal" (three months) for the trend
    under_patrolled_share: float = 0.2  # of under-patrolled cells next to hot ones, as targets
    capacity: int = 3  # targets per unit
    # Effort that searches for snares: from a vehicle, motorbike or boat nobody sees one.
    search_transports: tuple[str, ...] = (Transport.FOOT, Transport.SKI)
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
            sa.select(sa.func.max(Patrol.start_date)).where(*live_patrols(area.id))
        )
        end = (latest or date.today()) + timedelta(days=1)
        if start is not None and start >= end:
            end = start + timedelta(days=365)
    if start is None:
        start = _years_before(end, 1)
    if end <= start:
        raise ValidationFailed(
            N_("The window is empty."), errors=[FieldError("/to", N_("must be after 'from'"))]
        )
    if end - start > timedelta(days=366 * 20):
        raise ValidationFailed(
            N_("The window is too long."), errors=[FieldError("/from", N_("at most 20 years"))]
        )
    return Window(start, end)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def months(window: Window) -> list[int]:
    """The window's months as yyyymm, first to last (partial months included)."""
    out = []
    year, month = window.start.year, window.start.month
    last = window.end - timedelta(days=1)
    while (year, month) <= (last.year, last.month):
        out.append(year * 100 + month)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def group_bins(values: np.ndarray, size: int) -> np.ndarray:
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


@dataclass(frozen=True)
class _Placer:
    """Puts GROUP BY rows of (yyyymm, cell x, cell y, figures...) at their bin and cell."""

    index: np.ndarray  # cell (ix, iy) -> its position among the area's cells, -1 outside
    first_month: int  # the window's first month, counted in months since year 0

    @classmethod
    def of(cls, ix: np.ndarray, iy: np.ndarray, window: Window) -> _Placer:
        # A table, so no two cells can share a key; -1 for cells outside the area (effort
        # within the margin lies there).
        shape = (int(ix.max()) + 1, int(iy.max()) + 1) if ix.size else (0, 0)
        index = np.full(shape, -1, np.int64)
        index[ix, iy] = np.arange(ix.size)
        first = months(window)[0]
        return cls(index, first // 100 * 12 + first % 100 - 1)

    def place(self, rows: list[tuple]) -> tuple[np.ndarray, np.ndarray, list] | None:
        """The rows' bin and cell positions and their figures' columns, rows outside the area
        dropped; column-wise, not row by row."""
        if not rows:
            return None
        cols = list(zip(*rows, strict=True))
        yyyymm = np.asarray(cols[0], np.int64)
        kx, ky = np.asarray(cols[1], np.int64), np.asarray(cols[2], np.int64)
        shape = self.index.shape
        inside = (kx >= 0) & (ky >= 0) & (kx < shape[0]) & (ky < shape[1])
        pos = np.full(kx.size, -1, np.int64)
        pos[inside] = self.index[kx[inside], ky[inside]]
        month = yyyymm // 100 * 12 + yyyymm % 100 - 1 - self.first_month
        ok = pos >= 0
        return month[ok], pos[ok], [np.asarray(c)[ok] for c in cols[3:]]


def _coarse(column: Any, factor: int) -> Any:
    """A stored cell index as the index of its ``factor`` x ``factor`` block."""
    return column // factor if factor > 1 else column


def _effort_query(
    session: so.Session, cond: list[sa.ColumnElement[bool]], factor: int
) -> sa.Select:
    """Effort per start month and cell: km, hours, patrols, latest start day."""
    month = Patrol.start_month
    cx, cy = _coarse(EffortCell.ix, factor), _coarse(EffortCell.iy, factor)
    return (
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
        .group_by(month, cx, cy)
    )


def _finds_query(cond: list[sa.ColumnElement[bool]], factor: int) -> sa.Select:
    """Finds per start month and cell: snares, snares removed, find records."""
    month = Patrol.start_month
    fx, fy = _coarse(SnareFind.cell_ix, factor), _coarse(SnareFind.cell_iy, factor)
    removed = sa.func.sum(
        sa.case((SnareFind.action.in_(REMOVED_ACTIONS), SnareFind.count), else_=0)
    )
    return (
        sa.select(month, fx, fy, sa.func.sum(SnareFind.count), removed, sa.func.count())
        .join(Patrol, Patrol.id == SnareFind.patrol_id)
        .where(*cond, SnareFind.cell_ix >= 0, SnareFind.cell_iy >= 0)
        .group_by(month, fx, fy)
    )


def _last_days(placed: tuple[np.ndarray, np.ndarray, list], shape: tuple[int, int]) -> np.ndarray:
    """Each month's and cell's last patrol day (days since 1970, ``NEVER`` if none); ISO text
    on SQLite, dates on PostgreSQL (numpy reads both)."""
    m, p, (*_, latest) = placed
    last = np.full(shape, NEVER)
    last[m, p] = latest.astype("datetime64[D]").astype(np.int64)
    return last


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

    Two GROUP BYs on the stored start month, per month kept by ``month_figures`` while the
    month's patrols are unchanged; the window's totals are sums over the months (a patrol
    starts in one month, so even its distinct count adds up).
    """
    ix, iy, *_ = area_cells(area, area_grid(area, factor))
    transports = tuple(transports) if transports is not None else None
    kind = ("cells", factor, unit_id, transports)

    def compute(first: date, end: date) -> dict[str, np.ndarray]:
        return _monthly(session, area, Window(first, end), ix, iy, factor, unit_id, transports)

    by_bin = month_figures.pieced(session, area, window.start, window.end, kind, compute)
    last = by_bin.pop("last").max(axis=0)
    totals = {key: values.sum(axis=0) for key, values in by_bin.items()}
    return CellFigures(ix, iy, **totals, last_patrolled=days_or_none(last), by_bin=by_bin)


def _monthly(
    session: so.Session,
    area: ConservationArea,
    window: Window,
    ix: np.ndarray,
    iy: np.ndarray,
    factor: int,
    unit_id: int | None,
    transports: tuple[str, ...] | None,
) -> dict[str, np.ndarray]:
    """Every figure of ``window`` per month (rows) and cell (columns), and each month's and
    cell's last patrol day (``last``): straight from the two GROUP BYs."""
    n = ix.size
    placer = _Placer.of(ix, iy, window)
    cond = live_patrols(area.id, window.start, window.end, unit_id, transports)
    conn = session.connection()  # Core rows: no ORM bookkeeping for 10^5 aggregates
    by_bin = {key: np.zeros((len(months(window)), n)) for key in FIGURES}
    by_bin["last"] = np.full((len(months(window)), n), NEVER)
    effort = placer.place(_driver_rows(conn, _effort_query(session, cond, factor)))
    if effort is not None:
        m, p, (km, hours, patrols, _) = effort
        by_bin["effort_km"][m, p] = km.astype(float)
        by_bin["effort_h"][m, p] = hours.astype(float)
        by_bin["patrols"][m, p] = patrols.astype(float)
        by_bin["last"] = _last_days(effort, by_bin["last"].shape)
    found = placer.place(_driver_rows(conn, _finds_query(cond, factor)))
    if found is not None:
        m, p, (snares, removed_n, finds) = found
        by_bin["snares"][m, p] = snares.astype(float)
        by_bin["removed"][m, p] = removed_n.astype(float)
        by_bin["finds"][m, p] = finds.astype(float)
    return by_bin


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


def days_or_none(days: np.ndarray) -> list[date | None]:
    """Days since 1970 as dates, the int64 minimum (never walked) as None."""
    walked = days > NEVER
    out: list[date | None] = [None] * days.size
    for k, day in zip(
        np.flatnonzero(walked).tolist(), days[walked].astype("datetime64[D]").tolist(), strict=True
    ):
        out[k] = day
    return out


def suppressed(
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
