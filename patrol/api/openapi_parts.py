"""The building blocks of the /api/v1 OpenAPI document: media types, parameters, operations.

``api/openapi.py`` assembles the document from these; the enums come from
``patrol.vocabulary``, so the document lists what the code accepts.
"""

from __future__ import annotations

from typing import Any

from patrol.api.analytics import BINS
from patrol.vocabulary import Transport, values

__all__ = [
    "ANALYSIS",
    "AREA",
    "COMPONENTS",
    "CORRECTION",
    "CSV",
    "FILTERS",
    "GEOJSON",
    "GPKG",
    "GPX",
    "JSON",
    "OBJECT",
    "PROBLEM",
    "WINDOW",
    "XLSX",
    "YEAR",
    "enum",
    "op",
    "path_param",
    "query",
]

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
OBJECT = {"type": "object"}
GEOJSON = {"application/geo+json": {"schema": OBJECT}}
JSON = {"application/json": {"schema": OBJECT}}
CSV = {"text/csv": {"schema": {"type": "string"}}}
GPX = {"application/gpx+xml": {"schema": {"type": "string"}}}
XLSX = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}
    }
}
GPKG = {"application/geopackage+sqlite3": {"schema": {"type": "string", "format": "binary"}}}
_DAY_OR_TIME = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]
}


def query(
    name: str, schema: dict[str, Any], description: str = "", required: bool = False
) -> dict[str, Any]:
    """A query parameter."""
    param: dict[str, Any] = {"name": name, "in": "query", "schema": schema}
    if description:
        param["description"] = description
    if required:
        param["required"] = True
    return param


def enum(*names: str) -> dict[str, Any]:
    """A string parameter's schema with its allowed values (members of a vocabulary too)."""
    return {"type": "string", "enum": [str(n) for n in names]}


FILTERS = [
    query("area", {"type": "string"}, "area slug: only this one of your areas (default: all)"),
    query(
        "from",
        _DAY_OR_TIME,
        "date (a whole day) or ISO 8601 time with offset; inclusive. A date is a local day "
        "of the area (its time zone), and selects the patrols that started on it with their "
        "finds, as the exports and analytics count them",
    ),
    query(
        "to",
        _DAY_OR_TIME,
        "date (the whole day is included) or ISO 8601 time; exclusive. A date is a local day "
        "of the area, as for 'from'",
    ),
    query("unit", {"type": "string"}, "unit code"),
    query("zone", {"type": "string"}, "zone code"),
    query("bbox", {"type": "string"}, "west,south,east,north in degrees"),
    query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "page size"),
    query("offset", {"type": "integer", "minimum": 0, "maximum": 10**9}, "items to skip"),
]
WINDOW = [
    query(
        "from",
        {"type": "string", "format": "date"},
        "first local day; default a year before 'to' (NGOs: the 1st of a month)",
    ),
    query(
        "to",
        {"type": "string", "format": "date"},
        "last local day, included; default the latest patrol's day (NGOs: a month's last)",
    ),
]
AREA = [query("area", {"type": "string"}, "area slug; optional when the caller has one area")]
YEAR = {"type": "integer", "minimum": 1900, "maximum": 2199}
ANALYSIS = [
    query("unit", {"type": "string"}, "one unit's patrols (rangers: their own unit only)"),
    query("min_effort_km", {"type": "number", "minimum": 0, "maximum": 1000}),
    query("bins", enum(*BINS)),
]


def op(
    summary: str,
    ok: str = "200",
    params: list | None = None,
    body: dict | None = None,
    content: dict | None = None,
    extra: dict | None = None,
) -> dict[str, Any]:
    """An operation: its summary, parameters, body, and the answers it may give."""
    operation: dict[str, Any] = {
        "summary": summary,
        "parameters": params or [],
        "responses": {
            ok: {"description": "OK", "content": GEOJSON if content is None else content},
            "4XX": {"description": "Problem (RFC 9457)", "content": PROBLEM},
        },
    }
    if body:
        operation["requestBody"] = {"required": True, "content": body}
    operation["responses"].update(extra or {})
    return operation


def path_param(name: str, schema: dict[str, Any]) -> list[dict[str, Any]]:
    """A path parameter (always required)."""
    return [{"name": name, "in": "path", "required": True, "schema": schema}]


CORRECTION = {
    "type": "object",
    "required": ["revision"],
    "properties": {
        "revision": {"type": "integer", "minimum": 1},
        "leader": {"type": ["string", "null"], "maxLength": 200},
        "members": {"type": "array", "items": {"type": "string", "maxLength": 200}},
        "transport": {"type": "string", "enum": list(values(Transport))},
        "finds": {"type": "object", "additionalProperties": OBJECT},
    },
    "additionalProperties": False,
}

COMPONENTS: dict[str, Any] = {
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
}
