"""Exporting an area's patrols as SMART patrol XML: imported SMART patrols as they came,
patrol's own ones as one-leg patrols, in a zip of one file per patrol or one document."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import FieldError, ValidationFailed
from patrol.geo.smart import PATROL_NS, write_smart_patrol
from patrol.geo.smart.package import patrols_document, patrols_zip
from patrol.services.auth import Principal
from patrol.services.days import utc_span
from patrol.services.smart.area_map import area_map
from patrol.services.smart.documents import imported_doc, native_doc
from patrol.store.models import ConservationArea, Patrol, SmartLeg
from patrol.store.models import SmartPatrol as SmartPatrolRow
from patrol.texts import N_
from patrol.vocabulary import Role, SmartFormat, values

__all__ = ["export_documents", "export_smart", "local_window"]


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
        doc = imported_doc(session, row, zone, cmap)
        _fix_track_distance(doc)
        yield (
            row.smart_id,
            write_smart_patrol(doc, row.doc.get("namespace") or PATROL_NS),
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
        doc = native_doc(patrol, cmap, zone)
        _fix_track_distance(doc)
        yield patrol.uuid, write_smart_patrol(doc)


def local_window(area: ConservationArea, first: date, last: date) -> tuple[datetime, datetime]:
    """[first, last] local days of the area as a UTC half-open window."""
    return utc_span(first, last + timedelta(days=1), area.timezone)


def export_smart(
    session: so.Session,
    principal: Principal | None,
    area: ConservationArea,
    first: date,
    last: date,
    fmt: str = SmartFormat.ZIP,
) -> tuple[bytes, str, str]:
    """The area's patrols of [first, last] (local days) as SMART patrol XML: a zip of one
    file per patrol (as SMART exports them) or one ``patrols`` document. Returns the bytes,
    the media type and a file name. Locations: coordinators and admins only."""
    if principal is not None:
        principal.require_role(Role.COORDINATOR, Role.ADMIN)
        principal.require_area(area.id)
    if fmt not in values(SmartFormat):
        raise ValidationFailed(
            N_("Unknown format."), errors=[FieldError("/format", N_("must be zip or xml"))]
        )
    start, end = local_window(area, first, last)
    name = f"smart-{area.slug}-{first.isoformat()}-{last.isoformat()}"
    docs = export_documents(session, area, start, end)
    if fmt == SmartFormat.XML:
        return patrols_document(elem for _, elem in docs), "application/xml", name + ".xml"
    return patrols_zip(docs), "application/zip", name + ".zip"
