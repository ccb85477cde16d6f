"""Patrol reports: ingest (validated, measured, stored once), reading back, corrections."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import (
    Conflict,
    DeletedPatrolConflict,
    FieldError,
    Forbidden,
    IdUnavailable,
    NotFound,
    StaleRevision,
    ValidationFailed,
)
from patrol.geo import tracks
from patrol.geo.checks import check_names, check_text
from patrol.geo.plausible import route_problems
from patrol.geo.problems import Problems
from patrol.geo.projection import to_metric
from patrol.geo.report import REMOVED_ACTIONS, TRANSPORTS, PatrolReport
from patrol.geo.report_checks import check_snare
from patrol.geo.times import iso_utc, iso_utc_seconds
from patrol.services import audit
from patrol.services.auth import Principal
from patrol.services.measure import (
    AreaContext,
    RouteFigures,
    measure_segments,
    route_segments,
)
from patrol.services.observations import patrol_observations
from patrol.services.patrol_rows import check_unit, patrol_rows
from patrol.store.engine import begin_write
from patrol.store.models import (
    ConservationArea,
    EffortCell,
    EffortZone,
    Patrol,
    SmartLeg,
    SmartPatrol,
    SnareFind,
    Unit,
    Zone,
)

__all__ = [
    "IngestResult",
    "context_for",
    "current_zones",
    "ingest_report",
    "measure_report",
    "patrol_document",
    "store_report",
]


@dataclass
class IngestResult:
    created: bool
    patrol: Patrol


def _existing(
    session: so.Session, report: PatrolReport, principal: Principal | None
) -> IngestResult | None:
    stored = session.scalar(sa.select(Patrol).where(Patrol.uuid == report.id))
    if stored is None:
        return None
    if principal is not None and not principal.can_see_patrol(stored.area_id, stored.unit_id):
        # Nothing about a patrol the caller may not read: not its revision, not whether or
        # when it was deleted, not even that its content matches.
        raise IdUnavailable(
            f"The id {report.id} cannot be used for this report: send it under a new id.",
            extra={"patrol_id": report.id},
        )
    if stored.deleted_at is not None:
        raise DeletedPatrolConflict(
            f"Patrol {report.id} was deleted on {iso_utc(stored.deleted_at)}; a resend does not "
            "restore it. Ask a coordinator, or send it under a new id.",
            extra={"patrol_id": report.id},
        )
    if stored.content_hash != report.content_hash():
        raise Conflict(
            f"A different report with id {report.id} is stored (revision {stored.revision}). "
            "A new report needs a new id; a correction goes through PATCH.",
            extra={"patrol_id": report.id, "revision": stored.revision},
        )
    return IngestResult(created=False, patrol=stored)


def _check_place(report: PatrolReport, context: AreaContext, margin_km: float) -> list[FieldError]:
    """Every vertex and every find must lie in the unit's area, give or take ``margin_km``."""
    problems: list[FieldError] = []
    margin_m = margin_km * 1000.0
    geometry = f"{report.route_pointer}/geometry"
    for k, part in enumerate(report.parts):
        x, y = to_metric(part[:, 0], part[:, 1], context.epsg)
        far = np.flatnonzero(context.beyond_margin(x, y, margin_m))
        if far.size:
            where = (
                f"{geometry}/coordinates/{k}/{far[0]}"
                if len(report.parts) > 1
                else f"{geometry}/coordinates/{far[0]}"
            )
            if report.source_format != "geojson":
                where = geometry
            problems.append(
                FieldError(
                    where,
                    f"{far.size} vertex(es) lie more than {margin_km:g} km outside the unit's "
                    "conservation area; check the unit or the coordinates",
                )
            )
            break
    if report.snares:
        lon = np.array([s.lon for s in report.snares])
        lat = np.array([s.lat for s in report.snares])
        sx, sy = to_metric(lon, lat, context.epsg)
        far = context.beyond_margin(sx, sy, margin_m)
        for snare in np.array(report.snares, dtype=object)[far]:
            problems.append(
                FieldError(
                    f"{snare.pointer}/geometry",
                    f"the find lies more than {margin_km:g} km outside the conservation area",
                )
            )
    return problems


def _snare_figures(snare_rows: list[SnareFind]) -> tuple[int, int]:
    found = sum(s.count for s in snare_rows)
    removed = sum(s.count for s in snare_rows if s.action in REMOVED_ACTIONS)
    return found, removed


def store_report(
    session: so.Session,
    report: PatrolReport,
    unit: Unit,
    principal: Principal | None,
    context: AreaContext,
    route: list[np.ndarray],
    figures: RouteFigures,
) -> Patrol:
    rows = patrol_rows(
        report,
        unit_id=unit.id,
        unit_code=unit.code,
        area_id=unit.area_id,
        timezone=unit.area.timezone,
        context=context,
        route=route,
        figures=figures,
        submitted_by_id=principal.user_id if principal else None,
    )
    patrol = Patrol(
        **rows.patrol,
        route_geojson=rows.route_geojson,
        coord_times_json=rows.coord_times_json,
    )
    session.add(patrol)
    session.flush()
    for table, values in (
        (EffortCell, rows.cells),
        (EffortZone, rows.zones),
        (SnareFind, rows.finds),
    ):
        if values:
            session.execute(sa.insert(table), [v | {"patrol_id": patrol.id} for v in values])
    audit.record(
        session,
        user_id=patrol.submitted_by_id,
        area_id=unit.area_id,
        action="create",
        entity="patrol",
        entity_id=report.id,
        after=rows.audit_after,
    )
    return patrol


def _unit_for(session: so.Session, principal: Principal | None, report: PatrolReport) -> Unit:
    unit = session.scalar(sa.select(Unit).where(Unit.code == report.unit))
    if unit is None or (principal is not None and unit.area_id not in principal.area_ids):
        check_unit(report, None)
    if principal is not None and not principal.can_submit_for(unit):
        raise Forbidden(f"You may not submit reports for unit {unit.code}.")
    check_unit(report, unit)
    return unit


def context_for(
    session: so.Session, area: ConservationArea, contexts: dict[int, AreaContext] | None
) -> AreaContext:
    context = (contexts or {}).get(area.id)
    if context is None or context.zones_version != area.zones_version:
        context = AreaContext.load(session, area)
        if contexts is not None:
            contexts[area.id] = context
    return context


def measure_report(
    report: PatrolReport, context: AreaContext, margin_km: float
) -> tuple[list[np.ndarray], RouteFigures]:
    """Bound the report's work, then measure it: ValidationFailed if it cannot be a patrol
    of this area (a vertex far outside, a jump no patrol makes, more cells than any route)."""
    problems = _check_place(report, context, margin_km)
    if problems:
        raise ValidationFailed(
            "The report does not fit its area; nothing was stored.", errors=problems
        )
    # Stored to 7 decimals (about 1 cm); measured as stored, so a recompute gives the same.
    route = [np.round(p, 7) for p in report.parts]
    segments, distance_km, duration_h = route_segments(
        route, report.times, report.started_at, report.ended_at, context.epsg
    )
    implausible = route_problems(segments, distance_km, duration_h, report.transport, context.grid)
    if implausible:
        where = f"{report.route_pointer}/geometry"
        raise ValidationFailed(
            "The route is not one a patrol can walk or drive; nothing was stored.",
            errors=[FieldError(where, why) for why in implausible],
        )
    return route, measure_segments(segments, distance_km, duration_h, context)


def current_zones(
    session: so.Session,
    context: AreaContext,
    figures: list[RouteFigures],
    contexts: dict[int, AreaContext] | None = None,
) -> tuple[AreaContext, list[RouteFigures]]:
    """Inside the write transaction: the context and figures to store. When the zones were
    replaced while the reports were measured, their zone effort is measured again against
    the new zones (the cells, which do not change, are kept)."""
    version = session.scalar(
        sa.select(ConservationArea.zones_version).where(ConservationArea.id == context.area_id)
    )
    if version == context.zones_version:
        return context, figures
    context = AreaContext.load(session, session.get(ConservationArea, context.area_id))
    if contexts is not None:
        contexts[context.area_id] = context
    return context, [
        measure_segments(f.segments, f.distance_km, f.duration_h, context) for f in figures
    ]


def _taken_finds(
    session: so.Session, report: PatrolReport, principal: Principal | None
) -> list[FieldError]:
    """Problems for find ids that another stored patrol uses already."""
    if not report.snares:
        return []
    taken = session.execute(
        sa.select(SnareFind.uuid, Patrol.uuid, Patrol.area_id, Patrol.unit_id)
        .join(Patrol)
        .where(SnareFind.uuid.in_([s.id for s in report.snares]), Patrol.uuid != report.id)
    ).all()
    by_id = {s.id: s for s in report.snares}
    problems = []
    for find_id, patrol_id, area_id, unit_id in taken:
        visible = principal is None or principal.can_see_patrol(area_id, unit_id)
        where = f" already, in patrol {patrol_id}" if visible else ""
        problems.append(
            FieldError(
                f"{by_id[find_id].pointer}/id",
                f"find id {find_id} is in use{where}: give this find a new id",
            )
        )
    return problems


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
        found = _existing(session, report, principal)
        if found is not None:
            return found
        unit = _unit_for(session, principal, report)
        area = unit.area
        context = context_for(session, area, contexts)
    finally:
        session.rollback()  # end the read snapshot; nothing was written
    route, figures = measure_report(report, context, area_margin_km)

    begin_write(session)
    try:
        found = _existing(session, report, principal)
        if found is not None:
            session.rollback()
            return found
        problems = _taken_finds(session, report, principal)
        if problems:
            raise ValidationFailed(
                "The report does not fit its area; nothing was stored.", errors=problems
            )
        context, (figures,) = current_zones(session, context, [figures], contexts)
        patrol = store_report(session, report, unit, principal, context, route, figures)
        session.commit()
    except sa.exc.IntegrityError:
        # Another request stored the same id (or a find id) between our check and our insert
        # (PostgreSQL lets both get this far): answer as if we had come second.
        session.rollback()
        try:
            found = _existing(session, report, principal)
            problems = [] if found is not None else _taken_finds(session, report, principal)
        finally:
            session.rollback()
        if found is not None:
            return found
        if problems:
            raise ValidationFailed(
                "The report does not fit its area; nothing was stored.", errors=problems
            ) from None
        raise
    except Exception:
        session.rollback()
        raise
    return IngestResult(created=True, patrol=patrol)


def _zone_figures(session: so.Session, patrol: Patrol) -> list[dict[str, Any]]:
    effort = {
        r.zone_id: r
        for r in session.scalars(sa.select(EffortZone).where(EffortZone.patrol_id == patrol.id))
    }
    finds: dict[int | None, list[SnareFind]] = {}
    for f in patrol.finds:
        finds.setdefault(f.zone_id, []).append(f)
    zone_ids = sorted(set(effort) | {z for z in finds if z is not None})
    zones = {z.id: z for z in session.scalars(sa.select(Zone).where(Zone.id.in_(zone_ids)))}
    rows = []
    for zid in zone_ids:
        found, removed = _snare_figures(finds.get(zid, []))
        e = effort.get(zid)
        rows.append(
            {
                "zone": zones[zid].code,
                "name": zones[zid].name,
                "effort_km": round(e.effort_km, 4) if e else 0.0,
                "effort_h": round(e.effort_h, 4) if e else 0.0,
                "finds": len(finds.get(zid, [])),
                "snares_found": found,
                "snares_removed": removed,
            }
        )
    inside_km = sum(e.effort_km for e in effort.values())
    inside_h = sum(e.effort_h for e in effort.values())
    found, removed = _snare_figures(finds.get(None, []))
    rows.append(
        {
            "zone": None,
            "name": "outside every zone",
            "effort_km": round(max(patrol.distance_km - inside_km, 0.0), 4),
            "effort_h": round(max(_hours_total(session, patrol) - inside_h, 0.0), 4),
            "finds": len(finds.get(None, [])),
            "snares_found": found,
            "snares_removed": removed,
        }
    )
    return rows


def _hours_total(session: so.Session, patrol: Patrol) -> float:
    return float(
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(EffortCell.effort_h), 0.0)).where(
                EffortCell.patrol_id == patrol.id
            )
        )
    )


def find_feature(find: SnareFind, zone_code: str | None = None) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": find.uuid,
        "geometry": {"type": "Point", "coordinates": [find.lon, find.lat]},
        "properties": {
            "kind": "snare",
            "patrol": find.patrol.uuid if find.patrol else None,
            "found_at": iso_utc(find.found_at),
            "type": find.type,
            "count": find.count,
            "state": find.state,
            "action": find.action,
            "species": find.species,
            "notes": find.notes,
            "zone": zone_code,
            "cell": [find.cell_ix, find.cell_iy],
        },
    }


def route_feature(
    patrol: Patrol, with_times: bool = True, geometry: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The route as a Feature; ``geometry`` replaces the stored route (a map's simplified one)."""
    props: dict[str, Any] = {
        "kind": "route",
        "unit": patrol.unit.code,
        "leader": patrol.leader,
        "members": json.loads(patrol.members_json),
        "transport": patrol.transport,
        "started_at": iso_utc(patrol.started_at),
        "ended_at": iso_utc(patrol.ended_at),
        "distance_km": round(patrol.distance_km, 4),
        "duration_h": round(patrol.duration_h, 4),
        "vertex_count": patrol.vertex_count,
        "revision": patrol.revision,
        "source_format": patrol.source_format,
        "submitted_at": iso_utc(patrol.submitted_at),
        "deleted_at": iso_utc(patrol.deleted_at) if patrol.deleted_at else None,
    }
    if with_times and patrol.coord_times_json:
        parts = tracks.decode_times(patrol.coord_times_json)
        props["coordTimes"] = [iso_utc_seconds(part) for part in parts]
    return {
        "type": "Feature",
        "id": patrol.uuid,
        "geometry": geometry or tracks.route_geometry(patrol.route_geojson),
        "properties": props,
    }


def patrol_document(session: so.Session, patrol: Patrol) -> dict[str, Any]:
    """The stored report as a FeatureCollection (route, then finds) with its figures."""
    zone_codes = dict(
        session.execute(sa.select(Zone.id, Zone.code).where(Zone.area_id == patrol.area_id)).all()
    )
    found, removed = _snare_figures(patrol.finds)
    return {
        "type": "FeatureCollection",
        "id": patrol.uuid,
        "features": [route_feature(patrol)]
        + [find_feature(f, zone_codes.get(f.zone_id)) for f in patrol.finds],
        # Everything else the patrol recorded (from SMART: every observation, snares too).
        "observations": patrol_observations(session, patrol),
        "smart": _smart_origin(session, patrol),
        "figures": {
            "distance_km": round(patrol.distance_km, 4),
            "duration_h": round(patrol.duration_h, 4),
            "snares_found": found,
            "snares_removed": removed,
            "zones": _zone_figures(session, patrol),
        },
    }


def patrol_receipt(patrol: Patrol) -> dict[str, Any]:
    """What a sender needs to know its report is stored (``Prefer: return=minimal``): the
    id and revision, the figures, no route echoed back."""
    found, removed = _snare_figures(patrol.finds)
    return {
        "id": patrol.uuid,
        "revision": patrol.revision,
        "figures": {
            "distance_km": round(patrol.distance_km, 4),
            "duration_h": round(patrol.duration_h, 4),
            "snares_found": found,
            "snares_removed": removed,
        },
    }


def _smart_origin(session: so.Session, patrol: Patrol) -> dict[str, Any] | None:
    """The SMART patrol and leg a patrol was imported from (None for patrol's own)."""
    if patrol.source_format != "smart":
        return None
    row = session.execute(
        sa.select(SmartPatrol.smart_id, SmartPatrol.revision, SmartLeg.leg_index)
        .join(SmartLeg, SmartLeg.smart_patrol_id == SmartPatrol.id)
        .where(SmartLeg.patrol_id == patrol.id)
    ).first()
    if row is None:
        return None
    return {"id": row.smart_id, "revision": row.revision, "leg": row.leg_index + 1}


PATROL_FIELDS = ("leader", "members", "transport")
FIND_FIELDS = ("type", "count", "state", "action", "species", "notes")


def _check_revision(patrol: Patrol, revision: object) -> None:
    if type(revision) is not int:
        raise ValidationFailed(
            "An edit names the revision it edits.",
            errors=[FieldError("/revision", "is required: a whole number")],
        )
    if revision != patrol.revision:
        raise StaleRevision(
            f"Patrol {patrol.uuid} is at revision {patrol.revision}, not {revision}: "
            "reload it and edit again.",
            extra={"revision": patrol.revision},
        )


def _commit_edit(
    session, principal, patrol: Patrol, action: str, before: dict, after: dict
) -> None:
    """Every edit: the revision goes up by one, an audit event says who, what, before, after."""
    patrol.revision += 1
    audit.record(
        session,
        user_id=principal.user_id,
        area_id=patrol.area_id,
        action=action,
        entity="patrol",
        entity_id=patrol.uuid,
        before=before | {"revision": patrol.revision - 1},
        after=after | {"revision": patrol.revision},
    )
    session.commit()


def _writable(
    session: so.Session, principal: Principal, patrol_uuid: str, revision: object
) -> Patrol:
    """The patrol to edit, locked, at the revision the edit names; the write transaction open.

    FOR UPDATE: on PostgreSQL two edits of one revision would otherwise both read it, both
    pass the revision check and both commit (SQLite's BEGIN IMMEDIATE already queues them).
    """
    principal.require_role("coordinator", "admin")
    begin_write(session)
    try:
        patrol = session.scalar(
            sa.select(Patrol).where(Patrol.uuid == patrol_uuid).with_for_update()
        )
        if patrol is None or patrol.area_id not in principal.area_ids:
            raise NotFound(f"No patrol {patrol_uuid} among those you can edit.")
        _check_revision(patrol, revision)
        if patrol.deleted_at is not None:
            raise DeletedPatrolConflict(
                f"Patrol {patrol_uuid} was deleted on {iso_utc(patrol.deleted_at)}; "
                "restore it before editing it.",
                extra={"revision": patrol.revision},
            )
    except Exception:
        session.rollback()
        raise
    return patrol


def correct_patrol(
    session: so.Session, principal: Principal, patrol_uuid: str, changes: dict[str, Any]
) -> Patrol:
    """Correct a patrol's properties and its finds; audited, and the revision goes up by one.

    ``changes``: ``revision`` (required), any of leader, members, transport, and ``finds``
    mapping a find id to the fields to correct (type, count, state, action, species, notes).
    """
    if not isinstance(changes, dict):
        raise ValidationFailed("Send a JSON object.", errors=[FieldError("", "must be an object")])
    patrol = _writable(session, principal, patrol_uuid, changes.get("revision"))
    try:
        problems = Problems()
        unknown = set(changes) - {"revision", "finds", *PATROL_FIELDS}
        for key in sorted(unknown):
            problems.add(f"/{key}", "cannot be corrected here")
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        if "transport" in changes and changes["transport"] not in TRANSPORTS:
            problems.add("/transport", f"must be one of {', '.join(TRANSPORTS)}")
        if "members" in changes:
            changes["members"] = check_names(changes["members"], "/members", problems)
        if "leader" in changes:
            changes["leader"] = check_text(changes["leader"], "/leader", problems, 200)
        finds = {f.uuid: f for f in patrol.finds}
        find_changes = changes.get("finds", {})
        if not isinstance(find_changes, dict):
            problems.add("/finds", "must map find ids to their corrections")
            find_changes = {}
        for find_id, fix in find_changes.items():
            find = finds.get(find_id)
            where = f"/finds/{find_id}"
            if find is None:
                problems.add(where, "no such find in this patrol")
                continue
            if not isinstance(fix, dict) or set(fix) - set(FIND_FIELDS):
                problems.add(where, f"may correct only {', '.join(FIND_FIELDS)}")
                continue
            merged = {k: getattr(find, k) for k in FIND_FIELDS} | fix
            merged["found_at"] = iso_utc(find.found_at)
            checked = check_snare(merged, find.lon, find.lat, find.uuid, where, problems)
            if checked is not None:
                before[find_id] = {k: getattr(find, k) for k in fix}
                after[find_id] = dict(fix)
                for k in fix:
                    setattr(find, k, getattr(checked, k))
        problems.raise_if_any("correction")
        for key in PATROL_FIELDS:
            if key in changes:
                column = "members_json" if key == "members" else key
                old = getattr(patrol, column)
                before[key] = json.loads(old) if key == "members" else old
                value = changes[key]
                after[key] = value
                setattr(patrol, column, json.dumps(value) if key == "members" else value)
        _commit_edit(session, principal, patrol, "correct", before, after)
    except Exception:
        session.rollback()
        raise
    return patrol


def delete_patrol(
    session: so.Session, principal: Principal, patrol_uuid: str, revision: object
) -> Patrol:
    """Soft-delete: the patrol and its finds leave every figure but stay stored, audited."""
    patrol = _writable(session, principal, patrol_uuid, revision)
    try:
        patrol.deleted_at = datetime.now(UTC)
        _commit_edit(
            session, principal, patrol, "delete", {}, {"deleted_at": iso_utc(patrol.deleted_at)}
        )
    except Exception:
        session.rollback()
        raise
    return patrol
