"""Hotspot verdicts for grid cells: EB-smoothed rates, Gi*, and an exact Poisson guard.

Gi* is computed as GIS tools do (analytic z against the normal, two-sided p, BH FDR). Its
normal reference is too generous for sparse counts: on simulated parks with the same snare
density everywhere it flagged a hot cell in most runs (docs/analytics.md). So a cell is hot only
when, at the same FDR level, its queen neighbourhood also holds more finds than the area's rate
predicts for the effort walked there, by an exact Poisson test; cold likewise with fewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from patrol.analytics.gistar import CONSTANT_RTOL, benjamini_hochberg, gi_star, queen_weights
from patrol.analytics.rates import eb_rates
from patrol.vocabulary import HotspotClass

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["CellVerdicts", "bin_verdicts", "cell_verdicts", "eb_observed", "expected_by_period"]

# scipy is imported where it is used: its import is most of the command line's start-up,
# which no command but the statistics' needs (a server imports it up front: wsgi.py).

LEVELS = ((90, 0.10), (95, 0.05), (99, 0.01))
# Plain strings (the values): classes are compared, counted and written out as text.
UNDER_PATROLLED = HotspotClass.UNDER_PATROLLED.value
NOT_SIGNIFICANT = HotspotClass.NOT_SIGNIFICANT.value


def eb_observed(snares: np.ndarray, effort_km: np.ndarray) -> np.ndarray:
    """EB rate per km, the prior estimated from the cells walked at all (unwalked cells are
    not observations); unwalked cells get the prior mean, or 0 when nothing was walked."""
    snares = np.asarray(snares, float)
    effort_km = np.asarray(effort_km, float)
    walked = effort_km > 0
    rate = np.zeros(effort_km.size)
    if walked.any():
        e = eb_rates(snares[walked], effort_km[walked])
        rate[walked] = e.rate
        rate[~walked] = e.prior_mean
    return rate


def expected_by_period(finds: np.ndarray, effort_km: np.ndarray) -> np.ndarray:
    """Expected finds per cell from the area's rate in each period (rows: periods).

    Snaring is seasonal: a place walked mostly in November would look hot against the year's
    rate. Standardising by period (indirectly, as epidemiologists standardise by age) asks
    instead whether the place had more finds than the area had per km at the same time.
    """
    finds = np.atleast_2d(np.asarray(finds, float))
    effort_km = np.atleast_2d(np.asarray(effort_km, float))
    totals = effort_km.sum(axis=1)
    rate = np.divide(finds.sum(axis=1), totals, out=np.zeros(totals.size), where=totals > 0)
    return (rate[:, None] * effort_km).sum(axis=0)


@dataclass(frozen=True)
class CellVerdicts:
    eb_per_km: np.ndarray
    tested: np.ndarray  # enough effort to test
    z: np.ndarray  # Gi* z (NaN where not tested)
    p: np.ndarray  # Gi* two-sided p
    p_high: np.ndarray  # neighbourhood Poisson test, more finds than expected
    p_low: np.ndarray  # and fewer
    fdr: np.ndarray  # Gi* significant at the FDR alpha
    classes: np.ndarray


def cell_verdicts(
    ix: np.ndarray,
    iy: np.ndarray,
    snares: np.ndarray,
    finds: np.ndarray,
    effort_km: np.ndarray,
    min_effort_km: float = 1.0,
    alpha: float = 0.05,
    guard: bool = True,
    tested: np.ndarray | None = None,
    expected_finds: np.ndarray | None = None,
    weights: sp.spmatrix | None = None,
) -> CellVerdicts:
    """Classify cells hot/cold at 99/95/90 %, not significant, or under-patrolled.

    Gi* runs on the EB rate of snares per km over the cells walked at least ``min_effort_km``;
    cells walked less are under_patrolled (never cold). ``guard`` False gives Gi* alone.
    ``tested`` fixes the set of cells tested (a time bin of a space-time cube uses the
    window's set). ``expected_finds`` per cell replaces the area's rate times effort in the
    guard; :func:`expected_by_period` gives it standardised by season. ``weights`` (queen
    weights of the tested cells) saves building them again for each bin of a cube.
    """
    ix = np.asarray(ix)
    iy = np.asarray(iy)
    effort_km = np.asarray(effort_km, float)
    finds = np.asarray(finds, float)
    n = ix.size
    eb = eb_observed(snares, effort_km)
    tested = effort_km >= min_effort_km if tested is None else np.asarray(tested, bool)
    z = np.full(n, np.nan)
    p = np.full(n, np.nan)
    p_high = np.full(n, np.nan)
    p_low = np.full(n, np.nan)
    fdr = np.zeros(n, bool)
    classes = np.full(n, UNDER_PATROLLED, dtype=object)
    if tested.sum() < 3:
        classes[tested] = NOT_SIGNIFICANT
        return CellVerdicts(eb, tested, z, p, p_high, p_low, fdr, classes)
    w = queen_weights(ix[tested], iy[tested]) if weights is None else weights
    zt, pt = gi_star(eb[tested], w)
    z[tested], p[tested] = zt, pt
    fdr[tested] = benjamini_hochberg(pt, alpha)
    if expected_finds is None:
        rate = finds.sum() / effort_km.sum() if effort_km.sum() > 0 else 0.0
        expected_finds = rate * effort_km
    ph, pl = _neighbourhood_p(w, finds[tested], np.asarray(expected_finds, float)[tested])
    p_high[tested], p_low[tested] = ph, pl
    classes[tested] = _classes(zt, pt, ph, pl, guard)
    return CellVerdicts(eb, tested, z, p, p_high, p_low, fdr, classes)


def _neighbourhood_p(
    w: sp.spmatrix, finds: np.ndarray, expected_finds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson p of more (and of fewer) finds in each queen neighbourhood than the
    expected finds there."""
    from scipy import stats

    observed = w @ finds
    expected = w @ expected_finds
    ph = np.where(expected > 0, stats.poisson.sf(observed - 1, expected), 1.0)
    pl = np.where(expected > 0, stats.poisson.cdf(observed, expected), 1.0)
    return ph, pl


def _classes(
    zt: np.ndarray, pt: np.ndarray, ph: np.ndarray, pl: np.ndarray, guard: bool
) -> np.ndarray:
    """The tested cells' classes: the strongest level at which Gi* (and the guard) agree."""
    inner = np.full(zt.size, NOT_SIGNIFICANT, dtype=object)
    for level, a in LEVELS:
        gi = benjamini_hochberg(pt, a)
        hot = gi & (zt > 0)
        cold = gi & (zt < 0)
        if guard:
            hot &= benjamini_hochberg(ph, a)
            cold &= benjamini_hochberg(pl, a)
        inner[hot] = HotspotClass(f"hot_{level}").value
        inner[cold] = HotspotClass(f"cold_{level}").value
    return inner


def bin_verdicts(
    snares: np.ndarray,
    finds: np.ndarray,
    effort_km: np.ndarray,
    tested: np.ndarray,
    weights: sp.spmatrix,
    level: float = 0.05,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gi* z and the guarded hot/cold verdicts at ``level`` for every time bin at once (rows
    of ``snares``, ``finds``, ``effort_km``: bins x cells), over the fixed ``tested`` cells
    with their queen ``weights``: what :func:`cell_verdicts` gives bin by bin for a
    space-time cube (z NaN outside ``tested``; hot is hot_95 or hot_99 there, since the
    levels' rejections nest), without a Python loop over ten years' 120 months.
    """
    import scipy.sparse as sp
    from scipy import stats

    snares = np.atleast_2d(np.asarray(snares, float))
    finds = np.atleast_2d(np.asarray(finds, float))
    effort = np.atleast_2d(np.asarray(effort_km, float))
    tested = np.asarray(tested, bool)
    nb, n = effort.shape
    z = np.full((nb, n), np.nan)
    hot = np.zeros((nb, n), bool)
    cold = np.zeros((nb, n), bool)
    m = int(tested.sum())
    if m < 3:
        return z, hot, cold
    w = sp.csr_matrix(weights)
    y = _eb_rows(snares, effort)[:, tested]
    wi = np.asarray(w.sum(axis=1)).ravel()
    lag = (w @ y.T).T
    # Mean and sd row by row as gi_star takes them of one row: reduced along an axis, numpy
    # sums in another order, and a constant row (nothing to learn: every cell at the prior)
    # gets an sd of 1e-17 instead of 0, and z of noise instead of 0.
    ybar = np.array([row.mean() for row in y])[:, None]
    sd = np.array([row.std() for row in y])[:, None]
    sd[sd <= CONSTANT_RTOL * np.abs(ybar)] = 0.0  # constant rows, as gi_star
    denom = sd * np.sqrt(np.maximum(m * wi - wi**2, 0.0) / (m - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        zt = np.where(denom > 0, (lag - ybar * wi) / denom, 0.0)
    pt = 2.0 * stats.norm.sf(np.abs(zt))
    totals = effort.sum(axis=1)
    rate = np.divide(finds.sum(axis=1), totals, out=np.zeros(nb), where=totals > 0)
    observed = (w @ finds[:, tested].T).T
    expected = (w @ (rate[:, None] * effort)[:, tested].T).T
    with np.errstate(divide="ignore", invalid="ignore"):
        ph = np.where(expected > 0, stats.poisson.sf(observed - 1, expected), 1.0)
        pl = np.where(expected > 0, stats.poisson.cdf(observed, expected), 1.0)
    gi = _bh_rows(pt, level)
    z[:, tested] = zt
    hot[:, tested] = gi & (zt > 0) & _bh_rows(ph, level)
    cold[:, tested] = gi & (zt < 0) & _bh_rows(pl, level)
    return z, hot, cold


def _eb_rows(count: np.ndarray, base: np.ndarray) -> np.ndarray:
    """:func:`eb_observed` of each row (the same method-of-moments prior, row by row)."""
    walked = base > 0
    nw = walked.sum(axis=1)
    total = base.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(nw > 0, (count * walked).sum(axis=1) / total, 0.0)[:, None]
        raw = np.where(walked, count / base, r)
        s2 = (base * (raw - r) ** 2).sum(axis=1, keepdims=True) / total[:, None]
        prior_var = np.maximum(0.0, s2 - r / (total / nw)[:, None])
        weight = np.where(walked, prior_var / (prior_var + r / base), 0.0)
    weight = np.nan_to_num(weight, nan=0.0)
    rate = np.where(walked, weight * raw + (1 - weight) * r, r)
    return np.where(nw[:, None] > 0, rate, 0.0)


def _bh_rows(p: np.ndarray, alpha: float) -> np.ndarray:
    """:func:`benjamini_hochberg` of each row."""
    nb, m = p.shape
    order = np.argsort(p, axis=1)
    ranked = np.take_along_axis(p, order, axis=1)
    passed = ranked <= alpha * np.arange(1, m + 1) / m
    last = np.where(passed.any(axis=1), m - 1 - np.argmax(passed[:, ::-1], axis=1), -1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(m)[None, :].repeat(nb, axis=0), axis=1)
    return rank <= last[:, None]
