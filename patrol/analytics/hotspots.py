"""Hotspot verdicts for grid cells: EB-smoothed rates, Gi*, and an exact Poisson guard.

Gi* is computed as GIS tools do (analytic z against the normal, two-sided p, BH FDR). Its
normal reference is too generous for sparse counts: on simulated parks with the same snare
density everywhere it flagged a hot cell in most runs (docs/analytics.md). So a cell is hot only
when, at the same FDR level, its queen neighbourhood also holds more finds than the area's rate
predicts for the effort walked there, by an exact Poisson test; cold likewise with fewer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import stats

from patrol.analytics.gistar import benjamini_hochberg, gi_star, queen_weights
from patrol.analytics.rates import eb_rates

__all__ = ["CellVerdicts", "cell_verdicts", "eb_observed", "expected_by_period"]

LEVELS = ((90, 0.10), (95, 0.05), (99, 0.01))


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
    classes = np.full(n, "under_patrolled", dtype=object)
    if tested.sum() < 3:
        classes[tested] = "not_significant"
        return CellVerdicts(eb, tested, z, p, p_high, p_low, fdr, classes)
    w = queen_weights(ix[tested], iy[tested]) if weights is None else weights
    zt, pt = gi_star(eb[tested], w)
    z[tested], p[tested] = zt, pt
    fdr[tested] = benjamini_hochberg(pt, alpha)
    if expected_finds is None:
        rate = finds.sum() / effort_km.sum() if effort_km.sum() > 0 else 0.0
        expected_finds = rate * effort_km
    observed = w @ finds[tested]
    expected = w @ np.asarray(expected_finds, float)[tested]
    ph = np.where(expected > 0, stats.poisson.sf(observed - 1, expected), 1.0)
    pl = np.where(expected > 0, stats.poisson.cdf(observed, expected), 1.0)
    p_high[tested], p_low[tested] = ph, pl
    inner = np.full(int(tested.sum()), "not_significant", dtype=object)
    for level, a in LEVELS:
        gi = benjamini_hochberg(pt, a)
        hot = gi & (zt > 0)
        cold = gi & (zt < 0)
        if guard:
            hot &= benjamini_hochberg(ph, a)
            cold &= benjamini_hochberg(pl, a)
        inner[hot] = f"hot_{level}"
        inner[cold] = f"cold_{level}"
    classes[tested] = inner
    return CellVerdicts(eb, tested, z, p, p_high, p_low, fdr, classes)
