"""Getis-Ord Gi* on a square grid: queen contiguity with the cell itself, analytic z, BH FDR."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from patrol.vocabulary import HotspotClass, values

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["CLASSES", "CONSTANT_RTOL", "benjamini_hochberg", "classify", "gi_star", "queen_weights"]

# scipy is imported where it is used: its import is most of the command line's start-up,
# which no command but the statistics' needs (a server imports it up front: wsgi.py).

# A spread this small relative to the mean is rounding, not variation: the mean of n equal
# numbers need not be that number exactly, which leaves an sd of 1e-17 and, divided by it,
# z-scores of pure noise.
CONSTANT_RTOL = 1e-9

# Ordered from hottest to coldest, then the two non-verdicts.
CLASSES = values(HotspotClass)


def queen_weights(ix: np.ndarray, iy: np.ndarray, include_self: bool = True) -> sp.csr_matrix:
    """Binary queen contiguity among the given cells (the 8 around, and the cell itself)."""
    import scipy.sparse as sp

    ix = np.asarray(ix, np.int64)
    iy = np.asarray(iy, np.int64)
    n = ix.size
    if n == 0:
        return sp.csr_matrix((0, 0))
    x0, y0 = ix.min() - 1, iy.min() - 1
    span = int(iy.max() - y0) + 2
    keys = (ix - x0) * span + (iy - y0)
    order = np.argsort(keys)
    sorted_keys = keys[order]
    rows, cols = [], []
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            if dx == 0 and dy == 0 and not include_self:
                continue
            target = keys + dx * span + dy
            pos = np.searchsorted(sorted_keys, target)
            pos = np.minimum(pos, n - 1)
            hit = sorted_keys[pos] == target
            rows.append(np.flatnonzero(hit))
            cols.append(order[pos[hit]])
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    return sp.csr_matrix((np.ones(r.size), (r, c)), shape=(n, n))


def gi_star(y: np.ndarray, weights: sp.spmatrix) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and two-sided normal p-values (Getis & Ord 1995, binary weights).

    z_i = (sum_j w_ij y_j - ybar W_i) / (S sqrt((n W_i - W_i^2) / (n - 1))), with W_i the
    number of cells in i's neighbourhood (itself included) and S the population sd of y.
    Constant y (S = 0) gives z = 0 and p = 1: no evidence of clustering.
    """
    import scipy.sparse as sp
    from scipy import stats

    y = np.asarray(y, float)
    n = y.size
    if n < 2:
        return np.zeros(n), np.ones(n)
    w = sp.csr_matrix(weights)
    ybar = y.mean()
    s = y.std()  # population sd; stable where mean(y^2) - mean(y)^2 cancels to below zero
    if s <= CONSTANT_RTOL * abs(ybar):  # constant up to rounding (every cell at the prior)
        s = 0.0
    wi = np.asarray(w.sum(axis=1)).ravel()
    lag = w @ y
    denom = s * np.sqrt(np.maximum(n * wi - wi**2, 0.0) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(denom > 0, (lag - ybar * wi) / denom, 0.0)
    p = 2.0 * stats.norm.sf(np.abs(z))
    return z, p


def benjamini_hochberg(p: np.ndarray, alpha: float) -> np.ndarray:
    """Which hypotheses the Benjamini-Hochberg step-up procedure rejects at FDR ``alpha``."""
    p = np.asarray(p, float)
    m = p.size
    if m == 0:
        return np.zeros(0, bool)
    order = np.argsort(p)
    passed = p[order] <= alpha * np.arange(1, m + 1) / m
    reject = np.zeros(m, bool)
    if passed.any():
        k = np.flatnonzero(passed).max()
        reject[order[: k + 1]] = True
    return reject


def classify(z: np.ndarray, p: np.ndarray, enough_effort: np.ndarray) -> np.ndarray:
    """Hot/cold at 99/95/90 % confidence, FDR-corrected at each level, as GIS tools bin Gi*.

    A cell is hot_95 when BH at 0.05 rejects it and z > 0, and so on. ``z`` and ``p`` are for
    the cells with enough effort, in order; cells without enough effort are under_patrolled:
    too little walked to say anything, never cold.
    """
    enough = np.asarray(enough_effort, bool)
    out = np.full(enough.size, HotspotClass.UNDER_PATROLLED.value, dtype=object)
    inner = np.full(int(enough.sum()), HotspotClass.NOT_SIGNIFICANT.value, dtype=object)
    for level, alpha in ((90, 0.10), (95, 0.05), (99, 0.01)):
        significant = benjamini_hochberg(p, alpha)
        inner[significant & (z > 0)] = HotspotClass(f"hot_{level}").value
        inner[significant & (z < 0)] = HotspotClass(f"cold_{level}").value
    out[enough] = inner
    return out
