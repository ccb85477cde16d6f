"""The monthly summary of issue 15: figures per month (cells or zones), kept per process and
used as long as that month's stored patrols are unchanged.

A window's figures are the sums of its months' figures (a patrol starts in one month, so even
distinct-patrol counts add up across months), and a month's figures change only when one of
its patrols does. So each month of a window (or the part of an edge month inside a custom
window) is a *piece*, computed once by the same GROUP BYs as before and kept here, keyed by a
fingerprint of the patrols it counts. Before every answer one cheap query reads the window's
fingerprints, month by month, from the patrol table (its area-and-day index alone, which
carries the columns read: migration 0014; two more read the area's zones version and latest
recompute job); only the pieces whose fingerprint moved are computed again. After one new
report, that is one month. Pieces are any arrays: cells' and zones' figures per month, and
the prediction's visits (``risk_visits``), whose months are rows of varying length.

Why a fingerprint read from the data, not a version bumped by every write: nothing has to be
added to the write paths (API ingest, bulk and SMART import, correction, delete, restore,
recompute, zone and grid changes, and whatever comes next), and a write from any process,
the command line included, is seen by the next request of every worker. What a month's
figures depend on, and what reveals a change of it:

- its live patrols: the multiset of their (id, revision) — ingest adds ids, every edit
  (correction, finds, delete, restore) raises the revision (``edits.record_edit``), a SMART
  re-import deletes and inserts rows under new ids;
- their effort rows and finds' zones, rewritten only by recompute jobs: the area's
  ``zones_version`` and its latest job's progress (every batch raises ``done``);
- the grid and boundary: part of the key (cell size, origin, EPSG, boundary text);
- the database: a token per engine, and the month's latest submission time (a database
  emptied and loaded again issues the same ids anew).

The fingerprint is read before the figures, so a piece is never stored under a fingerprint
newer than its figures (PostgreSQL's read-committed statements may see a later commit).
Memory is bounded (``BUDGET`` bytes per process, least recently used first out).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.services.queries import live_patrols
from patrol.store.models import ConservationArea, Patrol, RecomputeJob
from patrol.store.types import json_text

__all__ = [
    "BUDGET",
    "Piece",
    "clear",
    "database",
    "fingerprint_query",
    "fingerprints",
    "kept",
    "kept_pieces",
    "pieced",
    "pieces",
    "reading",
]

BUDGET = 32 * 2**20  # bytes of arrays kept per process (ten years of 1 km cells: ~18 MB)

Piece = tuple[date, date]  # [first day, end day) of one month's part of a window
Arrays = dict[str, np.ndarray]  # figure -> (bins, columns) or, for one piece, (columns,)

_pieces: OrderedDict[tuple, Arrays] = OrderedDict()
_sizes: dict[tuple, int] = {}
_lock = threading.Lock()
_used = [0]

# A row's share of the multiset hash of (id, revision): an affine map modulo a prime, so a
# month's sum moves when any patrol comes, goes or is edited (plain sums of ids and revisions
# can balance out: one patrol deleted while another is restored). Integer arithmetic that
# stays below 2**63 on both databases for ids below 10**13.
_P = 2147483647

_known: ContextVar[tuple | None] = ContextVar("patrol_month_fingerprints", default=None)


def _row_hash() -> sa.ColumnElement[int]:
    big = sa.BigInteger()  # PostgreSQL's integer columns would overflow
    return (sa.cast(Patrol.id, big) * 65599 + sa.cast(Patrol.revision, big)) % _P * 48271 % _P


def pieces(start: date, end: date) -> list[Piece]:
    """[start, end) cut at the first of each month: one piece per month, edges clipped."""
    out = []
    first = start
    while first < end:
        nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        out.append((first, min(nxt, end)))
        first = nxt
    return out


def fingerprints(
    session: so.Session, area: ConservationArea, start: date, end: date
) -> tuple[tuple, dict[int, tuple]]:
    """The area's state (zones version, latest recompute job's progress, grid, boundary) and,
    per start month (yyyymm) in [start, end), a fingerprint of its live patrols.

    Read from the database, except inside ``reading(...)`` for the same session, area and
    window: an answer that read them first (``answer_cache``) passes them on to the figures
    it builds, instead of a second read of the same rows."""
    known = _known.get()
    if known is not None and known[0] == (id(session), area.id, start, end):
        return known[1]
    months = session.execute(fingerprint_query(area.id, start, end)).all()
    job = sa.select(RecomputeJob.id, RecomputeJob.done, RecomputeJob.state)
    job = job.where(RecomputeJob.area_id == area.id).order_by(RecomputeJob.id.desc()).limit(1)
    version = sa.select(ConservationArea.zones_version).where(ConservationArea.id == area.id)
    latest = session.execute(job).first()
    state = (
        database(session),
        area.id,
        session.scalar(version),
        tuple(latest) if latest else None,
        area.cell_m,
        area.grid_origin_x,
        area.grid_origin_y,
        area.epsg,
        json_text(area.boundary),
    )
    return state, {
        int(m): (*(int(v or 0) for v in rest[:-1]), str(rest[-1])) for m, *rest in months
    }


def fingerprint_query(area_id: int, start: date, end: date) -> sa.Select:
    """Per start month of [start, end), what reveals a change of the area's live patrols
    there; it reads only columns of the patrol table's area-and-day index (migration 0014)."""
    return (
        sa.select(
            Patrol.start_month,
            sa.func.count(),
            sa.func.sum(Patrol.id),
            sa.func.sum(Patrol.revision),
            sa.func.max(Patrol.id),
            sa.func.sum(_row_hash()),
            sa.func.max(Patrol.submitted_at),
        )
        .where(*live_patrols(area_id, start, end))
        .group_by(Patrol.start_month)
    )


def database(session: so.Session) -> str:
    """A token of the engine the session reads: ids start again in another database (or
    after one was emptied, as tests do), so figures are never shared between engines."""
    bind = session.get_bind()
    token = bind.__dict__.get("_patrol_figures_token")
    if token is None:
        token = bind.__dict__.setdefault("_patrol_figures_token", uuid.uuid4().hex)
    return token


@contextmanager
def reading(
    session: so.Session, area: ConservationArea, start: date, end: date
) -> Iterator[tuple[tuple, dict[int, tuple]]]:
    """Within the block, ``fingerprints`` of this session, area and window are those read
    when it began."""
    prints = fingerprints(session, area, start, end)
    token = _known.set(((id(session), area.id, start, end), prints))
    try:
        yield prints
    finally:
        _known.reset(token)


def pieced(
    session: so.Session,
    area: ConservationArea,
    start: date,
    end: date,
    kind: tuple,
    compute: Callable[[date, date], Arrays],
) -> Arrays:
    """The figures of [start, end), each ``(months, columns)``, from the pieces kept for
    ``kind`` (what is computed: cells of a grid, zones, their filters) where their
    fingerprints still hold, and from ``compute(first, end)`` over the span of the others.

    ``compute`` returns the figures of its span with one row per month, as the figures of
    the whole window would have them: each piece's row is exactly what it was there.
    """

    def rows(first: date, span_end: date) -> list[Arrays]:
        computed = compute(first, span_end)
        return [
            {name: values[i].copy() for name, values in computed.items()}
            for i in range(len(pieces(first, span_end)))
        ]

    found = kept_pieces(session, area, start, end, kind, rows)
    names = list(found[0]) if found else []
    return {name: np.stack([f[name] for f in found]) for name in names}


def kept_pieces(
    session: so.Session,
    area: ConservationArea,
    start: date,
    end: date,
    kind: tuple,
    compute: Callable[[date, date], list[Arrays]],
) -> list[Arrays]:
    """Each month's piece of [start, end) for ``kind``, in order: kept where its fingerprint
    still holds, from ``compute(first, end)`` (one piece per month of its span, any arrays:
    figures per cell, or rows such as the prediction's visits) over the span of the others."""
    state, prints = fingerprints(session, area, start, end)
    parts = pieces(start, end)
    keys = [(kind, state, p, prints.get(p[0].year * 100 + p[0].month)) for p in parts]
    with _lock:
        found = [_pieces.get(k) for k in keys]
        for k, v in zip(keys, found, strict=True):
            if v is not None:
                _pieces.move_to_end(k)
    missing = [i for i, v in enumerate(found) if v is None]
    if missing:
        lo, hi = missing[0], missing[-1]
        computed = compute(parts[lo][0], parts[hi][1])
        for i in range(lo, hi + 1):
            found[i] = computed[i - lo]
            _keep(keys[i], computed[i - lo])
    return [f for f in found if f is not None]


def _keep(key: tuple, value: Arrays) -> None:
    size = sum(a.nbytes for a in value.values())
    with _lock:
        if key in _pieces:
            return
        _pieces[key] = value
        _sizes[key] = size
        _used[0] += size
        while _used[0] > BUDGET and len(_pieces) > 1:
            old, _ = _pieces.popitem(last=False)
            _used[0] -= _sizes.pop(old)


def clear() -> None:
    """Forget every piece (tests use it to compare with figures computed afresh)."""
    with _lock:
        _pieces.clear()
        _sizes.clear()
        _used[0] = 0


def kept() -> dict[str, Any]:
    """How many pieces and bytes are kept (for benchmarks and tests)."""
    with _lock:
        return {"pieces": len(_pieces), "bytes": _used[0]}
