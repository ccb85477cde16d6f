"""Reading an OGC API request: who asks, and every query parameter checked (400 otherwise)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

from flask import abort, current_app, redirect, request, url_for

from patrol.errors import AuthenticationRequired, FieldError, InvalidParameter, ValidationFailed
from patrol.http import wants_html
from patrol.principal import current_principal
from patrol.services import ogc
from patrol.services.auth import Principal
from patrol.services.ogc_params import bad_parameter
from patrol.texts import N_

__all__ = [
    "ITEMS_PARAMS",
    "ITEM_PARAMS",
    "allow",
    "caller",
    "carried_params",
    "crs_param",
    "items_query",
    "number",
    "parameters_are_400",
]

ITEMS_PARAMS = {"f", "bbox", "bbox-crs", "datetime", "limit", "offset", "crs"}
ITEM_PARAMS = {"f", "crs"}


def allow(*allowed: str | set[str]) -> None:
    """400 for a parameter the API definition does not name (/req/core/query-param-unknown)."""
    names: set[str] = set()
    for a in allowed:
        names |= {a} if isinstance(a, str) else a
    unknown = sorted(set(request.args) - names)
    if unknown:
        raise bad_parameter(
            unknown[0],
            N_("'{unknown}' is not a parameter of this resource", unknown=unknown[0][:40]),
        )
    fmt = request.args.get("f")
    if fmt is not None and fmt not in ("json", "geojson", "html"):
        raise bad_parameter("f", N_("must be json or html"))


@contextmanager
def parameters_are_400() -> Iterator[None]:
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


def caller() -> Principal:
    """The caller (bearer token or session); people without a session are sent to sign in."""
    try:
        return current_principal()
    except AuthenticationRequired:
        if wants_html():
            abort(redirect(url_for("web.login", next=request.full_path.rstrip("?"))))
        raise


def carried_params(coll: ogc.Collection) -> dict[str, str]:
    """The items parameters a collection URL may carry (zones and cells: the period, size)."""
    names = {"datetime", "cell_km"} if coll.kind == "cells" else {"datetime"}
    allow("f", names if coll.kind in ("zones", "cells") else set())
    carried = {k: v for k, v in request.args.items() if k in names and v}
    if "datetime" in carried:
        ogc.parse_datetime(carried["datetime"])
    if "cell_km" in carried:
        number("cell_km", carried["cell_km"])
    return carried


def number(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise bad_parameter(name, N_("'{raw}' is not a number", raw=raw[:20]))
    return value


def crs_param(coll: ogc.Collection, name: str) -> int | None:
    uri = request.args.get(name)
    if not uri:
        return None
    epsg = ogc.epsg_of(uri, name)
    if ogc.crs_uri(epsg) not in ogc.collection_crs(coll):
        raise bad_parameter(
            name, N_("offered: {allowed}", allowed=", ".join(ogc.collection_crs(coll)))
        )
    return epsg


def items_query(coll: ogc.Collection, single: bool = False) -> ogc.ItemsQuery:
    """The items (or one item's) query, every parameter checked (/req/core/query-param-*)."""
    queryable = set(coll.info.queryables)
    extra = {"cell_km"} if coll.kind == "cells" else set()
    if coll.kind in ("zones", "cells"):
        extra.add("datetime")
    allow(ITEM_PARAMS | extra if single else ITEMS_PARAMS | extra | queryable)
    args = request.args
    max_limit = current_app.config["API_MAX_PAGE_SIZE"]
    limit = current_app.config["API_PAGE_SIZE"]
    if "limit" in args:
        if not args["limit"].isdigit() or int(args["limit"]) < 1:
            raise bad_parameter(
                "limit", N_("a whole number from 1 to {max_limit}", max_limit=max_limit)
            )
        # Above the maximum the server answers its maximum (/per/core/limit-override).
        limit = min(int(args["limit"]), max_limit)
    offset = 0
    if "offset" in args:
        if not args["offset"].isdigit():
            raise bad_parameter("offset", N_("a whole number, 0 or more"))
        offset = int(args["offset"])
    bbox = None
    if args.get("bbox"):
        parts = [number("bbox", v) for v in args["bbox"].split(",")]
        if len(parts) == 6:  # with heights: the heights are ignored
            parts = [parts[0], parts[1], parts[3], parts[4]]
        if len(parts) != 4:
            raise bad_parameter("bbox", N_("give west,south,east,north"))
        epsg = crs_param(coll, "bbox-crs")
        w, s, e, n = parts
        if s > n or w > e:
            raise bad_parameter("bbox", N_("south must not exceed north, nor west east"))
        if epsg is None and not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= n <= 90):
            raise bad_parameter("bbox", N_("longitudes in [-180, 180], latitudes in [-90, 90]"))
        bbox = ogc.bbox_to_crs84((w, s, e, n), epsg)
    elif "bbox-crs" in args:
        crs_param(coll, "bbox-crs")
    when = ogc.parse_datetime(args["datetime"]) if args.get("datetime") else None
    cell_km = number("cell_km", args["cell_km"]) if args.get("cell_km") else None
    return ogc.ItemsQuery(
        bbox=bbox,
        when=when,
        limit=limit,
        offset=offset,
        cell_km=cell_km,
        properties={k: v for k, v in args.items() if k in queryable},
    )
