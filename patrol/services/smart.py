"""SMART exchange: import SMART patrol XML (legs as patrols, observations, snare finds), the
area's SMART map, and export of stored patrols back to SMART patrol XML."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely.geometry import shape

from patrol.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    PatrolError,
    ValidationFailed,
)
from patrol.geo import tracks
from patrol.geo.projection import to_metric
from patrol.geo.report import Limits
from patrol.geo.smart import (
    PATROL_NS,
    SmartAttribute,
    SmartPatrol,
    SmartReports,
    epoch_to_wall_ms,
    parse_smart_patrols,
    parse_xml,
    plain_document,
    to_reports,
    write_smart_patrol,
)
from patrol.geo.smart_map import (
    CategoryMap,
    SnareMatch,
    field_attribute,
    map_from_datamodel,
    parse_datamodel,
    validate_map,
)
from patrol.services import audit
from patrol.services.auth import Principal
from patrol.services.days import utc_span
from patrol.services.ingest_steps import context_for, current_zones, measure_report, store_report
from patrol.services.measure import AreaContext
from patrol.store.engine import begin_write
from patrol.store.models import (
    ConservationArea,
    EffortCell,
    EffortZone,
    Observation,
    ObservationAttribute,
    Patrol,
    SmartAreaMap,
    SmartLeg,
    SnareFind,
    Unit,
    utcnow,
)
from patrol.store.models import SmartPatrol as SmartPatrolRow

__all__ = [
    "FileOutcome",
    "ImportOptions",
    "PatrolOutcome",
    "area_map",
    "export_smart",
    "import_datamodel",
    "import_smart_file",
    "ingest_smart",
    "new_cache",
    "set_area_map",
]

log = logging.getLogger(__name__)

SMART_ATTRIBUTE_FIELDS = ("key", "kind", "items", "number", "boolean", "text")

TRANSPORT_NAMES = {
    "foot": "Foot",
    "vehicle": "Vehicle",
    "motorbike": "Motorbike",
    "boat": "Boat",
    "ski": "Ski",
}


# ---------------------------------------------------------------------------------------------
# The area's map


def area_map(session: so.Session, area: ConservationArea) -> CategoryMap:
    """The area's SMART map, or the defaults when none was loaded."""
    row = session.get(SmartAreaMap, area.id)
    return CategoryMap(json.loads(row.doc_json) if row else None)


def set_area_map(
    session: so.Session, principal: Principal | None, area: ConservationArea, doc: Any
) -> dict[str, Any]:
    """Replace the area's map with a validated document; audited; committed."""
    if principal is not None:
        principal.require_role("coordinator", "admin")
        principal.require_area(area.id)
    doc = validate_map(doc)
    begin_write(session)
    row = session.get(SmartAreaMap, area.id)
    before = json.loads(row.doc_json) if row else None
    if row is None:
        row = SmartAreaMap(area_id=area.id, doc_json="{}")
        session.add(row)
    row.doc_json = json.dumps(doc, ensure_ascii=False, sort_keys=True)
    row.updated_at = utcnow()
    audit.record(
        session,
        user_id=principal.user_id if principal else None,
        area_id=area.id,
        action="replace",
        entity="smart_map",
        entity_id=area.slug,
        before=before,
        after=doc,
    )
    session.commit()
    return doc


def import_datamodel(
    session: so.Session, principal: Principal | None, area: ConservationArea, data: bytes
) -> dict[str, Any]:
    """Build the area's map from its SMART data model XML, keeping teams, transports and the
    snare categories already mapped."""
    datamodel = parse_datamodel(parse_xml(data, "SMART data model"))
    row = session.get(SmartAreaMap, area.id)
    base = json.loads(row.doc_json) if row else {}
    session.rollback()
    return set_area_map(session, principal, area, map_from_datamodel(datamodel, base))


# ---------------------------------------------------------------------------------------------
# Import


@dataclass(frozen=True)
class ImportOptions:
    area: str | None = None  # slug
    unit: str | None = None  # code, for the whole import
    update: bool = False
    area_margin_km: float = 10.0
    limits: Limits = field(default_factory=Limits)


@dataclass
class PatrolOutcome:
    """What happened to one SMART patrol of a file."""

    smart_id: str | None
    status: str  # stored | replayed | updated | rejected
    pointer: str = "/patrol"
    patrols: list[dict[str, Any]] = field(default_factory=list)
    observations: int = 0
    snare_finds: int = 0
    vertices: int = 0
    area: str | None = None
    unit: str | None = None
    warnings: list[FieldError] = field(default_factory=list)
    problem: PatrolError | None = None

    def as_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "smart_id": self.smart_id,
            "status": self.status,
            "pointer": self.pointer,
        }
        if self.problem is not None:
            doc["problem"] = self.problem.as_problem()
            return doc
        doc |= {
            "area": self.area,
            "unit": self.unit,
            "patrols": self.patrols,
            "observations": self.observations,
            "snare_finds": self.snare_finds,
            "warnings": [w.as_dict() for w in self.warnings],
        }
        return doc


@dataclass
class FileOutcome:
    name: str
    patrols: list[PatrolOutcome] = field(default_factory=list)
    problem: PatrolError | None = None  # the file itself could not be read

    @property
    def rejected(self) -> bool:
        return self.problem is not None

    def as_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"file": self.name, "patrols": [p.as_dict() for p in self.patrols]}
        if self.problem is not None:
            doc["problem"] = self.problem.as_problem()
        return doc


@dataclass
class _Cache:
    """What a bulk import looks up once: areas' shapes, contexts, maps, units."""

    areas: dict[int, tuple[ConservationArea, shapely.Geometry]] = field(default_factory=dict)
    contexts: dict[int, AreaContext] = field(default_factory=dict)
    maps: dict[int, CategoryMap] = field(default_factory=dict)


def new_cache() -> _Cache:
    """Lookups a bulk import shares across its files."""
    return _Cache()


def _area_of(
    session: so.Session,
    principal: Principal | None,
    patrol: SmartPatrol,
    opts: ImportOptions,
    cache: _Cache,
) -> tuple[ConservationArea, Unit | None]:
    unit = None
    if opts.unit:
        unit = session.scalar(sa.select(Unit).where(Unit.code == opts.unit))
        if unit is None or (principal is not None and unit.area_id not in principal.area_ids):
            raise ValidationFailed(
                "The import names an unknown unit; nothing was stored.",
                errors=[FieldError("/unit", f"no unit '{opts.unit}'")],
            )
    if opts.area:
        area = session.scalar(sa.select(ConservationArea).where(ConservationArea.slug == opts.area))
        if area is None or (principal is not None and area.id not in principal.area_ids):
            raise NotFound(f"No conservation area '{opts.area}' among yours.")
        if unit is not None and unit.area_id != area.id:
            raise ValidationFailed(
                "The unit is not of that area.",
                errors=[FieldError("/unit", f"unit '{unit.code}' is not in area '{area.slug}'")],
            )
        return area, unit
    if unit is not None:
        return unit.area, unit
    if not cache.areas:
        query = sa.select(ConservationArea).order_by(ConservationArea.id)
        if principal is not None:
            query = query.where(ConservationArea.id.in_(principal.area_ids))
        for a in session.scalars(query):
            boundary = shape(json.loads(a.boundary_geojson))
            shapely.prepare(boundary)
            cache.areas[a.id] = (a, boundary)
    points = [
        part[[0, len(part) // 2, -1], :2]
        for leg in patrol.legs
        for day in leg.days
        for part in day.track or []
    ] + [np.array([[w.lon, w.lat]]) for leg in patrol.legs for d in leg.days for w in d.waypoints]
    if points:
        xy = np.concatenate(points)
        best = max(
            cache.areas.values(),
            key=lambda ab: int(shapely.contains_xy(ab[1], xy[:, 0], xy[:, 1]).sum()),
            default=None,
        )
        if best is not None and shapely.contains_xy(best[1], xy[:, 0], xy[:, 1]).any():
            return best[0], None
    raise ValidationFailed(
        "The patrol lies in none of your conservation areas; nothing was stored.",
        errors=[
            FieldError(
                f"{patrol.pointer}/legs",
                "no track point or waypoint lies inside one of your areas: give the area "
                "(--area SLUG, ?area=SLUG)",
            )
        ],
    )


def _unit_of(
    session: so.Session, area: ConservationArea, patrol: SmartPatrol, cmap: CategoryMap
) -> Unit:
    teams = cmap.doc.get("teams", {})
    code = teams.get(patrol.team) if patrol.team is not None else None
    if code is None and patrol.team is not None:
        # A team named like one of the area's units (code or name) is that unit; patrol's
        # own exports write the unit code as the team.
        unit = session.scalar(
            sa.select(Unit).where(
                Unit.area_id == area.id, sa.or_(Unit.code == patrol.team, Unit.name == patrol.team)
            )
        )
        if unit is not None:
            return unit
    if code is None:
        team = patrol.team if patrol.team is not None else "(none)"
        raise ValidationFailed(
            f"The SMART team '{team}' has no unit in area '{area.slug}'; nothing was stored.",
            errors=[
                FieldError(
                    f"{patrol.pointer}/team",
                    f"team '{team}' is not in the area's team map: add it under 'teams' in the "
                    "area's SMART map (patrol smart map set FILE), or give the unit for the "
                    "whole import (--unit CODE, ?unit=CODE)",
                )
            ],
        )
    unit = session.scalar(sa.select(Unit).where(Unit.code == code, Unit.area_id == area.id))
    if unit is None:
        raise ValidationFailed(
            "The area's team map names an unknown unit; nothing was stored.",
            errors=[
                FieldError(
                    f"{patrol.pointer}/team",
                    f"team '{patrol.team}' maps to unit '{code}', which area '{area.slug}' "
                    "does not have",
                )
            ],
        )
    return unit


def _leg_documents(reports: SmartReports, plain: dict[str, Any]) -> dict[str, Any]:
    """What the stored patrol keeps besides routes and observations (for export and audit)."""
    doc = plain  # hashed already: filled in place
    for leg_doc, leg_report, leg in zip(
        doc["legs"], reports.legs, reports.patrol.legs, strict=True
    ):
        route_times = leg_report.report.times
        for day_doc, day, mine in zip(
            leg_doc["days"], leg.days, leg_report.parts_per_day, strict=True
        ):
            lines = day.track or []
            in_route = iter(mine)
            entries = []
            for part in lines:
                xy = part[:, :2]
                if len(xy) >= 2 and (xy != xy[0]).any():
                    entry: dict[str, Any] = {"route_part": next(in_route)}
                    if route_times is None:
                        entry["z"] = [None if not np.isfinite(z) else z for z in part[:, 2]]
                else:
                    entry = {
                        "coordinates": [
                            [None if not np.isfinite(v) else v for v in p] for p in part.tolist()
                        ]
                    }
                entries.append(entry)
            day_doc["track"] = entries if day.track is not None else None
            for wp in day_doc["waypoints"]:
                wp["observations"] = len(wp["observations"])
    return doc


def _store_observations(session: so.Session, patrol: Patrol, records, context: AreaContext) -> None:
    if not records:
        return
    x, y = to_metric(
        np.array([r.lon for r in records]), np.array([r.lat for r in records]), context.epsg
    )
    ix, iy = context.grid.cell_of(x, y)
    zones = context.zone_of(x, y)
    for k, r in enumerate(records):
        obs = Observation(
            uuid=r.id,
            patrol_id=patrol.id,
            area_id=patrol.area_id,
            observed_at=r.observed_at,
            lon=r.lon,
            lat=r.lat,
            category_key=r.category_key[:400],
            category_path=r.category_path[:400],
            waypoint_id=r.waypoint_id,
            day_index=r.day_index,
            waypoint_index=r.waypoint_index,
            group_index=r.group,
            position=r.position,
            snare_find_uuid=r.snare_id,
            cell_ix=int(ix[k]),
            cell_iy=int(iy[k]),
            zone_id=zones[k],
        )
        obs.attributes = [
            ObservationAttribute(
                position=p,
                key=a.key[:200],
                kind=a.kind,
                items_json=json.dumps(a.items, ensure_ascii=False) if a.items else None,
                number_value=a.number,
                bool_value=a.boolean,
                text_value=a.text,
            )
            for p, a in enumerate(r.attributes)
        ]
        session.add(obs)


def _delete_legs(session: so.Session, row: SmartPatrolRow) -> list[str]:
    ids = list(
        session.scalars(sa.select(SmartLeg.patrol_id).where(SmartLeg.smart_patrol_id == row.id))
    )
    uuids = list(session.scalars(sa.select(Patrol.uuid).where(Patrol.id.in_(ids))))
    obs_ids = sa.select(Observation.id).where(Observation.patrol_id.in_(ids))
    session.execute(
        sa.delete(ObservationAttribute).where(ObservationAttribute.observation_id.in_(obs_ids))
    )
    for model in (Observation, SnareFind, EffortCell, EffortZone, SmartLeg):
        session.execute(sa.delete(model).where(model.patrol_id.in_(ids)))
    session.execute(sa.delete(Patrol).where(Patrol.id.in_(ids)))
    return uuids


def ingest_smart(
    session: so.Session,
    principal: Principal | None,
    patrol: SmartPatrol,
    opts: ImportOptions,
    cache: _Cache | None = None,
) -> PatrolOutcome:
    """Store one SMART patrol (all its legs, finds and observations) in one transaction.

    The SMART id is the idempotency key within the area: the same content again is a replay;
    other content is a 409 unless ``opts.update``, which replaces it, raises its revision and
    leaves an audit event. ``principal`` None is the trusted CLI.
    """
    cache = cache or _Cache()
    if principal is not None:
        principal.require_role("ranger", "coordinator", "admin")
        if opts.update:
            principal.require_role("coordinator", "admin")
    area, unit = _area_of(session, principal, patrol, opts, cache)
    if area.id not in cache.maps:
        cache.maps[area.id] = area_map(session, area)
    cmap = cache.maps[area.id]
    unit = unit or _unit_of(session, area, patrol, cmap)
    if principal is not None and not principal.can_submit_for(unit):
        raise Forbidden(f"You may not submit reports for unit {unit.code}.")
    if not unit.active:
        raise ValidationFailed(
            "The unit is not active; nothing was stored.",
            errors=[FieldError("/unit", f"unit '{unit.code}' is retired")],
        )
    plain = plain_document(patrol)
    content_hash = patrol.content_hash(plain)
    outcome = PatrolOutcome(
        smart_id=patrol.id,
        status="stored",
        pointer=patrol.pointer,
        area=area.slug,
        unit=unit.code,
        vertices=patrol.vertex_count,
    )
    reports = to_reports(
        patrol, unit=unit.code, timezone=area.timezone, category_map=cmap, scope=area.slug
    )
    outcome.warnings = reports.warnings

    # Bound and measure every leg before the write lock, as a single report is.
    context = context_for(session, area, cache.contexts)
    session.rollback()
    measured = []
    problems: list[FieldError] = []
    for leg in reports.legs:
        try:
            measured.append(measure_report(leg.report, context, opts.area_margin_km))
        except ValidationFailed as exc:
            problems += exc.errors
    if problems:
        raise ValidationFailed(
            "The SMART patrol does not fit its area; nothing was stored.", errors=problems
        )

    begin_write(session)
    try:
        row = session.scalar(
            sa.select(SmartPatrolRow).where(
                SmartPatrolRow.area_id == area.id, SmartPatrolRow.smart_id == patrol.id
            )
        )
        if row is None and _is_own_export(session, area, patrol.id):
            session.rollback()
            outcome.status = "replayed"
            outcome.patrols = [{"id": str(uuid.UUID(patrol.id)), "leg": None}]
            return outcome
        before = None
        if row is not None:
            if row.content_hash == content_hash:
                outcome.status = "replayed"
                outcome.patrols = _leg_summaries(session, row)
                outcome.observations = sum(p["observations"] for p in outcome.patrols)
                outcome.snare_finds = sum(p["finds"] for p in outcome.patrols)
                session.rollback()
                return outcome
            if not opts.update:
                raise Conflict(
                    f"SMART patrol {patrol.id} is stored already in area '{area.slug}' with other "
                    f"content (revision {row.revision}). Import with --update (?update=true) to "
                    "replace it; the change is audited.",
                    extra={"smart_id": patrol.id, "revision": row.revision},
                )
            before = {
                "content_hash": row.content_hash,
                "revision": row.revision,
                "patrols": _delete_legs(session, row),
            }
            session.flush()
            row.revision += 1
            row.content_hash = content_hash
            row.unit_id = unit.id
            row.imported_at = utcnow()
            row.imported_by_id = principal.user_id if principal else None
            outcome.status = "updated"
        else:
            row = SmartPatrolRow(
                area_id=area.id,
                smart_id=patrol.id,
                unit_id=unit.id,
                content_hash=content_hash,
                doc_json="{}",
                imported_by_id=principal.user_id if principal else None,
            )
            session.add(row)
        row.doc_json = json.dumps(_leg_documents(reports, plain), ensure_ascii=False, default=str)
        session.flush()
        context, figures = current_zones(session, context, [f for _, f in measured], cache.contexts)
        taken = session.scalars(
            sa.select(Patrol.uuid).where(Patrol.uuid.in_([leg.report.id for leg in reports.legs]))
        ).all()
        for leg in reports.legs:
            if leg.report.id in taken:
                problems.append(
                    FieldError(leg.leg.pointer, f"patrol {leg.report.id} is stored already")
                )
        if problems:
            raise ValidationFailed(
                "The SMART patrol does not fit its area; nothing was stored.", errors=problems
            )
        for li, leg in enumerate(reports.legs):
            route = measured[li][0]
            stored = store_report(session, leg.report, unit, principal, context, route, figures[li])
            stored.revision = row.revision
            session.add(SmartLeg(patrol_id=stored.id, smart_patrol_id=row.id, leg_index=li))
            _store_observations(session, stored, leg.observations, context)
            outcome.patrols.append(
                {
                    "id": stored.uuid,
                    "leg": leg.leg.id,
                    "transport": stored.transport,
                    "distance_km": round(stored.distance_km, 4),
                    "finds": len(leg.report.snares),
                    "observations": len(leg.observations),
                }
            )
        outcome.observations = sum(len(leg.observations) for leg in reports.legs)
        outcome.snare_finds = sum(len(leg.report.snares) for leg in reports.legs)
        audit.record(
            session,
            user_id=principal.user_id if principal else None,
            area_id=area.id,
            action="update" if before else "import",
            entity="smart_patrol",
            entity_id=patrol.id,
            before=before,
            after={
                "content_hash": content_hash,
                "revision": row.revision,
                "unit": unit.code,
                "patrols": [p["id"] for p in outcome.patrols],
                "observations": outcome.observations,
                "snare_finds": outcome.snare_finds,
            },
        )
        session.commit()
    except sa.exc.IntegrityError:
        # Another request stored the same SMART patrol since we looked: answer as second.
        session.rollback()
        again = session.scalar(
            sa.select(SmartPatrolRow).where(
                SmartPatrolRow.area_id == area.id, SmartPatrolRow.smart_id == patrol.id
            )
        )
        if again is None:
            raise
        if again.content_hash != content_hash:
            raise Conflict(
                f"SMART patrol {patrol.id} was stored meanwhile with other content.",
                extra={"smart_id": patrol.id},
            ) from None
        outcome.status = "replayed"
        outcome.patrols = _leg_summaries(session, again)
        session.rollback()
    except Exception:
        session.rollback()
        raise
    return outcome


def _is_own_export(session: so.Session, area: ConservationArea, smart_id: str) -> bool:
    """A SMART id that is the UUID of one of the area's own patrols: patrol's export of it."""
    try:
        key = str(uuid.UUID(smart_id))
    except ValueError:
        return False
    return (
        session.scalar(
            sa.select(Patrol.id).where(
                Patrol.uuid == key, Patrol.area_id == area.id, Patrol.source_format != "smart"
            )
        )
        is not None
    )


def _leg_summaries(session: so.Session, row: SmartPatrolRow) -> list[dict[str, Any]]:
    out = []
    for link in session.scalars(
        sa.select(SmartLeg).where(SmartLeg.smart_patrol_id == row.id).order_by(SmartLeg.leg_index)
    ):
        p = link.patrol
        out.append(
            {
                "id": p.uuid,
                "leg": None,
                "transport": p.transport,
                "distance_km": round(p.distance_km, 4),
                "finds": len(p.finds),
                "observations": session.scalar(
                    sa.select(sa.func.count()).where(Observation.patrol_id == p.id)
                ),
            }
        )
    return out


def import_smart_file(
    session: so.Session,
    principal: Principal | None,
    name: str,
    data: bytes,
    opts: ImportOptions,
    cache: _Cache | None = None,
    on_patrol=None,
) -> FileOutcome:
    """Every patrol of one file, each stored, replayed or rejected on its own; a file that
    cannot be read is rejected whole. Never raises a PatrolError."""
    cache = cache or _Cache()
    outcome = FileOutcome(name)
    try:
        parsed = parse_smart_patrols(data, opts.limits)
    except PatrolError as exc:
        outcome.problem = exc
        return outcome
    for item in parsed:
        if isinstance(item, PatrolError):
            pointer = item.errors[0].pointer.split("/legs")[0] if item.errors else "/patrol"
            outcome.patrols.append(
                PatrolOutcome(smart_id=None, status="rejected", pointer=pointer, problem=item)
            )
        else:
            try:
                outcome.patrols.append(ingest_smart(session, principal, item, opts, cache))
            except PatrolError as exc:
                session.rollback()
                outcome.patrols.append(
                    PatrolOutcome(
                        smart_id=item.id, status="rejected", pointer=item.pointer, problem=exc
                    )
                )
        if on_patrol is not None:
            on_patrol(outcome.patrols[-1])
    return outcome


def totals(files: Iterable[FileOutcome]) -> dict[str, int]:
    counts = {"stored": 0, "replayed": 0, "updated": 0, "rejected": 0, "files_rejected": 0}
    for f in files:
        counts["files_rejected"] += f.rejected
        for p in f.patrols:
            counts[p.status] += 1
    return counts


# ---------------------------------------------------------------------------------------------
# Export


def _wall(t: datetime, zone: ZoneInfo) -> datetime:
    return t.astimezone(zone).replace(tzinfo=None)


def _attr_doc(a: ObservationAttribute) -> dict[str, Any]:
    return {
        "key": a.key,
        "kind": a.kind,
        "items": json.loads(a.items_json) if a.items_json else [],
        "number": a.number_value,
        "boolean": a.bool_value,
        "text": a.text_value,
    }


def _obs_doc(o: Observation) -> dict[str, Any]:
    return {
        "category_key": o.category_key,
        "group": o.group_index,
        "attributes": [_attr_doc(a) for a in o.attributes],
        "extra": [],
    }


def _route(patrol: Patrol) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    return tracks.decode_route(patrol.route_geojson), tracks.decode_times(patrol.coord_times_json)


def _imported_doc(
    session: so.Session, row: SmartPatrolRow, zone: ZoneInfo, cmap: CategoryMap
) -> dict[str, Any]:
    """An imported SMART patrol as it came, routes and observations from the stored rows
    (snare observations carrying the corrections made to their finds since)."""
    doc = json.loads(row.doc_json)
    links = session.scalars(
        sa.select(SmartLeg).where(SmartLeg.smart_patrol_id == row.id).order_by(SmartLeg.leg_index)
    ).all()
    by_leg = {link.leg_index: link.patrol for link in links}
    for li, leg in enumerate(doc["legs"]):
        patrol = by_leg.get(li)
        if patrol is None or patrol.deleted_at is not None:
            leg["days"] = []
            continue
        parts, times = _route(patrol)
        finds = {f.uuid: f for f in patrol.finds}
        observations = session.scalars(
            sa.select(Observation)
            .where(Observation.patrol_id == patrol.id)
            .order_by(Observation.day_index, Observation.waypoint_index, Observation.position)
            .options(so.selectinload(Observation.attributes))
        ).all()
        grouped: dict[tuple[int, int], list[Observation]] = {}
        for o in observations:
            grouped.setdefault((o.day_index, o.waypoint_index), []).append(o)
        for di, day in enumerate(leg["days"]):
            if day["track"] is not None:
                lines = []
                for entry in day["track"]:
                    if "route_part" in entry:
                        k = entry["route_part"]
                        if times is not None:
                            z = epoch_to_wall_ms(times[k], zone)
                        else:
                            z = np.array([np.nan if v is None else v for v in entry["z"]])
                        lines.append(np.column_stack([parts[k], z]))
                    else:
                        lines.append(
                            np.array(
                                [
                                    [np.nan if v is None else v for v in p]
                                    for p in entry["coordinates"]
                                ]
                            )
                        )
                day["track"] = lines
            for wi, wp in enumerate(day["waypoints"]):
                wp["observations"] = [_obs_doc(o) for o in grouped.get((di, wi), [])]
                for obs, o in zip(wp["observations"], grouped.get((di, wi), []), strict=True):
                    find = finds.get(o.snare_find_uuid) if o.snare_find_uuid else None
                    if find is not None:
                        _apply_corrections(obs, find, cmap)
    return doc


#: Attribute keys written for a snare field the observation does not carry.
EXPORT_KEYS = {
    "type": "snaretype",
    "count": "numberofsnares",
    "state": "snarestate",
    "action": "actiontaken",
}


def _apply_corrections(obs: dict[str, Any], find: SnareFind, cmap: CategoryMap) -> None:
    """A snare observation whose find was corrected in patrol (PATCH) is written with the
    corrected type, count, state and action, in the attributes the map reads them from, so
    SMART and a re-import see the correction."""
    attrs = [SmartAttribute(**{k: a[k] for k in SMART_ATTRIBUTE_FIELDS}) for a in obs["attributes"]]
    match = cmap.match(obs["category_key"], attrs)
    if not isinstance(match, SnareMatch):
        return
    entry = cmap.entry_for(obs["category_key"])
    for name in ("type", "state", "action", "count"):
        want = getattr(find, name)
        if getattr(match, name) == want:
            continue
        spec = entry.get(name) or {}
        key = spec.get("attribute") or field_attribute(name, attrs) or EXPORT_KEYS[name]
        if name == "count":
            value = {"kind": "number", "items": [], "number": float(want)}
        else:
            reverse = {v: k for k, v in (spec.get("items") or {}).items()}
            value = {"kind": "item", "items": [reverse.get(want, want)], "number": None}
        value |= {"key": key, "boolean": None, "text": None}
        for k, a in enumerate(obs["attributes"]):
            if a["key"] == key:
                obs["attributes"][k] = value
                break
        else:
            obs["attributes"].append(value)


def _native_doc(
    session: so.Session, patrol: Patrol, cmap: CategoryMap, zone: ZoneInfo
) -> dict[str, Any]:
    """A patrol submitted through patrol (GeoJSON, GPX, the form) as a one-leg SMART patrol:
    route parts as the days' tracks, each snare find a waypoint with one observation in the
    area's snare category."""
    parts, times = _route(patrol)
    start, end = _wall(patrol.started_at, zone), _wall(patrol.ended_at, zone)
    days: dict[date, dict[str, Any]] = {}

    def day_of(d: date) -> dict[str, Any]:
        if d not in days:
            # Only the first and last day get times (the patrol's start and end).
            days[d] = {
                "date": d.isoformat(),
                "start_time": None,
                "end_time": None,
                "rest_minutes": None,
                "track": [],
                "distance": None,
                "waypoints": [],
                "extra": [],
            }
        return days[d]

    day_of(start.date())["start_time"] = start.time().replace(microsecond=0).isoformat()
    day_of(end.date())["end_time"] = end.time().replace(microsecond=0).isoformat()
    for k, part in enumerate(parts):
        if times is not None:
            z = epoch_to_wall_ms(times[k], zone)
            first = datetime.fromtimestamp(float(times[k][0]), UTC)
        else:
            z = np.zeros(len(part))
            first = patrol.started_at
        day_of(_wall(first, zone).date())["track"].append(np.column_stack([part, z]))
    entry = cmap.entry_for_export()
    keys = {
        name: (entry.get(name) or {}).get("attribute") or default
        for name, default in (
            ("type", "snaretype"),
            ("count", "numberofsnares"),
            ("state", "snarestate"),
            ("action", "actiontaken"),
            ("species", "species"),
        )
    }

    def item(name: str, value: str) -> str:
        reverse = {v: k for k, v in ((entry.get(name) or {}).get("items") or {}).items()}
        return reverse.get(value, value)

    for n, find in enumerate(patrol.finds):
        local = _wall(find.found_at, zone)
        attributes = [
            {"key": keys["type"], "kind": "item", "items": [item("type", find.type)]},
            {"key": keys["count"], "kind": "number", "number": float(find.count)},
            {"key": keys["state"], "kind": "item", "items": [item("state", find.state)]},
            {"key": keys["action"], "kind": "item", "items": [item("action", find.action)]},
        ]
        if find.species:
            attributes.append({"key": keys["species"], "kind": "item", "items": [find.species]})
        if find.notes:
            attributes.append({"key": "notes", "kind": "text", "text": find.notes})
        day_of(local.date())["waypoints"].append(
            {
                "id": str(n + 1),
                "lon": find.lon,
                "lat": find.lat,
                "time": local.time().replace(microsecond=0).isoformat(),
                "groups": 1,
                "observations": [
                    {
                        "category_key": cmap.export_category,
                        "group": 0,
                        "attributes": attributes,
                        "extra": [],
                    }
                ],
                "extra": [],
            }
        )
    members = [{"given_name": patrol.leader, "leader": True}] if patrol.leader else []
    members += [{"given_name": m, "leader": False} for m in json.loads(patrol.members_json)]
    return {
        "id": patrol.uuid,
        "patrol_type": "WATER" if patrol.transport == "boat" else "GROUND",
        "start_date": start.date().isoformat(),
        "end_date": end.date().isoformat(),
        "armed": None,
        "objective": None,
        "team": patrol.unit.code,
        "team_language": "en",
        "comment": None,
        "attributes": {},
        "extra": [],
        "legs": [
            {
                "id": "1",
                "start_date": start.date().isoformat(),
                "end_date": end.date().isoformat(),
                "transport": TRANSPORT_NAMES[patrol.transport],
                "transport_language": "en",
                "members": members,
                "mandate": None,
                "days": [days[d] for d in sorted(days)],
                "extra": [],
            }
        ],
    }


def _fix_track_distance(doc: dict[str, Any]) -> None:
    for leg in doc["legs"]:
        for day in leg["days"]:
            if not day.get("track"):
                day["track"] = None


def export_documents(
    session: so.Session, area: ConservationArea, start: datetime, end: datetime
) -> Iterator[tuple[str, ET.Element]]:
    """SMART patrol elements of the area's patrols that started in [start, end): imported
    SMART patrols as they came, patrol's own ones as one-leg patrols. Soft-deleted ones are
    left out."""
    zone = ZoneInfo(area.timezone)
    cmap = area_map(session, area)
    rows = session.scalars(
        sa.select(SmartPatrolRow)
        .join(SmartLeg, SmartLeg.smart_patrol_id == SmartPatrolRow.id)
        .join(Patrol, Patrol.id == SmartLeg.patrol_id)
        .where(
            SmartPatrolRow.area_id == area.id,
            Patrol.started_at >= start,
            Patrol.started_at < end,
            Patrol.deleted_at.is_(None),
        )
        .distinct()
        .order_by(SmartPatrolRow.id)
    ).all()
    for row in rows:
        doc = _imported_doc(session, row, zone, cmap)
        _fix_track_distance(doc)
        yield (
            row.smart_id,
            write_smart_patrol(doc, json.loads(row.doc_json).get("namespace") or PATROL_NS),
        )
    native = session.scalars(
        sa.select(Patrol)
        .where(
            Patrol.area_id == area.id,
            Patrol.started_at >= start,
            Patrol.started_at < end,
            Patrol.deleted_at.is_(None),
            Patrol.source_format != "smart",
        )
        .order_by(Patrol.started_at, Patrol.id)
        .options(
            so.joinedload(Patrol.unit), so.selectinload(Patrol.finds), so.selectinload(Patrol.track)
        )
    )
    for patrol in native:
        doc = _native_doc(session, patrol, cmap, zone)
        _fix_track_distance(doc)
        yield patrol.uuid, write_smart_patrol(doc)


def local_window(area: ConservationArea, first: date, last: date) -> tuple[datetime, datetime]:
    """[first, last] local days of the area as a UTC half-open window."""
    return utc_span(first, last + timedelta(days=1), area.timezone)


def _xml_bytes(elem: ET.Element) -> bytes:
    """XML with SMART's own prefix (ns2) for its namespace; ElementTree reserves ns<digits>,
    so its ns0 is renamed in tags and the declaration (never in text, where < is escaped)."""
    raw = ET.tostring(elem, encoding="utf-8", xml_declaration=True)
    raw = re.sub(rb"<(/?)ns0:", rb"<\1ns2:", raw)
    return raw.replace(b" xmlns:ns0=", b" xmlns:ns2=", 1)


def export_smart(
    session: so.Session,
    principal: Principal | None,
    area: ConservationArea,
    first: date,
    last: date,
    fmt: str = "zip",
) -> tuple[bytes, str, str]:
    """The area's patrols of [first, last] (local days) as SMART patrol XML: a zip of one
    file per patrol (as SMART exports them) or one ``patrols`` document. Returns the bytes,
    the media type and a file name. Locations: coordinators and admins only."""
    if principal is not None:
        principal.require_role("coordinator", "admin")
        principal.require_area(area.id)
    if fmt not in ("zip", "xml"):
        raise ValidationFailed(
            "Unknown format.", errors=[FieldError("/format", "must be zip or xml")]
        )
    start, end = local_window(area, first, last)
    name = f"smart-{area.slug}-{first.isoformat()}-{last.isoformat()}"
    docs = export_documents(session, area, start, end)
    if fmt == "xml":
        root = ET.Element(f"{{{PATROL_NS}}}patrols")
        for _, elem in docs:
            root.append(elem)
        return _xml_bytes(root), "application/xml", name + ".xml"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for smart_id, elem in docs:
            safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in smart_id)
            zf.writestr(f"{safe}.xml", _xml_bytes(elem))
    return out.getvalue(), "application/zip", name + ".zip"
