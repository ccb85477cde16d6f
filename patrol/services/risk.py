"""Where snares will be set next: the setting-rate model on stored visits, and a unit's day route.

A visit is one patrol's search effort in one cell (the stored EffortCell row) at the patrol's
start, with the snares that patrol found in that cell. Only patrols that started on or before
``until`` (a local day of the area) are read, so a past month can be scored honestly; the model
itself lives in patrol.analytics.risk. Answers are cached per area, grid, ``until`` and
horizon, and keyed on the fingerprints ``month_figures`` reads for the year of patrols the
model uses (and on the area's layers, units and settings), so a late report, a correction or
a recompute job is never missed. A cold answer reads again only the visits of the months
whose fingerprint moved (the visits are kept per month, as the cells' figures are) and fits.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import shapely
import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely.geometry import shape

from patrol.analytics.exposure import Visits
from patrol.analytics.risk import RiskModel, RiskSettings, estimate_detection
from patrol.analytics.risk import fit_setting_rate as _fit
from patrol.errors import FieldError, ValidationFailed
from patrol.geo.documents import gc_paused
from patrol.geo.grid import Grid
from patrol.geo.projection import to_metric
from patrol.geo.shapes import project
from patrol.services import month_figures, privacy
from patrol.services.area_grid import area_cells, area_grid, grid_for
from patrol.services.auth import Principal
from patrol.services.cell_figures import NEVER, days_or_none
from patrol.services.days import local_midnight
from patrol.services.layers import layer_geometries
from patrol.services.queries import live_patrols
from patrol.services.risk_visits import days_since_epoch, load_visits
from patrol.store.engine import write
from patrol.store.models import AreaLayer, ConservationArea, Patrol, Unit
from patrol.store.types import json_text
from patrol.texts import N_
from patrol.vocabulary import LayerKind, Role

__all__ = [
    "RiskResult",
    "clear",
    "estimate_area_detection",
    "resolve_until",
    "risk",
    "settings_for",
    "visible_risk",
]

HISTORY_DAYS = 365  # older visits weigh exp(-365 / memory_days): nothing
CACHE_SIZE = 8  # answers per worker: ~2 MB of JSON text and the arrays each

_cache: OrderedDict[tuple, RiskResult] = OrderedDict()
_distances_kept: OrderedDict[tuple, dict[str, np.ndarray]] = OrderedDict()
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


def _end_of_day(day: date, tz: str) -> datetime:
    return local_midnight(day + timedelta(days=1), tz)


def resolve_until(session: so.Session, area: ConservationArea, until: date | None) -> date:
    """``until`` as asked, by default the day of the area's latest patrol."""
    if until is not None:
        return until
    latest = session.scalar(sa.select(sa.func.max(Patrol.start_date)).where(*live_patrols(area.id)))
    return latest or date.today()


def _fingerprint(session: so.Session, area: ConservationArea, until: date) -> tuple:
    """What the answer depends on besides its arguments: the stored patrols of the year up to
    ``until`` with their effort rows and finds (``month_figures.fingerprints``: per month,
    and the area's zones version, latest recompute job, grid, boundary and database), the
    area's layers, units and snare settings. Only that year's visits are read."""
    state, prints = month_figures.fingerprints(session, area, *_data_window(until))
    return (
        state,
        tuple(sorted(prints.items())),
        _surroundings(session, area),
        area.detection_probability,
        area.snare_life_days,
    )


def _data_window(until: date) -> tuple[date, date]:
    """The days whose patrols the model reads: [first, end)."""
    return until - timedelta(days=HISTORY_DAYS - 1), until + timedelta(days=1)


def _surroundings(session: so.Session, area: ConservationArea) -> tuple:
    """What the covariates depend on: the area's layers (a new one has a new id) and units."""
    layers = session.execute(
        sa.select(sa.func.count(), sa.func.max(AreaLayer.id)).where(AreaLayer.area_id == area.id)
    ).one()
    units = session.execute(
        sa.select(Unit.id, Unit.base_lon, Unit.base_lat, Unit.active)
        .where(Unit.area_id == area.id)
        .order_by(Unit.id)
    ).all()
    return tuple(layers), tuple(tuple(u) for u in units)


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
    with month_figures.reading(session, area, *_data_window(until)):
        key = (area.id, until, horizon_days, factor, _fingerprint(session, area, until))
        with _cache_lock:
            if key in _cache:
                _cache.move_to_end(key)
                return _cache[key]
        with gc_paused():
            result = _compute(session, area, until, horizon_days, grid, factor, key[-1][2])
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def clear() -> None:
    """Forget every kept answer (tests and benchmarks)."""
    with _cache_lock:
        _cache.clear()
        _distances_kept.clear()


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
    if principal.role == Role.NGO:
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


def _compute(
    session: so.Session,
    area: ConservationArea,
    until: date,
    horizon_days: int,
    grid: Grid,
    factor: int,
    surroundings: tuple,
) -> RiskResult:
    ix, iy, rings, clon, clat = area_cells(area, grid)
    n = ix.size
    data_from = until - timedelta(days=HISTORY_DAYS - 1)
    stored = load_visits(session, area, data_from, until, ix, iy, factor)
    v = stored.visits
    centre_x, centre_y = to_metric(clon, clat, area.epsg)
    distances = _kept_distances(session, area, grid, surroundings, centre_x, centre_y)
    names = list(distances)
    # Covariates: log distances (km) to what the area knows of.
    covariates = np.column_stack([np.log1p(distances[k]) for k in names]) if names else None
    settings = settings_for(area)
    model = _fit(
        Visits.of(v.cell, v.t_days, v.effort_km, v.snares),
        ix,
        iy,
        days_since_epoch(_end_of_day(until, area.timezone)),
        float(horizon_days),
        grid.cell_m / 1000.0,
        covariates,
        [f"log1p_{k}" for k in names],
        settings,
        stored.dispersion,
    )
    total_snares = np.bincount(v.cell, v.snares, n) if v.cell.size else np.zeros(n)
    patrols = np.zeros(n, np.int64)
    if v.cell.size:
        # Visits are distinct (patrol, cell) pairs: GROUP BY rows, and finds without one.
        patrols = np.bincount(v.cell, minlength=n)
    last = _last_patrolled(n, v.cell, stored.start_day)
    return RiskResult(
        area.slug, until, data_from, horizon_days, grid, ix, iy, rings, clon, clat,
        centre_x, centre_y, model, settings, total_snares, patrols, last, distances,
    )  # fmt: skip


def _kept_distances(
    session: so.Session,
    area: ConservationArea,
    grid: Grid,
    surroundings: tuple,
    centre_x: np.ndarray,
    centre_y: np.ndarray,
) -> dict[str, np.ndarray]:
    """``_distances``, kept per process while the area's boundary, grid, layers and units
    are as they were (reading the layers and measuring to them is most of it)."""
    key = (
        month_figures.database(session),
        area.id,
        json_text(area.boundary),
        area.epsg,
        (grid.origin_x, grid.origin_y, grid.cell_m),
        surroundings,
    )
    with _cache_lock:
        kept = _distances_kept.get(key)
        if kept is not None:
            _distances_kept.move_to_end(key)
            return kept
    distances = _distances(session, area, centre_x, centre_y)
    with _cache_lock:
        _distances_kept[key] = distances
        while len(_distances_kept) > CACHE_SIZE:
            _distances_kept.popitem(last=False)
    return distances


def _distances(
    session: so.Session, area: ConservationArea, centre_x: np.ndarray, centre_y: np.ndarray
) -> dict[str, np.ndarray]:
    """Each cell centre's distance (km) to the boundary, the nearest active unit's base, the
    nearest road and settlement: those the area knows of."""
    points = shapely.points(centre_x, centre_y)
    distances: dict[str, np.ndarray] = {}
    boundary = project(shape(area.boundary), area.epsg)
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
    for kind, name in (
        (LayerKind.ROADS, "distance_road_km"),
        (LayerKind.SETTLEMENTS, "distance_settlement_km"),
    ):
        geometry = layer_geometries(session, area, kind)
        if geometry is not None:
            distances[name] = shapely.distance(points, geometry) / 1000
    return distances


def _last_patrolled(n: int, cell: np.ndarray, start_day: np.ndarray) -> list[date | None]:
    """Each cell's latest local start day of a visiting patrol (None: never visited)."""
    last = np.full(n, NEVER)
    np.maximum.at(last, cell, start_day)
    return days_or_none(last)


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
            N_("Too few repeated visits with finds to estimate detection."),
            errors=[FieldError("/until", N_("needs cells walked again within a snare's life"))],
        )
    p = estimate_detection(
        v,
        ix.size,
        days_since_epoch(_end_of_day(until, area.timezone)),
        grid.cell_m / 1000,
        life,
    )
    if save:
        with write(session):
            area.detection_probability = round(p, 4)
    return p, repeat_cells
