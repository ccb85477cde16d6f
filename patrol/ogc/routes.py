"""The OGC API - Features endpoints: parse the request, call patrol.services.ogc, answer.

JSON (GeoJSON for features) unless ``f=html`` or a browser's ``Accept`` asks for a page.
Errors are RFC 9457 problem+json like the rest of the API (400 for parameters, as the
standard asks), or the error page for people.
"""

from __future__ import annotations

from flask import Response, current_app, request

from patrol.db import get_session
from patrol.errors import AuthenticationRequired
from patrol.ogc import bp
from patrol.ogc.answers import (
    CONFORMANCE,
    GEOJSON,
    HTML,
    JSON,
    OPENAPI,
    REL_CONFORMANCE,
    REL_DATA,
    SCHEMA,
    answer,
    collection_doc,
    page_links,
    self_links,
    timestamp,
    url,
)
from patrol.ogc.openapi import openapi_document
from patrol.ogc.parameters import (
    allow,
    caller,
    carried_params,
    crs_param,
    items_query,
    parameters_are_400,
)
from patrol.principal import current_principal, signed_in
from patrol.services import ogc

__all__ = [
    "api_definition",
    "collection",
    "collections",
    "conformance",
    "item",
    "items",
    "landing_page",
    "queryables",
    "schema",
]


@bp.get("/")
def landing_page() -> Response:
    """Links to the API definition, the conformance declaration and the collections."""
    allow("f")
    doc = {
        "title": "patrol: anti-poaching patrols, snare finds and hotspots",
        "description": (
            "OGC API - Features of patrol: per conservation area, zones and grid cells with "
            "effort-corrected figures, hotspot classes and the predicted setting rate, and "
            "(for the roles that may see them) unit bases, patrol routes, snare finds and "
            "observations. Send 'Authorization: Bearer <token>' or sign in."
        ),
        "links": [
            *self_links("ogc.landing_page", JSON),
            {
                "rel": "service-desc",
                "type": OPENAPI,
                "title": "the API definition (OpenAPI 3.0)",
                "href": url("ogc.api_definition"),
            },
            {
                "rel": "service-doc",
                "type": HTML,
                "title": "the API documentation",
                "href": url("ogc.api_definition", f="html"),
            },
            *(
                {
                    "rel": rel,
                    "type": JSON,
                    "title": "the conformance classes this server implements",
                    "href": url("ogc.conformance"),
                }
                for rel in ("conformance", REL_CONFORMANCE)
            ),
            *(
                {
                    "rel": rel,
                    "type": JSON,
                    "title": "the collections",
                    "href": url("ogc.collections"),
                }
                for rel in ("data", REL_DATA)
            ),
        ],
    }
    return answer(doc, JSON, "ogc/landing.html")


@bp.get("/conformance")
def conformance() -> Response:
    allow("f")
    doc = {"conformsTo": CONFORMANCE, "links": self_links("ogc.conformance", JSON)}
    return answer(doc, JSON, "ogc/conformance.html")


@bp.get("/api")
def api_definition() -> Response:
    """The OpenAPI 3.0 definition of these endpoints (the caller's collections named)."""
    allow("f")
    ids: list[str] = []
    if request.headers.get("Authorization") or signed_in() is not None:
        try:
            ids = [c.id for c in ogc.collections_for(get_session(), current_principal())]
        except AuthenticationRequired:
            ids = []
    doc = openapi_document(
        url("ogc.landing_page").rstrip("/"),
        ids,
        current_app.config["API_PAGE_SIZE"],
        current_app.config["API_MAX_PAGE_SIZE"],
    )
    return answer(doc, OPENAPI, "ogc/api.html")


@bp.get("/collections")
def collections() -> Response:
    allow("f")
    principal = caller()
    colls = ogc.collections_for(get_session(), principal)
    doc = {
        "links": self_links("ogc.collections", JSON),
        "collections": [collection_doc(c, principal) for c in colls],
        # Part 2: every CRS offered by some collection (/req/crs/fc-md-crs-list).
        "crs": sorted({crs for c in colls for crs in ogc.collection_crs(c)}),
    }
    return answer(doc, JSON, "ogc/collections.html")


@bp.get("/collections/<collection_id>")
def collection(collection_id: str) -> Response:
    """One collection; for zones and cells, ``datetime`` and ``cell_km`` carry over into its
    items links, so a client given this URL (GDAL's OAPIF:…/collections/{id}?datetime=…)
    reads the period asked."""
    principal = caller()
    coll = ogc.collection_for(get_session(), principal, collection_id)
    carried = carried_params(coll)
    doc = collection_doc(coll, principal, carried)
    doc["links"] = self_links("ogc.collection", JSON, collection_id=coll.id) + doc["links"]
    return answer(doc, JSON, "ogc/collection.html", queryables=coll.info.queryables)


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str) -> Response:
    """The properties a client may filter on with ``name=value`` (Part 3 queryables)."""
    allow("f")
    coll = ogc.collection_for(get_session(), caller(), collection_id)
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url("ogc.queryables", collection_id=coll.id),
        "type": "object",
        "title": coll.title,
        "properties": coll.info.queryables,
        "additionalProperties": False,
    }
    return answer(doc, SCHEMA, "ogc/queryables.html", coll=coll)


@bp.get("/collections/<collection_id>/schema")
def schema(collection_id: str) -> Response:
    """Every property of the features and its type (Part 5 style), for typed columns."""
    allow("f")
    coll = ogc.collection_for(get_session(), caller(), collection_id)
    geometry = {
        "format": f"geometry-{coll.info.geometry.lower()}",
        "x-ogc-role": "primary-geometry",
    }
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url("ogc.schema", collection_id=coll.id),
        "type": "object",
        "title": coll.title,
        "properties": {
            "id": {"type": "string", "x-ogc-role": "id"},
            "geometry": geometry,
            **ogc.PROPERTIES[coll.kind],
        },
    }
    return answer(doc, SCHEMA, "ogc/queryables.html", coll=coll)


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str) -> Response:
    """A page of features: bbox, datetime, limit, queryables; next and prev links."""
    principal = caller()
    session = get_session()
    coll = ogc.collection_for(session, principal, collection_id)
    q = items_query(coll)
    epsg = crs_param(coll, "crs")
    with parameters_are_400():
        page = ogc.items(session, principal, coll, q)
    features = page.features
    if epsg is not None:
        features = [{**f, "geometry": ogc.reproject(f["geometry"], epsg)} for f in features]
    links = self_links("ogc.items", GEOJSON, collection_id=coll.id)
    links += page_links(coll, q, len(features), page.number_matched)
    links.append(
        {
            "rel": "collection",
            "type": JSON,
            "title": coll.title,
            "href": url("ogc.collection", collection_id=coll.id),
        }
    )
    doc = {
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": page.number_matched,
        "numberReturned": len(features),
        "timeStamp": timestamp(),
        "links": links,
        **page.about,
    }
    return answer(
        doc,
        GEOJSON,
        "ogc/items.html",
        headers={"Content-Crs": f"<{ogc.crs_uri(epsg)}>"},
        coll=coll,
        offset=q.offset,
    )


@bp.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str) -> Response:
    principal = caller()
    session = get_session()
    coll = ogc.collection_for(session, principal, collection_id)
    q = items_query(coll, single=True)
    epsg = crs_param(coll, "crs")
    with parameters_are_400():
        feature, about = ogc.item(session, principal, coll, feature_id, q)
    doc = {
        **feature,
        "geometry": ogc.reproject(feature["geometry"], epsg),
        "links": [
            *self_links("ogc.item", GEOJSON, collection_id=coll.id, feature_id=feature_id),
            {
                "rel": "collection",
                "type": JSON,
                "title": coll.title,
                "href": url("ogc.collection", collection_id=coll.id),
            },
        ],
        **about,
    }
    return answer(
        doc,
        GEOJSON,
        "ogc/item.html",
        headers={"Content-Crs": f"<{ogc.crs_uri(epsg)}>"},
        coll=coll,
    )
