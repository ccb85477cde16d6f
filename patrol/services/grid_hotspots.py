"""Hotspots of grid cells: Gi* verdicts with their trend, and the cells a caller may see.

The figures come from ``services/cell_figures.py``; the statistics from patrol.analytics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy.orm as so

from patrol.analytics.gistar import queen_weights
from patrol.analytics.hotspots import CellVerdicts, cell_verdicts, expected_by_period
from patrol.analytics.rates import cpue
from patrol.analytics.trend import emerging_categories, mann_kendall
from patrol.geo.documents import feature
from patrol.geo.grid import Grid
from patrol.services.area_grid import area_cells, cell_polygons, grid_for
from patrol.services.auth import Principal
from patrol.services.cell_figures import (
    AnalysisSettings,
    CellFigures,
    Window,
    cell_figures,
    group_bins,
    suppressed,
)
from patrol.services.kept_bins import kept_bin_verdicts
from patrol.services.privacy import Suppression, check_aggregate_request, whole_months
from patrol.store.models import ConservationArea
from patrol.vocabulary import Role, TrendCategory

__all__ = ["HotspotResult", "grid_hotspots", "hotspot_features", "num", "nums", "visible_cells"]

SUPPRESSED = "suppressed"  # the class of a cell whose figures an NGO may not see


@dataclass
class HotspotResult:
    window: Window
    grid: Grid
    figures: CellFigures
    verdicts: CellVerdicts
    trend: list[str]
    trend_z: np.ndarray
    trend_p: np.ndarray
    rings: np.ndarray
    centre_lon: np.ndarray
    centre_lat: np.ndarray

    @property
    def classes(self) -> np.ndarray:
        return self.verdicts.classes

    @property
    def eb_per_km(self) -> np.ndarray:
        return self.verdicts.eb_per_km


def grid_hotspots(
    session: so.Session,
    area: ConservationArea,
    window: Window,
    cell_km: float | None = None,
    unit_id: int | None = None,
    settings: AnalysisSettings | None = None,
    trend: bool = True,
    suppression: Suppression | None = None,
) -> HotspotResult:
    """Gi* of the EB-smoothed CPUE over cells with enough effort, FDR-classified, with trend.

    With ``suppression`` (figures for NGOs) every additive figure is a sum of the atoms it
    allows, and so is everything computed from them.
    """
    settings = settings or AnalysisSettings()
    grid, factor = grid_for(area, cell_km)
    f = cell_figures(session, area, window, factor, unit_id, settings.search_transports)
    if suppression is not None:
        f = suppressed(session, area, window, f, factor, suppression, settings)
    ix, iy, rings, clon, clat = area_cells(area, grid)
    v = cell_verdicts(
        ix,
        iy,
        f.snares,
        f.finds,
        f.effort_km,
        settings.min_effort_km,
        settings.fdr_alpha,
        expected_finds=expected_by_period(f.by_bin["finds"], f.by_bin["effort_km"]),
    )
    labels, tz, tp = _trend(f, v, ix, iy, settings, trend)
    return HotspotResult(window, grid, f, v, labels, tz, tp, rings, clon, clat)


def _trend(
    f: CellFigures,
    v: CellVerdicts,
    ix: np.ndarray,
    iy: np.ndarray,
    settings: AnalysisSettings,
    wanted: bool,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Each cell's emerging hot spot category with its Mann-Kendall z and p (no pattern and
    NaN for cells not tested, or for all when there are too few bins or tested cells)."""
    labels = [str(TrendCategory.NO_PATTERN)] * ix.size
    tz = np.full(ix.size, np.nan)
    tp = np.full(ix.size, np.nan)
    tested = v.tested
    group = 3 if settings.bins == "seasonal" else 1
    bins = {key: group_bins(values, group) for key, values in f.by_bin.items()}
    if not (wanted and bins["finds"].shape[0] >= 2 and tested.sum() >= 3):
        return labels, tz, tp
    weights = queen_weights(ix[tested], iy[tested])
    # The space-time cube: the window's tested cells, one Gi* per time bin, all bins at once
    # (hot and cold as the 95 % verdicts, which hold the 99 % ones).
    z, hot, cold = kept_bin_verdicts(
        bins["snares"], bins["finds"], bins["effort_km"], tested, weights, ix, iy
    )
    # Rounded to 1e-9: Mann-Kendall counts ties, and months with the same figures must tie
    # however the arithmetic ordered its sums (a difference of 1e-15 is not a trend).
    series = np.round(np.nan_to_num(z), 9)
    _, mz, mp = mann_kendall(series[:, tested].T)
    tz[tested], tp[tested] = mz, mp
    idx = np.flatnonzero(tested)
    categories = emerging_categories(hot[:, idx], cold[:, idx], tz[idx], tp[idx])
    for k, label in zip(idx, categories, strict=True):
        labels[k] = label
    return labels, tz, tp


def num(value: float | None, digits: int = 4) -> float | None:
    """A figure rounded for an answer, None when not finite."""
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def nums(values: np.ndarray, digits: int = 4) -> list[float | None]:
    """``num`` over an array at once (rounded in numpy, non-finite values as None)."""
    a = np.asarray(values, dtype=float)
    out = np.round(a, digits).tolist()
    for k in np.flatnonzero(~np.isfinite(a)):
        out[k] = None
    return out


def _columns(result: HotspotResult) -> dict[str, list]:
    """The features' properties, one list per property, converted at once."""
    f = result.figures
    v = result.verdicts
    return {
        "ix": f.ix.tolist(),
        "iy": f.iy.tolist(),
        "snares": f.snares.astype(np.int64).tolist(),
        "snares_removed": f.removed.astype(np.int64).tolist(),
        "finds": f.finds.astype(np.int64).tolist(),
        "effort_km": nums(f.effort_km, 3),
        "effort_h": nums(f.effort_h, 3),
        "patrols": f.patrols.astype(np.int64).tolist(),
        "cpue_per_100km": nums(cpue(f.snares, f.effort_km, 100)),
        "cpue_per_10h": nums(cpue(f.snares, f.effort_h, 10)),
        "eb_rate_per_100km": nums(result.eb_per_km * 100),
        "gi_z": nums(v.z),
        "gi_p": nums(v.p, 6),
        "fdr_significant": np.asarray(v.fdr, bool).tolist(),
        "neighbourhood_p": nums(v.p_high, 6),
        "hotspot_class": [str(c) for c in result.classes],
        "trend": list(result.trend),
        "trend_z": nums(result.trend_z),
        "trend_p": nums(result.trend_p, 6),
        "last_patrolled": [d.isoformat() if d else None for d in f.last_patrolled],
    }


def hotspot_features(result: HotspotResult, area: ConservationArea) -> list[dict[str, Any]]:
    """The cells as GeoJSON features; columns are converted at once, not cell by cell (a
    year's answer has thousands of cells and this was a third of its time)."""
    coords = cell_polygons(area, result.grid)
    columns = _columns(result)
    ix, iy = columns["ix"], columns["iy"]
    keys = list(columns)
    return [
        feature(
            {"type": "Polygon", "coordinates": coords[k]},
            dict(zip(keys, row, strict=True)),
            id=f"{ix[k]}_{iy[k]}",
        )
        for k, row in enumerate(zip(*columns.values(), strict=True))
    ]


def visible_cells(
    session: so.Session,
    principal: Principal | None,
    area: ConservationArea,
    window: Window,
    cell_km: float | None = None,
    unit_id: int | None = None,
    settings: AnalysisSettings | None = None,
) -> tuple[HotspotResult, list[dict[str, Any]]]:
    """The grid cells ``principal`` may see, as GeoJSON features.

    One place for the role rules of cells (``privacy.check_aggregate_request``), so the API,
    OGC API - Features and the GeoPackage export cannot drift apart. For NGOs the window is
    widened to whole months (callers that take dates from people refuse other windows
    first), cells are 5 km or a multiple, every additive figure is a sum of allowed atoms,
    and a cell whose effort came from fewer than 3 patrols is ``suppressed``. No principal:
    the operator's command line, which sees everything.
    """
    suppression = None
    if principal is not None:
        if principal.role == Role.NGO:
            window = Window(*whole_months(window.start, window.end))
        suppression = check_aggregate_request(
            principal, window.start, window.end, unit_id, cell_km, area.cell_m / 1000
        )
    if suppression is not None:
        cell_km = cell_km or suppression.atom_km
    result = grid_hotspots(
        session, area, window, cell_km, unit_id, settings, suppression=suppression
    )
    features = hotspot_features(result, area)
    if suppression is not None:
        _suppress(features, suppression.min_patrols)
    return result, features


def _suppress(features: list[dict[str, Any]], min_patrols: int) -> None:
    """Blank every figure of the cells walked by fewer than ``min_patrols`` patrols."""
    for cell in features:
        props = cell["properties"]
        if props["patrols"] < min_patrols:
            for key in list(props):
                if key not in ("ix", "iy", "hotspot_class"):
                    props[key] = None
            props["hotspot_class"] = SUPPRESSED
