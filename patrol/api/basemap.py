"""An area's offline basemap: its TileJSON and its tiles, for every user of the area."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, current_app, jsonify, request

from patrol.api import bp
from patrol.api.common import current_principal
from patrol.db import get_session
from patrol.services import areas, basemaps

__all__ = ["TILE_CACHE", "basemap_tile", "basemap_tilejson", "basemaps_index"]

# Tiles of a loaded file never change (a new file gets a new version in its URL): a day in
# the browser's own cache, revalidated by ETag after that; never in a shared cache.
TILE_CACHE = "private, max-age=86400"


def _folder() -> Path:
    return basemaps.basemap_folder(current_app.config.get("BASEMAP_DIR"), current_app.instance_path)


def _basemap(slug: str) -> tuple[Any, Any]:
    principal = current_principal()
    session = get_session()
    area = areas.area_for(session, principal, slug)
    return area, basemaps.area_basemap(session, area)


@bp.get("/basemaps")
def basemaps_index() -> Response:
    """The caller's areas that have an offline basemap (an empty list when none has): pages
    ask here first, so an area without one costs no failed request."""
    principal = current_principal()
    doc = basemaps.basemaps_index(
        get_session(), principal.area_ids, f"{request.script_root}/api/v1"
    )
    return jsonify(doc)


@bp.get("/areas/<slug>/basemap")
def basemap_tilejson(slug: str) -> Response:
    """The area's offline basemap as TileJSON (format, bounds, zooms) with the tiles a phone
    keeps offline; 404 when none is loaded."""
    area, row = _basemap(slug)
    url = f"{request.script_root}/api/v1/areas/{area.slug}/basemap/{{z}}/{{x}}/{{y}}"
    doc = basemaps.basemap_document(
        row,
        area,
        f"{url}?v={row.sha256[:16]}",
        int(current_app.config.get("BASEMAP_PREFETCH_MAX_TILES", 3000)),
        _folder(),
    )
    response = jsonify(doc)
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(f"{row.sha256[:16]}-{row.id}")
    return response.make_conditional(request)


@bp.get("/areas/<slug>/basemap/<int:z>/<int:x>/<int:y>")
def basemap_tile(slug: str, z: int, x: int, y: int) -> Response:
    """One tile (XYZ); 204 where the file has no tile, 404 outside its zooms."""
    _, row = _basemap(slug)
    tile = basemaps.read_tile(row, _folder(), z, x, y)
    response = Response(tile.data or b"", status=200 if tile.data else 204)
    if tile.data:
        response.mimetype = tile.media_type
        if tile.encoding:
            response.headers["Content-Encoding"] = tile.encoding
    response.headers["Cache-Control"] = TILE_CACHE
    response.headers["Vary"] = "Cookie, Authorization"
    response.set_etag(f"{row.sha256[:16]}-{z}-{x}-{y}")
    response.last_modified = row.loaded_at
    return response.make_conditional(request)
