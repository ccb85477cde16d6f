"""The setting-rate model's priors: the yearly season, the neighbourhood rate and the
negative-binomial regression that gives each cell its prior mean and shape."""

from __future__ import annotations

import numpy as np

__all__ = ["nb_fit", "neighbour_rate", "season_fit"]

# scipy is imported where it is used: its import is most of the command line's start-up,
# which no command but the statistics' needs (a server imports it up front: wsgi.py).


def season_fit(
    y: np.ndarray,
    qf: np.ndarray,
    qc: np.ndarray,
    qs: np.ndarray,
    cell: np.ndarray,
    w: np.ndarray,
    n_cells: int,
) -> tuple[float, float, np.ndarray]:
    """Season (a, b) maximising the profile likelihood with a free rate per cell:
    sum_k w y log m_k(a, b) - sum_c F_c log E_c(a, b)."""
    from scipy import optimize

    f = np.bincount(cell, w * y, n_cells)
    used = f[cell] > 0

    def nll(ab: np.ndarray) -> tuple[float, np.ndarray]:
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
    from scipy import ndimage

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


def nb_fit(f: np.ndarray, e: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Negative-binomial (Poisson-Gamma) marginal likelihood of counts f over exposure e with
    prior mean exp(z beta) and shape alpha: beta, alpha by maximum likelihood."""
    from scipy import optimize, special

    ok = e > 0
    f, e, z = f[ok], e[ok], z[ok]
    r0 = f.sum() / e.sum() if f.sum() > 0 else 1e-6
    x0 = np.r_[np.log(r0), np.zeros(z.shape[1] - 1), 0.0]

    def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
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
