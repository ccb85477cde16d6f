"""Measuring stored patrols again after an area's zones (or grid) changed.

Replacing zones is one short transaction that opens a job; the job then measures the area's
patrols in batches of its own short transactions, storing its progress after each. Rangers'
submissions go on meanwhile (measured against the new zones, see ``ingest_report``), the API
reports the progress, and a job whose runner died is taken up again where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import NotFound
from patrol.geo import packed_route
from patrol.geo.projection import to_metric
from patrol.geo.times import iso_utc
from patrol.services.auth import Principal
from patrol.services.measure import AreaContext, measure_route
from patrol.store.engine import write
from patrol.store.models import (
    ConservationArea,
    EffortCell,
    EffortZone,
    Patrol,
    RecomputeJob,
    SnareFind,
    utcnow,
)
from patrol.texts import N_
from patrol.vocabulary import JobKind, JobState, Role

__all__ = [
    "BATCH",
    "STALE_AFTER",
    "active_job",
    "fail_job",
    "get_job",
    "job_document",
    "open_job",
    "run_job",
]

# Patrols measured per transaction: a few hundred ms of work, so no writer waits long.
BATCH = 200
# A running job whose runner has not reported for this long is taken over.
STALE_AFTER = timedelta(seconds=60)


def open_job(
    session: so.Session, area: ConservationArea, kind: str = JobKind.ZONES
) -> RecomputeJob:
    """Open a job re-measuring every patrol of ``area``, in the caller's write transaction.

    A zones job moves the area to a new zones version: reports measured against the old
    zones are measured again before they are stored, and an older job stops.
    """
    if kind == JobKind.ZONES:
        area.zones_version += 1
    total = session.scalar(
        sa.select(sa.func.count()).select_from(Patrol).where(Patrol.area_id == area.id)
    )
    job = RecomputeJob(
        area_id=area.id,
        kind=kind,
        zones_version=area.zones_version,
        total=total,
        state=JobState.RUNNING if total else JobState.DONE,
        finished_at=None if total else utcnow(),
    )
    session.add(job)
    session.flush()
    return job


def active_job(session: so.Session, area_id: int) -> RecomputeJob | None:
    """The area's running job, if figures are being recomputed now."""
    return session.scalar(
        sa.select(RecomputeJob)
        .where(RecomputeJob.area_id == area_id, RecomputeJob.state == JobState.RUNNING)
        .order_by(RecomputeJob.id.desc())
        .limit(1)
    )


def get_job(session: so.Session, principal: Principal, job_id: int) -> RecomputeJob:
    """A job of one of the caller's areas (coordinators and admins)."""
    principal.require_role(Role.COORDINATOR, Role.ADMIN)
    # Ids are 32-bit integers on every backend; a larger one names no job (and PostgreSQL
    # would refuse to compare it).
    job = session.get(RecomputeJob, job_id) if 0 < job_id < 2**31 else None
    if job is None or job.area_id not in principal.area_ids:
        raise NotFound(N_("No job {job_id} among yours.", job_id=job_id))
    return job


def job_document(job: RecomputeJob) -> dict:
    """What the API says of a job."""
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "done": job.done,
        "total": job.total,
        "created_at": iso_utc(job.created_at),
        "finished_at": iso_utc(job.finished_at) if job.finished_at else None,
        "error": job.error,
        "stale": job.state == JobState.RUNNING and utcnow() - job.heartbeat_at > STALE_AFTER,
    }


def _effort_rows(
    patrols: list[Patrol], context: AreaContext, cells: bool
) -> tuple[list[dict], list[dict]]:
    """Cell and zone effort rows of ``patrols`` measured in ``context`` (no database)."""
    cell_rows: list[dict] = []
    zone_rows: list[dict] = []
    for patrol in patrols:
        parts = packed_route.unpack_route(patrol.route_packed)
        times = packed_route.unpack_times(patrol.times_packed)
        figures = measure_route(parts, times, patrol.started_at, patrol.ended_at, context)
        if cells:
            c = figures.cells
            cell_rows += [
                {"patrol_id": patrol.id, "ix": int(a), "iy": int(b), "effort_km": float(k),
                 "effort_h": float(h)}
                for a, b, k, h in zip(c.ix, c.iy, c.km, c.hours, strict=True)
            ]  # fmt: skip
        z = figures.zones
        zone_rows += [
            {"patrol_id": patrol.id, "zone_id": int(context.zone_ids[i]), "effort_km": float(k),
             "effort_h": float(h)}
            for i, k, h in zip(z.zone, z.km, z.hours, strict=True)
        ]  # fmt: skip
    return cell_rows, zone_rows


def _place_finds(session: so.Session, patrol_ids: list[int], context: AreaContext) -> None:
    finds = session.scalars(sa.select(SnareFind).where(SnareFind.patrol_id.in_(patrol_ids))).all()
    if not finds:
        return
    x, y = to_metric(
        np.array([f.lon for f in finds]), np.array([f.lat for f in finds]), context.epsg
    )
    ix, iy = context.grid.cell_of(x, y)
    for f, zone_id, a, b in zip(finds, context.zone_of(x, y), ix, iy, strict=True):
        f.zone_id, f.cell_ix, f.cell_iy = zone_id, int(a), int(b)


def run_job(
    session: so.Session,
    job_id: int,
    *,
    batch_size: int = BATCH,
    progress: Callable[[RecomputeJob], None] | None = None,
) -> RecomputeJob:
    """Run a job to its end (or until a newer zones version supersedes it).

    Each batch is read and measured outside any write transaction, then written in one short
    one, where the job's cursor is read again: two runners of one job (a resumed job whose
    old runner was only slow) never write a batch twice.
    """
    context: AreaContext | None = None
    while True:
        session.rollback()
        job = session.get(RecomputeJob, job_id, populate_existing=True)
        if job is None or job.state != JobState.RUNNING:
            return job
        area = session.get(ConservationArea, job.area_id, populate_existing=True)
        if area.zones_version != job.zones_version:
            _finish(
                session, job_id, JobState.FAILED, "superseded by a newer replacement of the zones"
            )
            continue
        if context is None or context.zones_version != area.zones_version:
            context = AreaContext.load(session, area)
        batch = _read_batch(session, job, area, context, batch_size)
        if batch is None:
            _finish(session, job_id, JobState.DONE)
            continue
        session.rollback()
        with write(session):
            written = _write_batch(session, job_id, batch)
        if written is not None and progress is not None:
            progress(written)


@dataclass(frozen=True)
class _Batch:
    """A batch of patrols measured again, to be written if the job's cursor is still
    ``cursor`` and the zones are still those of ``context``."""

    area_id: int
    cursor: int
    ids: list[int]
    context: AreaContext
    cells: bool
    cell_rows: list[dict[str, Any]]
    zone_rows: list[dict[str, Any]]


def _read_batch(
    session: so.Session,
    job: RecomputeJob,
    area: ConservationArea,
    context: AreaContext,
    batch_size: int,
) -> _Batch | None:
    """The job's next patrols, measured outside any write transaction (None: none left)."""
    cursor = job.last_patrol_id
    patrols = session.scalars(
        sa.select(Patrol)
        .where(Patrol.area_id == area.id, Patrol.id > cursor)
        .order_by(Patrol.id)
        .limit(batch_size)
        .options(so.selectinload(Patrol.track))
    ).all()
    if not patrols:
        return None
    cells = job.kind == JobKind.ALL
    cell_rows, zone_rows = _effort_rows(patrols, context, cells)
    return _Batch(area.id, cursor, [p.id for p in patrols], context, cells, cell_rows, zone_rows)


def _write_batch(session: so.Session, job_id: int, batch: _Batch) -> RecomputeJob | None:
    """Inside the write transaction: the batch's rows replace the stored ones and the cursor
    moves on; None when another runner wrote this batch, or the zones changed."""
    # Locked (PostgreSQL; SQLite's write lock already serialises): two runners of one job
    # on two hosts would otherwise both read the old cursor and write the same batch.
    job = session.get(RecomputeJob, job_id, populate_existing=True, with_for_update=True)
    version = session.scalar(
        sa.select(ConservationArea.zones_version).where(ConservationArea.id == batch.area_id)
    )
    if (
        job is None  # deleted meanwhile (its area was): nothing left to measure for
        or job.state != JobState.RUNNING
        or job.last_patrol_id != batch.cursor
        or version != batch.context.zones_version
    ):
        return None  # nothing written: the next round looks again
    ids = batch.ids
    session.execute(sa.delete(EffortZone).where(EffortZone.patrol_id.in_(ids)))
    if batch.zone_rows:
        session.execute(sa.insert(EffortZone), batch.zone_rows)
    if batch.cells:
        session.execute(sa.delete(EffortCell).where(EffortCell.patrol_id.in_(ids)))
        if batch.cell_rows:
            session.execute(sa.insert(EffortCell), batch.cell_rows)
    _place_finds(session, ids, batch.context)
    # Patrols stored during the job are measured by it too: the total grows with them.
    job.done += len(ids)
    job.total = max(job.total, job.done)
    job.last_patrol_id = ids[-1]
    job.heartbeat_at = utcnow()
    return job


def fail_job(session: so.Session, job_id: int, error: str) -> None:
    """Mark a job failed with the reason (its runner raised)."""
    _finish(session, job_id, JobState.FAILED, error)


def _finish(session: so.Session, job_id: int, state: str, error: str | None = None) -> None:
    with write(session):
        job = session.get(RecomputeJob, job_id, populate_existing=True)
        if job is not None and job.state == JobState.RUNNING:
            job.state, job.error, job.finished_at = state, error, utcnow()
            if state == JobState.DONE:
                job.total = job.done
