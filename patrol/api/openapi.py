"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

Every endpoint, every parameter with its type and allowed values, and every content type
an answer can have: schemathesis generates requests from this document in the test suite
(tests/api/test_openapi.py) and fails on any server error or answer that contradicts it.
"""

from __future__ import annotations

from typing import Any

from patrol.api import bp
from patrol.geo.report import TRANSPORTS

_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
_OBJECT = {"type": "object"}
_GEOJSON = {"application/geo+json": {"schema": _OBJECT}}
_JSON = {"application/json": {"schema": _OBJECT}}
_CSV = {"text/csv": {"schema": {"type": "string"}}}
_GPX = {"application/gpx+xml": {"schema": {"type": "string"}}}
_XLSX = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}
    }
}
_GPKG = {"application/geopackage+sqlite3": {"schema": {"type": "string", "format": "binary"}}}
_DAY_OR_TIME = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]
}


def _q(name: str, schema: dict[str, Any], description: str = "", required: bool = False):
    param: dict[str, Any] = {"name": name, "in": "query", "schema": schema}
    if description:
        param["description"] = description
    if required:
        param["required"] = True
    return param


def _enum(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


_FILTERS = [
    _q("area", {"type": "string"}, "area slug: only this one of your areas (default: all)"),
    _q(
        "from",
        _DAY_OR_TIME,
        "date (a whole day) or ISO 8601 time with offset; inclusive. A date is a local day "
        "of the area (its time zone), and selects the patrols that started on it with their "
        "finds, as the exports and analytics count them",
    ),
    _q(
        "to",
        _DAY_OR_TIME,
        "date (the whole day is included) or ISO 8601 time; exclusive. A date is a local day "
        "of the area, as for 'from'",
    ),
    _q("unit", {"type": "string"}, "unit code"),
    _q("zone", {"type": "string"}, "zone code"),
    _q("bbox", {"type": "string"}, "west,south,east,north in degrees"),
    _q("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "page size"),
    _q("offset", {"type": "integer", "minimum": 0, "maximum": 10**9}, "items to skip"),
]
_WINDOW = [
    _q(
        "from",
        {"type": "string", "format": "date"},
        "first local day; default a year before 'to' (NGOs: the 1st of a month)",
    ),
    _q(
        "to",
        {"type": "string", "format": "date"},
        "last local day, included; default the latest patrol's day (NGOs: a month's last)",
    ),
]
_AREA = [_q("area", {"type": "string"}, "area slug; optional when the caller has one area")]
_YEAR = {"type": "integer", "minimum": 1900, "maximum": 2199}
_ANALYSIS = [
    _q("unit", {"type": "string"}, "one unit's patrols (rangers: their own unit only)"),
    _q("min_effort_km", {"type": "number", "minimum": 0, "maximum": 1000}),
    _q("bins", _enum("monthly", "seasonal")),
]


def _op(
    summary: str,
    ok: str = "200",
    params: list | None = None,
    body: dict | None = None,
    content: dict | None = None,
    extra: dict | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": params or [],
        "responses": {
            ok: {"description": "OK", "content": _GEOJSON if content is None else content},
            "4XX": {"description": "Problem (RFC 9457)", "content": _PROBLEM},
        },
    }
    if body:
        op["requestBody"] = {"required": True, "content": body}
    op["responses"].update(extra or {})
    return op


def _path_param(name: str, schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": schema}]


_CORRECTION = {
    "type": "object",
    "required": ["revision"],
    "properties": {
        "revision": {"type": "integer", "minimum": 1},
        "leader": {"type": ["string", "null"], "maxLength": 200},
        "members": {"type": "array", "items": {"type": "string", "maxLength": 200}},
        "transport": {"type": "string", "enum": list(TRANSPORTS)},
        "finds": {"type": "object", "additionalProperties": _OBJECT},
    },
    "additionalProperties": False,
}

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
                "Submit a patrol report (GeoJSON FeatureCollection or GPX), or SMART patrol XML "
                "(application/xml; several files in a multipart 'file' field): one SMART patrol "
                "answers 201/200/409 like a report, several answer per file and patrol",
                "201",
                params=[
                    _q("unit", {"type": "string"}, "GPX: the unit that patrolled"),
                    _q("id", {"type": "string", "format": "uuid"}, "GPX: the patrol's id"),
                    _q("transport", _enum(*TRANSPORTS)),
                    _q("leader", {"type": "string", "maxLength": 200}),
                    _q("started_at", {"type": "string", "format": "date-time"}),
                    _q("ended_at", {"type": "string", "format": "date-time"}),
                    _q(
                        "area",
                        {"type": "string"},
                        "SMART: the area slug (default: where the tracks lie)",
                    ),
                    _q(
                        "update",
                        {"type": "boolean"},
                        "SMART: replace a stored patrol whose "
                        "content changed (coordinators; audited)",
                    ),
                    {
                        "name": "Prefer",
                        "in": "header",
                        "schema": {"type": "string"},
                        "description": "RFC 7240: 'return=minimal' answers a receipt (id, "
                        "revision, figures) as application/json instead of the stored report",
                    },
                ],
                body={
                    "application/geo+json": {"schema": _OBJECT},
                    "application/gpx+xml": {"schema": {"type": "string"}},
                    "application/xml": {"schema": {"type": "string"}},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {
                                    "type": "array",
                                    "items": {"type": "string", "format": "binary"},
                                }
                            },
                        }
                    },
                },
                content=_GEOJSON | _JSON,
                extra={
                    "200": {
                        "description": "Replay: this report is stored already",
                        "content": _GEOJSON | _JSON,
                    },
                    "409": {
                        "description": "Another report has this id, it was deleted, or it is "
                        "not available to you",
                        "content": _PROBLEM,
                    },
                },
            ),
            "get": _op(
                "List patrols (routes) you may see",
                params=[
                    *_FILTERS,
                    _q(
                        "tolerance_m",
                        {"type": "number", "minimum": 0, "maximum": 1000},
                        "simplify each route for a map: vertices within this many metres of "
                        "the line are dropped (its own vertices kept, ends always); 0 or "
                        "absent: as stored. Figures are always those of the stored route",
                    ),
                ],
            ),
        },
        "/patrols/{id}": {
            "parameters": _path_param("id", {"type": "string", "format": "uuid"}),
            "get": _op("One patrol: route, finds, figures (and audit trail for coordinators)"),
            "patch": _op(
                "Correct a patrol or its finds (coordinator), naming the revision edited",
                body={
                    "application/json": {"schema": _CORRECTION},
                    "application/merge-patch+json": {"schema": _CORRECTION},
                },
            ),
            "delete": _op(
                "Soft-delete a patrol (coordinator)",
                params=[_q("revision", {"type": "integer", "minimum": 1}, required=True)],
                content=_JSON,
            ),
        },
        "/snares": {"get": _op("List snare finds you may see", params=_FILTERS)},
        "/zones": {
            "get": _op("Zones of an area", params=_AREA),
            "put": _op(
                "Replace an area's zones; 202 while the figures are recomputed (see Location)",
                params=_AREA,
                body={"application/geo+json": {"schema": _OBJECT}, "application/json": {}},
                extra={"202": {"description": "Recomputing", "content": _GEOJSON}},
            ),
        },
        "/jobs/{id}": {
            "parameters": _path_param(
                "id", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
            ),
            "get": _op(
                "A recompute job's progress (coordinators); a stalled job is resumed",
                content=_JSON,
            ),
        },
        "/units": {"get": _op("Units of an area (bases hidden from NGOs)", params=_AREA)},
        "/areas": {"get": _op("Your conservation areas")},
        "/session": {
            "get": _op(
                "Who is signed in, with a fresh CSRF token for the pages' API calls",
                content=_JSON,
            )
        },
        "/zones/stats": {
            "get": _op(
                "Per zone: snares, effort, patrol-days, density, CPUE, EB rate, hotspot flag, "
                "trend",
                params=_AREA + _WINDOW + _ANALYSIS + [_q("format", _enum("geojson", "csv"))],
                content=_GEOJSON | _CSV,
            )
        },
        "/hotspots": {
            "get": _op(
                "Grid cells with effort, CPUE, EB rate, Gi* z and p, FDR verdict, class and trend",
                params=_AREA
                + _WINDOW
                + _ANALYSIS
                + [
                    _q(
                        "cell_km",
                        {"type": "number", "minimum": 0.1, "maximum": 100},
                        "a whole multiple of the area's cell (NGOs: of 5 km)",
                    )
                ],
            )
        },
        "/dispatch": {
            "get": _op(
                "Every active unit's targets (coordinators)", params=_AREA + _WINDOW + _ANALYSIS
            )
        },
        "/units/{code}/targets": {
            "parameters": _path_param("code", {"type": "string"}),
            "get": _op(
                "One unit's targets as GeoJSON, GPX waypoints (format=gpx) or CSV (format=csv)",
                params=_AREA + _WINDOW + _ANALYSIS + [_q("format", _enum("geojson", "gpx", "csv"))],
                content=_GEOJSON | _GPX | _CSV,
            ),
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
                    _q(
                        "cell_km",
                        {"type": "number", "minimum": 0.1, "maximum": 100},
                        "a whole multiple of the area's cell (NGOs: of 5 km)",
                    ),
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
                    _q("format", _enum("geojson", "gpx")),
                ],
                content=_GEOJSON | _GPX,
            ),
        },
        "/exports/annual": {
            "get": _op(
                "Zone x month snares and effort for a year or years, with totals and the year "
                "before. Aggregates only.",
                params=[
                    *_AREA,
                    _q("year", _YEAR, required=True),
                    _q("to_year", _YEAR),
                    _q("format", _enum("csv", "xlsx", "json", "geojson", "gpkg")),
                ],
                content=_CSV | _XLSX | _JSON | _GEOJSON | _GPKG,
            )
        },
        "/exports/finds": {
            "get": _op(
                "Every find of a year with its location (coordinators)",
                params=[
                    *_AREA,
                    _q("year", _YEAR, required=True),
                    _q("format", _enum("csv", "geojson", "gpkg")),
                ],
                content=_CSV | _GEOJSON | _GPKG,
            )
        },
        "/exports/routes": {
            "get": _op(
                "Every patrol route of a year as GeoJSON, or a GeoPackage (coordinators)",
                params=[
                    *_AREA,
                    _q("year", _YEAR, required=True),
                    _q("format", _enum("geojson", "gpkg")),
                ],
                content=_GEOJSON | _GPKG,
            )
        },
        "/observations": {
            "get": _op(
                "Observations (SMART categories with typed attributes) you may see; points and "
                "patrols for rangers, coordinators and admins only",
                params=[*_FILTERS, _q("category", {"type": "string"}, "a category key or prefix")],
            )
        },
        "/exports/smart": {
            "get": _op(
                "The area's patrols of [from, to] (local days) as SMART patrol XML: a zip of one "
                "file per patrol, or format=xml for one document (coordinators)",
                params=[
                    *_AREA,
                    _q("from", {"type": "string", "format": "date"}, required=True),
                    _q("to", {"type": "string", "format": "date"}, required=True),
                    _q("format", _enum("zip", "xml")),
                ],
                content={
                    "application/zip": {"schema": {"type": "string", "format": "binary"}},
                    "application/xml": {"schema": {"type": "string"}},
                },
            )
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "OK", "content": _JSON}},
            }
        },
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

# An area's offline basemap (patrol/api/basemap.py): TileJSON, and its tiles as stored.
_TILE = {"schema": {"type": "string", "format": "binary"}}
SPEC["paths"].update(
    {
        "/basemaps": {
            "get": _op(
                "The caller's areas that have an offline basemap, with where each one's "
                "TileJSON is (an empty list when none has)",
                content=_JSON,
            )
        },
        "/areas/{slug}/basemap": {
            "parameters": _path_param("slug", {"type": "string"}),
            "get": _op(
                "The area's offline basemap as TileJSON 3.0.0: tiles URL, format, type "
                "(raster or vector), bounds, minzoom, maxzoom, and the tiles a phone keeps "
                "offline for the area (prefetch); 404 when none is loaded",
                content=_JSON,
            ),
        },
        "/areas/{slug}/basemap/{z}/{x}/{y}": {
            "parameters": [
                *_path_param("slug", {"type": "string"}),
                *_path_param("z", {"type": "integer", "minimum": 0, "maximum": 24}),
                *_path_param("x", {"type": "integer", "minimum": 0}),
                *_path_param("y", {"type": "integer", "minimum": 0}),
            ],
            "get": _op(
                "One basemap tile, XYZ addressing (row 0 at the north), as stored (vector "
                "tiles with Content-Encoding: gzip); cached privately for a day, with an ETag",
                content={
                    "image/png": _TILE,
                    "image/jpeg": _TILE,
                    "image/webp": _TILE,
                    "application/vnd.mapbox-vector-tile": _TILE,
                },
                extra={"204": {"description": "No tile there (inside the file's zoom levels)"}},
            ),
        },
    }
)
# Restoring a deleted patrol (issue 9): appended, so merges with other paths stay easy.
SPEC["paths"]["/patrols/{id}/restore"] = {
    "parameters": _path_param("id", {"type": "string", "format": "uuid"}),
    "post": _op(
        "Restore a soft-deleted patrol (coordinator; audited), naming the revision restored",
        params=[_q("revision", {"type": "integer", "minimum": 1}, required=True)],
    ),
}


@bp.get("/openapi.json")
def openapi():
    return SPEC
