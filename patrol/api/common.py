"""Request helpers shared by the API routes: who is asking, the list filters, the answers."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

from flask import Response, current_app, jsonify, request, url_for

from patrol.api.params import QueryArgs
from patrol.db import get_session
from patrol.geo.documents import feature_collection
from patrol.jsonio import FastJSONProvider
from patrol.principal import current_principal
from patrol.services import areas
from patrol.services.queries import Filters
from patrol.texts import N_

__all__ = [
    "attachment",
    "current_principal",
    "features_response",
    "filters_from_request",
    "geojson_response",
    "paged",
]


def _comparable(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), UTC)


def _is_day(value: date | datetime | None) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def filters_from_request(q: QueryArgs | None = None) -> Filters:
    """area, from, to, unit, zone, bbox, limit, offset from the query string, validated
    together (with whatever else ``q`` collected before)."""
    q = q or QueryArgs()
    start, end = q.day_or_time("from", end=False), q.day_or_time("to", end=True)
    if start and end and _comparable(end) <= _comparable(start):
        q.problem("to", N_("must be after 'from'"))
    bbox = q.bbox()
    config = current_app.config
    limit = q.whole("limit", config["API_PAGE_SIZE"], 1, config["API_MAX_PAGE_SIZE"])
    offset = q.whole("offset", 0, 0, 10**9)
    q.check()
    area_id = None
    if q.text("area"):  # one of the caller's areas (404 for another's, as everywhere)
        area_id = areas.area_for(get_session(), current_principal(), q.text("area")).id
    return Filters(
        start=None if _is_day(start) else start,
        end=None if _is_day(end) else end,
        unit=q.text("unit"),
        zone=q.text("zone"),
        bbox=bbox,
        limit=limit,
        offset=offset,
        first_day=start if _is_day(start) else None,
        end_day=end if _is_day(end) else None,
        area_id=area_id,
    )


def geojson_response(
    doc: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """``doc`` as application/geo+json, with ``status`` and ``headers``."""
    response = jsonify(doc)
    response.status_code = status
    response.mimetype = "application/geo+json"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def features_response(features: Iterable[dict[str, Any]], members: dict[str, Any]) -> Response:
    """A FeatureCollection of ``features`` (and foreign ``members``) as application/geo+json,
    each feature encoded as soon as it is built.

    The bytes are those ``geojson_response`` gives for the whole document (keys sorted,
    coordinates rounded per feature as for the whole): the members are encoded with an empty
    feature list, which sorts first, and the features are written into it. A worker then
    holds the encoded answer (twice for a moment, as the buffer is copied into the response)
    and one feature's dicts at a time, never every feature's dicts at once (a page of 1,000
    real routes, 49 MB of JSON, took a worker to 1,033 MiB built whole).
    """
    provider = current_app.json
    if current_app.debug or not isinstance(provider, FastJSONProvider):
        return geojson_response(feature_collection(features, **members))
    head = provider.encode(feature_collection([], **members))
    empty = b'{"features":[]'
    if not head.startswith(empty):  # a member sorting before "features": encode it whole
        return geojson_response(feature_collection(features, **members))
    body = io.BytesIO()
    body.write(b'{"features":[')
    for i, f in enumerate(features):
        if i:
            body.write(b",")
        body.write(provider.encode(f))
    body.write(b"]")
    body.write(memoryview(head)[len(empty) :])
    body.write(b"\n")
    return Response(body.getvalue(), mimetype="application/geo+json")


def attachment(
    data: str | bytes,
    filename: str,
    *,
    mimetype: str | None = None,
    content_type: str | None = None,
) -> Response:
    """A download saved by the browser as ``filename`` (``mimetype`` gains a charset where
    Werkzeug adds one; ``content_type`` is sent as it is)."""
    return Response(
        data,
        mimetype=mimetype,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def paged(
    doc: dict[str, Any], endpoint: str, total: int, f: Filters, returned: int
) -> dict[str, Any]:
    """OGC API - Features style paging members: numberMatched, numberReturned, next link.

    The next page starts after the last feature returned: a page may hold fewer than
    ``limit`` (routes stop at a vertex budget, ``services.map_routes``).
    """
    doc["numberMatched"] = total
    doc["numberReturned"] = returned
    links = []
    if returned and f.offset + returned < total:
        args = request.args.to_dict() | {"offset": f.offset + returned, "limit": f.limit}
        links.append(
            {
                "rel": "next",
                "type": "application/geo+json",
                "href": url_for(endpoint, _external=False, **args),
            }
        )
    doc["links"] = links
    return doc
