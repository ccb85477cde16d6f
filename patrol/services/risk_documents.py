"""The setting-rate model as answers: GeoJSON features and text, built once per cached model."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from patrol.geo.documents import feature, feature_collection, gc_paused
from patrol.services.risk import RiskResult

__all__ = ["model_summary", "risk_document", "risk_features"]


def _column(values: np.ndarray, digits: int = 4, keep: np.ndarray | None = None) -> list:
    """Rounded floats, None where not finite (or not kept): one pass per figure."""
    out = np.round(np.asarray(values, float), digits)
    ok = np.isfinite(out) if keep is None else np.isfinite(out) & keep
    return [v if good else None for v, good in zip(out.tolist(), ok.tolist(), strict=True)]


def risk_features(result: RiskResult, min_patrols: int = 0) -> list[dict[str, Any]]:
    """One Feature per cell. A cell nobody walked has no ``setting_rate`` (its prior, from the
    neighbourhood and covariates, is ``prior_setting_rate``); cells with fewer than
    ``min_patrols`` patrols keep only their indices (aggregates for NGOs). Built once per
    cached answer."""
    cached = result.features.get(min_patrols)
    if cached is not None:
        return cached
    with gc_paused():  # tens of thousands of new lists: the collector would rescan them all
        feats = _build_features(result, min_patrols)
    result.features[min_patrols] = feats
    return feats


def _build_features(result: RiskResult, min_patrols: int) -> list[dict[str, Any]]:
    m = result.model
    walked = m.walked
    cols = {
        "setting_rate": _column(m.setting_rate, keep=walked),
        "setting_rate_low": _column(m.setting_rate_low, keep=walked),
        "setting_rate_high": _column(m.setting_rate_high, keep=walked),
        "prior_setting_rate": _column(m.prior_rate),
        "prior_setting_rate_low": _column(m.setting_rate_low, keep=~walked),
        "prior_setting_rate_high": _column(m.setting_rate_high, keep=~walked),
        "standing_stock": _column(m.standing_stock),
        "expected_finds_5km": _column(m.expected_finds),
        "risk_rank": _column(m.risk_rank),
    }
    inputs = {
        "visits": m.visits.tolist(),
        "patrols": result.patrols.tolist(),
        "effort_km": _column(m.effort_km, 3),
        "snares": result.snares.astype(np.int64).tolist(),
        "weighted_snares": _column(m.weighted_snares),
        "exposure_km2_30d": _column(m.weighted_exposure),
        "last_patrolled": [d.isoformat() if d else None for d in result.last_patrolled],
        **{name: _column(v, 3) for name, v in result.distances_km.items()},
    }
    ix, iy = result.ix.tolist(), result.iy.tolist()
    walked_list = walked.tolist()
    rings = result.rings.tolist()
    feats = []
    for k in range(len(ix)):
        if result.patrols[k] < min_patrols:
            props: dict[str, Any] = {"ix": ix[k], "iy": iy[k], "suppressed": True}
        else:
            props = {"ix": ix[k], "iy": iy[k], "walked": walked_list[k]}
            props.update({name: col[k] for name, col in cols.items()})
            props["inputs"] = {name: col[k] for name, col in inputs.items()}
        geometry = {"type": "Polygon", "coordinates": [rings[k]]}
        feats.append(feature(geometry, props, id=f"{ix[k]}_{iy[k]}"))
    return feats


def risk_document(result: RiskResult, min_patrols: int = 0, extra: dict | None = None) -> str:
    """The whole answer as GeoJSON text, serialised once per cached answer (2,700 cells of a
    park take longer to encode than to look up)."""
    key = ("json", min_patrols, json.dumps(extra or {}, sort_keys=True))
    if key not in result.features:
        with gc_paused():
            # Built for this text only: the cache keeps ~2 MB of text, not ~10 MB of dicts.
            doc = feature_collection(
                _build_features(result, min_patrols),
                area=result.area_slug,
                model=model_summary(result),
                **(extra or {}),
            )
            result.features[key] = json.dumps(doc, separators=(",", ":"))
    return result.features[key]


def model_summary(result: RiskResult) -> dict[str, Any]:
    m, s = result.model, result.settings
    return {
        "until": result.until.isoformat(),
        "data_from": result.data_from.isoformat(),
        "horizon_days": result.horizon_days,
        "cell_km": result.grid.cell_m / 1000,
        "units": "snares per km2 per 30 days over the horizon",
        "detection_probability": s.detection_probability,
        "mean_life_days": s.mean_life_days,
        "memory_days": s.memory_days,
        "season": {"cos": round(m.season[0], 4), "sin": round(m.season[1], 4)},
        "season_factor": round(m.season_factor, 4),
        "prior_shape": round(m.prior_shape, 4),
        "prior_coefficients": dict(
            zip(m.covariate_names, (round(float(c), 4) for c in m.coefficients), strict=True)
        ),
        "snares_per_find_dispersion": round(m.dispersion, 4),
        "interval": s.interval,
    }
