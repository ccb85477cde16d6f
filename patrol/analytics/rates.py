"""Catch per unit effort and its Poisson-Gamma empirical Bayes smoothing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["EBRates", "cpue", "eb_rates"]


def cpue(count: np.ndarray, effort: np.ndarray, per: float) -> np.ndarray:
    """Count per ``per`` units of effort; NaN where there was no effort.

    >>> cpue(np.array([4.0, 1.0]), np.array([200.0, 0.0]), 100).tolist()
    [2.0, nan]
    """
    count = np.asarray(count, float)
    effort = np.asarray(effort, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(effort > 0, count / effort * per, np.nan)


@dataclass(frozen=True)
class EBRates:
    """Smoothed rates (per unit of base), the weights given to each raw rate, and the prior."""

    rate: np.ndarray
    weight: np.ndarray
    prior_mean: float
    prior_variance: float


def eb_rates(count: np.ndarray, base: np.ndarray) -> EBRates:
    """Poisson-Gamma empirical Bayes (method of moments, Marshall 1991) of count / base.

    r = sum count / sum base; s2 = sum b_i (r_i - r)^2 / sum b; A = max(0, s2 - r / mean(b));
    w_i = A / (A + r / b_i); EB_i = w_i r_i + (1 - w_i) r. A unit with little base gets little
    weight and is pulled to the prior mean r; one with no base gets r itself. Raw, a cell walked
    for 300 m with one snare looks 6.7 times as rich as one walked 80 km with 40; smoothed, the
    short walk stays near the area's mean and the two are within a few percent of each other:

    >>> e = eb_rates(np.array([1.0, 40.0, 0.0, 0.0]), np.array([0.3, 80.0, 20.0, 0.0]))
    >>> round(e.prior_mean, 2)
    0.41
    >>> e.weight.round(2).tolist()
    [0.03, 0.91, 0.71, 0.0]
    >>> e.rate.round(2).tolist()
    [0.51, 0.49, 0.12, 0.41]
    """
    count = np.asarray(count, float)
    base = np.asarray(base, float)
    total = base.sum()
    if base.size == 0 or total <= 0:
        nan = np.full(base.shape, np.nan)
        return EBRates(nan, np.zeros(base.shape), float("nan"), float("nan"))
    r = count.sum() / total
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(base > 0, count / base, r)
        s2 = float((base * (raw - r) ** 2).sum() / total)
        prior_var = max(0.0, s2 - r / base.mean())
        weight = np.where(base > 0, prior_var / (prior_var + r / base), 0.0)
    weight = np.nan_to_num(weight, nan=0.0)  # r == 0 and A == 0: nothing to learn
    return EBRates(weight * raw + (1 - weight) * r, weight, float(r), prior_var)
