"""Patrol reports, the use cases: ingest (validated, measured, stored once), correct, delete.

The steps of storing live in ``services/ingest_steps.py``, the rule of every edit in
``services/edits.py``, the stored patrol as documents in ``services/patrol_documents.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import DeletedPatrolConflict, FieldError, ValidationFailed
from patrol.geo.checks import check_names, check_text
from patrol.geo.problems import Problems
from patrol.geo.report import TRANSPORTS, PatrolReport
from patrol.geo.report_checks import check_snare
from patrol.geo.times import iso_utc
from patrol.services.auth import Principal
from patrol.services.edits import patrol_for_edit, record_edit
from patrol.services.ingest_probe import UnitRow, report_place, write_probe
from patrol.services.ingest_steps import (
    NOT_STORED,
    IngestResult,
    check_submitter,
    context_for,
    current_zones,
    existing,
    measure_report,
    store_report,
    taken_finds,
)
from patrol.services.measure import AreaContext, RouteFigures
from patrol.store.engine import write
from patrol.store.models import Patrol
from patrol.texts import N_
from patrol.vocabulary import Role

__all__ = ["IngestResult", "correct_patrol", "delete_patrol", "ingest_report"]

PATROL_FIELDS = ("leader", "members", "transport")
FIND_FIELDS = ("type", "count", "state", "action", "species", "notes")


def ingest_report(
    session: so.Session,
    principal: Principal | None,
    report: PatrolReport,
    *,
    area_margin_km: float = 10.0,
    contexts: dict[int, AreaContext] | None = None,
) -> IngestResult:
    """Store a validated report once, in one transaction, committed before returning.

    Same id and same content again: the stored patrol (a replay). Same id, other content: 409.
    ``principal`` None is the trusted CLI and demo loader. ``contexts`` lets a bulk import
    project each area's zones once.

    Everything that only reads or computes (the replay check, the unit, bounding and measuring
    the route) happens before the write transaction, so the write lock is held just long
    enough to look for the id once more and insert: a large report never makes other
    rangers' submissions wait.
    """
    try:
        place = report_place(session, report)
        if place.id_stored:
            found = existing(session, report, principal)
            if found is not None:
                return found
        unit = check_submitter(principal, report, place.unit)
        context = context_for(session, unit.area, contexts)
    finally:
        session.rollback()  # end the read snapshot; nothing was written
    route, figures = measure_report(report, context, area_margin_km)
    try:
        with write(session):
            return _store_once(session, principal, report, unit, context, route, figures, contexts)
    except sa.exc.IntegrityError:
        # Another request stored the same id (or a find id) between our check and our insert
        # (PostgreSQL lets both get this far): answer as if we had come second.
        found = _came_second(session, principal, report)
        if found is None:
            raise
        return found


def _store_once(
    session: so.Session,
    principal: Principal | None,
    report: PatrolReport,
    unit: UnitRow,
    context: AreaContext,
    route: list,
    figures: RouteFigures,
    contexts: dict[int, AreaContext] | None,
) -> IngestResult:
    """Inside the write transaction: the stored patrol if the id arrived meanwhile, else the
    report stored (its find ids free, its zone effort against the current zones)."""
    id_stored, version = write_probe(session, report, unit.area_id)
    if id_stored:
        found = existing(session, report, principal)
        if found is not None:
            return found
    problems = taken_finds(session, report, principal)
    if problems:
        raise ValidationFailed(NOT_STORED, errors=problems)
    context, (figures,) = current_zones(session, context, [figures], contexts, version)
    patrol = store_report(session, report, unit, principal, context, route, figures)
    return IngestResult(created=True, patrol=patrol)


def _came_second(
    session: so.Session, principal: Principal | None, report: PatrolReport
) -> IngestResult | None:
    """The answer to a report whose id or find ids another request stored first (None: the
    conflict was something else)."""
    session.rollback()
    try:
        found = existing(session, report, principal)
        problems = [] if found is not None else taken_finds(session, report, principal)
    finally:
        session.rollback()
    if found is not None:
        return found
    if problems:
        raise ValidationFailed(NOT_STORED, errors=problems) from None
    return None


def _not_deleted(patrol: Patrol) -> Patrol:
    if patrol.deleted_at is not None:
        raise DeletedPatrolConflict(
            N_(
                "Patrol {uuid} was deleted on {deleted_at}; restore it before editing it.",
                uuid=patrol.uuid,
                deleted_at=iso_utc(patrol.deleted_at),
            ),
            extra={"revision": patrol.revision},
        )
    return patrol


def correct_patrol(
    session: so.Session, principal: Principal, patrol_uuid: str, changes: dict[str, Any]
) -> Patrol:
    """Correct a patrol's properties and its finds; audited, and the revision goes up by one.

    ``changes``: ``revision`` (required), any of leader, members, transport, and ``finds``
    mapping a find id to the fields to correct (type, count, state, action, species, notes).
    """
    if not isinstance(changes, dict):
        raise ValidationFailed(
            N_("Send a JSON object."), errors=[FieldError("", N_("must be an object"))]
        )
    principal.require_role(Role.COORDINATOR, Role.ADMIN)
    with write(session):
        patrol = _not_deleted(
            patrol_for_edit(session, principal, patrol_uuid, changes.get("revision"))
        )
        problems = Problems()
        _check_patrol_fields(changes, problems)
        before, after = _correct_finds(patrol, changes.get("finds", {}), problems)
        problems.raise_if_any(N_("correction"))
        for key in PATROL_FIELDS:
            if key in changes:
                before[key] = getattr(patrol, key)
                after[key] = changes[key]
                setattr(patrol, key, changes[key])
        record_edit(session, principal, patrol, "correct", before, after)
    return patrol


def _check_patrol_fields(changes: dict[str, Any], problems: Problems) -> None:
    """Check (and normalise, in ``changes``) the patrol's own fields a correction names."""
    unknown = set(changes) - {"revision", "finds", *PATROL_FIELDS}
    for key in sorted(unknown):
        problems.add(f"/{key}", N_("cannot be corrected here"))
    if "transport" in changes and changes["transport"] not in TRANSPORTS:
        problems.add("/transport", N_("must be one of {allowed}", allowed=", ".join(TRANSPORTS)))
    if "members" in changes:
        changes["members"] = check_names(changes["members"], "/members", problems)
    if "leader" in changes:
        changes["leader"] = check_text(changes["leader"], "/leader", problems, 200)


def _correct_finds(
    patrol: Patrol, find_changes: object, problems: Problems
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply the checked corrections of finds; their values before and after, by find id."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if not isinstance(find_changes, dict):
        problems.add("/finds", N_("must map find ids to their corrections"))
        return before, after
    finds = {f.uuid: f for f in patrol.finds}
    for find_id, fix in find_changes.items():
        find = finds.get(find_id)
        where = f"/finds/{find_id}"
        if find is None:
            problems.add(where, N_("no such find in this patrol"))
            continue
        if not isinstance(fix, dict) or set(fix) - set(FIND_FIELDS):
            problems.add(where, N_("may correct only {allowed}", allowed=", ".join(FIND_FIELDS)))
            continue
        merged = {k: getattr(find, k) for k in FIND_FIELDS} | fix
        merged["found_at"] = iso_utc(find.found_at)
        checked = check_snare(merged, find.lon, find.lat, find.uuid, where, problems)
        if checked is not None:
            before[find_id] = {k: getattr(find, k) for k in fix}
            after[find_id] = dict(fix)
            for k in fix:
                setattr(find, k, getattr(checked, k))
    return before, after


def delete_patrol(
    session: so.Session, principal: Principal, patrol_uuid: str, revision: object
) -> Patrol:
    """Soft-delete: the patrol and its finds leave every figure but stay stored, audited."""
    principal.require_role(Role.COORDINATOR, Role.ADMIN)
    with write(session):
        patrol = _not_deleted(patrol_for_edit(session, principal, patrol_uuid, revision))
        patrol.deleted_at = datetime.now(UTC)
        record_edit(
            session, principal, patrol, "delete", {}, {"deleted_at": iso_utc(patrol.deleted_at)}
        )
    return patrol
