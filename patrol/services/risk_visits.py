"""Search visits read from the store: one per patrol and cell, with the snares found there.

A visit is one patrol's search effort in one cell (the stored EffortCell row) at the patrol's
start, with the snares that patrol found in that cell: the setting-rate model's observations.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.analytics.exposure import Visits
from patrol.services import month_figures
from patrol.services.cell_figures import AnalysisSettings
from patrol.services.queries import live_patrols
from patrol.store.models import ConservationArea, EffortCell, Patrol, SnareFind
from patrol.store.partitioning import window_hint

__all__ = ["StoredVisits", "days_since_epoch", "load_visits"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_VISIT_KM = 0.1  # a find in a cell the stored route only touched: a short visit there


def days_since_epoch(moment: datetime) -> float:
    """An instant as (fractional) days since 1970, the model's time axis."""
    return (moment - EPOCH).total_seconds() / 86400.0


@dataclass
class StoredVisits:
    """Search visits read from the store: ``visits.cell`` indexes the given cells."""

    visits: Visits
    patrol_id: np.ndarray
    start_day: np.ndarray  # per visit, its patrol's local start day (days since 1970)
    dispersion: float  # sum count^2 / sum count over the finds


def load_visits(
    session: so.Session,
    area: ConservationArea,
    data_from: date,
    until: date,
    ix: np.ndarray,
    iy: np.ndarray,
    factor: int = 1,
) -> StoredVisits:
    """One visit per patrol (on foot or ski, started from ``data_from`` to ``until``) and cell,
    with the snares that patrol found in the cell.

    Read month by month and kept per process by ``month_figures`` (a patrol's visits belong
    to its start month): after a write only that month's rows are read again. The rows of
    all months are then put in one order, by patrol and cell (the order the GROUP BYs give
    on SQLite), so the visits, and every sum the fit makes over them, do not depend on
    which months were read when.
    """
    kind = ("visits", factor, ix.size, AnalysisSettings().search_transports)

    def compute(first: date, end: date) -> list[dict[str, np.ndarray]]:
        return _monthly_rows(session, area, first, end, ix, iy, factor)

    parts = month_figures.kept_pieces(
        session, area, data_from, until + timedelta(days=1), kind, compute
    )
    rows = {k: np.concatenate([p[k] for p in parts]) for k in _ROWS} if parts else _empty()
    e = np.lexsort((rows["e_pos"], rows["e_pid"]))
    f = np.lexsort((rows["f_pos"], rows["f_pid"]))
    f_snares, f_sq = rows["f_snares"][f], rows["f_sq"][f]
    v_pid, v_pos, v_km, v_snares = _visits(
        ix.size,
        (rows["e_pid"][e], rows["e_pos"][e], rows["e_km"][e]),
        (rows["f_pid"][f], rows["f_pos"][f], f_snares),
    )
    s = np.argsort(rows["s_pid"])
    at = s[np.searchsorted(rows["s_pid"], v_pid, sorter=s)] if v_pid.size else v_pid
    dispersion = float(f_sq.sum() / f_snares.sum()) if f_snares.sum() > 0 else 1.0
    visits = Visits.of(v_pos, rows["s_t"][at], v_km, v_snares)
    return StoredVisits(visits, v_pid, rows["s_day"][at], dispersion)


# One month's rows: patrols (id, start in days, local start day), effort (patrol, cell, km)
# and finds (patrol, cell, snares, snares squared), cells as positions among the area's.
_ROWS = {
    "s_pid": np.int64,
    "s_t": float,
    "s_day": np.int64,
    "e_pid": np.int64,
    "e_pos": np.int64,
    "e_km": float,
    "f_pid": np.int64,
    "f_pos": np.int64,
    "f_snares": float,
    "f_sq": float,
}


def _empty() -> dict[str, np.ndarray]:
    return {k: np.zeros(0, dtype) for k, dtype in _ROWS.items()}


def _monthly_rows(
    session: so.Session,
    area: ConservationArea,
    first: date,
    end: date,
    ix: np.ndarray,
    iy: np.ndarray,
    factor: int,
) -> list[dict[str, np.ndarray]]:
    """The rows of [first, end), one dict per month: three queries, split by start month."""
    n = ix.size
    # Cell index by (ix, iy): a dense table over the area's cells (both are >= 0).
    table = np.full((int(ix.max()) + 1 if n else 1, int(iy.max()) + 1 if n else 1), -1, np.int64)
    table[ix, iy] = np.arange(n)
    cond = live_patrols(area.id, first, end, transports=AnalysisSettings().search_transports)
    conn = session.connection()
    starts = conn.execute(sa.select(Patrol.id, Patrol.started_at, Patrol.start_date).where(*cond))
    s_pid, s_t, s_day = [], [], []
    for pid, started, day in starts:
        s_pid.append(pid)
        s_t.append(days_since_epoch(started if started.tzinfo else started.replace(tzinfo=UTC)))
        s_day.append(day)
    # Each effort and find row carries its own patrol's start month (yyyymm), read with it.
    e_pid, e_pos, (e_km, e_month) = _cells_of(
        conn.execute(_effort_query(session, cond, factor)).all(), 2, table
    )
    f_pid, f_pos, (f_snares, f_sq, f_month) = _cells_of(
        conn.execute(_finds_query(cond, factor)).all(), 3, table
    )
    rows = {
        "s_pid": np.asarray(s_pid, np.int64),
        "s_t": np.asarray(s_t, float),
        "s_day": np.asarray(s_day, "datetime64[D]").astype(np.int64),
        "e_pid": e_pid,
        "e_pos": e_pos,
        "e_km": e_km,
        "f_pid": f_pid,
        "f_pos": f_pos,
        "f_snares": f_snares,
        "f_sq": f_sq,
    }
    own = {"e": e_month.astype(np.int64), "f": f_month.astype(np.int64)}
    return _by_month(rows, own, first, end)


def _by_month(
    rows: dict[str, np.ndarray], own: dict[str, np.ndarray], first: date, end: date
) -> list[dict[str, np.ndarray]]:
    """The rows split by their patrol's start month (one dict per month of [first, end)), rows
    outside the area's cells left out.

    ``own`` holds each effort ("e") and find ("f") row's start month (yyyymm) as its own
    statement read it. The three statements are separate: on PostgreSQL (read committed) a
    later one can see a patrol stored, restored or moved to another month after the patrols
    were read. Such a row is left out (never filed under another patrol, which would count it
    in a month kept under a fingerprint that does not move); its month's fingerprint has moved,
    so the next answer reads that month again, rows and patrol together.
    """
    parts = month_figures.pieces(first, end)
    bounds = np.asarray([np.datetime64(a, "D").astype(np.int64) for a, _ in parts], np.int64)
    yyyymm = np.asarray([a.year * 100 + a.month for a, _ in parts], np.int64)
    month_of_patrol = np.searchsorted(bounds, rows["s_day"], side="right") - 1
    month = {"s": month_of_patrol}
    for prefix in ("e", "f"):
        month[prefix] = _row_months(
            (rows[f"{prefix}_pid"], rows[f"{prefix}_pos"], own[prefix]),
            rows["s_pid"],
            month_of_patrol,
            yyyymm,
        )
    out = []
    for m in range(len(parts)):
        out.append(
            {k: np.ascontiguousarray(v[month[k[0]] == m]).astype(_ROWS[k]) for k, v in rows.items()}
        )
    return out


def _row_months(
    row: tuple[np.ndarray, np.ndarray, np.ndarray],
    s_pid: np.ndarray,
    month_of_patrol: np.ndarray,
    yyyymm: np.ndarray,
) -> np.ndarray:
    """Each row's month (an index into ``yyyymm``): its own start month, kept only where its
    cell is in the area and its patrol was read, in that same month; -1 (left out) otherwise."""
    pid, pos, own_month = row
    if not pid.size or not s_pid.size or not yyyymm.size:
        return np.full(pid.size, -1, np.int64)
    own = np.minimum(np.searchsorted(yyyymm, own_month), yyyymm.size - 1)
    order = np.argsort(s_pid)
    at = np.minimum(np.searchsorted(s_pid, pid, sorter=order), s_pid.size - 1)
    known = s_pid[order[at]] == pid  # the patrol was read (searchsorted alone gives a neighbour)
    keep = (pos >= 0) & known & (yyyymm[own] == own_month) & (month_of_patrol[order[at]] == own)
    return np.where(keep, own, -1)


def _coarse(column: sa.ColumnElement, factor: int) -> sa.ColumnElement:
    return column // factor if factor > 1 else column


def _effort_query(
    session: so.Session, cond: list[sa.ColumnElement[bool]], factor: int
) -> sa.Select:
    """Search effort (km) per patrol and cell, with the patrol's start month."""
    cx, cy = _coarse(EffortCell.ix, factor), _coarse(EffortCell.iy, factor)
    return (
        sa.select(
            EffortCell.patrol_id,
            cx,
            cy,
            sa.func.sum(EffortCell.effort_km),
            sa.func.min(Patrol.start_month),  # the patrol's: one value per group
        )
        .join(Patrol, Patrol.id == EffortCell.patrol_id)
        .where(
            *cond,
            *window_hint(session.get_bind(), EffortCell.patrol_id, cond),
            EffortCell.ix >= 0,
            EffortCell.iy >= 0,
        )
        .group_by(EffortCell.patrol_id, cx, cy)
    )


def _finds_query(cond: list[sa.ColumnElement[bool]], factor: int) -> sa.Select:
    """Snares found (and the sum of their squares) per patrol and cell, with the patrol's
    start month."""
    fx, fy = _coarse(SnareFind.cell_ix, factor), _coarse(SnareFind.cell_iy, factor)
    return (
        sa.select(
            SnareFind.patrol_id,
            fx,
            fy,
            sa.func.sum(SnareFind.count),
            sa.func.sum(SnareFind.count * SnareFind.count),
            sa.func.min(Patrol.start_month),  # the patrol's: one value per group
        )
        .join(Patrol, Patrol.id == SnareFind.patrol_id)
        .where(*cond, SnareFind.cell_ix >= 0, SnareFind.cell_iy >= 0)
        .group_by(SnareFind.patrol_id, fx, fy)
    )


def _cells_of(
    rows: list, values: int, table: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Rows of (patrol id, cell x, cell y, ``values`` figures) as patrol ids, cell positions
    (-1 outside the area) and the figures' columns."""
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), [np.zeros(0)] * values
    width = 3 + values
    flat = np.fromiter(itertools.chain.from_iterable(rows), float, len(rows) * width)
    cols = flat.reshape(len(rows), width).T
    cx_, cy_ = cols[1].astype(np.int64), cols[2].astype(np.int64)
    inside = (cx_ >= 0) & (cx_ < table.shape[0]) & (cy_ >= 0) & (cy_ < table.shape[1])
    pos = np.full(cx_.size, -1, np.int64)
    pos[inside] = table[cx_[inside], cy_[inside]]
    return cols[0].astype(np.int64), pos, list(cols[3:])


def _visits(
    n: int,
    effort: tuple[np.ndarray, np.ndarray, np.ndarray],
    found: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Visits (patrol, cell, km, snares): the effort rows with the snares found in them, and
    a short visit for each find in a cell without an effort row."""
    e_pid, e_pos, e_km = effort
    f_pid, f_pos, f_snares = found
    # Snares per visit: match finds to their (patrol, cell) effort row.
    e_key = e_pid * (n + 1) + e_pos
    order = np.argsort(e_key)
    f_key = f_pid * (n + 1) + f_pos
    at = np.searchsorted(e_key[order], f_key)
    at = np.minimum(at, max(e_key.size - 1, 0))
    matched = e_key[order][at] == f_key if e_key.size else np.zeros(f_key.size, bool)
    snares = np.zeros(e_key.size)
    np.add.at(snares, order[at[matched]], f_snares[matched])
    extra = ~matched
    return (
        np.r_[e_pid, f_pid[extra]],
        np.r_[e_pos, f_pos[extra]],
        np.r_[e_km, np.full(int(extra.sum()), MIN_VISIT_KM)],
        np.r_[snares, f_snares[extra]],
    )
