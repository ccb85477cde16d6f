"""The area's SMART map: read (the defaults when none was loaded), replaced, or built from the
park's SMART data model."""

from __future__ import annotations

from typing import Any

import sqlalchemy.orm as so

from patrol.geo.smart import parse_xml
from patrol.geo.smart.category_map import CategoryMap, validate_map
from patrol.geo.smart.datamodel import map_from_datamodel, parse_datamodel
from patrol.services import audit
from patrol.services.auth import Principal
from patrol.store.engine import write
from patrol.store.models import ConservationArea, SmartAreaMap, utcnow
from patrol.texts import N_
from patrol.vocabulary import Role

__all__ = ["area_map", "import_datamodel", "set_area_map"]


def area_map(session: so.Session, area: ConservationArea) -> CategoryMap:
    """The area's SMART map, or the defaults when none was loaded."""
    row = session.get(SmartAreaMap, area.id)
    return CategoryMap(row.doc if row else None)


def set_area_map(
    session: so.Session, principal: Principal | None, area: ConservationArea, doc: Any
) -> dict[str, Any]:
    """Replace the area's map with a validated document; audited; committed."""
    if principal is not None:
        principal.require_role(Role.COORDINATOR, Role.ADMIN)
        principal.require_area(area.id)
    doc = validate_map(doc)
    with write(session):
        row = session.get(SmartAreaMap, area.id)
        before = row.doc if row else None
        if row is None:
            row = SmartAreaMap(area_id=area.id, doc={})
            session.add(row)
        row.doc = doc
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
    return doc


def import_datamodel(
    session: so.Session, principal: Principal | None, area: ConservationArea, data: bytes
) -> dict[str, Any]:
    """Build the area's map from its SMART data model XML, keeping teams, transports and the
    snare categories already mapped."""
    datamodel = parse_datamodel(parse_xml(data, N_("SMART data model")))
    row = session.get(SmartAreaMap, area.id)
    base = row.doc if row else {}
    session.rollback()
    return set_area_map(session, principal, area, map_from_datamodel(datamodel, base))
