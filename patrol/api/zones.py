"""Zones and units of a conservation area."""

from __future__ import annotations

from flask import request

from patrol.api import bp
from patrol.api.common import current_principal, geojson_response
from patrol.db import get_session
from patrol.errors import MalformedInput
from patrol.services import areas


@bp.get("/zones")
def zones_index():
    principal = current_principal()
    session = get_session()
    area = areas.area_for(session, principal, request.args.get("area"))
    return geojson_response(areas.zones_document(session, area))


@bp.put("/zones")
def zones_replace():
    """Replace the area's zones (coordinators, admins); every figure is recomputed."""
    principal = current_principal()
    principal.require_role("coordinator", "admin")
    if request.mimetype not in ("application/geo+json", "application/json"):
        raise MalformedInput("Send the zones as application/geo+json.")
    session = get_session()
    area = areas.area_for(session, principal, request.args.get("area"))
    areas.replace_zones(session, area, request.get_data(cache=False), principal)
    return geojson_response(areas.zones_document(session, area))


@bp.get("/units")
def units_index():
    principal = current_principal()
    session = get_session()
    area = areas.area_for(session, principal, request.args.get("area"))
    return geojson_response(areas.units_document(session, area, principal.sees_locations))


@bp.get("/areas")
def areas_index():
    principal = current_principal()
    return geojson_response(areas.areas_document(get_session(), principal))
