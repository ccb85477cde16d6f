"""The predicted setting rate per cell, a unit's day route to where snares stand, and the
area's reference layers (roads, settlements) the prediction uses."""

from __future__ import annotations

from flask import Response, request

from patrol.api import bp
from patrol.api.common import current_principal, date_arg, float_arg, geojson_response
from patrol.db import get_session
from patrol.errors import FieldError, NotFound, ValidationFailed
from patrol.services import areas, exports, layers, risk, units
from patrol.services import day_route as day_routes
from patrol.services.risk_documents import risk_document


@bp.get("/risk", endpoint="risk")
def risk_cells():
    """Per cell: setting rate with its 90 % interval, standing stock, expected finds of a 5 km
    search in the next period, risk rank and the model's inputs; only data up to 'until'."""
    principal = current_principal()
    session = get_session()
    area = areas.area_for(session, principal, request.args.get("area"))
    problems: list[FieldError] = []
    until = date_arg("until", problems)
    horizon = float_arg("horizon_days", problems, 1, 365)
    if horizon is not None and horizon != int(horizon):
        problems.append(FieldError("/horizon_days", "must be a whole number of days"))
    cell_km = float_arg("cell_km", problems, 0.1, 100)
    if problems:
        raise ValidationFailed("The query parameters are not valid.", errors=problems)
    result, min_patrols = risk.visible_risk(
        session, principal, area, until, int(horizon or 30), cell_km
    )
    extra = {"aggregation": exports.AGGREGATION_RULE} if principal.role == "ngo" else None
    return Response(risk_document(result, min_patrols, extra), mimetype="application/geo+json")


@bp.get("/units/<code>/route")
def unit_route(code: str):
    """The unit's day route from its base and back (GeoJSON, or format=gpx: a GPX <rte>)."""
    principal = current_principal()
    principal.require_role("ranger", "coordinator", "admin")
    session = get_session()
    unit = units.visible_unit(session, principal, code, "route")
    problems: list[FieldError] = []
    day = date_arg("date", problems)
    fmt = request.args.get("format", "geojson")
    if fmt not in ("geojson", "gpx"):
        problems.append(FieldError("/format", "must be geojson or gpx"))
    if problems:
        raise ValidationFailed("The query parameters are not valid.", errors=problems)
    route = day_routes.day_route(session, unit.area, unit, day)
    if fmt == "gpx":
        return Response(
            day_routes.route_gpx(route),
            mimetype="application/gpx+xml",
            headers={
                "Content-Disposition": (
                    f'attachment; filename="{code}-route-{route.day.isoformat()}.gpx"'
                )
            },
        )
    return geojson_response(day_routes.route_geojson(route))


@bp.get("/layers/<kind>")
def area_layer(kind: str):
    """An area's reference layer (roads, settlements, rivers) as GeoJSON, for every role."""
    principal = current_principal()
    session = get_session()
    area = areas.area_for(session, principal, request.args.get("area"))
    if kind not in layers.LAYER_KINDS:
        raise NotFound(f"No layer '{kind[:40]}': {', '.join(layers.LAYER_KINDS)}.")
    return geojson_response(layers.layers_document(session, area, kind))
