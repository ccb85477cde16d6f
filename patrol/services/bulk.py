"""Bulk import of report files: parse and measure in worker processes, store in batches.

A park-year (thousands of files, millions of vertices) through ``patrol patrols import``.
Per report the rules are those of ``ingest_report``: the same importers and validation, the
same rows (services/patrol_rows.py), a replay answered "already stored", a conflict or a bad
report rejected alone with its reasons. What changes is the unit of work: one write
transaction per batch of patrols, existing ids looked up in one SELECT, rows written with
executemany, and the parsing and measuring (the CPU-bound part) done by a process pool while
this process writes. Files are read as they are needed, a bounded number in flight, so the
import never holds the whole park-year in memory.

A batch the database refuses (a race with another writer, a constraint) is rolled back and
its patrols stored one by one through ``ingest_report``; so is a batch whose area had its
zones replaced while it was measured (ingest_report measures the zones again).
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import (
    Conflict,
    DeletedPatrolConflict,
    FieldError,
    PatrolError,
    ValidationFailed,
)
from patrol.geo.importers import importer_for
from patrol.geo.report import Limits, ReportDefaults, iso_utc
from patrol.services.measure import AreaContext
from patrol.services.patrol_rows import PatrolRows, check_unit, patrol_rows
from patrol.services.patrols import ingest_report, measure_report
from patrol.store.engine import begin_write
from patrol.store.models import (
    AuditEvent,
    ConservationArea,
    EffortCell,
    EffortZone,
    Patrol,
    PatrolTrack,
    SnareFind,
    Unit,
    Zone,
)

__all__ = ["Outcome", "import_files"]

log = logging.getLogger(__name__)


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
class _Measured:
    """A report parsed, validated and measured, as rows ready to store."""

    name: str
    area_id: int
    zones_version: int
    finds: list[tuple[str, str]]  # id, JSON pointer
    rows: PatrolRows


def _rejected(name: str, error: PatrolError) -> Outcome:
    return Outcome(
        name,
        "rejected",
        detail=error.detail or error.title,
        errors=[(e.pointer, e.detail) for e in error.errors],
    )


# --- the measuring side (a worker process, or this one with jobs=1) -------------------------


@dataclass
class _Setup:
    """What measuring needs, as plain picklable data: areas (columns and zone rows) and units."""

    areas: dict[int, tuple[dict[str, Any], list[tuple[int, str, str]]]]
    units: dict[str, tuple[int, int, str, bool]]  # code -> id, area_id, code, active
    timezones: dict[int, str]
    defaults: ReportDefaults
    limits: Limits
    margin_km: float


_WORKER: dict[str, Any] = {}


def _init_worker(setup: _Setup) -> None:
    """Project each area's zones once per worker (the AreaContext)."""
    contexts = {}
    for area_id, (columns, zones) in setup.areas.items():
        area = SimpleNamespace(**columns)
        rows = [SimpleNamespace(id=i, code=c, geometry_geojson=g) for i, c, g in zones]
        contexts[area_id] = AreaContext._build(area, rows)
    _WORKER.update(setup=setup, contexts=contexts)


def _measure_file(name: str) -> _Measured | Outcome:
    setup: _Setup = _WORKER["setup"]
    try:
        data = Path(name).read_bytes()
        importer = importer_for(None, name, data[:4096])
        if importer.exchange:
            raise ValidationFailed(
                f"{name} is {importer.name.upper()} patrol XML: import it with "
                f"'patrol {importer.name} import'.",
                errors=[FieldError("/", "an exchange file holds whole patrols")],
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
        return _rejected(name, error)
    return _Measured(
        name,
        unit.area_id,
        context.zones_version,
        [(s.id, s.pointer) for s in report.snares],
        rows,
    )


def _measure_chunk(names: list[str]) -> list[_Measured | Outcome]:
    return [_measure_file(n) for n in names]


class _InProcess(Executor):
    """jobs=1: measure in this process, lazily, one chunk when it is asked for."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def _setup(session: so.Session, defaults: ReportDefaults, limits: Limits, margin_km: float):
    areas: dict[int, tuple[dict[str, Any], list[tuple[int, str, str]]]] = {}
    timezones = {}
    for area in session.scalars(sa.select(ConservationArea)):
        zones = session.execute(
            sa.select(Zone.id, Zone.code, Zone.geometry_geojson)
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
                "boundary_geojson",
            )
        }
        areas[area.id] = (columns, [tuple(z) for z in zones])
        timezones[area.id] = area.timezone
    units = {u.code: (u.id, u.area_id, u.code, u.active) for u in session.scalars(sa.select(Unit))}
    session.rollback()
    return _Setup(areas, units, timezones, defaults, limits, margin_km)


def _measured(
    names: list[str], executor: Executor, chunk: int, ahead: int
) -> Iterator[_Measured | Outcome]:
    """Every file measured, in order, with at most ``ahead`` chunks in flight."""
    chunks = (names[k : k + chunk] for k in range(0, len(names), chunk))
    pending: deque[Future] = deque()
    for part in chunks:
        pending.append(executor.submit(_measure_chunk, part))
        if len(pending) >= ahead:
            yield from pending.popleft().result()
    while pending:
        yield from pending.popleft().result()


# --- the storing side (this process) --------------------------------------------------------


def _in_chunks(values: list, size: int = 500) -> Iterable[list]:
    for k in range(0, len(values), size):
        yield values[k : k + size]


def _store_batch(session: so.Session, batch: list[_Measured]) -> list[Outcome] | None:
    """Store a batch in one transaction; None when it must go patrol by patrol instead."""
    begin_write(session)
    versions = dict(
        session.execute(
            sa.select(ConservationArea.id, ConservationArea.zones_version).where(
                ConservationArea.id.in_({m.area_id for m in batch})
            )
        ).all()
    )
    if any(versions.get(m.area_id) != m.zones_version for m in batch):
        session.rollback()
        return None
    uuids = [m.rows.patrol["uuid"] for m in batch]
    stored: dict[str, Any] = {}
    for part in _in_chunks(list(set(uuids))):
        for row in session.execute(
            sa.select(
                Patrol.uuid,
                Patrol.content_hash,
                Patrol.revision,
                Patrol.deleted_at,
                Patrol.distance_km,
            ).where(Patrol.uuid.in_(part))
        ):
            stored[row.uuid] = row
    find_ids = [f for m in batch for f, _ in m.finds]
    taken: dict[str, str] = {}
    for part in _in_chunks(list(set(find_ids))):
        taken.update(
            session.execute(
                sa.select(SnareFind.uuid, Patrol.uuid).join(Patrol).where(SnareFind.uuid.in_(part))
            ).all()
        )
    outcomes: list[Outcome] = []
    new: list[_Measured] = []
    batch_hashes: dict[str, str] = {}
    for m in batch:
        uuid, digest = m.rows.patrol["uuid"], m.rows.patrol["content_hash"]
        km, vertices = m.rows.patrol["distance_km"], m.rows.patrol["vertex_count"]
        error = _known_id(uuid, digest, stored.get(uuid), batch_hashes.get(uuid))
        if error == "replay":
            known_km = stored[uuid].distance_km if uuid in stored else km
            outcomes.append(Outcome(m.name, "already stored", uuid, known_km, vertices))
            continue
        if error is not None:
            outcomes.append(_rejected(m.name, error))
            continue
        problems = [
            FieldError(
                f"{pointer}/id",
                f"find id {f} is in use already, in patrol {taken[f]}: give this find a new id",
            )
            for f, pointer in m.finds
            if taken.get(f, uuid) != uuid
        ]
        if problems:
            outcomes.append(
                _rejected(
                    m.name,
                    ValidationFailed(
                        "The report does not fit its area; nothing was stored.", errors=problems
                    ),
                )
            )
            continue
        batch_hashes[uuid] = digest
        taken.update((f, uuid) for f, _ in m.finds)
        new.append(m)
        outcomes.append(Outcome(m.name, "stored", uuid, km, vertices))
    if new:
        _insert(session, new)
    session.commit()
    return outcomes


def _known_id(
    uuid: str, digest: str, stored: Any, in_batch: str | None
) -> PatrolError | str | None:
    """'replay', the error for a taken id, or None for a new patrol (ingest_report's rules)."""
    if stored is not None:
        if stored.deleted_at is not None:
            return DeletedPatrolConflict(
                f"Patrol {uuid} was deleted on {iso_utc(stored.deleted_at)}; a resend does not "
                "restore it. Ask a coordinator, or send it under a new id."
            )
        if stored.content_hash != digest:
            return Conflict(
                f"A different report with id {uuid} is stored (revision {stored.revision}). "
                "A new report needs a new id; a correction goes through PATCH."
            )
        return "replay"
    if in_batch is not None:
        if in_batch != digest:
            return Conflict(
                f"A different report with id {uuid} is stored (revision 1). "
                "A new report needs a new id; a correction goes through PATCH."
            )
        return "replay"
    return None


def _insert(session: so.Session, new: list[_Measured]) -> None:
    conn = session.connection()
    patrol = Patrol.__table__
    ids = dict(
        (row.uuid, row.id)
        for row in conn.execute(
            sa.insert(patrol).returning(patrol.c.uuid, patrol.c.id),
            [m.rows.patrol for m in new],
        )
    )
    tracks, cells, zones, finds, events = [], [], [], [], []
    for m in new:
        uuid = m.rows.patrol["uuid"]
        pid = ids[uuid]
        tracks.append(
            {
                "patrol_id": pid,
                "route_geojson": m.rows.route_geojson,
                "coord_times_json": m.rows.coord_times_json,
            }
        )
        for r in m.rows.cells:
            r["patrol_id"] = pid
        cells.extend(m.rows.cells)
        for r in m.rows.zones:
            r["patrol_id"] = pid
        zones.extend(m.rows.zones)
        for r in m.rows.finds:
            r["patrol_id"] = pid
        finds.extend(m.rows.finds)
        events.append(
            {
                "user_id": None,
                "area_id": m.area_id,
                "action": "create",
                "entity": "patrol",
                "entity_id": uuid,
                "before_json": None,
                "after_json": json.dumps(m.rows.audit_after, default=str, sort_keys=True),
            }
        )
    for model, rows in (
        (PatrolTrack, tracks),
        (EffortCell, cells),
        (EffortZone, zones),
        (SnareFind, finds),
        (AuditEvent, events),
    ):
        if rows:
            conn.execute(sa.insert(model.__table__), rows)


def _one_by_one(
    session: so.Session, batch: list[_Measured], setup: _Setup, contexts: dict
) -> list[Outcome]:
    """The batch again through the single-report path, each patrol in its own transaction."""
    outcomes = []
    for m in batch:
        try:
            data = Path(m.name).read_bytes()
            report = importer_for(None, m.name, data[:4096]).parse(
                data, setup.defaults, setup.limits
            )
            result = ingest_report(
                session, None, report, area_margin_km=setup.margin_km, contexts=contexts
            )
        except PatrolError as error:
            outcomes.append(_rejected(m.name, error))
            continue
        state = "stored" if result.created else "already stored"
        p = result.patrol
        outcomes.append(Outcome(m.name, state, p.uuid, p.distance_km, p.vertex_count))
    return outcomes


def import_files(
    session: so.Session,
    names: list[str],
    *,
    defaults: ReportDefaults,
    limits: Limits,
    margin_km: float,
    jobs: int = 1,
    batch: int = 200,
    chunk: int = 8,
) -> Iterator[Outcome]:
    """Import report files; yields one Outcome per file.

    ``jobs`` processes parse and measure (1: this process); this process stores ``batch``
    patrols per transaction. Rejected files are yielded as soon as known, stored ones after
    their batch commits.
    """
    setup = _setup(session, defaults, limits, margin_km)
    contexts: dict[int, AreaContext] = {}
    if jobs > 1:
        # fork where there is one: a worker starts in milliseconds with every module loaded
        # (forkserver or spawn import numpy, shapely, pyproj and the app again: ~10 s of a
        # 300-patrol import on a loaded machine). Workers never touch the parent's database
        # connections, and leave through os._exit, so those are not closed under it.
        mp = get_context("fork" if "fork" in get_all_start_methods() else "spawn")
        executor: Executor = ProcessPoolExecutor(
            jobs, mp_context=mp, initializer=_init_worker, initargs=(setup,)
        )
    else:
        _init_worker(setup)
        executor = _InProcess()
    try:
        pending: list[_Measured] = []
        # Enough chunks in flight that the workers keep measuring while a batch is stored.
        ahead = 2 * jobs + batch // chunk if jobs > 1 else 1
        for item in _measured(names, executor, chunk, ahead=ahead):
            if isinstance(item, Outcome):
                yield item
                continue
            pending.append(item)
            if len(pending) >= batch:
                yield from _flush(session, pending, setup, contexts)
                pending = []
        if pending:
            yield from _flush(session, pending, setup, contexts)
    finally:
        executor.shutdown(cancel_futures=True)


def _flush(
    session: so.Session, batch: list[_Measured], setup: _Setup, contexts: dict
) -> list[Outcome]:
    try:
        outcomes = _store_batch(session, batch)
    except sa.exc.DBAPIError:
        log.warning("a batch of %d patrols was refused; storing them one by one", len(batch))
        session.rollback()
        outcomes = None
    except Exception:
        session.rollback()
        raise
    if outcomes is None:
        outcomes = _one_by_one(session, batch, setup, contexts)
    return outcomes
