"""Answering an OGC API request: links, media types, JSON or the page for people."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, render_template, request, url_for

from patrol.db import get_session
from patrol.geo.times import iso_utc
from patrol.http import wants_html
from patrol.services import ogc
from patrol.services.auth import Principal

__all__ = [
    "CONFORMANCE",
    "GEOJSON",
    "HTML",
    "JSON",
    "OPENAPI",
    "REL_CONFORMANCE",
    "REL_DATA",
    "REL_QUERYABLES",
    "SCHEMA",
    "answer",
    "collection_doc",
    "page_links",
    "self_links",
    "timestamp",
    "url",
]

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]
REL_CONFORMANCE = "http://www.opengis.net/def/rel/ogc/1.0/conformance"
REL_DATA = "http://www.opengis.net/def/rel/ogc/1.0/data"
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"


def url(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values)


def self_links(endpoint: str, json_type: str, **values: Any) -> list[dict[str, str]]:
    """self and alternate links of a resource (/req/core/*-links, /req/html/...)."""
    html = wants_html()
    args = {k: v for k, v in request.args.items() if k != "f"}
    return [
        {
            "rel": "self" if not html else "alternate",
            "type": json_type,
            "title": "this document as JSON",
            "href": url(endpoint, **values, **args, f="json"),
        },
        {
            "rel": "alternate" if not html else "self",
            "type": HTML,
            "title": "this document as HTML",
            "href": url(endpoint, **values, **args, f="html"),
        },
    ]


def answer(
    doc: dict[str, Any],
    media_type: str,
    template: str,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """The document as JSON of ``media_type``, or as the page ``template`` for people."""
    if wants_html():
        response = Response(render_template(template, doc=doc, **context), mimetype=HTML)
    else:
        response = jsonify(doc)
        response.mimetype = media_type
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def collection_doc(
    coll: ogc.Collection, principal: Principal, carried: dict[str, str] | None = None
) -> dict[str, Any]:
    cid = coll.id
    carried = carried or {}
    doc: dict[str, Any] = {
        "id": cid,
        "title": coll.title,
        "description": coll.info.description,
        "itemType": "feature",
        "geometryType": coll.info.geometry,
        "extent": ogc.extent(get_session(), principal, coll),
        "crs": ogc.collection_crs(coll),
        "storageCrs": ogc.CRS84,
        "area": coll.area.slug,
        "areaCrs": ogc.crs_uri(coll.area.epsg),
        "links": [
            {
                "rel": "items",
                "type": GEOJSON,
                "title": "the features as GeoJSON",
                "href": url("ogc.items", collection_id=cid, **carried),
            },
            {
                "rel": "items",
                "type": HTML,
                "title": "the features as HTML",
                "href": url("ogc.items", collection_id=cid, **carried, f="html"),
            },
            {
                "rel": "describedby",
                "type": SCHEMA,
                "title": "every property and its type (JSON Schema)",
                "href": url("ogc.schema", collection_id=cid),
            },
            {
                "rel": REL_QUERYABLES,
                "type": SCHEMA,
                "title": "what the features may be filtered on",
                "href": url("ogc.queryables", collection_id=cid),
            },
        ],
    }
    if coll.kind == "cells":
        doc["cellKm"] = coll.area.cell_m / 1000
    return doc


def timestamp() -> str:
    return iso_utc(datetime.now(UTC).replace(microsecond=0))


def page_links(
    coll: ogc.Collection, q: ogc.ItemsQuery, returned: int, matched: int
) -> list[dict[str, str]]:
    """The next and previous pages of items (as HTML for people), with the same filters."""
    args = {k: v for k, v in request.args.items() if k not in ("offset", "limit", "f")}
    fmt = {"f": "html"} if wants_html() else {}
    pages = []
    if q.offset + returned < matched:
        pages.append(("next", "the next page", q.offset + q.limit))
    if q.offset > 0:
        pages.append(("prev", "the previous page", max(q.offset - q.limit, 0)))
    return [
        {
            "rel": rel,
            "type": HTML if fmt else GEOJSON,
            "title": title,
            "href": url(
                "ogc.items", collection_id=coll.id, **args, **fmt, offset=offset, limit=q.limit
            ),
        }
        for rel, title, offset in pages
    ]
