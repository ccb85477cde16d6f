"""Snare setting rate per cell from repeated visits: accumulation, detection, decay, shrinkage.

Finds on a visit mix three things: how fast snares are set in a cell, how long they stood
there since the last patrol removed what it saw, and how many of those a ranger sees. This
module separates them with one model (derivation in docs/analytics.md):

- snares are set in cell c as a Poisson process of rate ``lambda_c * s(t)`` per km2 per day,
  ``s(t) = 1 + a cos(wt) + b sin(wt)`` a yearly season shared by the area;
- each snare stands for an exponential time of mean ``mean_life_days`` (it rots, is sprung or
  is collected by the poacher) unless a patrol finds and removes it first;
- a visit walking ``e`` km in the cell passes its snares ``e / pass_km`` times and sees each
  with ``q = 1 - (1 - p) ** (e / pass_km)``, ``p`` the per-pass detection probability.

Independent thinning of a Poisson process keeps it Poisson, so the snares found on visit k are
Poisson with mean ``lambda_c * q_k * X_k``, X_k an *exposure* (km2 x days) that follows from
the visit times alone by a linear recursion, and the finds of different visits are independent.
The cell's likelihood is therefore a Poisson rate with a known exposure, and a Gamma prior
(empirical Bayes: a negative-binomial regression on the neighbours' rate and covariates) gives
the posterior, its 90 % interval, and a prior-only answer for cells nobody walked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from patrol.analytics.exposure import (
    OMEGA,
    Exposures,
    Visits,
    accrual,
    detection_per_visit,
    visit_exposures,
)
from patrol.analytics.risk_prior import nb_fit, neighbour_rate, season_fit

__all__ = ["RiskModel", "RiskSettings", "estimate_detection", "fit_setting_rate"]

# scipy is imported where it is used: its import is most of the command line's start-up,
# which no command but the statistics' needs (a server imports it up front: wsgi.py).


@dataclass(frozen=True)
class RiskSettings:
    """Settings of the setting-rate model (defaults as documented in docs/analytics.md)."""

    detection_probability: float = 0.3  # per pass, as field trials with imitation snares found
    mean_life_days: float = 90.0  # how long an unfound snare stands
    pass_km: float | None = None  # km walked in a cell that pass its snares once; None: cell side
    memory_days: float = 30.0  # older visits weigh exp(-age / memory_days): hotspots move
    fit_season: bool = True
    neighbour_radius_cells: float = 1.5  # Gaussian kernel sd of the neighbourhood rate
    interval: float = 0.9
    visit_km: float = 5.0  # the search whose expected finds rank targets
    horizon_discount: bool = True


@dataclass
class RiskModel:
    """The fitted model per cell; rates are snares per km2 per 30 days over the horizon."""

    walked: np.ndarray  # any search effort up to `until`
    setting_rate: np.ndarray  # posterior mean (prior mean where not walked)
    setting_rate_low: np.ndarray
    setting_rate_high: np.ndarray
    prior_rate: np.ndarray
    standing_stock: np.ndarray  # expected snares standing at `until`
    expected_finds: np.ndarray  # a `visit_km` search at mid-horizon
    risk_rank: np.ndarray  # 0..1, 1 the highest setting rate
    weighted_snares: np.ndarray  # the inputs per cell: snares weighted by age (the posterior's)
    weighted_exposure: np.ndarray  # km2 x 30 days, weighted likewise (detection, season applied)
    visits: np.ndarray
    effort_km: np.ndarray
    last_visit_days: np.ndarray  # NaN where never
    season: tuple[float, float]
    season_factor: float  # mean season factor over the horizon
    prior_shape: float
    prior_shape_cell: np.ndarray  # widened by the uncertainty of the prior mean
    coefficients: np.ndarray
    covariate_names: list[str] = field(default_factory=list)
    dispersion: float = 1.0


@dataclass(frozen=True)
class _Counts:
    """Each cell's age-weighted snares and exposure (``fw``, ``ew``), and the same rescaled to
    Poisson-equivalent counts (``f``, ``e``) for the prior."""

    fw: np.ndarray
    ew: np.ndarray
    f: np.ndarray
    e: np.ndarray


def _weighted_counts(
    cell: np.ndarray, w: np.ndarray, y: np.ndarray, m: np.ndarray, n: int, phi: float
) -> _Counts:
    fw = np.bincount(cell, w * y, n)
    ew = np.bincount(cell, w * m, n)
    # Weighted counts vary less than Poisson counts of the same mean: rescale each cell to
    # its effective exposure (sum w a)^2 / sum w^2 a, whose Poisson variance is the true one.
    ew2 = np.bincount(cell, w * w * m, n)
    shrink = np.where(ew > 0, ew2 / np.where(ew > 0, ew, 1.0), 1.0)
    return _Counts(fw, ew, fw / shrink / phi, ew / shrink / phi)


@dataclass(frozen=True)
class _Prior:
    mean: np.ndarray  # per cell
    alpha: float  # the fitted shape
    alpha_cell: np.ndarray  # widened by the uncertainty of the prior mean
    beta: np.ndarray
    names: list[str]


def _prior(
    ix: np.ndarray,
    iy: np.ndarray,
    c: _Counts,
    covariates: np.ndarray | None,
    covariate_names: list[str] | None,
    s: RiskSettings,
) -> _Prior:
    """Prior mean: log-linear in the neighbours' rate (cell left out) and the covariates."""
    n = ix.size
    f, e = c.f, c.e
    nbr = neighbour_rate(ix, iy, f, e, s.neighbour_radius_cells)
    cols = [np.ones(n), np.log(nbr)]
    names = ["intercept", "log_neighbour_rate"]
    if covariates is not None and np.size(covariates):
        cov = np.asarray(covariates, float).reshape(n, -1)
        sd = cov.std(axis=0)
        sd[sd == 0] = 1.0
        cols += list(((cov - cov.mean(axis=0)) / sd).T)
        names += list(covariate_names or [f"x{k}" for k in range(cov.shape[1])])
    z = np.column_stack(cols)
    if (f > 0).sum() >= 3:
        beta, alpha, beta_cov = nb_fit(f, e, z)
    else:
        total = e.sum()
        # Too few finds to fit a prior: the area's rate (half a snare if none), flat; with no
        # search at all there is nothing to say (NaN, reported as null).
        beta = np.r_[
            np.log(max(f.sum(), 0.5) / total) if total > 0 else np.nan, np.zeros(z.shape[1] - 1)
        ]
        alpha, beta_cov = 1.0, np.zeros((z.shape[1], z.shape[1]))
    prior = np.exp(np.clip(z @ beta, -30, 30))
    # The prior mean is itself estimated: its log-variance widens the prior (CV^2 adds).
    prior_log_var = np.einsum("ij,jk,ik->i", z, beta_cov, z)
    alpha_cell = 1.0 / (1.0 / alpha + prior_log_var)
    return _Prior(prior, alpha, alpha_cell, beta, names)


def _horizon_season(
    until_days: float, horizon_days: float, a: float, b: float, season_cov: np.ndarray
) -> tuple[float, float]:
    """The mean season factor over the horizon, and its squared coefficient of variation."""
    hz = np.linspace(until_days, until_days + horizon_days, 31)
    g = np.array([np.mean(np.cos(OMEGA * hz)), np.mean(np.sin(OMEGA * hz))])
    season = float(1 + a * g[0] + b * g[1])
    return season, float(g @ season_cov @ g) / season**2


def _expected_finds(
    mean: np.ndarray,
    ex: Exposures,
    season: tuple[float, float],
    until_days: float,
    horizon_days: float,
    s: RiskSettings,
    cell_km: float,
) -> np.ndarray:
    """A ``visit_km`` search's expected finds at mid-horizon, without a visit in between."""
    a, b = season
    n = mean.size
    pass_km = s.pass_km if s.pass_km else cell_km
    mid = until_days + horizon_days / 2
    mu = 1.0 / s.mean_life_days
    gap = mid - until_days
    flat_m, wave_m = accrual(np.full(n, float(until_days)), np.full(n, mid), mu)
    x_mid = ex.at_end(a, b) * np.exp(-mu * gap) + cell_km * cell_km * (
        flat_m + a * wave_m.real + b * wave_m.imag
    )
    q5 = detection_per_visit(np.array([s.visit_km]), s.detection_probability, pass_km)[0]
    return mean * x_mid * q5


def _last_visit(visits: Visits, n: int) -> np.ndarray:
    """Each cell's latest visit time, NaN where never."""
    last = np.full(n, np.nan)
    if visits.cell.size:
        last_t = np.full(n, -np.inf)
        np.maximum.at(last_t, visits.cell, visits.t_days)
        last = np.where(np.isfinite(last_t), last_t, np.nan)
    return last


def _up_to(visits: Visits, until_days: float) -> Visits:
    """The visits up to ``until_days``: nothing later is used."""
    keep = visits.t_days <= until_days
    return Visits(
        visits.cell[keep], visits.t_days[keep], visits.effort_km[keep], visits.snares[keep]
    )


def _season(
    ex: Exposures, y: np.ndarray, cell: np.ndarray, w: np.ndarray, n: int, s: RiskSettings
) -> tuple[np.ndarray, tuple[float, float], np.ndarray]:
    """Each visit's expected finds per unit rate with the fitted season (a, b), the season
    and its covariance (no season when not fitted)."""
    qf, qc, qs = ex.q * ex.flat, ex.q * ex.wave.real, ex.q * ex.wave.imag
    a, b, season_cov = (
        season_fit(y, qf, qc, qs, cell, w, n)
        if s.fit_season and n
        else (0.0, 0.0, np.zeros((2, 2)))
    )
    return qf + a * qc + b * qs, (a, b), season_cov


def _posterior(
    prior: _Prior, c: _Counts, phi: float, horizon_days: float, season_cv2: float, s: RiskSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each cell's posterior mean rate per day and its interval (the season's uncertainty
    over the horizon included)."""
    from scipy import stats

    # The posterior of a discounted (dynamic) Gamma-Poisson model: the discount is the
    # evolution of the rate, so the interval is for the rate now, not for the past average.
    shape = prior.alpha_cell + c.fw / phi
    rate = prior.alpha_cell / prior.mean + c.ew / phi
    # One more discount for the horizon: the rate may move before the next period ends.
    ahead = np.exp(-horizon_days / s.memory_days) if s.horizon_discount else 1.0
    shape, rate = shape * ahead, rate * ahead
    mean = shape / rate
    shape_out = 1.0 / (1.0 / shape + season_cv2)
    tail = (1 - s.interval) / 2
    lo = stats.gamma.ppf(tail, shape_out, scale=mean / shape_out)
    hi = stats.gamma.ppf(1 - tail, shape_out, scale=mean / shape_out)
    return mean, lo, hi


def fit_setting_rate(
    visits: Visits,
    ix: np.ndarray,
    iy: np.ndarray,
    until_days: float,
    horizon_days: float = 30.0,
    cell_km: float = 1.0,
    covariates: np.ndarray | None = None,
    covariate_names: list[str] | None = None,
    settings: RiskSettings | None = None,
    dispersion: float = 1.0,
) -> RiskModel:
    """Setting rate per cell from its visits, shrunk towards its neighbourhood and covariates.

    ``visits`` must hold only visits up to ``until_days`` (the caller's cut: nothing later is
    used). ``covariates`` is (cells, k), e.g. log distances to roads and settlements; they
    enter the prior mean log-linearly. ``dispersion`` (>= 1: snares per find, E[c^2] / E[c])
    widens the intervals for snares found in groups (a quasi-Poisson scale).
    """
    s = settings or RiskSettings()
    ix = np.asarray(ix, np.int64)
    n = ix.size
    visits = _up_to(visits, until_days)
    pass_km = s.pass_km if s.pass_km else cell_km
    ex = visit_exposures(
        visits, n, until_days, cell_km * cell_km, s.detection_probability, s.mean_life_days,
        pass_km,
    )  # fmt: skip
    cell, y = visits.cell[ex.order], visits.snares[ex.order]
    w = np.exp(-(until_days - visits.t_days[ex.order]) / s.memory_days)
    m, (a, b), season_cov = _season(ex, y, cell, w, n, s)
    phi = max(1.0, float(dispersion))
    c = _weighted_counts(cell, w, y, m, n, phi)
    prior = _prior(ix, iy, c, covariates, covariate_names, s)
    season, season_cv2 = _horizon_season(until_days, horizon_days, a, b, season_cov)
    mean, lo, hi = _posterior(prior, c, phi, horizon_days, season_cv2, s)
    per30 = 30.0 * season  # per 30 days over the horizon, at its mean season factor
    order = np.argsort(np.argsort(mean, kind="stable"), kind="stable")
    return RiskModel(
        walked=np.bincount(cell, visits.effort_km, n) > 0,
        setting_rate=mean * per30,
        setting_rate_low=lo * per30,
        setting_rate_high=hi * per30,
        prior_rate=prior.mean * per30,
        standing_stock=mean * ex.at_end(a, b),  # standing now
        expected_finds=_expected_finds(mean, ex, (a, b), until_days, horizon_days, s, cell_km),
        risk_rank=np.where(np.isfinite(mean), order / max(n - 1, 1), np.nan),
        weighted_snares=c.fw,
        weighted_exposure=c.ew / 30.0,
        visits=np.bincount(visits.cell, minlength=n).astype(np.int64),
        effort_km=np.bincount(visits.cell, visits.effort_km, n),
        last_visit_days=_last_visit(visits, n),
        season=(a, b),
        season_factor=season,
        prior_shape=prior.alpha,
        prior_shape_cell=prior.alpha_cell,
        coefficients=prior.beta,
        covariate_names=prior.names,
        dispersion=phi,
    )


def estimate_detection(
    visits: Visits,
    n_cells: int,
    until_days: float,
    cell_km: float = 1.0,
    mean_life_days: float = 90.0,
    pass_km: float | None = None,
    bounds: tuple[float, float] = (0.02, 0.95),
) -> float:
    """Per-pass detection probability by profile likelihood, each cell's rate left free.

    Only depletion informs it: a visit soon after another finds fewer snares when detection
    is high (the first took most of them), as many when it is low. It needs cells visited
    repeatedly within a snare's life; with few such cells keep the area's setting.
    """
    from scipy import optimize

    v = _up_to(visits, until_days)
    pass_km = pass_km or cell_km

    def nll(p: float) -> float:
        ex = visit_exposures(v, n_cells, until_days, cell_km * cell_km, p, mean_life_days, pass_km)
        m = ex.q * ex.flat  # the flat part: the season barely moves depletion between close visits
        y = v.snares[ex.order]
        cell = v.cell[ex.order]
        f = np.bincount(cell, y, n_cells)
        e = np.bincount(cell, m, n_cells)
        hit = y > 0
        return -(np.sum(y[hit] * np.log(m[hit])) - np.sum(f[f > 0] * np.log(e[f > 0])))

    res = optimize.minimize_scalar(nll, bounds=bounds, method="bounded", options={"xatol": 1e-3})
    return float(res.x)
