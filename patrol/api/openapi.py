"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

Every endpoint, every parameter with its type and allowed values, and every content type
an answer can have: schemathesis generates requests from this document in the test suite
(tests/api/test_openapi.py) and fails on any server error or answer that contradicts it.
The building blocks are in ``openapi_parts.py``, the figures' and exports' paths in
``openapi_analysis.py``.
"""

from __future__ import annotations

from typing import Any

from patrol.api import bp
from patrol.api.openapi_analysis import ANALYSIS_PATHS
from patrol.api.openapi_parts import (
    AREA,
    COMPONENTS,
    CORRECTION,
    FILTERS,
    GEOJSON,
    JSON,
    OBJECT,
    PROBLEM,
    enum,
    op,
    path_param,
    query,
)
from patrol.vocabulary import Transport, values

__all__ = ["SPEC", "openapi"]

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
            "post": op(
                "Submit a patrol report (GeoJSON FeatureCollection or GPX), or SMART patrol XML "
                "(application/xml; several files in a multipart 'file' field): one SMART patrol "
                "answers 201/200/409 like a report, several answer per file and patrol",
                "201",
                params=[
                    query("unit", {"type": "string"}, "GPX: the unit that patrolled"),
                    query("id", {"type": "string", "format": "uuid"}, "GPX: the patrol's id"),
                    query("transport", enum(*values(Transport))),
                    query("leader", {"type": "string", "maxLength": 200}),
                    query("started_at", {"type": "string", "format": "date-time"}),
                    query("ended_at", {"type": "string", "format": "date-time"}),
                    query(
                        "area",
                        {"type": "string"},
                        "SMART: the area slug (default: where the tracks lie)",
                    ),
                    query(
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
                    "application/geo+json": {"schema": OBJECT},
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
                content=GEOJSON | JSON,
                extra={
                    "200": {
                        "description": "Replay: this report is stored already",
                        "content": GEOJSON | JSON,
                    },
                    "409": {
                        "description": "Another report has this id, it was deleted, or it is "
                        "not available to you",
                        "content": PROBLEM,
                    },
                },
            ),
            "get": op(
                "List patrols (routes) you may see",
                params=[
                    *FILTERS,
                    query(
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
            "parameters": path_param("id", {"type": "string", "format": "uuid"}),
            "get": op("One patrol: route, finds, figures (and audit trail for coordinators)"),
            "patch": op(
                "Correct a patrol or its finds (coordinator), naming the revision edited",
                body={
                    "application/json": {"schema": CORRECTION},
                    "application/merge-patch+json": {"schema": CORRECTION},
                },
            ),
            "delete": op(
                "Soft-delete a patrol (coordinator)",
                params=[query("revision", {"type": "integer", "minimum": 1}, required=True)],
                content=JSON,
            ),
        },
        "/snares": {"get": op("List snare finds you may see", params=FILTERS)},
        "/zones": {
            "get": op("Zones of an area", params=AREA),
            "put": op(
                "Replace an area's zones; 202 while the figures are recomputed (see Location)",
                params=AREA,
                body={"application/geo+json": {"schema": OBJECT}, "application/json": {}},
                extra={"202": {"description": "Recomputing", "content": GEOJSON}},
            ),
        },
        "/jobs/{id}": {
            "parameters": path_param("id", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}),
            "get": op(
                "A recompute job's progress (coordinators); a stalled job is resumed",
                content=JSON,
            ),
        },
        "/units": {"get": op("Units of an area (bases hidden from NGOs)", params=AREA)},
        "/areas": {"get": op("Your conservation areas")},
        "/session": {
            "get": op(
                "Who is signed in, with a fresh CSRF token for the pages' API calls",
                content=JSON,
            )
        },
        **ANALYSIS_PATHS,
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "OK", "content": JSON}},
            }
        },
    },
    "components": COMPONENTS,
}


# An area's offline basemap (patrol/api/basemap.py): TileJSON, and its tiles as stored.
_TILE = {"schema": {"type": "string", "format": "binary"}}
SPEC["paths"].update(
    {
        "/basemaps": {
            "get": op(
                "The caller's areas that have an offline basemap, with where each one's "
                "TileJSON is (an empty list when none has)",
                content=JSON,
            )
        },
        "/areas/{slug}/basemap": {
            "parameters": path_param("slug", {"type": "string"}),
            "get": op(
                "The area's offline basemap as TileJSON 3.0.0: tiles URL, format, type "
                "(raster or vector), bounds, minzoom, maxzoom, and the tiles a phone keeps "
                "offline for the area (prefetch); 404 when none is loaded",
                content=JSON,
            ),
        },
        "/areas/{slug}/basemap/{z}/{x}/{y}": {
            "parameters": [
                *path_param("slug", {"type": "string"}),
                *path_param("z", {"type": "integer", "minimum": 0, "maximum": 24}),
                *path_param("x", {"type": "integer", "minimum": 0}),
                *path_param("y", {"type": "integer", "minimum": 0}),
            ],
            "get": op(
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
    "parameters": path_param("id", {"type": "string", "format": "uuid"}),
    "post": op(
        "Restore a soft-deleted patrol (coordinator; audited), naming the revision restored",
        params=[query("revision", {"type": "integer", "minimum": 1}, required=True)],
    ),
}


@bp.get("/openapi.json")
def openapi() -> dict[str, Any]:
    """This document."""
    return SPEC
