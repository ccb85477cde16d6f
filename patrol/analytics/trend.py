"""Trends: the Mann-Kendall test and emerging hot spot categories over time bins of Gi*."""

from __future__ import annotations

import numpy as np

from patrol.vocabulary import TrendCategory

__all__ = ["emerging_categories", "emerging_category", "mann_kendall"]

# scipy is imported where it is used: its import is most of the command line's start-up,
# which no command but the statistics' needs (a server imports it up front: wsgi.py).

NO_PATTERN = TrendCategory.NO_PATTERN.value  # a plain string: labels are counted and written


def mann_kendall(series: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mann-Kendall trend test on each row: (S, z, two-sided p), ties corrected, no continuity
    correction (so it is Kendall's tau-b test of the values against time).

    NaN values are not allowed; rows of fewer than 3 values give p = 1.
    """
    from scipy import stats

    x = np.atleast_2d(np.asarray(series, float))
    m, n = x.shape
    if n < 3:
        return np.zeros(m), np.zeros(m), np.ones(m)
    # S = sum over i < j of sign(x_j - x_i), one lag column at a time (no n x n cube).
    s = np.zeros(m)
    for i in range(n - 1):
        s += np.sign(x[:, i + 1 :] - x[:, i : i + 1]).sum(axis=1)
    # Ties: sizes of runs of equal values in each sorted row.
    xs = np.sort(x, axis=1)
    starts = np.ones((m, n), bool)
    starts[:, 1:] = xs[:, 1:] != xs[:, :-1]
    group = np.cumsum(starts, axis=1) - 1
    t = np.bincount((np.arange(m)[:, None] * n + group).ravel(), minlength=m * n).reshape(m, n)
    var = (n * (n - 1) * (2 * n + 5) - (t * (t - 1) * (2 * t + 5)).sum(axis=1)) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, s / np.sqrt(var), 0.0)
    p = 2.0 * stats.norm.sf(np.abs(z))
    return s, z, p


def emerging_category(
    hot: np.ndarray, cold: np.ndarray, trend_z: float, trend_p: float, alpha: float = 0.05
) -> str:
    """One location's category from its per-bin hot/cold verdicts, oldest bin first.

    The definitions of emerging hot spot analysis (as in ArcGIS Pro): new, consecutive,
    intensifying, persistent, diminishing, sporadic, oscillating, historical hot spots, their
    cold twins, or no pattern. ``trend_z``/``trend_p`` are Mann-Kendall on the Gi* z series.
    """
    hot = np.asarray(hot, bool)
    cold = np.asarray(cold, bool)
    for label, sig, other in (("hot", hot, cold), ("cold", cold, hot)):
        category = _category(sig, other, trend_z if label == "hot" else -trend_z, trend_p, alpha)
        if category:
            return _spot(category, label)
    return NO_PATTERN


def _spot(pattern: str, kind: str) -> str:
    """The category of a pattern of hot (or cold) spots, as the vocabulary names it."""
    return TrendCategory(f"{pattern}_{kind}_spot").value


def _category(sig: np.ndarray, other: np.ndarray, z: float, p: float, alpha: float) -> str:
    n = sig.size
    if n == 0 or not sig.any():
        return ""
    share = sig.mean()
    final = bool(sig[-1])
    if not final:
        return "historical" if share >= 0.9 else ""
    if share >= 0.9:
        if p < alpha and z > 0:
            return "intensifying"
        if p < alpha and z < 0:
            return "diminishing"
        return "persistent"
    if sig[:-1].sum() == 0:
        return "new"
    run = n - np.flatnonzero(~sig)[-1] - 1  # length of the final uninterrupted run
    if run >= 2 and not sig[: n - run].any():
        return "consecutive"
    if other.any():
        return "oscillating"
    return "sporadic"


def emerging_categories(
    hot: np.ndarray,
    cold: np.ndarray,
    trend_z: np.ndarray,
    trend_p: np.ndarray,
    alpha: float = 0.05,
) -> list[str]:
    """``emerging_category`` of every column of ``hot``/``cold`` (bins x locations) at once:
    a year's map has thousands of locations, and one call each was a fifth of its answer."""
    hot = np.asarray(hot, bool)
    cold = np.asarray(cold, bool)
    z = np.asarray(trend_z, float)
    p = np.asarray(trend_p, float)
    labels = np.full(hot.shape[1], NO_PATTERN, dtype=object)
    undecided = np.ones(hot.shape[1], bool)
    for label, sig, other, zz in (("hot", hot, cold, z), ("cold", cold, hot, -z)):
        category = _categories(sig, other, zz, p, alpha)
        found = undecided & (category != "")
        labels[found] = [_spot(c, label) for c in category[found]]
        undecided &= ~found
    return labels.tolist()


def _categories(
    sig: np.ndarray, other: np.ndarray, z: np.ndarray, p: np.ndarray, alpha: float
) -> np.ndarray:
    """``_category`` of each column, as an array of strings ("" for none)."""
    n, m = sig.shape
    out = np.full(m, "", dtype=object)
    if n == 0:
        return out
    count = sig.sum(axis=0)
    share = count / n
    final = sig[-1]
    trend = p < alpha
    mostly = share >= 0.9
    out[~final & mostly] = "historical"
    out[final & mostly] = "persistent"
    out[final & mostly & trend & (z < 0)] = "diminishing"
    out[final & mostly & trend & (z > 0)] = "intensifying"
    rest = final & ~mostly
    # The final uninterrupted run ends at the last bin; it starts after the last quiet bin.
    last_quiet = np.where(~sig, np.arange(n)[:, None], -1).max(axis=0)
    run = n - last_quiet - 1
    new = rest & (count == 1)
    consecutive = rest & ~new & (run >= 2) & (count == run)
    oscillating = rest & ~new & ~consecutive & other.any(axis=0)
    out[rest] = "sporadic"
    out[oscillating] = "oscillating"
    out[consecutive] = "consecutive"
    out[new] = "new"
    return out
