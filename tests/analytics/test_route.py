"""The day route (orienteering) against brute-force enumeration on small instances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from patrol.analytics.route import plan_route


def brute_force(base, pts, score, max_km, search_km):
    """The best total score over every subset in every order (ties: the shorter)."""
    best = (0.0, 0.0)
    n = len(pts)
    for k in range(1, n + 1):
        for subset in itertools.combinations(range(n), k):
            for order in itertools.permutations(subset):
                path = [base, *(pts[i] for i in order), base]
                km = sum(np.hypot(*(b - a)) / 1000 for a, b in itertools.pairwise(path))
                km += search_km * k
                if km <= max_km + 1e-9:
                    value = float(score[list(order)].sum())
                    if value > best[0] + 1e-12 or (abs(value - best[0]) <= 1e-12 and km < best[1]):
                        best = (value, km)
    return best


def instance(seed, n):
    rng = np.random.default_rng(seed)
    base = np.array([0.0, 0.0])
    pts = rng.uniform(-7000, 7000, (n, 2))
    score = rng.gamma(2.0, 1.0, n)
    return base, pts, score


@pytest.mark.parametrize("seed", range(8))
def test_exact_route_equals_brute_force(seed):
    base, pts, score = instance(seed, 6)
    route = plan_route(base, pts, score, max_km=20.0, search_km=1.0)
    value, km = brute_force(base, pts, score, 20.0, 1.0)
    assert route.exact
    assert route.score == pytest.approx(value)
    assert route.length_km == pytest.approx(km)
    assert route.length_km <= 20.0 + 1e-9
    # Legs: to each stop and home; their sum plus the searches is the length.
    assert route.legs_km.size == route.stops.size + 1
    assert route.legs_km.sum() + 1.0 * route.stops.size == pytest.approx(route.length_km)
    assert score[route.stops].sum() == pytest.approx(route.score)


@pytest.mark.parametrize("seed", range(5))
def test_heuristic_is_feasible_and_near_brute_force(seed):
    base, pts, score = instance(100 + seed, 7)
    route = plan_route(base, pts, score, max_km=20.0, search_km=1.0, max_candidates=7)
    # Force the heuristic: pad with unreachable, worthless targets beyond EXACT_MAX.
    far = np.vstack([pts, np.full((5, 2), 1e6)])
    heur = plan_route(base, far, np.r_[score, np.ones(5)], 20.0, 1.0, max_candidates=40)
    value, _ = brute_force(base, pts, score, 20.0, 1.0)
    assert route.score == pytest.approx(value)
    assert heur.length_km <= 20.0 + 1e-9
    assert heur.score >= 0.85 * value
    assert len(set(heur.stops.tolist())) == heur.stops.size


def test_heuristic_on_many_targets():
    rng = np.random.default_rng(5)
    pts = rng.uniform(-9000, 9000, (60, 2))
    score = rng.gamma(2.0, 1.0, 60)
    route = plan_route(np.zeros(2), pts, score, max_km=20.0, search_km=1.0)
    assert not route.exact
    assert 0 < route.length_km <= 20.0 + 1e-9
    # At least as good as visiting the single best reachable target.
    reach = np.hypot(*pts.T) / 1000 * 2 + 1.0 <= 20.0
    assert route.score >= score[reach].max()


def test_nothing_reachable_or_worth_it():
    route = plan_route(np.zeros(2), np.array([[50_000.0, 0.0]]), np.array([3.0]), 20.0)
    assert route.stops.size == 0 and route.length_km == 0
    route = plan_route(np.zeros(2), np.array([[1000.0, 0.0]]), np.array([0.0]), 20.0)
    assert route.stops.size == 0
