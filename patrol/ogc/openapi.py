"""The OpenAPI 3.0 definition of /ogc (conformance class OpenAPI 3.0, /req/oas30/*)."""

from __future__ import annotations

from typing import Any

from patrol.services.ogc import KIND_INFO

__all__ = ["openapi_document"]

_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
_F = {
    "name": "f",
    "in": "query",
    "required": False,
    "description": "json (GeoJSON for features) or html; without it, the Accept header decides",
    "schema": {"type": "string", "enum": ["json", "geojson", "html"]},
    "style": "form",
    "explode": False,
}


def _q(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        "style": "form",
        "explode": False,
    }


def _ok(description: str, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "200": {"description": description, "content": content},
        "400": {"description": "A query parameter is not valid", "content": _PROBLEM},
        "401": {"description": "No or an unknown token", "content": _PROBLEM},
        "404": {"description": "No such collection or feature among yours", "content": _PROBLEM},
    }


def _json_or_html(media: str = "application/json") -> dict[str, Any]:
    return {media: {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}}


_COMPONENTS = {
    "securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"},
        "session": {"type": "apiKey", "in": "cookie", "name": "session"},
    },
    "schemas": {
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status"],
            "properties": {
                "type": {"type": "string", "format": "uri"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
            },
        }
    },
}
_CRS = _q(
    "crs",
    {"type": "string", "format": "uri"},
    "CRS of the answer: CRS84 (default) or the area's metric CRS (see the collection)",
)
_WINDOW = [
    _q(
        "datetime",
        {"type": "string"},
        "instant or interval (RFC 3339; dates are local days of the area); zones and cells: "
        "the period of the figures",
    ),
    _q(
        "cell_km",
        {"type": "number", "minimum": 0.1, "maximum": 100},
        "cells only: cell size in km, the area's or a whole multiple (ngo: 5 or more)",
    ),
]
_FEATURE_ID = {
    "name": "featureId",
    "in": "path",
    "required": True,
    "description": "zone code, cell 'ix_iy', unit code, patrol, find or observation UUID",
    "schema": {"type": "string"},
}


def _get(
    summary: str,
    operation_id: str,
    parameters: list[dict[str, Any]],
    responses: dict[str, Any],
    public: bool = False,
) -> dict[str, Any]:
    """A GET operation; ``public`` ones need no credentials."""
    operation = {"summary": summary, "operationId": operation_id, "parameters": parameters}
    return {"get": operation | ({"security": []} if public else {}) | {"responses": responses}}


def _items_params(
    collection_id: dict[str, Any], default_limit: int, max_limit: int
) -> list[dict[str, Any]]:
    """The items' parameters: paging, bbox, CRS, window, and each kind's queryables."""
    queryables: dict[str, dict[str, Any]] = {}
    for info in KIND_INFO.values():
        for name, schema in info.queryables.items():
            queryables.setdefault(name, schema)
    bbox = {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}
    return [
        collection_id,
        _F,
        _q(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": max_limit, "default": default_limit},
            "at most this many features (larger values answer the maximum)",
        ),
        _q("offset", {"type": "integer", "minimum": 0, "default": 0}, "features to skip"),
        _q("bbox", bbox, "west,south,east,north (in bbox-crs, default CRS84)"),
        _q("bbox-crs", {"type": "string", "format": "uri"}, "CRS of bbox"),
        _CRS,
        *_WINDOW,
        *(
            _q(name, schema, f"equals (a queryable): {schema.get('title', name)}")
            for name, schema in sorted(queryables.items())
        ),
    ]


def _paths(collection_id: dict[str, Any], items_params: list[dict[str, Any]]) -> dict[str, Any]:
    features = _json_or_html("application/geo+json")
    schema = _json_or_html("application/schema+json")
    openapi = _json_or_html("application/vnd.oai.openapi+json;version=3.0")
    one = [collection_id, _F]
    return {
        "/": _get(
            "Landing page", "getLandingPage", [_F], _ok("Links to the API", _json_or_html()), True
        ),
        "/conformance": _get(
            "Conformance classes implemented",
            "getConformance",
            [_F],
            _ok("The conformance declaration", _json_or_html()),
            True,
        ),
        "/api": _get("This definition", "getApi", [_F], _ok("OpenAPI 3.0", openapi), True),
        "/collections": _get(
            "The collections you may see",
            "getCollections",
            [_F],
            _ok("Collections", _json_or_html()),
        ),
        "/collections/{collectionId}": _get(
            "One collection: extent, CRS, links",
            "describeCollection",
            one,
            _ok("The collection", _json_or_html()),
        ),
        "/collections/{collectionId}/queryables": _get(
            "What the features may be filtered on", "getQueryables", one, _ok("JSON schema", schema)
        ),
        "/collections/{collectionId}/schema": _get(
            "Every property of the features and its type",
            "getSchema",
            one,
            _ok("JSON schema", schema),
        ),
        "/collections/{collectionId}/items": _get(
            "Features of a collection, paged",
            "getFeatures",
            items_params,
            _ok("A FeatureCollection", features),
        ),
        "/collections/{collectionId}/items/{featureId}": _get(
            "One feature",
            "getFeature",
            [collection_id, _FEATURE_ID, _F, _CRS, *_WINDOW],
            _ok("A Feature", features),
        ),
    }


def openapi_document(
    base_url: str, collection_ids: list[str], default_limit: int, max_limit: int
) -> dict[str, Any]:
    """The definition, with the caller's collection ids (when known) as the path's enum."""
    collection_id: dict[str, Any] = {
        "name": "collectionId",
        "in": "path",
        "required": True,
        "description": "{area}-zones, -cells, -bases, -routes, -finds or -observations",
        "schema": {"type": "string", **({"enum": collection_ids} if collection_ids else {})},
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "patrol OGC API - Features",
            "version": "1.0",
            "description": (
                "Zones, grid cells with hotspots and the predicted setting rate, unit bases, "
                "patrol routes, snare finds and observations per conservation area, with the "
                "role rules of /api/v1."
            ),
        },
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": _paths(collection_id, _items_params(collection_id, default_limit, max_limit)),
        "components": _COMPONENTS,
    }
