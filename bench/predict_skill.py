"""Held-out skill of the setting-rate model: fit up to each month, score the next.

Each world is the demo area's 1 km grid with a known setting rate that changes over time:
a background raised near roads and settlements, seven hotspots that stay, move, appear or fade,
and a yearly season (most in November). Snares stand until a patrol finds them or they decay
(mean life 90 days). 22 units walk 2.5 patrols a week each from their bases, half of them to
a cell where a snare was found in the last 45 days (adaptive: effort follows finds), and see
each standing snare with probability 0.3 per pass of a cell (detection well below 1). Flat
worlds have the same setting rate everywhere (with the season).

The simulation runs at the level of cells (each cell's stock of standing snares, binomial
decay and detection), which is the model's own assumption of snares mixed within a cell: the
figures say how well the model untangles setting, depletion and detection when its structure
is right, not how robust it is to a different one.

After each of months 3 to 14 the model is fitted on the visits up to the month's end and the
next month is scored:

- AUC and AUPRC (average precision) against the true top 10 % of cells by the next month's
  setting rate, for the model's ``setting_rate``, last month's EB rate (snares per km,
  Poisson-Gamma EB over the month), the EB rate over everything up to then, and last month's
  raw snare counts;
- coverage of the 90 % intervals: the share of walked cells whose true rate lies inside;
- routes: for 6 units, a day route (20 km, 2 km searched at each stop) on the first day of the
  next month by each method's scores, and the true snares it would find per km walked;
- flat worlds: how often each cell's interval excludes the flat rate.

    python bench/predict_skill.py [--worlds 20] [--flat 10] [--workers 2]
        [--true-detection 0.3] [--true-life-days 90]   # a truth the model does not assume
        [--estimate-detection]                         # detection estimated at each fit
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patrol.analytics.rates import eb_rates
from patrol.analytics.risk import (
    RiskSettings,
    Visits,
    detection_per_visit,
    estimate_detection,
    fit_setting_rate,
)
from patrol.analytics.route import plan_route
from patrol.demo.area import build_area, demo_settlements
from patrol.demo.build import AREA_SEED
from patrol.geo.grid import Grid

AREA = build_area(AREA_SEED)
GRID = Grid.covering(shapely.bounds(AREA.boundary), 1000.0)
IX, IY = GRID.cells_covering(AREA.boundary)
CX = GRID.origin_x + (IX + 0.5) * 1000.0
CY = GRID.origin_y + (IY + 0.5) * 1000.0
N = IX.size
LOOKUP = np.full((IX.max() + 3, IY.max() + 3), -1, np.int64)
LOOKUP[IX, IY] = np.arange(N)
CENTRES = shapely.points(CX, CY)
SETTLEMENTS = demo_settlements(AREA)
D_ROAD = shapely.distance(CENTRES, shapely.multilinestrings(AREA.roads)) / 1000
D_SETTLE = (
    shapely.distance(CENTRES, shapely.multipoints([(x, y) for _, x, y in SETTLEMENTS])) / 1000
)
D_EDGE = shapely.distance(CENTRES, AREA.boundary.exterior) / 1000
BASES = np.array([(u[2], u[3]) for u in AREA.units])
D_BASE = np.min(np.hypot(CX[:, None] - BASES[:, 0], CY[:, None] - BASES[:, 1]), axis=1) / 1000
COVARIATES = np.column_stack([np.log1p(d) for d in (D_ROAD, D_EDGE, D_BASE, D_SETTLE)])
COVARIATE_NAMES = ["log_road_km", "log_boundary_km", "log_base_km", "log_settlement_km"]

P_TRUE = 0.3  # the simulation's truth; the model always assumes 0.3 and 90 days
LIFE_DAYS = 90.0
MONTHS = 15  # 30-day months
DAYS = 30 * MONTHS
FIRST_FIT = 3
FLAT_RATE = 2.0  # per km2 per 30 days
ROUTE_UNITS = (0, 4, 8, 12, 16, 20)
ROUTE_KM = 20.0
SEARCH_KM = 2.0
SETTINGS = RiskSettings(detection_probability=P_TRUE, mean_life_days=LIFE_DAYS)


def season(day: np.ndarray | float) -> np.ndarray:
    return 1.0 + 0.5 * np.cos(2 * np.pi * (np.asarray(day) - 320) / 365.25)


class World:
    """A known setting rate per cell and day (snares per km2 per day)."""

    def __init__(self, seed: int, flat: bool):
        rng = np.random.default_rng(seed)
        self.flat = flat
        self.background = 0.6 * (1 + 1.5 * np.exp(-D_ROAD / 1.5) + 1.0 * np.exp(-D_SETTLE / 4))
        inside = np.flatnonzero(D_EDGE > 4)
        k = 7
        self.centre = np.column_stack([CX, CY])[rng.choice(inside, k, replace=False)]
        self.sigma = rng.uniform(1500, 3500, k)
        self.peak = rng.uniform(4, 12, k)
        kind = rng.choice(["steady", "move", "appear", "fade"], k, p=[0.3, 0.3, 0.2, 0.2])
        self.velocity = np.where(
            (kind == "move")[:, None], rng.normal(0, 1, (k, 2)) * 1000 / 30 * 0.8, 0.0
        )  # ~0.8 km a month
        self.on = np.where(kind == "appear", rng.uniform(60, DAYS - 90, k), -np.inf)
        self.off = np.where(kind == "fade", rng.uniform(60, DAYS - 90, k), np.inf)

    def rate(self, day: float) -> np.ndarray:
        if self.flat:
            return np.full(N, FLAT_RATE / 30 * season(day))
        c = self.centre + self.velocity * day
        amp = (
            self.peak
            * np.clip((day - self.on) / 30, 0, 1)
            * np.clip(1 - (day - self.off) / 30, 0, 1)
        )
        d2 = (CX[:, None] - c[:, 0]) ** 2 + (CY[:, None] - c[:, 1]) ** 2
        bumps = (amp * np.exp(-d2 / (2 * self.sigma**2))).sum(axis=1)
        return (self.background + bumps) / 30 * season(day)


def patrol_cells(rng, base, target) -> tuple[np.ndarray, np.ndarray]:
    """Cells and km of a walk base -> target -> base (wiggly, 200 m steps)."""
    length = max(np.hypot(*(target - base)), 500.0)
    n = max(int(length / 200), 2)
    t = np.linspace(0, 1, n + 1)[:, None]
    legs = []
    for _ in range(2):
        walk = np.cumsum(rng.normal(0, 120, (n + 1, 2)), axis=0)
        bridge = walk - t * walk[-1]
        legs.append(base + t * (target - base) + bridge)
    xy = np.vstack([legs[0], legs[1][::-1][1:]])
    mid = (xy[1:] + xy[:-1]) / 2
    km = np.hypot(*(xy[1:] - xy[:-1]).T) / 1000
    ix, iy = GRID.cell_of(mid[:, 0], mid[:, 1])
    ok = (ix >= 0) & (iy >= 0) & (ix < LOOKUP.shape[0]) & (iy < LOOKUP.shape[1])
    pos = np.full(ix.size, -1)
    pos[ok] = LOOKUP[ix[ok], iy[ok]]
    keep = pos >= 0
    cells, inv = np.unique(pos[keep], return_inverse=True)
    return cells, np.bincount(inv, km[keep])


def simulate(world: World, seed: int, p_true: float = P_TRUE, life_days: float = LIFE_DAYS):
    """Daily stock of standing snares; patrols find and remove some. Returns the visits, the
    stock at each month's end and the true rate per month."""
    rng = np.random.default_rng(seed + 7)
    mu = 1 / life_days
    stock = rng.poisson(world.rate(0) / mu)
    rows = []  # (cell, day, km, found)
    recent_day = np.zeros(0)
    recent_cell = np.zeros(0, np.int64)  # cells where snares were found, and when
    month_stock = []
    month_rate = np.zeros((MONTHS, N))
    per_day = len(AREA.units) * 2.5 / 7
    for day in range(DAYS):
        lam = world.rate(day + 0.5)
        month_rate[day // 30] += lam
        stock = rng.binomial(stock, np.exp(-mu)) + rng.poisson(lam)
        fresh = day - recent_day <= 45
        recent_day, recent_cell = recent_day[fresh], recent_cell[fresh]
        for _ in range(rng.poisson(per_day)):
            u = rng.integers(len(AREA.units))
            base = BASES[u]
            near = recent_cell[
                np.hypot(CX[recent_cell] - base[0], CY[recent_cell] - base[1]) < 15000
            ]
            if near.size and rng.random() < 0.5:
                c = near[rng.integers(near.size)]
                target = np.array([CX[c], CY[c]]) + rng.normal(0, 300, 2)
            else:
                reach = rng.uniform(3000, 8000)
                a = rng.uniform(0, 2 * np.pi)
                target = base + reach * np.array([np.cos(a), np.sin(a)])
            cells, km = patrol_cells(rng, base, target)
            found = rng.binomial(stock[cells], detection_per_visit(km, p_true, 1.0))
            stock[cells] -= found
            rows.append((cells, np.full(cells.size, day + 0.5), km, found))
            recent_cell = np.r_[recent_cell, cells[found > 0]]
            recent_day = np.r_[recent_day, np.full(int((found > 0).sum()), day)]
        if day % 30 == 29:
            month_stock.append(stock.copy())
    cell, t, km, found = (np.concatenate(c) for c in zip(*rows, strict=True))
    return Visits.of(cell, t, km, found), month_stock, month_rate  # month_rate: per 30 days


def auc_ap(score: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """ROC AUC (ties share) and average precision (ties broken against the method)."""
    from scipy.stats import rankdata

    r = rankdata(score)
    npos, nneg = positive.sum(), (~positive).sum()
    auc = (r[positive].sum() - npos * (npos + 1) / 2) / (npos * nneg)
    order = np.lexsort((positive, -score))  # among ties, negatives first
    hits = np.cumsum(positive[order])
    precision = hits / np.arange(1, score.size + 1)
    ap = float((precision * positive[order]).sum() / npos)
    return float(auc), ap


def route_yield(score: np.ndarray, stock: np.ndarray, p_true: float) -> float:
    """True snares found per km over the route units' day routes planned by ``score``."""
    found = walked = 0.0
    q = detection_per_visit(np.array([SEARCH_KM]), p_true, 1.0)[0]
    for u in ROUTE_UNITS:
        r = plan_route(BASES[u], np.column_stack([CX, CY]), score, ROUTE_KM, SEARCH_KM, 25)
        found += float((stock[r.stops] * q).sum())
        walked += r.length_km
    return found / walked if walked else 0.0


def run(job: tuple[int, bool, float, float, bool]) -> dict:
    seed, flat, p_true, life_days, estimate = job
    world = World(seed, flat)
    visits, month_stock, month_rate = simulate(world, seed, p_true, life_days)
    out = {"flat": flat, "rows": []}
    for m in range(FIRST_FIT, MONTHS - 1):
        until = 30.0 * (m + 1)
        t0 = time.perf_counter()
        settings = SETTINGS
        if estimate:  # the area's detection estimated from its own repeated visits
            p_hat = estimate_detection(visits, N, until, 1.0, LIFE_DAYS)
            settings = replace(SETTINGS, detection_probability=p_hat)
        model = fit_setting_rate(
            visits, IX, IY, until, 30.0, 1.0, COVARIATES, COVARIATE_NAMES, settings
        )
        fit_s = time.perf_counter() - t0
        truth = month_rate[m + 1]
        last = (visits.t_days > until - 30) & (visits.t_days <= until)
        km_last = np.bincount(visits.cell[last], visits.effort_km[last], N)
        sn_last = np.bincount(visits.cell[last], visits.snares[last], N)
        upto = visits.t_days <= until
        km_all = np.bincount(visits.cell[upto], visits.effort_km[upto], N)
        sn_all = np.bincount(visits.cell[upto], visits.snares[upto], N)
        scores = {
            "model": model.setting_rate,
            "eb_last_month": eb_rates(sn_last, km_last).rate,
            "eb_to_date": eb_rates(sn_all, km_all).rate,
            "raw_last_month": sn_last,
        }
        row = {"fit_s": fit_s, "detection": settings.detection_probability}
        top = truth >= np.quantile(truth, 0.9)
        if not flat:
            for name, s in scores.items():
                row[name] = auc_ap(np.nan_to_num(s), top)
        w = model.walked
        inside = (truth >= model.setting_rate_low) & (truth <= model.setting_rate_high)
        row["coverage"] = float(inside[w].mean())
        row["coverage_unwalked"] = float(inside[~w].mean()) if (~w).any() else np.nan
        row["excluded"] = ~inside & w
        row["walked"] = w
        if not flat:
            q = detection_per_visit(np.array([SEARCH_KM]), P_TRUE, 1.0)[0]
            row["route"] = {
                "model": route_yield(model.standing_stock * q, month_stock[m], p_true),
                "raw_last_month": route_yield(sn_last, month_stock[m], p_true),
                "eb_last_month": route_yield(
                    eb_rates(sn_last, km_last).rate * SEARCH_KM, month_stock[m], p_true
                ),
            }
        out["rows"].append(row)
    out["visits"] = int(visits.cell.size)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worlds", type=int, default=20)
    parser.add_argument("--flat", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--true-detection", type=float, default=P_TRUE, help="the simulation's (model: 0.3)"
    )
    parser.add_argument(
        "--true-life-days", type=float, default=LIFE_DAYS, help="the simulation's (model: 90)"
    )
    parser.add_argument(
        "--estimate-detection",
        action="store_true",
        help="estimate detection from repeated visits at each fit (patrol detection)",
    )
    a = parser.parse_args()
    t0 = time.perf_counter()
    truth = (a.true_detection, a.true_life_days, a.estimate_detection)
    jobs = [(100 + k, False, *truth) for k in range(a.worlds)]
    jobs += [(900 + k, True, *truth) for k in range(a.flat)]
    with Pool(a.workers) as pool:
        results = pool.map(run, jobs)
    real = [r for res in results if not res["flat"] for r in res["rows"]]
    flat = [r for res in results if res["flat"] for r in res["rows"]]
    print(
        f"{a.worlds} worlds with moving hotspots, {a.flat} flat worlds, {N} cells, "
        f"{len(real)} + {len(flat)} scored months; true detection {a.true_detection:g}, "
        f"snare life {a.true_life_days:g} days (model: 0.3, 90); "
        f"{time.perf_counter() - t0:.0f} s; "
        f"fit {np.median([r['fit_s'] for r in real + flat]):.2f} s median"
    )
    if a.estimate_detection:
        p = [r["detection"] for r in real + flat]
        print(f"detection estimated: median {np.median(p):.3f} ({np.min(p):.3f}-{np.max(p):.3f})")
    print(f"{'score':<16} {'AUC':>6} {'AUPRC':>6}  {'route snares/km':>15}")
    names = ("model", "eb_last_month", "eb_to_date", "raw_last_month")
    for name in names:
        auc = np.mean([r[name][0] for r in real])
        ap = np.mean([r[name][1] for r in real])
        route = [r["route"][name] for r in real if name in r["route"]]
        rt = f"{np.mean(route):15.4f}" if route else f"{'':>15}"
        print(f"{name:<16} {auc:6.3f} {ap:6.3f}  {rt}")
    ap_model = np.mean([r["model"][1] for r in real])
    ap_eb = np.mean([r["eb_last_month"][1] for r in real])
    print(f"AUPRC model / last month's EB: {ap_model / ap_eb:.2f}")
    rm = np.mean([r["route"]["model"] for r in real])
    rr = np.mean([r["route"]["raw_last_month"] for r in real])
    print(f"route snares per km, model / raw-count hotspots: {rm / rr:.2f}")
    print(
        f"90 % interval coverage, walked cells: {np.mean([r['coverage'] for r in real]):.3f} "
        f"(unwalked, prior only: {np.nanmean([r['coverage_unwalked'] for r in real]):.3f})"
    )
    if flat:
        print(f"flat worlds: coverage of walked cells {np.mean([r['coverage'] for r in flat]):.3f}")
        exc = np.sum([r["excluded"] for r in flat], axis=0)
        seen = np.sum([r["walked"] for r in flat], axis=0)
        ok = seen >= 10
        share = exc[ok] / seen[ok]
        from scipy.stats import binomtest

        above = sum(
            binomtest(int(e), int(n), 0.1, alternative="greater").pvalue < 0.05 / ok.sum()
            for e, n in zip(exc[ok], seen[ok], strict=True)
        )
        print(
            f"flat worlds: cells walked in >= 10 fitted months {ok.sum()}; per-cell share of "
            f"months whose interval excludes the flat rate: mean {share.mean():.3f}, "
            f"95th percentile {np.quantile(share, 0.95):.3f}, max {share.max():.3f}; "
            f"cells significantly above 10 % (binomial, Bonferroni 0.05): {above}"
        )


if __name__ == "__main__":
    main()
