"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from patrol.api import bp

_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
_GEOJSON = {"application/geo+json": {"schema": {"type": "object"}}}
_FILTERS = [
    {
        "name": "from",
        "in": "query",
        "schema": {"type": "string"},
        "description": "date (UTC day) or ISO 8601 time with offset; inclusive",
    },
    {
        "name": "to",
        "in": "query",
        "schema": {"type": "string"},
        "description": "date (the whole day is included) or ISO 8601 time; exclusive",
    },
    {"name": "unit", "in": "query", "schema": {"type": "string"}},
    {"name": "zone", "in": "query", "schema": {"type": "string"}},
    {
        "name": "bbox",
        "in": "query",
        "schema": {"type": "string"},
        "description": "west,south,east,north in degrees",
    },
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
]


def _q(name: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": {"type": kind}}


_WINDOW = [
    {
        "name": "from",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "first local day; default: a year before 'to'",
    },
    {
        "name": "to",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "last local day, included; default: the latest patrol's day",
    },
]
_AREA = [
    {
        "name": "area",
        "in": "query",
        "schema": {"type": "string"},
        "description": "area slug; optional when the caller has one area",
    }
]


def _op(summary: str, ok: str = "200", params=None, body=None, extra=None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": params or [],
        "responses": {
            ok: {"description": "OK", "content": _GEOJSON},
            "4XX": {"description": "Problem", "content": _PROBLEM},
        },
    }
    if body:
        op["requestBody"] = {"required": True, "content": body}
    op["responses"].update(extra or {})
    return op


SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "patrol API",
        "version": "1",
        "description": "Anti-poaching patrol reports, snare finds and effort figures.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/patrols": {
            "post": _op(
                "Submit a patrol report (GeoJSON FeatureCollection or GPX)",
                "201",
                params=[
                    {"name": n, "in": "query", "schema": {"type": "string"}}
                    for n in ("unit", "id", "transport", "leader", "started_at", "ended_at")
                ],
                body={
                    "application/geo+json": {"schema": {"type": "object"}},
                    "application/gpx+xml": {"schema": {"type": "string"}},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {"file": {"type": "string", "format": "binary"}},
                        }
                    },
                },
                extra={
                    "200": {
                        "description": "Replay: this report is stored already",
                        "content": _GEOJSON,
                    },
                    "409": {"description": "Another report has this id", "content": _PROBLEM},
                },
            ),
            "get": _op("List patrols (routes) you may see", params=_FILTERS),
        },
        "/patrols/{id}": {
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "format": "uuid"},
                }
            ],
            "get": _op("One patrol: route, finds, figures (and audit trail for coordinators)"),
            "patch": _op(
                "Correct a patrol or its finds (coordinator)",
                body={"application/json": {"schema": {"type": "object"}}},
            ),
            "delete": _op(
                "Soft-delete a patrol (coordinator)",
                params=[
                    {
                        "name": "revision",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
            ),
        },
        "/snares": {"get": _op("List snare finds you may see", params=_FILTERS)},
        "/zones": {
            "get": _op("Zones of an area", params=_AREA),
            "put": _op(
                "Replace an area's zones; figures are recomputed",
                params=_AREA,
                body={"application/geo+json": {"schema": {"type": "object"}}},
            ),
        },
        "/units": {"get": _op("Units of an area", params=_AREA)},
        "/zones/stats": {
            "get": _op(
                "Per zone: snares, effort, patrol-days, density, CPUE, EB rate, hotspot flag, "
                "trend "
                "(format=csv for CSV)",
                params=_AREA + _WINDOW + [_q("unit"), _q("format")],
            )
        },
        "/hotspots": {
            "get": _op(
                "Grid cells with effort, CPUE, EB rate, Gi* z and p, FDR verdict, class and trend",
                params=_AREA
                + _WINDOW
                + [_q("unit"), _q("cell_km", "number"), _q("min_effort_km", "number"), _q("bins")],
            )
        },
        "/dispatch": {
            "get": _op("Every active unit's targets (coordinators)", params=_AREA + _WINDOW)
        },
        "/risk": {
            "get": _op(
                "Per grid cell: predicted setting rate (snares per km2 per 30 days) with its "
                "90 % interval, standing stock, expected finds of a 5 km search, risk rank and "
                "the model's inputs, from data up to 'until' only",
                params=[
                    *_AREA,
                    {
                        "name": "until",
                        "in": "query",
                        "schema": {"type": "string", "format": "date"},
                        "description": "last local day of data used; default: the latest patrol",
                    },
                    {
                        "name": "horizon_days",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 365},
                        "description": "the period predicted, from the day after 'until' (30)",
                    },
                    _q("cell_km", "number"),
                ],
            )
        },
        "/layers/{kind}": {
            "parameters": [
                {
                    "name": "kind",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": ["roads", "settlements", "rivers"]},
                }
            ],
            "get": _op("An area's reference layer as GeoJSON", params=_AREA),
        },
        "/units/{code}/route": {
            "parameters": [
                {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "get": _op(
                "The unit's day route from its base and back within its walking length, "
                "choosing the cells with the most expected finds: GeoJSON (route and stops "
                "with expected finds and leg lengths) or format=gpx (a GPX <rte>)",
                params=[
                    {
                        "name": "date",
                        "in": "query",
                        "schema": {"type": "string", "format": "date"},
                        "description": "the day walked; data up to the day before is used",
                    },
                    _q("format"),
                ],
            ),
        },
        "/exports/annual": {
            "get": _op(
                "Zone x month snares and effort for a year or years, with totals and the year "
                "before: csv, xlsx, json or geojson (zones). Aggregates only.",
                params=[*_AREA, _q("year", "integer"), _q("to_year", "integer"), _q("format")],
            )
        },
        "/exports/finds": {
            "get": _op(
                "Every find of a year with its location, csv or geojson (coordinators)",
                params=[*_AREA, _q("year", "integer"), _q("format")],
            )
        },
        "/exports/routes": {
            "get": _op(
                "Every patrol route of a year as GeoJSON (coordinators)",
                params=[*_AREA, _q("year", "integer")],
            )
        },
        "/units/{code}/targets": {
            "parameters": [
                {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "get": _op(
                "One unit's targets as GeoJSON, or GPX waypoints with format=gpx",
                params=_AREA + _WINDOW + [_q("format")],
            ),
        },
        "/areas": {"get": _op("Your conservation areas")},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Problem": {
                "type": "object",
                "required": ["type", "title", "status", "detail"],
                "properties": {
                    "type": {"type": "string", "format": "uri"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["pointer", "detail"],
                            "properties": {
                                "pointer": {"type": "string"},
                                "detail": {"type": "string"},
                            },
                        },
                    },
                },
            }
        },
    },
}


@bp.get("/openapi.json")
def openapi():
    return SPEC
