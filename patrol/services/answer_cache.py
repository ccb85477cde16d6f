"""Finished answers kept per process, keyed by what they were computed from and by the
fingerprints of the patrols they count (``month_figures.fingerprints``).

The hotspot answer with its trend is the one worth keeping: over ten years its space-time cube
(a Gi* per month and cell, Mann-Kendall per cell) costs ~0.15 s however fast its figures are
read, and its body is ~1 MB of JSON built again each time. The fingerprints are read per
request (one query on the patrol table, one on the area's jobs, one of its zones' version),
before the answer is built, so a write committed by any process (another worker, the command
line) is seen by the next request, and an answer is never kept under fingerprints newer than
its figures. Zone statistics and dispatch are not kept: they depend on more than the patrols
(zone texts in the caller's language, units' bases, the prediction's layers) and answer fast
from the monthly pieces alone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import sqlalchemy.orm as so

from patrol.services import month_figures
from patrol.services.cell_figures import Window
from patrol.store.models import ConservationArea

__all__ = ["BUDGET", "answer", "clear"]

BUDGET = 16 * 2**20  # bytes of answers kept per process (a year's hotspots: ~1 MB)

_answers: OrderedDict[tuple, bytes] = OrderedDict()
_lock = threading.Lock()
_used = [0]


def answer(
    session: so.Session,
    area: ConservationArea,
    window: Window,
    key: Hashable,
    build: Callable[[], bytes],
) -> bytes:
    """The answer ``build()`` gives for ``key`` over ``window`` of ``area``: kept while the
    area and the window's patrols are as they are now."""
    with month_figures.reading(session, area, window.start, window.end) as (state, prints):
        full = (key, window, state, tuple(sorted(prints.items())))
        with _lock:
            body = _answers.get(full)
            if body is not None:
                _answers.move_to_end(full)
                return body
        body = build()
    with _lock:
        if full not in _answers and len(body) <= BUDGET:
            _answers[full] = body
            _used[0] += len(body)
            while _used[0] > BUDGET:
                _, old = _answers.popitem(last=False)
                _used[0] -= len(old)
    return body


def clear() -> None:
    """Forget every answer (tests and benchmarks)."""
    with _lock:
        _answers.clear()
        _used[0] = 0
