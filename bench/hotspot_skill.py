"""How well do hotspot methods find the true snare hotspots? Scored against a known truth.

Each run simulates a park-year in the demo area (patrol/demo/simulate.py): a true snare
density with a few hotspots, patrols dropped on roads and drawn to last weeks' finds (so effort
is confounded with past finds), and imperfect detection (0.2 per pass). Three methods flag cells
(Gi*, queen contiguity with the cell itself, BH FDR 0.05, hot at 95 %+):

- raw:  Gi* on snare counts per cell, over every cell of the area (what a count map does);
- cpue: Gi* on snares per km, over cells walked at least 1 km;
- eb-gi: Gi* on the empirical-Bayes smoothed rate per km, over cells walked at least 1 km;
- eb:   the same, guarded by the neighbourhood Poisson test (patrol's verdicts).

Effort is search effort: foot patrols (vehicle patrols find nothing and count for nothing).

Against the true top 5 % of cells it prints precision, recall and PAI (share of the true
density in the flagged cells over their share of the area), and each method's recall at the
precision the raw method reached (ranking cells by z). Null runs use a flat density: any flagged
cell there is a false alarm.

    python bench/hotspot_skill.py [--runs 50] [--null-runs 50] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patrol.analytics.gistar import benjamini_hochberg, gi_star, queen_weights
from patrol.analytics.hotspots import cell_verdicts, expected_by_period
from patrol.demo.area import build_area
from patrol.demo.build import AREA_SEED, truth_cells
from patrol.demo.simulate import SimulationSettings, simulate_tracks
from patrol.geo.effort import Segments, allocate_cells
from patrol.geo.grid import Grid

METHODS = ("raw", "cpue", "eb-gi", "eb")
MIN_EFFORT_KM = 1.0
ALPHA = 0.05
AREA = build_area(AREA_SEED)
GRID = Grid.covering(shapely.bounds(AREA.boundary), 1000.0)
TRUTH = truth_cells(AREA)
IX = np.array([t[0] for t in TRUTH])
IY = np.array([t[1] for t in TRUTH])
RATE = np.array([t[4] for t in TRUTH])
TOP = np.quantile(RATE, 0.95) <= RATE
SPAN = int(IY.max()) + 1
INDEX = {int(k): i for i, k in enumerate(IX * SPAN + IY)}


def _positions(ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    ok = (ix >= 0) & (iy >= 0) & (iy < SPAN)
    pos = np.full(ix.size, -1)
    pos[ok] = [INDEX.get(int(k), -1) for k in ix[ok] * SPAN + iy[ok]]
    return pos


def run(args: tuple[int, bool]) -> dict:
    """Simulate one park-year and score every method on it."""
    seed, flat = args
    settings = SimulationSettings(seed=seed, fix_interval_s=120.0, flat=flat)
    effort_m = np.zeros((12, IX.size))
    finds_m = np.zeros((12, IX.size))
    snares = np.zeros(IX.size)
    for track in simulate_tracks(AREA, settings):
        if track.vehicle:
            continue
        month = track.day.month - 1
        effort, finds = effort_m[month], finds_m[month]
        xy = track.xy
        km = np.hypot(*(xy[1:] - xy[:-1]).T) / 1000
        cells = allocate_cells(Segments(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1], km, km), GRID)
        pos = _positions(cells.ix, cells.iy)
        np.add.at(effort, pos[pos >= 0], cells.km[pos >= 0])
        if len(track.finds_xy):
            fx, fy = GRID.cell_of(track.finds_xy[:, 0], track.finds_xy[:, 1])
            pos = _positions(fx, fy)
            np.add.at(snares, pos[pos >= 0], track.finds_count[pos >= 0])
            np.add.at(finds, pos[pos >= 0], 1)
    effort, finds = effort_m.sum(axis=0), finds_m.sum(axis=0)
    walked = effort > 0
    enough = effort >= MIN_EFFORT_KM
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(walked, snares / effort, 0.0)
    ours = cell_verdicts(
        IX,
        IY,
        snares,
        finds,
        effort,
        MIN_EFFORT_KM,
        ALPHA,
        expected_finds=expected_by_period(finds_m, effort_m),
    )
    inputs = {
        "raw": (snares, np.ones(IX.size, bool)),
        "cpue": (rate, enough),
        "eb-gi": (ours.eb_per_km, enough),
    }
    out = {"seed": seed, "flat": flat}
    flagged = np.isin(ours.classes, ("hot_99", "hot_95"))
    out["eb"] = _score(
        flagged, np.argsort(-np.nan_to_num(ours.z, nan=-np.inf), kind="stable")[: int(enough.sum())]
    )
    for name, (y, mask) in inputs.items():
        z = np.full(IX.size, -np.inf)
        zz, pp = gi_star(y[mask], queen_weights(IX[mask], IY[mask]))
        z[mask] = zz
        flagged = np.zeros(IX.size, bool)
        flagged[mask] = benjamini_hochberg(pp, ALPHA) & (zz > 0)
        out[name] = _score(flagged, np.argsort(-z, kind="stable")[: int(mask.sum())])
    return out


def _score(flagged: np.ndarray, order: np.ndarray) -> dict:
    hits = (flagged & TOP).sum()
    return {
        "flagged": int(flagged.sum()),
        "precision": hits / flagged.sum() if flagged.any() else np.nan,
        "recall": hits / TOP.sum(),
        "pai": (
            (RATE[flagged].sum() / RATE.sum()) / (flagged.sum() / IX.size)
            if flagged.any()
            else np.nan
        ),
        "order": order,
    }


def recall_at_precision(order: np.ndarray, precision: float) -> float:
    """Best recall over z-thresholds whose flagged set is at least this precise."""
    hits = np.cumsum(TOP[order])
    k = np.arange(1, order.size + 1)
    ok = hits / k >= precision
    return float(hits[ok].max() / TOP.sum()) if ok.any() else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--null-runs", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    a = parser.parse_args()
    t0 = time.perf_counter()
    jobs = [(1000 + k, False) for k in range(a.runs)] + [
        (5000 + k, True) for k in range(a.null_runs)
    ]
    with Pool(a.workers) as pool:
        results = pool.map(run, jobs)
    real = [r for r in results if not r["flat"]]
    null = [r for r in results if r["flat"]]
    print(
        f"{len(real)} runs with hotspots, {len(null)} flat null runs; true top 5 % = "
        f"{int(TOP.sum())} of {IX.size} cells; {time.perf_counter() - t0:.0f} s"
    )
    print(
        f"{'method':<6} {'flagged':>8} {'precision':>10} {'recall':>8} {'PAI':>6} "
        f"{'recall@P(raw)':>14} {'null: runs with a hot cell':>27}"
    )
    for name in METHODS:
        matched = []
        for r in real:
            p_raw = r["raw"]["precision"]
            if np.isfinite(p_raw):
                matched.append(recall_at_precision(r[name]["order"], p_raw))
        false_alarm = np.mean([r[name]["flagged"] > 0 for r in null]) if null else np.nan
        print(
            f"{name:<6} {np.mean([r[name]['flagged'] for r in real]):>8.1f} "
            f"{np.nanmean([r[name]['precision'] for r in real]):>10.3f} "
            f"{np.mean([r[name]['recall'] for r in real]):>8.3f} "
            f"{np.nanmean([r[name]['pai'] for r in real]):>6.2f} "
            f"{np.mean(matched) if matched else np.nan:>14.3f} {false_alarm:>27.3f}"
        )


if __name__ == "__main__":
    main()
