"""Gi* verdicts of the space-time cube kept per bin equal the cube computed whole."""

from __future__ import annotations

import numpy as np

from patrol.analytics.gistar import queen_weights
from patrol.analytics.hotspots import bin_verdicts
from patrol.services import kept_bins


def _cube(rng, bins=14, side=9):
    ix, iy = (a.ravel() for a in np.meshgrid(np.arange(side), np.arange(side)))
    effort = rng.gamma(1.0, 2.0, (bins, ix.size)) * (rng.random((bins, ix.size)) < 0.8)
    finds = rng.poisson(0.3 * effort)
    snares = finds * rng.integers(1, 4, finds.shape)
    tested = effort.sum(axis=0) > 3.0
    return ix, iy, snares.astype(float), finds.astype(float), effort, tested


def test_kept_bins_equal_the_whole_cube_after_any_bin_changes():
    rng = np.random.default_rng(7)
    ix, iy, snares, finds, effort, tested = _cube(rng)
    w = queen_weights(ix[tested], iy[tested])
    kept_bins.clear()
    for step in range(4):
        got = kept_bins.kept_bin_verdicts(snares, finds, effort, tested, w, ix, iy)
        whole = bin_verdicts(snares, finds, effort, tested, w)
        for a, b in zip(got, whole, strict=True):
            assert np.array_equal(a, b, equal_nan=True)
        b = step % effort.shape[0]
        finds[b, 3] += 2  # one bin changes, as after one report
        snares[b, 3] += 5
    # A different set of tested cells is never answered from rows kept for another.
    fewer = tested.copy()
    fewer[np.flatnonzero(tested)[:5]] = False
    w2 = queen_weights(ix[fewer], iy[fewer])
    got = kept_bins.kept_bin_verdicts(snares, finds, effort, fewer, w2, ix, iy)
    whole = bin_verdicts(snares, finds, effort, fewer, w2)
    for a, b in zip(got, whole, strict=True):
        assert np.array_equal(a, b, equal_nan=True)
