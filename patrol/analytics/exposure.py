"""Search visits and their exposure: how many snares a visit could find per unit setting rate.

Snares are set in a cell as a Poisson process of rate ``lambda * s(t)`` per km2 per day, ``s``
a yearly season; each stands for an exponential time of mean ``1 / mu`` unless a visit finds it
first, and a visit walking ``e`` km sees each with ``q = 1 - (1 - p) ** (e / pass_km)``. The
exposure X_k of visit k (km2 x days) follows from the visit times alone by a linear recursion
(derivation in docs/analytics.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "OMEGA",
    "YEAR_DAYS",
    "Exposures",
    "Visits",
    "accrual",
    "detection_per_visit",
    "visit_exposures",
]

YEAR_DAYS = 365.25
OMEGA = 2 * np.pi / YEAR_DAYS


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
    def of(
        cls,
        cell: np.typing.ArrayLike,
        t_days: np.typing.ArrayLike,
        effort_km: np.typing.ArrayLike,
        snares: np.typing.ArrayLike,
    ) -> Visits:
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


def accrual(t0: np.ndarray, t1: np.ndarray, mu: float) -> tuple[np.ndarray, np.ndarray]:
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
        """Each visit's exposure for the season (a, b)."""
        return self.flat + a * self.wave.real + b * self.wave.imag

    def at_end(self, a: float, b: float) -> np.ndarray:
        """Each cell's exposure at ``until`` for the season (a, b)."""
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
    gflat, gwave = accrual(prev_t, t, mu)
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
    af, aw = accrual(end_t0, np.full(n_cells, float(until_days)), mu)
    return Exposures(
        order,
        q,
        flat,
        wave,
        end_carry * end_flat0 + cell_km2 * af,
        end_carry * end_wave0 + cell_km2 * aw,
    )
