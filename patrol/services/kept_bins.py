"""The space-time cube's Gi* verdicts per time bin, kept per process by the bin's content.

Over ten years the cube is 120 monthly bins of Gi* over a park's tested cells, and after one
write only one bin's figures differ. Each bin's verdicts depend only on that bin's figures and
on the tested cells (with their queen weights, which follow from the cells): every step of
``analytics.hotspots.bin_verdicts`` works row by row. So a bin's row is kept under a digest of
exactly those inputs, and only the bins never seen are computed; a digest of the content needs
no invalidation. At most ``BUDGET`` bytes per process.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from patrol.analytics.hotspots import bin_verdicts

if TYPE_CHECKING:
    import scipy.sparse as sp  # only named here: imported where it is used

__all__ = ["BUDGET", "clear", "kept_bin_verdicts"]

BUDGET = 8 * 2**20  # ten years of monthly bins over ~2,700 cells: ~3.3 MB

_rows: OrderedDict[bytes, tuple[np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()
_lock = threading.Lock()
_used = [0]


def kept_bin_verdicts(
    snares: np.ndarray,
    finds: np.ndarray,
    effort_km: np.ndarray,
    tested: np.ndarray,
    weights: sp.spmatrix,
    ix: np.ndarray,
    iy: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``bin_verdicts(snares, finds, effort_km, tested, weights)`` (``weights``: the queen
    weights of the tested cells of ``ix``/``iy``), the rows of bins seen before taken from
    what is kept."""
    snares, finds, effort_km = (np.asarray(a, float) for a in (snares, finds, effort_km))
    cells = hashlib.blake2b(digest_size=16)
    for part in (np.asarray(tested, bool), np.asarray(ix, np.int64), np.asarray(iy, np.int64)):
        cells.update(part.tobytes())
    keys = []
    for b in range(effort_km.shape[0]):
        h = cells.copy()
        for a in (snares, finds, effort_km):
            h.update(np.ascontiguousarray(a[b]).tobytes())
        keys.append(h.digest())
    with _lock:
        rows = [_rows.get(k) for k in keys]
    missing = [b for b, row in enumerate(rows) if row is None]
    if missing:
        z, hot, cold = bin_verdicts(
            snares[missing], finds[missing], effort_km[missing], tested, weights
        )
        for k, b in enumerate(missing):
            rows[b] = (z[k].copy(), hot[k].copy(), cold[k].copy())
            _keep(keys[b], rows[b])
    z, hot, cold = (np.stack([row[i] for row in rows if row is not None]) for i in range(3))
    return z, hot, cold


def _keep(key: bytes, row: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    size = sum(a.nbytes for a in row)
    with _lock:
        if key in _rows:
            return
        _rows[key] = row
        _used[0] += size
        while _used[0] > BUDGET and len(_rows) > 1:
            _, old = _rows.popitem(last=False)
            _used[0] -= sum(a.nbytes for a in old)


def clear() -> None:
    """Forget every kept bin (tests and benchmarks)."""
    with _lock:
        _rows.clear()
        _used[0] = 0
