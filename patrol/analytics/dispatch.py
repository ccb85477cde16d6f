"""Which mobile unit goes where next: targets assigned to units by an assignment solver."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Assignment", "assign_targets"]

# scipy is imported where it is used: its import is most of the command line's start-up,
# which no command but the statistics' needs (a server imports it up front: wsgi.py).


@dataclass(frozen=True)
class Assignment:
    """``unit[k]`` visits ``target[k]`` (indices into the inputs) as its ``rank[k]``-th stop."""

    unit: np.ndarray
    target: np.ndarray
    rank: np.ndarray
    distance_m: np.ndarray


def assign_targets(
    targets_xy: np.ndarray,
    priority: np.ndarray,
    bases_xy: np.ndarray,
    capacity: int | np.ndarray = 3,
) -> Assignment:
    """Assign targets to units, each unit at most its capacity, minimising total distance.

    When there are more targets than places, the highest-priority ones are kept. Units are
    replicated once per place and ``scipy.optimize.linear_sum_assignment`` solves the whole
    assignment at once (a greedy nearest-first loop can strand a far target on a far unit).
    Each unit's targets are then ranked by priority, highest first.
    """
    from scipy.optimize import linear_sum_assignment

    targets_xy = np.asarray(targets_xy, float).reshape(-1, 2)
    bases_xy = np.asarray(bases_xy, float).reshape(-1, 2)
    priority = np.asarray(priority, float)
    caps = np.broadcast_to(np.asarray(capacity, int), (len(bases_xy),))
    empty = np.zeros(0, np.int64)
    if len(targets_xy) == 0 or len(bases_xy) == 0 or caps.sum() == 0:
        return Assignment(empty, empty, empty, np.zeros(0))
    keep = np.argsort(-priority, kind="stable")[: int(caps.sum())]
    slots = np.repeat(np.arange(len(bases_xy)), caps)
    cost = np.hypot(
        *(bases_xy[slots][:, None, :] - targets_xy[keep][None, :, :]).transpose(2, 0, 1)
    )
    rows, cols = linear_sum_assignment(cost)
    unit = slots[rows]
    target = keep[cols]
    distance = cost[rows, cols]
    # Rank within each unit by priority (then distance), highest first.
    order = np.lexsort((distance, -priority[target], unit))
    unit, target, distance = unit[order], target[order], distance[order]
    first = np.r_[0, np.flatnonzero(np.diff(unit)) + 1]
    rank = np.arange(unit.size) - np.repeat(first, np.diff(np.r_[first, unit.size])) + 1
    return Assignment(unit, target, rank, distance)
