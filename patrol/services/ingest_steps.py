"""The steps of storing a report: replay check, the unit, fitting and measuring, the rows.

Shared by single, bulk and SMART ingest; the use case itself is ``patrols.ingest_report``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import (
    Conflict,
    DeletedPatrolConflict,
    FieldError,
    Forbidden,
    IdUnavailable,
    ValidationFailed,
)
from patrol.geo.plausible import route_problems
from patrol.geo.projection import to_metric
from patrol.geo.report import PatrolReport
from patrol.geo.times import iso_utc
from patrol.services.auth import Principal
from patrol.services.ingest_probe import AreaRow, UnitRow
from patrol.services.measure import (
    AreaContext,
    RouteFigures,
    finds_metric,
    measure_segments,
    route_segments,
)
from patrol.services.patrol_rows import check_unit, insert_patrols, patrol_rows
from patrol.store.models import (
    ConservationArea,
    Patrol,
    SnareFind,
    Unit,
)
from patrol.store.models.base import utcnow
from patrol.texts import N_

__all__ = [
    "NOT_STORED",
    "IngestResult",
    "check_submitter",
    "context_for",
    "current_zones",
    "existing",
    "measure_report",
    "store_report",
    "taken_finds",
]


NOT_STORED = N_("The report does not fit its area; nothing was stored.")


@dataclass
class IngestResult:
    created: bool
    patrol: Patrol


def existing(
    session: so.Session, report: PatrolReport, principal: Principal | None
) -> IngestResult | None:
    """The stored patrol of the report's id if this is a replay (None: the id is new)."""
    stored = session.scalar(sa.select(Patrol).where(Patrol.uuid == report.id))
    if stored is None:
        return None
    if principal is not None and not principal.can_see_patrol(stored.area_id, stored.unit_id):
        # Nothing about a patrol the caller may not read: not its revision, not whether or
        # when it was deleted, not even that its content matches.
        raise IdUnavailable(
            N_("The id {id} cannot be used for this report: send it under a new id.", id=report.id),
            extra={"patrol_id": report.id},
        )
    if stored.deleted_at is not None:
        raise DeletedPatrolConflict(
            N_(
                "Patrol {id} was deleted on {time}; a resend does not restore it. Ask a "
                "coordinator, or send it under a new id.",
                id=report.id,
                time=iso_utc(stored.deleted_at),
            ),
            extra={"patrol_id": report.id},
        )
    if stored.content_hash != report.content_hash():
        raise Conflict(
            N_(
                "A different report with id {id} is stored (revision {revision}). A new report "
                "needs a new id; a correction goes through PATCH.",
                id=report.id,
                revision=stored.revision,
            ),
            extra={"patrol_id": report.id, "revision": stored.revision},
        )
    return IngestResult(created=False, patrol=stored)


def _check_place(
    report: PatrolReport,
    context: AreaContext,
    margin_km: float,
    metric: list[tuple[np.ndarray, np.ndarray]],
    finds_m: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[FieldError]:
    """Every vertex and every find must lie in the unit's area, give or take ``margin_km``
    (``metric``: the route's parts in the area's CRS; ``finds_m``: the finds', if known)."""
    problems: list[FieldError] = []
    margin_m = margin_km * 1000.0
    geometry = f"{report.route_pointer}/geometry"
    for k, (x, y) in enumerate(metric):
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
                    N_(
                        "{n} vertex(es) lie more than {km} km outside the unit's conservation "
                        "area; check the unit or the coordinates",
                        n=far.size,
                        km=f"{margin_km:g}",
                    ),
                )
            )
            break
    if report.snares:
        sx, sy = finds_m or finds_metric(report, context.epsg)
        far = context.beyond_margin(sx, sy, margin_m)
        for snare in np.array(report.snares, dtype=object)[far]:
            problems.append(
                FieldError(
                    f"{snare.pointer}/geometry",
                    N_(
                        "the find lies more than {km} km outside the conservation area",
                        km=f"{margin_km:g}",
                    ),
                )
            )
    return problems


def store_report(
    session: so.Session,
    report: PatrolReport,
    unit: Unit | UnitRow,
    principal: Principal | None,
    context: AreaContext,
    route: list[np.ndarray],
    figures: RouteFigures,
) -> Patrol:
    """Add the patrol, its effort and finds and the audit event (inside the caller's write).

    The rows go in through Core (``insert_patrols``, as in the bulk import); the patrol handed
    back is the stored row as a persistent ORM object built from the same values, without
    reading it back (``make_transient_to_detached``). Its finds are known to be none when the
    report has none; otherwise they load when first read.
    """
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
    rows.patrol |= {"revision": 1, "submitted_at": utcnow(), "deleted_at": None}
    columns = dict(rows.patrol)
    (patrol_id,) = insert_patrols(
        session.connection(), [(rows, unit.area_id, rows.patrol["submitted_by_id"])]
    ).values()
    patrol = Patrol(id=patrol_id, **columns)
    so.make_transient_to_detached(patrol)
    session.add(patrol)
    if not report.snares:
        so.attributes.set_committed_value(patrol, "finds", [])
    return patrol


def check_submitter(
    principal: Principal | None, report: PatrolReport, unit: UnitRow | None
) -> UnitRow:
    """``unit`` (the report's, None if no unit has its code), if the caller may submit for it:
    a unit of an area the caller does not belong to is answered as unknown."""
    if unit is None or (principal is not None and unit.area_id not in principal.area_ids):
        check_unit(report, None)
    if principal is not None and not principal.can_submit_for(unit):
        raise Forbidden(N_("You may not submit reports for unit {unit}.", unit=unit.code))
    check_unit(report, unit)
    return unit


def context_for(
    session: so.Session,
    area: ConservationArea | AreaRow,
    contexts: dict[int, AreaContext] | None,
) -> AreaContext:
    """The area's measuring context, from ``contexts`` while its zones are unchanged."""
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
    # Stored to 7 decimals (about 1 cm); measured as stored, so a recompute gives the same.
    # The route as stored is projected once, for the place check and for measuring.
    route = [np.round(p, 7) for p in report.parts]
    metric = [to_metric(p[:, 0], p[:, 1], context.epsg) for p in route]
    # The finds too, once: for the place check and for their cells and zones (``find_rows``).
    finds_m = finds_metric(report, context.epsg) if report.snares else None
    problems = _check_place(report, context, margin_km, metric, finds_m)
    if problems:
        raise ValidationFailed(NOT_STORED, errors=problems)
    segments, distance_km, duration_h = route_segments(
        route, report.times, report.started_at, report.ended_at, context.epsg, metric
    )
    implausible = route_problems(segments, distance_km, duration_h, report.transport, context.grid)
    if implausible:
        where = f"{report.route_pointer}/geometry"
        raise ValidationFailed(
            N_("The route is not one a patrol can walk or drive; nothing was stored."),
            errors=[FieldError(where, why) for why in implausible],
        )
    figures = measure_segments(segments, distance_km, duration_h, context)
    figures.finds_m = finds_m
    return route, figures


def current_zones(
    session: so.Session,
    context: AreaContext,
    figures: list[RouteFigures],
    contexts: dict[int, AreaContext] | None = None,
    version: int | None = None,
) -> tuple[AreaContext, list[RouteFigures]]:
    """Inside the write transaction: the context and figures to store. When the zones were
    replaced while the reports were measured, their zone effort is measured again against
    the new zones (the cells, which do not change, are kept). ``version``: the area's zones
    version if the caller read it already in this transaction."""
    if version is None:
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


def taken_finds(
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
        problems.append(
            FieldError(
                f"{by_id[find_id].pointer}/id",
                N_(
                    "find id {id} is in use already, in patrol {patrol}: give this find a new id",
                    id=find_id,
                    patrol=patrol_id,
                )
                if visible
                else N_("find id {id} is in use: give this find a new id", id=find_id),
            )
        )
    return problems
