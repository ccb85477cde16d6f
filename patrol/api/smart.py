"""Observations and the SMART export: list what patrols recorded, write patrols as SMART XML."""

from __future__ import annotations

from datetime import date

from flask import Response, request

from patrol.api import bp
from patrol.api.common import current_principal, filters_from_request, geojson_response, paged
from patrol.db import get_session
from patrol.errors import FieldError, ValidationFailed
from patrol.geo.documents import feature_collection
from patrol.services import areas, smart
from patrol.services.observations import list_observations, observation_feature
from patrol.texts import N_
from patrol.vocabulary import Role, SmartFormat

__all__ = ["observations_index", "smart_export"]


@bp.get("/observations")
def observations_index() -> Response:
    """Observations (filters from, to, unit, zone, bbox, category; paged). Points and patrols
    for rangers, coordinators and admins; NGO analysts get them without either."""
    principal = current_principal()
    f = filters_from_request()
    total, rows = list_observations(get_session(), principal, f, request.args.get("category"))
    doc = feature_collection(
        observation_feature(obs, zone, with_location=principal.sees_locations) for obs, zone in rows
    )
    return geojson_response(paged(doc, "api.observations_index", total, f, len(rows)))


def _day(name: str, problems: list[FieldError]) -> date | None:
    raw = request.args.get(name, "")
    if not raw:
        problems.append(FieldError(f"/{name}", N_("is required: a local day like 2025-01-31")))
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(
            FieldError(f"/{name}", N_("'{raw}' is not a date (YYYY-MM-DD)", raw=raw[:20]))
        )
        return None


@bp.get("/exports/smart")
def smart_export() -> Response:
    """The area's patrols that started in [from, to] (local days) as SMART patrol XML: a zip
    of one file per patrol, or ``format=xml`` for one document (coordinators, admins)."""
    principal = current_principal()
    principal.require_role(Role.COORDINATOR, Role.ADMIN)
    session = get_session()
    area = areas.area_for(session, principal, request.args.get("area"))
    problems: list[FieldError] = []
    first, last = _day("from", problems), _day("to", problems)
    if first and last and last < first:
        problems.append(FieldError("/to", N_("must not be before 'from'")))
    if problems:
        raise ValidationFailed(N_("The query parameters are not valid."), errors=problems)
    data, media_type, name = smart.export_smart(
        session, principal, area, first, last, request.args.get("format", SmartFormat.ZIP)
    )
    return Response(
        data,
        mimetype=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
