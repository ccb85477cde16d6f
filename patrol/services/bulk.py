"""Bulk import of report files: parse and measure in worker processes, store in batches.

A park-year (thousands of files, millions of vertices) through ``patrol patrols import``.
Per report the rules are those of ``ingest_report``: the same importers and validation, the
same rows (services/patrol_rows.py), a replay answered "already stored", a conflict or a bad
report rejected alone with its reasons. What changes is the unit of work: one write
transaction per batch of patrols, existing ids looked up in one SELECT, rows written with
executemany, and the parsing and measuring (the CPU-bound part, services/bulk_measure.py)
done by a process pool while this process writes. Files are read as they are needed, a
bounded number in flight, so the import never holds the whole park-year in memory.

A batch the database refuses (a race with another writer, a constraint) is rolled back and
its patrols stored one by one through ``ingest_report``; so is a batch whose area had its
zones replaced while it was measured (ingest_report measures the zones again).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol import server_gc
from patrol.errors import (
    Conflict,
    DeletedPatrolConflict,
    FieldError,
    PatrolError,
    ValidationFailed,
)
from patrol.geo.importers import importer_for
from patrol.geo.report import Limits, ReportDefaults
from patrol.geo.times import iso_utc
from patrol.services.bulk_measure import (
    InProcess,
    Measured,
    Outcome,
    Setup,
    init_worker,
    measured,
    rejected,
)
from patrol.services.bulk_measure import setup as make_setup
from patrol.services.measure import AreaContext
from patrol.services.patrol_rows import insert_patrols
from patrol.services.patrols import ingest_report
from patrol.store.engine import write
from patrol.store.models import ConservationArea, Patrol, SnareFind
from patrol.texts import N_

__all__ = ["Outcome", "import_files"]

log = logging.getLogger(__name__)


# --- the storing side (this process) --------------------------------------------------------


def _in_chunks(values: list, size: int = 500) -> Iterable[list]:
    for k in range(0, len(values), size):
        yield values[k : k + size]


def _store_batch(session: so.Session, batch: list[Measured]) -> list[Outcome] | None:
    """Store a batch in one transaction; None when it must go patrol by patrol instead."""
    with write(session):
        if not _zones_current(session, batch):
            return None  # nothing was written
        outcomes, new = _sort_batch(batch, _stored(session, batch), _taken(session, batch))
        if new:
            _insert(session, new)
    return outcomes


def _zones_current(session: so.Session, batch: list[Measured]) -> bool:
    """Whether every patrol of the batch was measured against its area's current zones."""
    versions = dict(
        session.execute(
            sa.select(ConservationArea.id, ConservationArea.zones_version).where(
                ConservationArea.id.in_({m.area_id for m in batch})
            )
        ).all()
    )
    return all(versions.get(m.area_id) == m.zones_version for m in batch)


def _stored(session: so.Session, batch: list[Measured]) -> dict[str, Any]:
    """The stored patrols with the batch's ids, by id."""
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
    return stored


def _taken(session: so.Session, batch: list[Measured]) -> dict[str, str]:
    """The batch's find ids stored already: the id of the patrol that has each."""
    find_ids = [f for m in batch for f, _ in m.finds]
    taken: dict[str, str] = {}
    for part in _in_chunks(list(set(find_ids))):
        taken.update(
            session.execute(
                sa.select(SnareFind.uuid, Patrol.uuid).join(Patrol).where(SnareFind.uuid.in_(part))
            ).all()
        )
    return taken


def _sort_batch(
    batch: list[Measured], stored: dict[str, Any], taken: dict[str, str]
) -> tuple[list[Outcome], list[Measured]]:
    """Each file's outcome (replay, refused, stored) and the patrols to insert."""
    outcomes: list[Outcome] = []
    new: list[Measured] = []
    batch_hashes: dict[str, str] = {}
    for m in batch:
        uuid, digest = m.rows.patrol["uuid"], m.rows.patrol["content_hash"]
        km, vertices = m.rows.patrol["distance_km"], m.rows.patrol["vertex_count"]
        error = _known_id(uuid, digest, stored.get(uuid), batch_hashes.get(uuid))
        if error == "replay":
            known_km = stored[uuid].distance_km if uuid in stored else km
            outcomes.append(Outcome(m.name, "already stored", uuid, known_km, vertices))
            continue
        if error is None:
            error = _taken_error(m, uuid, taken)
        if error is not None:
            outcomes.append(rejected(m.name, error))
            continue
        batch_hashes[uuid] = digest
        taken.update((f, uuid) for f, _ in m.finds)
        new.append(m)
        outcomes.append(Outcome(m.name, "stored", uuid, km, vertices))
    return outcomes, new


def _taken_error(m: Measured, uuid: str, taken: dict[str, str]) -> PatrolError | None:
    """The problem of find ids another patrol has already (None: all free)."""
    problems = [
        FieldError(
            f"{pointer}/id",
            N_(
                "find id {f} is in use already, in patrol {taken}: give this find a new id",
                f=f,
                taken=taken[f],
            ),
        )
        for f, pointer in m.finds
        if taken.get(f, uuid) != uuid
    ]
    if not problems:
        return None
    return ValidationFailed(
        N_("The report does not fit its area; nothing was stored."), errors=problems
    )


def _known_id(
    uuid: str, digest: str, stored: Any, in_batch: str | None
) -> PatrolError | str | None:
    """'replay', the error for a taken id, or None for a new patrol (ingest_report's rules)."""
    if stored is not None:
        if stored.deleted_at is not None:
            return DeletedPatrolConflict(
                N_(
                    "Patrol {uuid} was deleted on {deleted_at}; a resend does not restore it. Ask "
                    "a coordinator, or send it under a new id.",
                    uuid=uuid,
                    deleted_at=iso_utc(stored.deleted_at),
                )
            )
        if stored.content_hash != digest:
            return Conflict(
                N_(
                    "A different report with id {uuid} is stored (revision {revision}). A new "
                    "report needs a new id; a correction goes through PATCH.",
                    uuid=uuid,
                    revision=stored.revision,
                )
            )
        return "replay"
    if in_batch is not None:
        if in_batch != digest:
            return Conflict(
                N_(
                    "A different report with id {uuid} is stored (revision 1). A new report needs "
                    "a new id; a correction goes through PATCH.",
                    uuid=uuid,
                )
            )
        return "replay"
    return None


def _insert(session: so.Session, new: list[Measured]) -> None:
    insert_patrols(session.connection(), [(m.rows, m.area_id, None) for m in new])


def _one_by_one(
    session: so.Session, batch: list[Measured], setup: Setup, contexts: dict
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
            outcomes.append(rejected(m.name, error))
            continue
        state = "stored" if result.created else "already stored"
        p = result.patrol
        outcomes.append(Outcome(m.name, state, p.uuid, p.distance_km, p.vertex_count))
    return outcomes


def _pool_worker(setup: Setup) -> None:
    """A measuring worker's start: the garbage collector tuned as a server worker's (the parsed
    JSON of a report is ~15,000 objects a file), then the areas' contexts."""
    server_gc.tune()
    init_worker(setup)


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
    setup = make_setup(session, defaults, limits, margin_km)
    contexts: dict[int, AreaContext] = {}
    if jobs > 1:
        # fork where there is one: a worker starts in milliseconds with every module loaded
        # (forkserver or spawn import numpy, shapely, pyproj and the app again: ~10 s of a
        # 300-patrol import on a loaded machine). Workers never touch the parent's database
        # connections, and leave through os._exit, so those are not closed under it.
        mp = get_context("fork" if "fork" in get_all_start_methods() else "spawn")
        executor: Executor = ProcessPoolExecutor(
            jobs, mp_context=mp, initializer=_pool_worker, initargs=(setup,)
        )
    else:
        init_worker(setup)
        executor = InProcess()
    try:
        pending: list[Measured] = []
        # Enough chunks in flight that the workers keep measuring while a batch is stored.
        ahead = 2 * jobs + batch // chunk if jobs > 1 else 1
        for item in measured(names, executor, chunk, ahead=ahead):
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
    session: so.Session, batch: list[Measured], setup: Setup, contexts: dict
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
