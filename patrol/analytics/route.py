"""A unit's day route: which targets to walk to, and in what order (an orienteering problem).

From the unit's base and back within its day's walking length, choose the targets that
maximise the expected finds. Each target costs the walk to it plus a search there. With a
handful of candidates the answer is exact (Held-Karp dynamic programming over subsets); beyond
that, greedy insertion by expected finds per added km, 2-opt, and swap moves.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["DayRoute", "plan_route", "route_length"]

EXACT_MAX = 10  # candidates solved exactly: 2^10 subsets x 10 ends


@dataclass(frozen=True)
class DayRoute:
    """``stops`` index the targets in walking order; ``legs_km[k]`` is the walk to stop k
    (the last leg, home, is ``legs_km[-1]``); the total adds ``search_km`` per stop."""

    stops: np.ndarray
    legs_km: np.ndarray
    length_km: float
    score: float
    exact: bool


def _dist(base: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Distance matrix (km) over [base, *pts]."""
    xy = np.vstack([base[None, :], pts])
    return np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) / 1000.0


def route_length(d: np.ndarray, order: Sequence[int], search_km: float) -> float:
    """Length of base -> order (1-based rows of ``d``) -> base, with the searches."""
    if len(order) == 0:
        return 0.0
    path = [0, *order, 0]
    return float(sum(d[a, b] for a, b in itertools.pairwise(path))) + search_km * len(order)


def _exact(d: np.ndarray, score: np.ndarray, max_km: float, search_km: float) -> list[int]:
    """Held-Karp over subsets: the shortest tour of every subset, then the best that fits."""
    n = score.size
    full = 1 << n
    best = np.full((full, n), np.inf)
    parent = np.full((full, n), -1, np.int64)
    for j in range(n):
        best[1 << j, j] = d[0, j + 1]
    inner = d[1:, 1:]
    for mask in range(1, full):
        row = best[mask]
        if not np.isfinite(row).any():
            continue
        cand = row[:, None] + inner  # from i (in mask) to j
        arg = np.argmin(cand, axis=0)
        val = cand[arg, np.arange(n)]
        for j in range(n):
            if mask >> j & 1:
                continue
            nm = mask | 1 << j
            if val[j] < best[nm, j]:
                best[nm, j] = val[j]
                parent[nm, j] = arg[j]
    masks = np.arange(full)
    size = np.array([bin(m).count("1") for m in masks])
    tour = best + d[1:, 0][None, :] + search_km * size[:, None]
    end = np.argmin(tour, axis=1)
    length = tour[masks, end]
    bits = (masks[:, None] >> np.arange(n)[None, :]) & 1
    value = bits @ score
    ok = length <= max_km + 1e-9
    ok[0] = True
    value = np.where(ok, value, -np.inf)
    length = np.where(masks == 0, 0.0, length)
    top = np.flatnonzero(value >= value.max() - 1e-12)
    mask = int(top[np.argmin(length[top])])
    order = []
    j = int(end[mask])
    while mask:
        order.append(j)
        pj = int(parent[mask, j])
        mask &= ~(1 << j)
        j = pj
    return [k + 1 for k in order[::-1]]


def _two_opt(d: np.ndarray, order: list[int]) -> list[int]:
    path = [0, *order, 0]
    improved = True
    while improved:
        improved = False
        for i in range(1, len(path) - 2):
            for k in range(i + 1, len(path) - 1):
                a, b, c, e = path[i - 1], path[i], path[k], path[k + 1]
                if d[a, c] + d[b, e] < d[a, b] + d[c, e] - 1e-12:
                    path[i : k + 1] = path[i : k + 1][::-1]
                    improved = True
    return path[1:-1]


def _insert_greedy(
    d: np.ndarray, score: np.ndarray, order: Sequence[int], max_km: float, search_km: float
) -> list[int]:
    """Insert, while any fits, the target with the most score per added km."""
    order = list(order)
    length = route_length(d, order, search_km)
    free = set(range(1, score.size + 1)) - set(order)
    while free:
        path = [0, *order, 0]
        best = None
        for t in free:
            add = min(
                d[path[i], t] + d[t, path[i + 1]] - d[path[i], path[i + 1]]
                for i in range(len(path) - 1)
            )
            pos = min(
                range(len(path) - 1),
                key=lambda i: d[path[i], t] + d[t, path[i + 1]] - d[path[i], path[i + 1]],
            )
            if length + add + search_km > max_km + 1e-9:
                continue
            ratio = score[t - 1] / (add + search_km + 1e-9)
            if best is None or ratio > best[0]:
                best = (ratio, t, pos, add)
        if best is None:
            break
        _, t, pos, add = best
        order.insert(pos, t)
        length += add + search_km
        free.discard(t)
    return order


def _heuristic(d: np.ndarray, score: np.ndarray, max_km: float, search_km: float) -> list[int]:
    order = _two_opt(d, _insert_greedy(d, score, [], max_km, search_km))
    order = _insert_greedy(d, score, order, max_km, search_km)
    value = score[np.array(order, int) - 1].sum() if order else 0.0
    # Swap moves: drop one stop and refill greedily, keep what scores more.
    improved = True
    while improved:
        improved = False
        for drop in list(order):
            trial = [t for t in order if t != drop]
            trial = _two_opt(d, _insert_greedy(d, score, trial, max_km, search_km))
            trial = _insert_greedy(d, score, trial, max_km, search_km)
            tv = score[np.array(trial, int) - 1].sum() if trial else 0.0
            if tv > value + 1e-9:
                order, value, improved = trial, tv, True
                break
    return order


def plan_route(
    base_xy: np.typing.ArrayLike,
    targets_xy: np.typing.ArrayLike,
    score: np.typing.ArrayLike,
    max_km: float = 20.0,
    search_km: float = 1.0,
    max_candidates: int = 40,
) -> DayRoute:
    """The targets to visit, in order, maximising the total ``score`` within ``max_km``.

    Distances are straight lines in the metric CRS (km). Targets that cannot be reached and
    searched within ``max_km`` on their own, or score nothing, are never candidates; of the
    rest the ``max_candidates`` best are; with at most ``EXACT_MAX`` candidates the answer is
    exact.
    """
    base = np.asarray(base_xy, float).reshape(2)
    pts = np.asarray(targets_xy, float).reshape(-1, 2)
    score = np.asarray(score, float)
    reach = np.hypot(*(pts - base).T) / 1000.0
    ok = np.flatnonzero((2 * reach + search_km <= max_km + 1e-9) & (score > 0))
    cand = ok[np.argsort(-score[ok], kind="stable")[:max_candidates]]
    if cand.size == 0:
        return DayRoute(np.zeros(0, np.int64), np.zeros(0), 0.0, 0.0, True)
    d = _dist(base, pts[cand])
    sc = score[cand]
    exact = cand.size <= EXACT_MAX
    order = (_exact if exact else _heuristic)(d, sc, max_km, search_km)
    path = [0, *order, 0]
    legs = np.array([d[a, b] for a, b in itertools.pairwise(path)])
    stops = cand[np.array(order, np.int64) - 1] if order else np.zeros(0, np.int64)
    return DayRoute(
        stops,
        legs if order else np.zeros(0),
        route_length(d, order, search_km),
        float(sc[np.array(order, int) - 1].sum()) if order else 0.0,
        exact,
    )
