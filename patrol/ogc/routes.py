"""The OGC API - Features endpoints: parse the request, call patrol.services.ogc, answer.

JSON (GeoJSON for features) unless ``f=html`` or a browser's ``Accept`` asks for a page.
Errors are RFC 9457 problem+json like the rest of the API (400 for parameters, as the
standard asks), or the error page for people.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from patrol.api.common import current_principal
from patrol.db import get_session
from patrol.errors import AuthenticationRequired, FieldError, InvalidParameter, ValidationFailed
from patrol.geo.times import iso_utc
from patrol.http import wants_html
from patrol.ogc import bp
from patrol.ogc.openapi import openapi_document
from patrol.services import ogc
from patrol.services.auth import Principal

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
ITEMS_PARAMS = {"f", "bbox", "bbox-crs", "datetime", "limit", "offset", "crs"}
ITEM_PARAMS = {"f", "crs"}


def _bad(name: str, detail: str) -> InvalidParameter:
    return InvalidParameter(
        "The query parameters are not valid.", errors=[FieldError(f"/{name}", detail)]
    )


def _allow(*allowed: str | set[str]) -> None:
    """400 for a parameter the API definition does not name (/req/core/query-param-unknown)."""
    names: set[str] = set()
    for a in allowed:
        names |= {a} if isinstance(a, str) else a
    unknown = sorted(set(request.args) - names)
    if unknown:
        raise _bad(unknown[0], f"'{unknown[0][:40]}' is not a parameter of this resource")
    fmt = request.args.get("f")
    if fmt is not None and fmt not in ("json", "geojson", "html"):
        raise _bad("f", "must be json or html")


@contextmanager
def _parameters_are_400() -> Iterator[None]:
    """The services answer 422 for a query value they cannot use (a cell size that is not a
    multiple of the grid, a window of 30 years); OGC API asks 400 for it
    (/req/core/query-param-invalid)."""
    try:
        yield
    except ValidationFailed as error:
        # The services name the window's ends 'from' and 'to'; here both are 'datetime'.
        errors = [
            FieldError("/datetime" if e.pointer in ("/from", "/to") else e.pointer, e.detail)
            for e in error.errors
        ]
        raise InvalidParameter(error.detail, errors=errors) from None


def _principal() -> Principal:
    """The caller (bearer token or session); people without a session are sent to sign in."""
    try:
        return current_principal()
    except AuthenticationRequired:
        if wants_html():
            abort(redirect(url_for("web.login", next=request.full_path.rstrip("?"))))
        raise


def _url(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values)


def _self_links(endpoint: str, json_type: str, **values: Any) -> list[dict[str, str]]:
    """self and alternate links of a resource (/req/core/*-links, /req/html/...)."""
    html = wants_html()
    args = {k: v for k, v in request.args.items() if k != "f"}
    return [
        {
            "rel": "self" if not html else "alternate",
            "type": json_type,
            "title": "this document as JSON",
            "href": _url(endpoint, **values, **args, f="json"),
        },
        {
            "rel": "alternate" if not html else "self",
            "type": HTML,
            "title": "this document as HTML",
            "href": _url(endpoint, **values, **args, f="html"),
        },
    ]


def _answer(
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


@bp.get("/")
def landing_page():
    """Links to the API definition, the conformance declaration and the collections."""
    _allow("f")
    doc = {
        "title": "patrol: anti-poaching patrols, snare finds and hotspots",
        "description": (
            "OGC API - Features of patrol: per conservation area, zones and grid cells with "
            "effort-corrected figures, hotspot classes and the predicted setting rate, and "
            "(for the roles that may see them) unit bases, patrol routes, snare finds and "
            "observations. Send 'Authorization: Bearer <token>' or sign in."
        ),
        "links": [
            *_self_links("ogc.landing_page", JSON),
            {
                "rel": "service-desc",
                "type": OPENAPI,
                "title": "the API definition (OpenAPI 3.0)",
                "href": _url("ogc.api_definition"),
            },
            {
                "rel": "service-doc",
                "type": HTML,
                "title": "the API documentation",
                "href": _url("ogc.api_definition", f="html"),
            },
            *(
                {
                    "rel": rel,
                    "type": JSON,
                    "title": "the conformance classes this server implements",
                    "href": _url("ogc.conformance"),
                }
                for rel in ("conformance", REL_CONFORMANCE)
            ),
            *(
                {
                    "rel": rel,
                    "type": JSON,
                    "title": "the collections",
                    "href": _url("ogc.collections"),
                }
                for rel in ("data", REL_DATA)
            ),
        ],
    }
    return _answer(doc, JSON, "ogc/landing.html")


@bp.get("/conformance")
def conformance():
    _allow("f")
    doc = {"conformsTo": CONFORMANCE, "links": _self_links("ogc.conformance", JSON)}
    return _answer(doc, JSON, "ogc/conformance.html")


@bp.get("/api")
def api_definition():
    """The OpenAPI 3.0 definition of these endpoints (the caller's collections named)."""
    _allow("f")
    ids: list[str] = []
    if request.headers.get("Authorization") or "user_id" in session:
        try:
            ids = [c.id for c in ogc.collections_for(get_session(), current_principal())]
        except AuthenticationRequired:
            ids = []
    doc = openapi_document(
        _url("ogc.landing_page").rstrip("/"),
        ids,
        current_app.config["API_PAGE_SIZE"],
        current_app.config["API_MAX_PAGE_SIZE"],
    )
    return _answer(doc, OPENAPI, "ogc/api.html")


def _carried(coll: ogc.Collection) -> dict[str, str]:
    """The items parameters a collection URL may carry (zones and cells: the period, size)."""
    names = {"datetime", "cell_km"} if coll.kind == "cells" else {"datetime"}
    _allow("f", names if coll.kind in ("zones", "cells") else set())
    carried = {k: v for k, v in request.args.items() if k in names and v}
    if "datetime" in carried:
        ogc.parse_datetime(carried["datetime"])
    if "cell_km" in carried:
        _float("cell_km", carried["cell_km"])
    return carried


def _collection_doc(
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
                "href": _url("ogc.items", collection_id=cid, **carried),
            },
            {
                "rel": "items",
                "type": HTML,
                "title": "the features as HTML",
                "href": _url("ogc.items", collection_id=cid, **carried, f="html"),
            },
            {
                "rel": "describedby",
                "type": SCHEMA,
                "title": "every property and its type (JSON Schema)",
                "href": _url("ogc.schema", collection_id=cid),
            },
            {
                "rel": REL_QUERYABLES,
                "type": SCHEMA,
                "title": "what the features may be filtered on",
                "href": _url("ogc.queryables", collection_id=cid),
            },
        ],
    }
    if coll.kind == "cells":
        doc["cellKm"] = coll.area.cell_m / 1000
    return doc


@bp.get("/collections")
def collections():
    _allow("f")
    principal = _principal()
    colls = ogc.collections_for(get_session(), principal)
    doc = {
        "links": _self_links("ogc.collections", JSON),
        "collections": [_collection_doc(c, principal) for c in colls],
        # Part 2: every CRS offered by some collection (/req/crs/fc-md-crs-list).
        "crs": sorted({crs for c in colls for crs in ogc.collection_crs(c)}),
    }
    return _answer(doc, JSON, "ogc/collections.html")


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    """One collection; for zones and cells, ``datetime`` and ``cell_km`` carry over into its
    items links, so a client given this URL (GDAL's OAPIF:…/collections/{id}?datetime=…)
    reads the period asked."""
    principal = _principal()
    coll = ogc.collection_for(get_session(), principal, collection_id)
    carried = _carried(coll)
    doc = _collection_doc(coll, principal, carried)
    doc["links"] = _self_links("ogc.collection", JSON, collection_id=coll.id) + doc["links"]
    return _answer(doc, JSON, "ogc/collection.html", queryables=coll.info.queryables)


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str):
    """The properties a client may filter on with ``name=value`` (Part 3 queryables)."""
    _allow("f")
    coll = ogc.collection_for(get_session(), _principal(), collection_id)
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _url("ogc.queryables", collection_id=coll.id),
        "type": "object",
        "title": coll.title,
        "properties": coll.info.queryables,
        "additionalProperties": False,
    }
    return _answer(doc, SCHEMA, "ogc/queryables.html", coll=coll)


@bp.get("/collections/<collection_id>/schema")
def schema(collection_id: str):
    """Every property of the features and its type (Part 5 style), for typed columns."""
    _allow("f")
    coll = ogc.collection_for(get_session(), _principal(), collection_id)
    geometry = {
        "format": f"geometry-{coll.info.geometry.lower()}",
        "x-ogc-role": "primary-geometry",
    }
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _url("ogc.schema", collection_id=coll.id),
        "type": "object",
        "title": coll.title,
        "properties": {
            "id": {"type": "string", "x-ogc-role": "id"},
            "geometry": geometry,
            **ogc.PROPERTIES[coll.kind],
        },
    }
    return _answer(doc, SCHEMA, "ogc/queryables.html", coll=coll)


def _float(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise _bad(name, f"'{raw[:20]}' is not a number")
    return value


def _crs(coll: ogc.Collection, name: str) -> int | None:
    uri = request.args.get(name)
    if not uri:
        return None
    epsg = ogc.epsg_of(uri, name)
    if ogc.crs_uri(epsg) not in ogc.collection_crs(coll):
        raise _bad(name, f"offered: {', '.join(ogc.collection_crs(coll))}")
    return epsg


def _query(coll: ogc.Collection, single: bool = False) -> ogc.ItemsQuery:
    """The items (or one item's) query, every parameter checked (/req/core/query-param-*)."""
    queryable = set(coll.info.queryables)
    extra = {"cell_km"} if coll.kind == "cells" else set()
    if coll.kind in ("zones", "cells"):
        extra.add("datetime")
    _allow(ITEM_PARAMS | extra if single else ITEMS_PARAMS | extra | queryable)
    args = request.args
    max_limit = current_app.config["API_MAX_PAGE_SIZE"]
    limit = current_app.config["API_PAGE_SIZE"]
    if "limit" in args:
        if not args["limit"].isdigit() or int(args["limit"]) < 1:
            raise _bad("limit", f"a whole number from 1 to {max_limit}")
        # Above the maximum the server answers its maximum (/per/core/limit-override).
        limit = min(int(args["limit"]), max_limit)
    offset = 0
    if "offset" in args:
        if not args["offset"].isdigit():
            raise _bad("offset", "a whole number, 0 or more")
        offset = int(args["offset"])
    bbox = None
    if args.get("bbox"):
        parts = [_float("bbox", v) for v in args["bbox"].split(",")]
        if len(parts) == 6:  # with heights: the heights are ignored
            parts = [parts[0], parts[1], parts[3], parts[4]]
        if len(parts) != 4:
            raise _bad("bbox", "give west,south,east,north")
        epsg = _crs(coll, "bbox-crs")
        w, s, e, n = parts
        if s > n or w > e:
            raise _bad("bbox", "south must not exceed north, nor west east")
        if epsg is None and not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= n <= 90):
            raise _bad("bbox", "longitudes in [-180, 180], latitudes in [-90, 90]")
        bbox = ogc.bbox_to_crs84((w, s, e, n), epsg)
    elif "bbox-crs" in args:
        _crs(coll, "bbox-crs")
    when = ogc.parse_datetime(args["datetime"]) if args.get("datetime") else None
    cell_km = _float("cell_km", args["cell_km"]) if args.get("cell_km") else None
    return ogc.ItemsQuery(
        bbox=bbox,
        when=when,
        limit=limit,
        offset=offset,
        cell_km=cell_km,
        properties={k: v for k, v in args.items() if k in queryable},
    )


def _timestamp() -> str:
    return iso_utc(datetime.now(UTC).replace(microsecond=0))


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    """A page of features: bbox, datetime, limit, queryables; next and prev links."""
    principal = _principal()
    session = get_session()
    coll = ogc.collection_for(session, principal, collection_id)
    q = _query(coll)
    epsg = _crs(coll, "crs")
    with _parameters_are_400():
        page = ogc.items(session, principal, coll, q)
    features = page.features
    if epsg is not None:
        features = [{**f, "geometry": ogc.reproject(f["geometry"], epsg)} for f in features]
    args = {k: v for k, v in request.args.items() if k not in ("offset", "limit", "f")}
    fmt = {"f": "html"} if wants_html() else {}
    links = _self_links("ogc.items", GEOJSON, collection_id=coll.id)
    if q.offset + len(features) < page.number_matched:
        links.append(
            {
                "rel": "next",
                "type": HTML if fmt else GEOJSON,
                "title": "the next page",
                "href": _url(
                    "ogc.items",
                    collection_id=coll.id,
                    **args,
                    **fmt,
                    offset=q.offset + q.limit,
                    limit=q.limit,
                ),
            }
        )
    if q.offset > 0:
        links.append(
            {
                "rel": "prev",
                "type": HTML if fmt else GEOJSON,
                "title": "the previous page",
                "href": _url(
                    "ogc.items",
                    collection_id=coll.id,
                    **args,
                    **fmt,
                    offset=max(q.offset - q.limit, 0),
                    limit=q.limit,
                ),
            }
        )
    links.append(
        {
            "rel": "collection",
            "type": JSON,
            "title": coll.title,
            "href": _url("ogc.collection", collection_id=coll.id),
        }
    )
    doc = {
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": page.number_matched,
        "numberReturned": len(features),
        "timeStamp": _timestamp(),
        "links": links,
        **page.about,
    }
    return _answer(
        doc,
        GEOJSON,
        "ogc/items.html",
        headers={"Content-Crs": f"<{ogc.crs_uri(epsg)}>"},
        coll=coll,
        offset=q.offset,
    )


@bp.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str):
    principal = _principal()
    session = get_session()
    coll = ogc.collection_for(session, principal, collection_id)
    q = _query(coll, single=True)
    epsg = _crs(coll, "crs")
    with _parameters_are_400():
        feature, about = ogc.item(session, principal, coll, feature_id, q)
    doc = {
        **feature,
        "geometry": ogc.reproject(feature["geometry"], epsg),
        "links": [
            *_self_links("ogc.item", GEOJSON, collection_id=coll.id, feature_id=feature_id),
            {
                "rel": "collection",
                "type": JSON,
                "title": coll.title,
                "href": _url("ogc.collection", collection_id=coll.id),
            },
        ],
        **about,
    }
    return _answer(
        doc,
        GEOJSON,
        "ogc/item.html",
        headers={"Content-Crs": f"<{ogc.crs_uri(epsg)}>"},
        coll=coll,
    )
