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
from scipy import ndimage, optimize, special, stats

__all__ = [
    "RiskModel",
    "RiskSettings",
    "Visits",
    "detection_per_visit",
    "estimate_detection",
    "fit_setting_rate",
    "visit_exposures",
]

YEAR_DAYS = 365.25
OMEGA = 2 * np.pi / YEAR_DAYS


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


@dataclass(frozen=True)
class Visits:
    """Search visits: one row per patrol and cell, with its time and the snares found there.

    ``cell`` indexes the caller's cells; ``t_days`` is any day count (the same for ``until``);
    ``snares`` the snares found in that cell on that patrol.
    """

    cell: np.ndarray
    t_days: np.ndarray
    effort_km: np.ndarray
    snares: np.ndarray

    @classmethod
    def of(cls, cell, t_days, effort_km, snares) -> Visits:
        return cls(
            np.asarray(cell, np.int64),
            np.asarray(t_days, float),
            np.asarray(effort_km, float),
            np.asarray(snares, float),
        )


def detection_per_visit(effort_km: np.ndarray, p: float, pass_km: float) -> np.ndarray:
    """Chance that a visit walking ``effort_km`` in a cell sees a given standing snare.

    >>> float(detection_per_visit(np.array([1.0]), 0.3, 1.0)[0])
    0.3
    >>> round(float(detection_per_visit(np.array([2.0]), 0.3, 1.0)[0]), 2)
    0.51
    """
    passes = np.asarray(effort_km, float) / pass_km
    return -np.expm1(passes * np.log1p(-p))


def _accrual(t0: np.ndarray, t1: np.ndarray, mu: float) -> tuple[np.ndarray, np.ndarray]:
    """Snares still standing at t1 per unit setting rate set since t0 (t0 = -inf: ever):
    integral of s(u) exp(-mu (t1 - u)) du for s = 1 (real) and s = exp(i w u) (complex)."""
    gap = t1 - t0
    decay = np.where(np.isfinite(gap), np.exp(-mu * np.where(np.isfinite(gap), gap, 0.0)), 0.0)
    flat = (1 - decay) / mu
    t0f = np.where(np.isfinite(t0), t0, 0.0)
    wave = (np.exp(1j * OMEGA * t1) - decay * np.exp(1j * OMEGA * t0f)) / (mu + 1j * OMEGA)
    return flat, wave


@dataclass
class Exposures:
    """Per visit (in the sorted order ``order``): detection q, and standing-snare exposure
    before the visit per unit rate, split into the flat part and the seasonal (complex) part;
    per cell: the exposure at ``until`` after the last visit."""

    order: np.ndarray
    q: np.ndarray
    flat: np.ndarray
    wave: np.ndarray
    end_flat: np.ndarray
    end_wave: np.ndarray

    def before(self, a: float, b: float) -> np.ndarray:
        return self.flat + a * self.wave.real + b * self.wave.imag

    def at_end(self, a: float, b: float) -> np.ndarray:
        return self.end_flat + a * self.end_wave.real + b * self.end_wave.imag


def visit_exposures(
    visits: Visits,
    n_cells: int,
    until_days: float,
    cell_km2: float,
    p: float,
    mean_life_days: float,
    pass_km: float,
) -> Exposures:
    """The exposure recursion, vectorised over cells (a loop over the k-th visit of each cell).

    X_1 = A * integral_{-inf}^{t_1} s(u) e^{-mu (t_1 - u)} du (the stock of a process that ran
    forever); X_k = (1 - q_{k-1}) e^{-mu (t_k - t_{k-1})} X_{k-1} + A * integral over
    (t_{k-1}, t_k]. Visits at the same time follow each other (pure depletion).
    """
    mu = 1.0 / mean_life_days
    order = np.lexsort((visits.t_days, visits.cell))
    cell = visits.cell[order]
    t = visits.t_days[order]
    q = detection_per_visit(visits.effort_km[order], p, pass_km)
    n = cell.size
    first = np.ones(n, bool)
    first[1:] = cell[1:] != cell[:-1]
    prev_t = np.where(first, -np.inf, np.r_[np.nan, t[:-1]])
    gflat, gwave = _accrual(prev_t, t, mu)
    gflat, gwave = gflat * cell_km2, gwave * cell_km2
    carry = np.where(
        first, 0.0, np.r_[0.0, 1 - q[:-1]] * np.exp(-mu * np.where(first, 0, t - prev_t))
    )
    flat = np.empty(n)
    wave = np.empty(n, complex)
    starts = np.flatnonzero(first)
    counts = np.diff(np.r_[starts, n])
    for k in range(int(counts.max()) if n else 0):
        idx = starts[counts > k] + k
        if k == 0:
            flat[idx], wave[idx] = gflat[idx], gwave[idx]
        else:
            flat[idx] = carry[idx] * flat[idx - 1] + gflat[idx]
            wave[idx] = carry[idx] * wave[idx - 1] + gwave[idx]
    # After each cell's last visit, to `until`; cells never visited hold the forever stock.
    end_t0 = np.full(n_cells, -np.inf)
    end_carry = np.zeros(n_cells)
    end_flat0 = np.zeros(n_cells)
    end_wave0 = np.zeros(n_cells, complex)
    if n:
        last = np.r_[starts[1:] - 1, n - 1]
        lc = cell[last]
        end_t0[lc] = t[last]
        end_carry[lc] = (1 - q[last]) * np.exp(-mu * (until_days - t[last]))
        end_flat0[lc], end_wave0[lc] = flat[last], wave[last]
    af, aw = _accrual(end_t0, np.full(n_cells, float(until_days)), mu)
    return Exposures(
        order,
        q,
        flat,
        wave,
        end_carry * end_flat0 + cell_km2 * af,
        end_carry * end_wave0 + cell_km2 * aw,
    )


def _season_fit(y: np.ndarray, qf, qc, qs, cell: np.ndarray, w: np.ndarray, n_cells: int):
    """Season (a, b) maximising the profile likelihood with a free rate per cell:
    sum_k w y log m_k(a, b) - sum_c F_c log E_c(a, b)."""
    f = np.bincount(cell, w * y, n_cells)
    used = f[cell] > 0

    def nll(ab):
        a, b = ab
        m = qf + a * qc + b * qs
        e = np.bincount(cell, w * m, n_cells)
        if np.any(m[y > 0] <= 0) or np.any(e[f > 0] <= 0):
            return 1e12, np.zeros(2)
        val = -(np.sum((w * y)[used & (y > 0)] * np.log(m[used & (y > 0)])))
        val += np.sum(f[f > 0] * np.log(e[f > 0]))
        ratio = np.where(m > 0, w * y / np.where(m > 0, m, 1), 0)
        share = np.where(e > 0, f / np.where(e > 0, e, 1), 0)[cell] * w
        grad = np.array(
            [-(ratio * qc).sum() + (share * qc).sum(), -(ratio * qs).sum() + (share * qs).sum()]
        )
        return val, grad

    if f.sum() <= 0:
        return 0.0, 0.0, np.zeros((2, 2))
    res = optimize.minimize(nll, np.zeros(2), jac=True, method="L-BFGS-B", bounds=[(-0.7, 0.7)] * 2)
    # Its covariance from the curvature (gradient differences), for the intervals.
    h = 1e-4
    hess = np.column_stack(
        [(nll(res.x + h * d)[1] - nll(res.x - h * d)[1]) / (2 * h) for d in np.eye(2)]
    )
    try:
        cov = np.linalg.inv((hess + hess.T) / 2)
    except np.linalg.LinAlgError:
        cov = np.zeros((2, 2))
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) < 0):
        cov = np.zeros((2, 2))
    return float(res.x[0]), float(res.x[1]), cov


def neighbour_rate(
    ix: np.ndarray, iy: np.ndarray, found: np.ndarray, exposure: np.ndarray, sd_cells: float
) -> np.ndarray:
    """Gaussian-kernel rate of the cells around each cell, the cell itself left out, with one
    pseudo-snare at the area's rate: the neighbourhood a sparse cell is shrunk towards."""
    ix = np.asarray(ix, np.int64)
    iy = np.asarray(iy, np.int64)
    if ix.size == 0:
        return np.zeros(0)
    gx, gy = ix - ix.min(), iy - iy.min()
    shape = (int(gx.max()) + 1, int(gy.max()) + 1)
    rad = max(1, int(np.ceil(3 * sd_cells)))
    k = np.arange(-rad, rad + 1)
    kern = np.exp(-(k[:, None] ** 2 + k[None, :] ** 2) / (2 * sd_cells**2))
    kern[rad, rad] = 0.0
    out = []
    for values in (found, exposure):
        grid = np.zeros(shape)
        grid[gx, gy] = values
        out.append(ndimage.convolve(grid, kern, mode="constant")[gx, gy])
    total_f, total_e = float(np.sum(found)), float(np.sum(exposure))
    area_rate = total_f / total_e if total_e > 0 and total_f > 0 else 1.0
    return (out[0] + 1.0) / (out[1] + 1.0 / area_rate)


def _nb_fit(f: np.ndarray, e: np.ndarray, z: np.ndarray):
    """Negative-binomial (Poisson-Gamma) marginal likelihood of counts f over exposure e with
    prior mean exp(z beta) and shape alpha: beta, alpha by maximum likelihood."""
    ok = e > 0
    f, e, z = f[ok], e[ok], z[ok]
    r0 = f.sum() / e.sum() if f.sum() > 0 else 1e-6
    x0 = np.r_[np.log(r0), np.zeros(z.shape[1] - 1), 0.0]

    def nll(theta):
        beta, log_alpha = theta[:-1], theta[-1]
        alpha = np.exp(log_alpha)
        eta = np.clip(z @ beta, -30, 30)
        mu = np.exp(eta) * e
        ll = (
            special.gammaln(alpha + f)
            - special.gammaln(alpha)
            + alpha * (log_alpha - np.log(alpha + mu))
            + f * (np.log(mu) - np.log(alpha + mu))
        )
        # d/d eta and d/d log alpha
        d_eta = f - (alpha + f) * mu / (alpha + mu)
        d_la = alpha * (
            special.digamma(alpha + f)
            - special.digamma(alpha)
            + log_alpha
            + 1
            - np.log(alpha + mu)
            - (alpha + f) / (alpha + mu)
        )
        return -ll.sum(), -np.r_[z.T @ d_eta, d_la.sum()]

    bounds = [(None, None)] * z.shape[1] + [(np.log(0.05), np.log(1e3))]
    res = optimize.minimize(nll, x0, jac=True, method="L-BFGS-B", bounds=bounds)
    beta, alpha = res.x[:-1], float(np.exp(res.x[-1]))
    # Fisher information of beta (log link): sum z z' mu alpha / (alpha + mu).
    mu = np.exp(np.clip(z @ beta, -30, 30)) * e
    info = (z * (mu * alpha / (alpha + mu))[:, None]).T @ z
    try:
        cov = np.linalg.inv(info + 1e-9 * np.eye(z.shape[1]))
    except np.linalg.LinAlgError:
        cov = np.zeros_like(info)
    return beta, alpha, cov


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
    keep = visits.t_days <= until_days
    visits = Visits(
        visits.cell[keep], visits.t_days[keep], visits.effort_km[keep], visits.snares[keep]
    )
    cell_km2 = cell_km * cell_km
    pass_km = s.pass_km if s.pass_km else cell_km
    ex = visit_exposures(
        visits, n, until_days, cell_km2, s.detection_probability, s.mean_life_days, pass_km
    )
    cell = visits.cell[ex.order]
    y = visits.snares[ex.order]
    w = np.exp(-(until_days - visits.t_days[ex.order]) / s.memory_days)
    qf, qc, qs = ex.q * ex.flat, ex.q * ex.wave.real, ex.q * ex.wave.imag
    a, b, season_cov = (
        _season_fit(y, qf, qc, qs, cell, w, n)
        if s.fit_season and n
        else (0.0, 0.0, np.zeros((2, 2)))
    )
    phi = max(1.0, float(dispersion))
    m = qf + a * qc + b * qs
    fw = np.bincount(cell, w * y, n)
    ew = np.bincount(cell, w * m, n)
    # Weighted counts vary less than Poisson counts of the same mean: rescale each cell to
    # its effective exposure (sum w a)^2 / sum w^2 a, whose Poisson variance is the true one.
    ew2 = np.bincount(cell, w * w * m, n)
    shrink = np.where(ew > 0, ew2 / np.where(ew > 0, ew, 1.0), 1.0)
    f = fw / shrink / phi
    e = ew / shrink / phi
    walked = np.bincount(cell, visits.effort_km, n) > 0

    # Prior mean: log-linear in the neighbours' rate (cell left out) and the covariates.
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
        beta, alpha, beta_cov = _nb_fit(f, e, z)
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
    # The posterior of a discounted (dynamic) Gamma-Poisson model: the discount is the
    # evolution of the rate, so the interval is for the rate now, not for the past average.
    shape = alpha_cell + fw / phi
    rate = alpha_cell / prior + ew / phi
    # One more discount for the horizon: the rate may move before the next period ends.
    ahead = np.exp(-horizon_days / s.memory_days) if s.horizon_discount else 1.0
    shape, rate = shape * ahead, rate * ahead
    mean = shape / rate

    # Per 30 days over the horizon: the mean season factor there, and its uncertainty.
    hz = np.linspace(until_days, until_days + horizon_days, 31)
    g = np.array([np.mean(np.cos(OMEGA * hz)), np.mean(np.sin(OMEGA * hz))])
    season = float(1 + a * g[0] + b * g[1])
    season_cv2 = float(g @ season_cov @ g) / season**2
    per30 = 30.0 * season
    shape_out = 1.0 / (1.0 / shape + season_cv2)
    tail = (1 - s.interval) / 2
    lo = stats.gamma.ppf(tail, shape_out, scale=mean / shape_out)
    hi = stats.gamma.ppf(1 - tail, shape_out, scale=mean / shape_out)
    # Standing stock now, and at mid-horizon without a visit in between.
    stock = mean * ex.at_end(a, b)
    mid = until_days + horizon_days / 2
    mu = 1.0 / s.mean_life_days
    gap = mid - until_days
    flat_m, wave_m = _accrual(np.full(n, float(until_days)), np.full(n, mid), mu)
    x_mid = ex.at_end(a, b) * np.exp(-mu * gap) + cell_km2 * (
        flat_m + a * wave_m.real + b * wave_m.imag
    )
    q5 = detection_per_visit(np.array([s.visit_km]), s.detection_probability, pass_km)[0]
    expected = mean * x_mid * q5
    order = np.argsort(np.argsort(mean, kind="stable"), kind="stable")
    rank = np.where(np.isfinite(mean), order / max(n - 1, 1), np.nan)
    last = np.full(n, np.nan)
    if visits.cell.size:
        last_t = np.full(n, -np.inf)
        np.maximum.at(last_t, visits.cell, visits.t_days)
        last = np.where(np.isfinite(last_t), last_t, np.nan)
    return RiskModel(
        walked=walked,
        setting_rate=mean * per30,
        setting_rate_low=lo * per30,
        setting_rate_high=hi * per30,
        prior_rate=prior * per30,
        standing_stock=stock,
        expected_finds=expected,
        risk_rank=rank,
        weighted_snares=fw,
        weighted_exposure=ew / 30.0,
        visits=np.bincount(visits.cell, minlength=n).astype(np.int64),
        effort_km=np.bincount(visits.cell, visits.effort_km, n),
        last_visit_days=last,
        season=(a, b),
        season_factor=season,
        prior_shape=alpha,
        prior_shape_cell=alpha_cell,
        coefficients=beta,
        covariate_names=names,
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
    keep = visits.t_days <= until_days
    v = Visits(visits.cell[keep], visits.t_days[keep], visits.effort_km[keep], visits.snares[keep])
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
