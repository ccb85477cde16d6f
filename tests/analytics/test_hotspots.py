"""Cell verdicts: the Poisson guard keeps Gi* honest on sparse counts."""

from __future__ import annotations

import numpy as np
import pytest

from patrol.analytics.gistar import classify, gi_star, queen_weights
from patrol.analytics.hotspots import bin_verdicts, cell_verdicts, eb_observed, expected_by_period

SIDE = 40
IX, IY = (a.ravel() for a in np.meshgrid(np.arange(SIDE), np.arange(SIDE), indexing="ij"))


def effort_field(rng) -> np.ndarray:
    """Clustered, uneven effort, as when patrols favour roads and past finds."""
    centres = rng.uniform(0, SIDE, (6, 2))
    d2 = ((IX[:, None] - centres[:, 0]) ** 2 + (IY[:, None] - centres[:, 1]) ** 2).min(axis=1)
    return rng.gamma(1.0, 1.0, IX.size) * 12 * np.exp(-d2 / 40)


def test_without_guard_it_is_gi_star_binned_by_fdr():
    rng = np.random.default_rng(1)
    effort = effort_field(rng)
    finds = rng.poisson(effort * 0.1).astype(float)
    v = cell_verdicts(IX, IY, finds * 1.5, finds, effort, guard=False)
    tested = effort >= 1.0
    eb = eb_observed(finds * 1.5, effort)
    z, p = gi_star(eb[tested], queen_weights(IX[tested], IY[tested]))
    assert np.allclose(v.z[tested], z) and np.isnan(v.z[~tested]).all()
    assert (v.classes == classify(z, p, tested)).all()


def test_guard_only_removes_verdicts():
    rng = np.random.default_rng(2)
    effort = effort_field(rng)
    rate = 0.05 + 0.5 * ((IX - 10) ** 2 + (IY - 25) ** 2 < 12)
    finds = rng.poisson(effort * rate).astype(float)
    bare = cell_verdicts(IX, IY, finds, finds, effort, guard=False)
    guarded = cell_verdicts(IX, IY, finds, finds, effort)
    hot = np.char.startswith(guarded.classes.astype(str), "hot")
    assert hot.any(), "a real hotspot survives the guard"
    assert (np.char.startswith(bare.classes.astype(str), "hot") | ~hot).all()
    assert (guarded.classes[effort < 1.0] == "under_patrolled").all()


def test_flat_world_flags_nothing_with_the_guard():
    """Poisson finds at one rate everywhere: Gi* alone raises false hotspots, guarded none."""
    bare_runs = guarded_runs = 0
    for seed in range(40):
        rng = np.random.default_rng(100 + seed)
        effort = effort_field(rng)
        finds = rng.poisson(effort * 0.07).astype(float)
        snares = finds + rng.poisson(0.4 * finds)
        hot = ("hot_99", "hot_95")
        bare_runs += np.isin(
            cell_verdicts(IX, IY, snares, finds, effort, guard=False).classes, hot
        ).any()
        guarded_runs += np.isin(cell_verdicts(IX, IY, snares, finds, effort).classes, hot).any()
    assert guarded_runs <= 2  # at most 5 % of runs
    assert bare_runs > guarded_runs


@pytest.mark.parametrize("min_effort", [0.5, 1.0, 5.0])
def test_under_patrolled_is_never_cold(min_effort):
    rng = np.random.default_rng(3)
    effort = effort_field(rng)
    finds = rng.poisson(effort * 0.1).astype(float)
    v = cell_verdicts(IX, IY, finds, finds, effort, min_effort_km=min_effort)
    low = effort < min_effort
    assert (v.classes[low] == "under_patrolled").all()
    assert not np.char.startswith(v.classes[~low].astype(str), "under").any()


def test_expected_by_period_is_indirect_standardisation():
    effort = np.array([[10.0, 0.0, 5.0], [0.0, 20.0, 5.0]])  # two months, three cells
    finds = np.array([[3.0, 0.0, 0.0], [0.0, 2.0, 3.0]])
    got = expected_by_period(finds, effort)
    # Month 1 rate 3/15, month 2 rate 5/25, written out per cell.
    assert got.tolist() == pytest.approx([10 * 3 / 15, 20 * 5 / 25, 5 * 3 / 15 + 5 * 5 / 25])
    assert got.sum() == pytest.approx(finds.sum())


def test_bins_at_once_as_bin_by_bin():
    """The space-time cube's verdicts for all bins at once equal cell_verdicts bin by bin
    (z to rounding, hot = hot_95 or hot_99, cold likewise), on sparse months with a hot
    corner, bins with nothing walked and cells with finds but no effort."""
    rng = np.random.default_rng(5)
    gx, gy = np.meshgrid(np.arange(15), np.arange(12), indexing="ij")
    ix, iy = gx.ravel(), gy.ravel()
    n, nb = ix.size, 36
    effort = rng.gamma(0.6, 3.0, (nb, n)) * (rng.random((nb, n)) < 0.5)
    effort[7] = 0.0  # a month nobody walked
    rate = 0.05 + 0.6 * ((ix < 4) & (iy < 4))
    finds = rng.poisson(rate * effort)
    finds[3, 10] += 2  # found where no effort was booked
    snares = finds * rng.integers(1, 3, finds.shape)
    tested = effort.sum(axis=0) >= 1.0
    weights = queen_weights(ix[tested], iy[tested])
    z, hot, cold = bin_verdicts(snares, finds, effort, tested, weights)
    seen = set()
    for b in range(nb):
        v = cell_verdicts(ix, iy, snares[b], finds[b], effort[b], tested=tested, weights=weights)
        np.testing.assert_allclose(z[b], v.z, rtol=1e-9, atol=1e-12, equal_nan=True)
        assert (hot[b] == np.isin(v.classes, ("hot_99", "hot_95"))).all()
        assert (cold[b] == np.isin(v.classes, ("cold_99", "cold_95"))).all()
        seen.update(v.classes.tolist())
    assert {"hot_99", "not_significant"} <= seen  # the cube holds verdicts worth comparing
