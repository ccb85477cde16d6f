"""The setting-rate model against independent computations on hand-built visit sequences."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from patrol.analytics.exposure import OMEGA, Visits, detection_per_visit, visit_exposures
from patrol.analytics.risk import RiskSettings, estimate_detection, fit_setting_rate

MU = 1 / 90.0
STATIC = RiskSettings(memory_days=1e9, fit_season=False, horizon_discount=False)


def _season(u, a, b):
    return 1 + a * np.cos(OMEGA * u) + b * np.sin(OMEGA * u)


def quadrature_expected(times, q, a, b, area_km2=1.0, mu=MU):
    """Expected snares found on each visit per unit rate, integrated numerically: a snare set
    at u is there at t_k if it did not decay and no earlier visit in (u, t_k) found it."""
    out = []
    for k, tk in enumerate(times):
        edges = [tk - 40 / mu, *[t for t in times[:k] if t > tk - 40 / mu], tk]
        total = 0.0
        for j in range(len(edges) - 1):
            lo, hi = edges[j], edges[j + 1]
            if hi <= lo:
                continue
            # Visits in (u, t_k) for u in this piece: those at or after hi, before visit k.
            survive = np.prod([1 - q[i] for i in range(k) if times[i] >= hi])
            val, _ = integrate.quad(
                lambda u, tk=tk: _season(u, a, b) * np.exp(-mu * (tk - u)), lo, hi, limit=200
            )
            total += survive * val
        out.append(q[k] * area_km2 * total)
    return np.array(out)


def test_detection_per_visit_closed_form():
    e = np.array([0.0, 0.5, 1.0, 3.0])
    assert detection_per_visit(e, 0.3, 1.0) == pytest.approx(1 - 0.7**e)
    assert detection_per_visit(e, 0.3, 2.0) == pytest.approx(1 - 0.7 ** (e / 2))


@pytest.mark.parametrize(
    ("times", "km", "a", "b"),
    [
        ([10.0], [1.0], 0.0, 0.0),
        ([10.0, 40.0, 41.0, 200.0], [2.0, 0.5, 3.0, 1.0], 0.0, 0.0),
        ([5.0, 5.0, 90.0, 91.5, 300.0], [1.0, 1.0, 4.0, 0.2, 2.5], 0.4, -0.3),
    ],
)
def test_exposure_recursion_equals_quadrature(times, km, a, b):
    visits = Visits.of([0] * len(times), times, km, [0] * len(times))
    ex = visit_exposures(visits, 1, 320.0, 1.0, 0.3, 90.0, 1.0)
    q = detection_per_visit(np.array(km), 0.3, 1.0)
    ours = ex.q * ex.before(a, b)
    assert ours == pytest.approx(quadrature_expected(times, q, a, b), rel=1e-6)
    # The stock at `until` is what a visit with certain detection would find then.
    end = quadrature_expected([*times, 320.0], [*q, 1.0], a, b)[-1]
    assert ex.at_end(a, b)[0] == pytest.approx(end, rel=1e-6)


def test_cells_are_independent_and_order_does_not_matter():
    rng = np.random.default_rng(1)
    cell = rng.integers(0, 5, 40)
    t = rng.uniform(0, 300, 40)
    km = rng.uniform(0.1, 3, 40)
    visits = Visits.of(cell, t, km, np.zeros(40))
    ex = visit_exposures(visits, 6, 310.0, 1.0, 0.3, 90.0, 1.0)
    for c in range(5):
        mine = cell == c
        alone = visit_exposures(
            Visits.of(cell[mine] * 0, t[mine], km[mine], t[mine] * 0), 1, 310.0, 1.0, 0.3, 90.0, 1.0
        )
        sorted_cells = cell[ex.order]
        assert ex.flat[sorted_cells == c] == pytest.approx(alone.flat)
        assert ex.end_flat[c] == pytest.approx(alone.end_flat[0])
    assert ex.end_flat[5] == pytest.approx(1 / MU)  # never visited: the whole stock


def test_exact_expected_finds_recover_the_rate_whatever_the_visit_pattern():
    """Feed each cell the finds the model expects at a known rate: a cell walked every week
    and one walked twice a year give the same rate, though snares per km differ tenfold."""
    rate = 0.05  # per km2 per day
    cells, times, km = [], [], []
    for c, every in enumerate((7.0, 30.0, 180.0)):
        t = np.arange(5.0, 360.0, every)
        cells += [c] * t.size
        times += list(t)
        km += [2.0] * t.size
    cells, times, km = np.array(cells), np.array(times), np.array(km)
    q = detection_per_visit(km, 0.3, 1.0)
    expected = np.zeros(times.size)
    for c in range(3):
        mine = cells == c
        expected[mine] = rate * quadrature_expected(list(times[mine]), list(q[mine]), 0, 0)
    per_km = [expected[cells == c].sum() / km[cells == c].sum() for c in range(3)]
    assert per_km[2] > 5 * per_km[0]  # the rarely walked cell looks far richer per km
    model = fit_setting_rate(
        Visits.of(cells, times, km, expected),
        np.arange(3),
        np.zeros(3, int),
        365.0,
        settings=STATIC,
    )
    mle = model.weighted_snares / model.weighted_exposure / 30  # per day
    assert mle == pytest.approx(np.full(3, rate), rel=1e-6)


def _nbrate_bruteforce(ix, iy, f, e, sd):
    out = np.zeros(ix.size)
    tf, te = f.sum(), e.sum()
    for i in range(ix.size):
        d2 = (ix - ix[i]) ** 2 + (iy - iy[i]) ** 2
        k = np.exp(-d2 / (2 * sd**2)) * (
            (d2 > 0) & (np.abs(ix - ix[i]) <= 5) & (np.abs(iy - iy[i]) <= 5)
        )
        out[i] = (k @ f + 1) / (k @ e + te / tf)
    return out


@pytest.fixture(scope="module")
def small_world():
    """A 12 x 12 grid, a hot corner, visits at random with snares drawn from the model."""
    rng = np.random.default_rng(7)
    gx, gy = np.meshgrid(np.arange(12), np.arange(12), indexing="ij")
    ix, iy = gx.ravel(), gy.ravel()
    truth = 0.03 + 0.12 * ((ix < 4) & (iy < 4))  # per km2 per day
    walked = rng.random(ix.size) < 0.8
    rows = []
    for c in np.flatnonzero(walked):
        t = np.sort(rng.uniform(0, 360, rng.integers(1, 12)))
        km = rng.uniform(0.3, 3.0, t.size)
        rows.append((np.full(t.size, c), t, km))
    cell, t, km = (np.concatenate(x) for x in zip(*rows, strict=True))
    v0 = Visits.of(cell, t, km, np.zeros(t.size))
    ex = visit_exposures(v0, ix.size, 365.0, 1.0, 0.3, 90.0, 1.0)
    y = np.zeros(t.size)
    y[ex.order] = rng.poisson(truth[cell[ex.order]] * ex.q * ex.flat)
    return ix, iy, Visits.of(cell, t, km, y), truth, walked


def test_posterior_equals_a_brute_force_grid(small_world):
    ix, iy, visits, _, _ = small_world
    model = fit_setting_rate(visits, ix, iy, 365.0, settings=STATIC)
    for c in (0, 20, 77):
        mine = visits.cell == c
        order = np.argsort(visits.t_days[mine])
        times = list(visits.t_days[mine][order])
        q = list(detection_per_visit(visits.effort_km[mine][order], 0.3, 1.0))
        a = quadrature_expected(times, q, 0, 0)
        y = visits.snares[mine][order]
        alpha = model.prior_shape_cell[c]
        m = model.prior_rate[c] / 30
        lam = np.linspace(1e-6, 1.0, 400_001)
        logp = (alpha - 1) * np.log(lam) - alpha / m * lam
        logp += np.sum(y) * np.log(lam) - lam * a.sum()
        p = np.exp(logp - logp.max())
        p /= p.sum()
        cdf = np.cumsum(p)
        mean = (lam * p).sum() * 30
        lo, hi = lam[np.searchsorted(cdf, 0.05)] * 30, lam[np.searchsorted(cdf, 0.95)] * 30
        assert model.setting_rate[c] == pytest.approx(mean, rel=1e-3)
        assert model.setting_rate_low[c] == pytest.approx(lo, rel=2e-3)
        assert model.setting_rate_high[c] == pytest.approx(hi, rel=2e-3)


def test_prior_is_the_negative_binomial_maximum(small_world):
    """beta and alpha maximise the NB likelihood written with scipy.stats.nbinom, over the
    neighbour rate computed cell by cell."""
    ix, iy, visits, _, _ = small_world
    model = fit_setting_rate(visits, ix, iy, 365.0, settings=STATIC)
    f = np.round(model.weighted_snares)  # whole counts: no discount in STATIC
    assert model.weighted_snares == pytest.approx(f, abs=1e-4)
    e = model.weighted_exposure * 30
    nbr = _nbrate_bruteforce(ix, iy, f, e, STATIC.neighbour_radius_cells)
    z = np.column_stack([np.ones(ix.size), np.log(nbr)])
    ok = e > 0

    def nll(theta):
        alpha = np.exp(theta[-1])
        mean = np.exp(z[ok] @ theta[:-1]) * e[ok]
        return -stats.nbinom.logpmf(f[ok], alpha, alpha / (alpha + mean)).sum()

    ours = np.r_[model.coefficients, np.log(model.prior_shape)]
    best = optimize.minimize(nll, ours + 0.3, method="Nelder-Mead", options={"maxiter": 4000})
    assert nll(ours) <= best.fun + 1e-4
    assert model.prior_rate == pytest.approx(np.exp(z @ model.coefficients) * 30, rel=1e-6)


def test_unwalked_cells_are_prior_only_and_flagged(small_world):
    ix, iy, visits, _, walked = small_world
    model = fit_setting_rate(visits, ix, iy, 365.0, settings=STATIC)
    assert (model.walked == walked).all()
    never = ~walked
    assert model.setting_rate[never] == pytest.approx(model.prior_rate[never])
    assert (model.visits[never] == 0).all()
    assert np.isnan(model.last_visit_days[never]).all()
    width = model.setting_rate_high - model.setting_rate_low
    assert np.median(width[never]) > np.median(width[walked])


def test_hot_corner_ranks_first(small_world):
    ix, iy, visits, truth, _ = small_world
    model = fit_setting_rate(visits, ix, iy, 365.0)
    hot = truth > 0.1
    assert model.setting_rate[hot].mean() > 2 * model.setting_rate[~hot].mean()
    assert model.risk_rank[hot].mean() > 0.8
    assert model.risk_rank.min() == 0 and model.risk_rank.max() == 1


def test_data_after_until_changes_nothing(small_world):
    ix, iy, visits, _, _ = small_world
    before = fit_setting_rate(visits, ix, iy, 200.0)
    later = Visits.of(
        np.r_[visits.cell, [0, 1, 2]],
        np.r_[visits.t_days, [250.0, 300.0, 350.0]],
        np.r_[visits.effort_km, [5.0, 5.0, 5.0]],
        np.r_[visits.snares, [40, 40, 40]],
    )
    after = fit_setting_rate(later, ix, iy, 200.0)
    for name in ("setting_rate", "setting_rate_low", "setting_rate_high", "standing_stock"):
        assert getattr(after, name) == pytest.approx(getattr(before, name), rel=1e-9)


def test_detection_is_recovered_from_repeated_visits():
    rng = np.random.default_rng(3)
    rows = []
    for c in range(300):
        t = np.sort(rng.uniform(0, 360, 10))
        rows.append((np.full(10, c), t, rng.uniform(0.5, 3.0, 10)))
    cell, t, km = (np.concatenate(x) for x in zip(*rows, strict=True))
    ex = visit_exposures(Visits.of(cell, t, km, t * 0), 300, 365.0, 1.0, 0.3, 90.0, 1.0)
    y = np.zeros(t.size)
    y[ex.order] = rng.poisson(0.1 * ex.q * ex.flat)
    p = estimate_detection(Visits.of(cell, t, km, y), 300, 365.0)
    assert 0.2 < p < 0.4
