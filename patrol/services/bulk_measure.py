"""Bulk import, the measuring side: read, parse, validate and measure report files into the
rows to store, in a worker process (or the importing one with ``--jobs 1``). Plain picklable
data in and out; no database here. The storing side is services/bulk.py."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import FieldError, PatrolError, ValidationFailed
from patrol.geo.importers import importer_for
from patrol.geo.report import Limits, ReportDefaults
from patrol.services.ingest_steps import measure_report
from patrol.services.measure import AreaContext
from patrol.services.patrol_rows import PatrolRows, check_unit, patrol_rows
from patrol.store.models import ConservationArea, Unit, Zone
from patrol.texts import N_

__all__ = [
    "InProcess",
    "Measured",
    "Outcome",
    "Setup",
    "init_worker",
    "measured",
    "rejected",
    "setup",
]


@dataclass
class Outcome:
    """What became of one file: ``state`` is stored, already stored or rejected."""

    name: str
    state: str
    patrol_id: str | None = None
    distance_km: float = 0.0
    vertices: int = 0
    detail: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Measured:
    """A report parsed, validated and measured, as rows ready to store."""

    name: str
    area_id: int
    zones_version: int
    finds: list[tuple[str, str]]  # id, JSON pointer
    rows: PatrolRows


def rejected(name: str, error: PatrolError) -> Outcome:
    return Outcome(
        name,
        "rejected",
        detail=error.detail or error.title,
        errors=[(e.pointer, e.detail) for e in error.errors],
    )


@dataclass
class Setup:
    """What measuring needs, as plain picklable data: areas (columns and zone rows) and units."""

    areas: dict[int, tuple[dict[str, Any], list[tuple[int, str, str]]]]
    units: dict[str, tuple[int, int, str, bool]]  # code -> id, area_id, code, active
    timezones: dict[int, str]
    defaults: ReportDefaults
    limits: Limits
    margin_km: float


_WORKER: dict[str, Any] = {}


def init_worker(setup: Setup) -> None:
    """Project each area's zones once per worker (the AreaContext)."""
    contexts = {}
    for area_id, (columns, zones) in setup.areas.items():
        area = SimpleNamespace(**columns)
        rows = [SimpleNamespace(id=i, code=c, geometry=g) for i, c, g in zones]
        contexts[area_id] = AreaContext._build(area, rows)
    _WORKER.update(setup=setup, contexts=contexts)


def _measure_file(name: str) -> Measured | Outcome:
    setup: Setup = _WORKER["setup"]
    try:
        data = Path(name).read_bytes()
        importer = importer_for(None, name, data[:4096])
        if importer.exchange:
            raise ValidationFailed(
                N_(
                    "{name} is {format} patrol XML: import it with 'patrol {command} import'.",
                    name=name,
                    format=importer.name.upper(),
                    command=importer.name,
                ),
                errors=[FieldError("/", N_("an exchange file holds whole patrols"))],
            )
        report = importer.parse(data, setup.defaults, setup.limits)
        del data
        known = setup.units.get(report.unit)
        unit = (
            None
            if known is None
            else SimpleNamespace(id=known[0], area_id=known[1], code=known[2], active=known[3])
        )
        check_unit(report, unit)
        context: AreaContext = _WORKER["contexts"][unit.area_id]
        route, figures = measure_report(report, context, setup.margin_km)
        rows = patrol_rows(
            report,
            unit_id=unit.id,
            unit_code=unit.code,
            area_id=unit.area_id,
            timezone=setup.timezones[unit.area_id],
            context=context,
            route=route,
            figures=figures,
        )
    except PatrolError as error:
        return rejected(name, error)
    return Measured(
        name,
        unit.area_id,
        context.zones_version,
        [(s.id, s.pointer) for s in report.snares],
        rows,
    )


def _measure_chunk(names: list[str]) -> list[Measured | Outcome]:
    return [_measure_file(n) for n in names]


class InProcess(Executor):
    """jobs=1: measure in this process, lazily, one chunk when it is asked for."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:  # type: ignore[override]
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def setup(session: so.Session, defaults: ReportDefaults, limits: Limits, margin_km: float) -> Setup:
    areas: dict[int, tuple[dict[str, Any], list[tuple[int, str, str]]]] = {}
    timezones = {}
    for area in session.scalars(sa.select(ConservationArea)):
        zones = session.execute(
            sa.select(Zone.id, Zone.code, Zone.geometry)
            .where(Zone.area_id == area.id)
            .order_by(Zone.id)
        ).all()
        columns = {
            k: getattr(area, k)
            for k in (
                "id",
                "zones_version",
                "epsg",
                "grid_origin_x",
                "grid_origin_y",
                "cell_m",
                "boundary",
            )
        }
        areas[area.id] = (columns, [tuple(z) for z in zones])
        timezones[area.id] = area.timezone
    units = {u.code: (u.id, u.area_id, u.code, u.active) for u in session.scalars(sa.select(Unit))}
    session.rollback()
    return Setup(areas, units, timezones, defaults, limits, margin_km)


def measured(
    names: list[str], executor: Executor, chunk: int, ahead: int
) -> Iterator[Measured | Outcome]:
    """Every file measured, in order, with at most ``ahead`` chunks in flight."""
    chunks = (names[k : k + chunk] for k in range(0, len(names), chunk))
    pending: deque[Future] = deque()
    for part in chunks:
        pending.append(executor.submit(_measure_chunk, part))
        if len(pending) >= ahead:
            yield from pending.popleft().result()
    while pending:
        yield from pending.popleft().result()
