"""Where snares will be set next: the setting-rate model on stored visits, and a unit's day route.

A visit is one patrol's search effort in one cell (the stored EffortCell row) at the patrol's
start, with the snares that patrol found in that cell. Only patrols that started on or before
``until`` (a local day of the area) are read, so a past month can be scored honestly; the model
itself lives in patrol.analytics.risk. Answers are cached per area, grid, ``until`` and
horizon, and keyed on a fingerprint of the stored patrols, so a late report is never missed.
"""

from __future__ import annotations

import gc
import itertools
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely.geometry import shape

from patrol.analytics.risk import (
    RiskModel,
    RiskSettings,
    Visits,
    detection_per_visit,
    estimate_detection,
)
from patrol.analytics.risk import fit_setting_rate as _fit
from patrol.analytics.route import plan_route
from patrol.errors import Conflict, FieldError, ValidationFailed
from patrol.geo.grid import Grid
from patrol.geo.projection import to_metric
from patrol.geo.shapes import project
from patrol.services import privacy
from patrol.services.area_grid import area_cells, area_grid, grid_for
from patrol.services.auth import Principal
from patrol.services.cell_figures import AnalysisSettings
from patrol.services.days import local_midnight
from patrol.services.layers import layer_geometries
from patrol.services.queries import live_patrols
from patrol.store.engine import write
from patrol.store.models import AreaLayer, ConservationArea, EffortCell, Patrol, SnareFind, Unit
from patrol.store.partitioning import window_hint

__all__ = [
    "DEFAULT_WALK_KM",
    "DayRouteResult",
    "RiskResult",
    "day_route",
    "estimate_area_detection",
    "risk",
    "risk_document",
    "risk_features",
    "route_geojson",
    "route_gpx",
    "visible_risk",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HISTORY_DAYS = 365  # older visits weigh exp(-365 / memory_days): nothing
MIN_VISIT_KM = 0.1  # a find in a cell the stored route only touched: a short visit there
DEFAULT_WALK_KM = 20.0
SEARCH_KM = 2.0  # searched at each stop of a day route
CACHE_SIZE = 8  # answers per worker: ~2 MB of JSON text and the arrays each

_cache: OrderedDict[tuple, RiskResult] = OrderedDict()
_cache_lock = threading.Lock()


@dataclass
class RiskResult:
    area_slug: str
    until: date
    data_from: date
    horizon_days: int
    grid: Grid
    ix: np.ndarray
    iy: np.ndarray
    rings: np.ndarray
    centre_lon: np.ndarray
    centre_lat: np.ndarray
    centre_x: np.ndarray
    centre_y: np.ndarray
    model: RiskModel
    settings: RiskSettings
    snares: np.ndarray
    patrols: np.ndarray
    last_patrolled: list[date | None]
    distances_km: dict[str, np.ndarray]
    features: dict = field(default_factory=dict)  # features and JSON text, built once each


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic collector: a park-year answer builds ~10^5 rows, arrays and lists that
    hold no cycles, and rescanning them cost more than building them (as for report parsing)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _days(moment: datetime) -> float:
    return (moment - EPOCH).total_seconds() / 86400.0


def _end_of_day(day: date, tz: str) -> datetime:
    return local_midnight(day + timedelta(days=1), tz)


def resolve_until(session: so.Session, area: ConservationArea, until: date | None) -> date:
    """``until`` as asked, by default the day of the area's latest patrol."""
    if until is not None:
        return until
    latest = session.scalar(sa.select(sa.func.max(Patrol.start_date)).where(*live_patrols(area.id)))
    return latest or date.today()


def _fingerprint(session: so.Session, area: ConservationArea, until: date) -> tuple:
    """What the answer depends on besides its arguments: the stored patrols up to ``until``
    (a new, deleted or corrected one changes count, max id or revisions), layers, units."""
    patrols = session.execute(
        sa.select(sa.func.count(), sa.func.max(Patrol.id), sa.func.sum(Patrol.revision)).where(
            *live_patrols(area.id, None, until + timedelta(days=1))
        )
    ).one()
    layers = session.execute(
        sa.select(sa.func.count(), sa.func.max(AreaLayer.id)).where(AreaLayer.area_id == area.id)
    ).one()
    units = session.execute(
        sa.select(Unit.id, Unit.base_lon, Unit.base_lat, Unit.active)
        .where(Unit.area_id == area.id)
        .order_by(Unit.id)
    ).all()
    return (
        tuple(patrols),
        tuple(layers),
        tuple(tuple(u) for u in units),
        area.detection_probability,
        area.snare_life_days,
        area.boundary_geojson.__hash__(),
    )


def settings_for(area: ConservationArea) -> RiskSettings:
    return RiskSettings(
        detection_probability=area.detection_probability or RiskSettings.detection_probability,
        mean_life_days=area.snare_life_days or RiskSettings.mean_life_days,
    )


def risk(
    session: so.Session,
    area: ConservationArea,
    until: date | None = None,
    horizon_days: int = 30,
    cell_km: float | None = None,
) -> RiskResult:
    """The setting-rate model fitted on the area's search visits up to ``until``, cached."""
    until = resolve_until(session, area, until)
    grid, factor = grid_for(area, cell_km)
    key = (area.id, until, horizon_days, factor, _fingerprint(session, area, until))
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    with _gc_paused():
        result = _compute(session, area, until, horizon_days, grid, factor)
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def visible_risk(
    session: so.Session,
    principal: Principal,
    area: ConservationArea,
    until: date | None = None,
    horizon_days: int = 30,
    cell_km: float | None = None,
) -> tuple[RiskResult, int]:
    """The model as ``principal`` may see it, and the fewest patrols a cell needs to keep its
    figures (0: all kept). One place for the role rules of the prediction, so /api/v1/risk and
    the OGC cells collection cannot drift apart: for NGOs, data up to a month's last day (by
    default the last whole month before the latest patrol's), 5 km cells or multiples, and
    thinly patrolled cells suppressed, as for every NGO figure."""
    min_patrols = 0
    if principal.role == "ngo":
        if until is None:
            latest = resolve_until(session, area, None) + timedelta(days=1)
            until = latest if latest.day == 1 else latest.replace(day=1)
            until -= timedelta(days=1)
        suppression = privacy.check_aggregate_request(
            principal, until.replace(day=1), until + timedelta(days=1), None, cell_km,
            area.cell_m / 1000,
        )  # fmt: skip
        if suppression is not None:  # always, for an ngo
            cell_km = cell_km or suppression.atom_km
            min_patrols = suppression.min_patrols
    return risk(session, area, until, horizon_days, cell_km), min_patrols


@dataclass
class StoredVisits:
    """Search visits read from the store: ``visits.cell`` indexes the given cells."""

    visits: Visits
    patrol_id: np.ndarray
    starts: dict[int, tuple[float, date]]  # patrol id: (start in days, local start day)
    dispersion: float  # sum count^2 / sum count over the finds


def load_visits(
    session: so.Session,
    area: ConservationArea,
    data_from: date,
    until: date,
    ix: np.ndarray,
    iy: np.ndarray,
    factor: int = 1,
) -> StoredVisits:
    """One visit per patrol (on foot or ski, started from ``data_from`` to ``until``) and cell,
    with the snares that patrol found in the cell: two GROUP BYs over the stored rows."""
    n = ix.size
    # Cell index by (ix, iy): a dense table over the area's cells (both are >= 0).
    table = np.full((int(ix.max()) + 1 if n else 1, int(iy.max()) + 1 if n else 1), -1, np.int64)
    table[ix, iy] = np.arange(n)
    cond = live_patrols(
        area.id,
        data_from,
        until + timedelta(days=1),
        transports=AnalysisSettings().search_transports,
    )
    conn = session.connection()
    starts = {
        pid: (_days(started if started.tzinfo else started.replace(tzinfo=UTC)), day)
        for pid, started, day in conn.execute(
            sa.select(Patrol.id, Patrol.started_at, Patrol.start_date).where(*cond)
        )
    }
    cx = EffortCell.ix // factor if factor > 1 else EffortCell.ix
    cy = EffortCell.iy // factor if factor > 1 else EffortCell.iy
    effort_rows = conn.execute(
        sa.select(EffortCell.patrol_id, cx, cy, sa.func.sum(EffortCell.effort_km))
        .join(Patrol, Patrol.id == EffortCell.patrol_id)
        .where(
            *cond,
            *window_hint(session.get_bind(), EffortCell.patrol_id, cond),
            EffortCell.ix >= 0,
            EffortCell.iy >= 0,
        )
        .group_by(EffortCell.patrol_id, cx, cy)
    ).all()
    fx = SnareFind.cell_ix // factor if factor > 1 else SnareFind.cell_ix
    fy = SnareFind.cell_iy // factor if factor > 1 else SnareFind.cell_iy
    find_rows = conn.execute(
        sa.select(
            SnareFind.patrol_id,
            fx,
            fy,
            sa.func.sum(SnareFind.count),
            sa.func.sum(SnareFind.count * SnareFind.count),
        )
        .join(Patrol, Patrol.id == SnareFind.patrol_id)
        .where(*cond, SnareFind.cell_ix >= 0, SnareFind.cell_iy >= 0)
        .group_by(SnareFind.patrol_id, fx, fy)
    ).all()

    def cells_of(rows, values: int) -> tuple[np.ndarray, np.ndarray, list]:
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), [np.zeros(0)] * values
        width = 3 + values
        flat = np.fromiter(itertools.chain.from_iterable(rows), float, len(rows) * width)
        cols = flat.reshape(len(rows), width).T
        cx_, cy_ = cols[1].astype(np.int64), cols[2].astype(np.int64)
        inside = (cx_ >= 0) & (cx_ < table.shape[0]) & (cy_ >= 0) & (cy_ < table.shape[1])
        pos = np.full(cx_.size, -1, np.int64)
        pos[inside] = table[cx_[inside], cy_[inside]]
        return cols[0].astype(np.int64), pos, list(cols[3:])

    e_pid, e_pos, (e_km,) = cells_of(effort_rows, 1)
    f_pid, f_pos, (f_snares, f_sq) = cells_of(find_rows, 2)
    ok = e_pos >= 0
    e_pid, e_pos, e_km = e_pid[ok], e_pos[ok], e_km[ok]
    ok = f_pos >= 0
    f_pid, f_pos, f_snares, f_sq = f_pid[ok], f_pos[ok], f_snares[ok], f_sq[ok]
    # Snares per visit: match finds to their (patrol, cell) effort row.
    e_key = e_pid * (n + 1) + e_pos
    order = np.argsort(e_key)
    f_key = f_pid * (n + 1) + f_pos
    at = np.searchsorted(e_key[order], f_key)
    at = np.minimum(at, max(e_key.size - 1, 0))
    matched = e_key[order][at] == f_key if e_key.size else np.zeros(f_key.size, bool)
    snares = np.zeros(e_key.size)
    np.add.at(snares, order[at[matched]], f_snares[matched])
    extra = ~matched
    v_pid = np.r_[e_pid, f_pid[extra]]
    v_pos = np.r_[e_pos, f_pos[extra]]
    v_km = np.r_[e_km, np.full(int(extra.sum()), MIN_VISIT_KM)]
    v_snares = np.r_[snares, f_snares[extra]]
    v_t = np.array([starts[int(p)][0] for p in v_pid]) if v_pid.size else np.zeros(0)
    dispersion = float(f_sq.sum() / f_snares.sum()) if f_snares.sum() > 0 else 1.0
    return StoredVisits(Visits.of(v_pos, v_t, v_km, v_snares), v_pid, starts, dispersion)


def _compute(
    session: so.Session,
    area: ConservationArea,
    until: date,
    horizon_days: int,
    grid: Grid,
    factor: int,
) -> RiskResult:
    ix, iy, rings, clon, clat = area_cells(area, grid)
    n = ix.size
    data_from = until - timedelta(days=HISTORY_DAYS - 1)
    stored = load_visits(session, area, data_from, until, ix, iy, factor)
    v_pos, v_pid, v_snares = stored.visits.cell, stored.patrol_id, stored.visits.snares
    v_t, v_km = stored.visits.t_days, stored.visits.effort_km
    starts, dispersion = stored.starts, stored.dispersion

    # Covariates: log distances (km) to what the area knows of.
    centre_x, centre_y = to_metric(clon, clat, area.epsg)
    points = shapely.points(centre_x, centre_y)
    distances: dict[str, np.ndarray] = {}
    boundary = project(shape(json.loads(area.boundary_geojson)), area.epsg)
    distances["distance_boundary_km"] = shapely.distance(points, boundary.boundary) / 1000
    bases = session.execute(
        sa.select(Unit.base_lon, Unit.base_lat).where(
            Unit.area_id == area.id, Unit.active.is_(True), Unit.base_lon.is_not(None)
        )
    ).all()
    if bases:
        bx, by = to_metric(
            np.array([b[0] for b in bases]), np.array([b[1] for b in bases]), area.epsg
        )
        distances["distance_base_km"] = (
            np.min(np.hypot(centre_x[:, None] - bx, centre_y[:, None] - by), axis=1) / 1000
        )
    for kind, name in (("roads", "distance_road_km"), ("settlements", "distance_settlement_km")):
        geometry = layer_geometries(session, area, kind)
        if geometry is not None:
            distances[name] = shapely.distance(points, geometry) / 1000
    names = list(distances)
    covariates = np.column_stack([np.log1p(distances[k]) for k in names]) if names else None

    settings = settings_for(area)
    until_days = _days(_end_of_day(until, area.timezone))
    model = _fit(
        Visits.of(v_pos, v_t, v_km, v_snares),
        ix,
        iy,
        until_days,
        float(horizon_days),
        grid.cell_m / 1000.0,
        covariates,
        [f"log1p_{k}" for k in names],
        settings,
        dispersion,
    )
    total_snares = np.bincount(v_pos, v_snares, n) if v_pos.size else np.zeros(n)
    patrols = np.zeros(n, np.int64)
    if v_pos.size:
        # Visits are distinct (patrol, cell) pairs: GROUP BY rows, and finds without one.
        patrols = np.bincount(v_pos, minlength=n)
    last: list[date | None] = [None] * n
    for pos, pid in zip(v_pos.tolist(), v_pid.tolist(), strict=True):
        day = starts[pid][1]
        day = date.fromisoformat(day) if isinstance(day, str) else day
        if last[pos] is None or day > last[pos]:
            last[pos] = day
    return RiskResult(
        area.slug,
        until,
        data_from,
        horizon_days,
        grid,
        ix,
        iy,
        rings,
        clon,
        clat,
        centre_x,
        centre_y,
        model,
        settings,
        total_snares,
        patrols,
        last,
        distances,
    )


def _num(value: float, digits: int = 4) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


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
    with _gc_paused():  # tens of thousands of new lists: the collector would rescan them all
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
        feats.append(
            {
                "type": "Feature",
                "id": f"{ix[k]}_{iy[k]}",
                "geometry": {"type": "Polygon", "coordinates": [rings[k]]},
                "properties": props,
            }
        )
    return feats


def risk_document(result: RiskResult, min_patrols: int = 0, extra: dict | None = None) -> str:
    """The whole answer as GeoJSON text, serialised once per cached answer (2,700 cells of a
    park take longer to encode than to look up)."""
    key = ("json", min_patrols, json.dumps(extra or {}, sort_keys=True))
    if key not in result.features:
        with _gc_paused():
            doc = {
                "type": "FeatureCollection",
                "area": result.area_slug,
                "model": model_summary(result),
                **(extra or {}),
                # Built for this text only: the cache keeps ~2 MB of text, not ~10 MB of dicts.
                "features": _build_features(result, min_patrols),
            }
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


# ---------------------------------------------------------------------------------------
# A unit's day route


@dataclass
class DayRouteResult:
    unit: Unit
    day: date
    walk_km: float
    search_km: float
    base_lon: float
    base_lat: float
    stops: list[dict[str, Any]]
    legs_km: list[float]
    length_km: float
    expected_finds: float
    exact: bool
    # For a printed map: metric base and stops, and the cells within reach of the base
    # (lower-left x, y, side, expected finds of a stop there).
    base_xy: tuple[float, float] = (0.0, 0.0)
    stops_xy: list[tuple[float, float]] = field(default_factory=list)
    cells: list[tuple[float, float, float, float]] = field(default_factory=list)


def day_route(
    session: so.Session, area: ConservationArea, unit: Unit, day: date | None
) -> DayRouteResult:
    """The unit's day route on ``day``: from its base and back within its walking length,
    through the cells whose expected finds (standing stock at the start of the day times the
    chance a ``SEARCH_KM`` search sees a snare) add up to the most."""
    if unit.base_lon is None or unit.base_lat is None:
        raise Conflict(f"Unit {unit.code} has no base to start from.")
    latest = resolve_until(session, area, None)
    day = day or latest + timedelta(days=1)
    if day.year < 1990 or day > latest + timedelta(days=366):
        raise ValidationFailed(
            "No route for that day.", errors=[FieldError("/date", "within a year of the data")]
        )
    result = risk(session, area, day - timedelta(days=1), 1)
    m, s = result.model, result.settings
    pass_km = s.pass_km or result.grid.cell_m / 1000
    q = detection_per_visit(np.array([SEARCH_KM]), s.detection_probability, pass_km)[0]
    score = m.standing_stock * q
    bx, by = to_metric(np.array([unit.base_lon]), np.array([unit.base_lat]), area.epsg)
    walk_km = unit.walk_km or DEFAULT_WALK_KM
    plan = plan_route(
        np.array([bx[0], by[0]]),
        np.column_stack([result.centre_x, result.centre_y]),
        score,
        walk_km,
        SEARCH_KM,
    )
    stops = []
    for rank, c in enumerate(plan.stops.tolist(), start=1):
        stops.append(
            {
                "priority": rank,
                "cell": [int(result.ix[c]), int(result.iy[c])],
                "lon": round(float(result.centre_lon[c]), 6),
                "lat": round(float(result.centre_lat[c]), 6),
                "expected_finds": round(float(score[c]), 3),
                "leg_km": round(float(plan.legs_km[rank - 1]), 3),
                "walked": bool(m.walked[c]),
                "setting_rate": _num(m.setting_rate[c]) if m.walked[c] else None,
                "standing_stock": _num(m.standing_stock[c]),
                "last_patrolled": (
                    result.last_patrolled[c].isoformat() if result.last_patrolled[c] else None
                ),
            }
        )
    side = result.grid.cell_m
    near = np.flatnonzero(
        np.hypot(result.centre_x - bx[0], result.centre_y - by[0]) <= walk_km * 500 + side
    )
    return DayRouteResult(
        unit,
        day,
        walk_km,
        SEARCH_KM,
        float(unit.base_lon),
        float(unit.base_lat),
        stops,
        [round(float(v), 3) for v in plan.legs_km],
        round(plan.length_km, 3),
        round(plan.score, 3),
        plan.exact,
        (float(bx[0]), float(by[0])),
        [(float(result.centre_x[c]), float(result.centre_y[c])) for c in plan.stops.tolist()],
        [
            (
                float(result.centre_x[c] - side / 2),
                float(result.centre_y[c] - side / 2),
                float(side),
                float(score[c]),
            )
            for c in near.tolist()
        ],
    )


def route_geojson(r: DayRouteResult) -> dict[str, Any]:
    """The route as a LineString (base, stops, base) and one Point per stop, each with its
    expected finds and the length of the leg that reaches it."""
    base = [round(r.base_lon, 6), round(r.base_lat, 6)]
    line = [base, *([s["lon"], s["lat"]] for s in r.stops), base]
    return {
        "type": "FeatureCollection",
        "unit": r.unit.code,
        "date": r.day.isoformat(),
        "features": [
            {
                "type": "Feature",
                "id": f"{r.unit.code}-{r.day.isoformat()}",
                "geometry": {"type": "LineString", "coordinates": line},
                "properties": {
                    "kind": "route",
                    "unit": r.unit.code,
                    "date": r.day.isoformat(),
                    "walk_km": r.walk_km,
                    "search_km_per_stop": r.search_km,
                    "length_km": r.length_km,
                    "expected_finds": r.expected_finds,
                    "legs_km": r.legs_km,
                    "home_leg_km": r.legs_km[-1] if r.legs_km else 0.0,
                    "exact": r.exact,
                },
            },
            *(
                {
                    "type": "Feature",
                    "id": f"{r.unit.code}-P{s['priority']}",
                    "geometry": {"type": "Point", "coordinates": [s["lon"], s["lat"]]},
                    "properties": {"kind": "stop", **s},
                }
                for s in r.stops
            ),
        ],
    }


def route_gpx(r: DayRouteResult) -> str:
    """GPX 1.1 ``<rte>`` a handheld follows: base, the stops named by priority, base."""
    import gpxpy.gpx

    gpx = gpxpy.gpx.GPX()
    gpx.creator = "patrol"
    route = gpxpy.gpx.GPXRoute(name=f"{r.unit.code} {r.day.isoformat()}")
    route.description = (
        f"{r.length_km:.1f} km, {len(r.stops)} stops, expect {r.expected_finds:.1f} snares"
    )
    route.points.append(gpxpy.gpx.GPXRoutePoint(r.base_lat, r.base_lon, name=f"{r.unit.code} base"))
    for s in r.stops:
        route.points.append(
            gpxpy.gpx.GPXRoutePoint(
                s["lat"],
                s["lon"],
                name=f"{r.unit.code} P{s['priority']}",
                description=(
                    f"priority {s['priority']}: expect {s['expected_finds']:.2f} snares in "
                    f"{r.search_km:g} km; leg {s['leg_km']:.1f} km; last patrolled "
                    f"{s['last_patrolled'] or 'never'}"
                ),
            )
        )
    route.points.append(gpxpy.gpx.GPXRoutePoint(r.base_lat, r.base_lon, name=f"{r.unit.code} home"))
    gpx.routes.append(route)
    return gpx.to_xml(version="1.1")


def estimate_area_detection(
    session: so.Session, area: ConservationArea, until: date | None = None, save: bool = False
) -> tuple[float, int]:
    """Per-pass detection estimated from the area's repeated visits in the year up to
    ``until`` (and stored as the area's setting with ``save``), and how many cells were
    visited again within a snare's mean life: the only visits that inform it."""
    until = resolve_until(session, area, until)
    grid = area_grid(area)
    ix, iy, *_ = area_cells(area, grid)
    stored = load_visits(session, area, until - timedelta(days=HISTORY_DAYS - 1), until, ix, iy)
    v = stored.visits
    life = area.snare_life_days or RiskSettings.mean_life_days
    order = np.lexsort((v.t_days, v.cell))
    cell, t = v.cell[order], v.t_days[order]
    again = (cell[1:] == cell[:-1]) & (np.diff(t) <= life)
    repeat_cells = int(np.unique(cell[1:][again]).size)
    if v.snares.sum() <= 0 or repeat_cells == 0:
        raise ValidationFailed(
            "Too few repeated visits with finds to estimate detection.",
            errors=[FieldError("/until", "needs cells walked again within a snare's life")],
        )
    p = estimate_detection(
        v,
        ix.size,
        _days(_end_of_day(until, area.timezone)),
        grid.cell_m / 1000,
        life,
    )
    if save:
        with write(session):
            area.detection_probability = round(p, 4)
    return p, repeat_cells
