"""The predicted setting rate per cell, a unit's day route to where snares stand, and the
area's reference layers (roads, settlements) the prediction uses."""

from __future__ import annotations

from flask import Response, request

from patrol.api import bp
from patrol.api.common import current_principal, geojson_response
from patrol.api.params import QueryArgs
from patrol.db import get_session
from patrol.errors import NotFound
from patrol.services import areas, exports, layers, risk, units
from patrol.services import day_route as day_routes
from patrol.services.risk_documents import risk_document
from patrol.texts import N_
from patrol.vocabulary import LayerKind, Role, values

__all__ = ["area_layer", "risk_cells", "unit_route"]


@bp.get("/risk", endpoint="risk")
def risk_cells() -> Response:
    """Per cell: setting rate with its 90 % interval, standing stock, expected finds of a 5 km
    search in the next period, risk rank and the model's inputs; only data up to 'until'."""
    principal = current_principal()
    session = get_session()
    q = QueryArgs()
    area = areas.area_for(session, principal, q.text("area"))
    until = q.day("until")
    horizon = q.number("horizon_days", 1, 365)
    if horizon is not None and horizon != int(horizon):
        q.problem("horizon_days", N_("must be a whole number of days"))
    cell_km = q.number("cell_km", 0.1, 100)
    q.check()
    result, min_patrols = risk.visible_risk(
        session, principal, area, until, int(horizon or 30), cell_km
    )
    extra = {"aggregation": exports.AGGREGATION_RULE} if principal.role == Role.NGO else None
    return Response(risk_document(result, min_patrols, extra), mimetype="application/geo+json")


@bp.get("/units/<code>/route")
def unit_route(code: str) -> Response:
    """The unit's day route from its base and back (GeoJSON, or format=gpx: a GPX <rte>)."""
    principal = current_principal()
    principal.require_role(Role.RANGER, Role.COORDINATOR, Role.ADMIN)
    session = get_session()
    unit = units.visible_unit(session, principal, code, N_("route"))
    q = QueryArgs()
    day = q.day("date")
    fmt = q.choice("format", ("geojson", "gpx"), "geojson")
    q.check()
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
def area_layer(kind: str) -> Response:
    """An area's reference layer (roads, settlements, rivers) as GeoJSON, for every role."""
    principal = current_principal()
    session = get_session()
    area = areas.area_for(session, principal, request.args.get("area"))
    if kind not in values(LayerKind):
        raise NotFound(
            N_(
                "No layer '{kind}': {allowed}.",
                kind=kind[:40],
                allowed=", ".join(values(LayerKind)),
            )
        )
    return geojson_response(layers.layers_document(session, area, kind))
