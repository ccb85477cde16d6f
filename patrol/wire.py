"""Light on the wire: compressed answers, ETag validators and GPS-precision coordinates.

A field office shares a slow link, and the coordinator's map asks for megabytes of GeoJSON.
Three things, for every answer, in one place:

- answers are compressed (Brotli, else gzip) when the client accepts it (Flask-Compress);
- GET answers of /api and /ogc carry a weak ETag of their uncompressed body and answer 304 to
  a matching ``If-None-Match``: a map opened again on an unchanged view costs a few hundred
  bytes. They may be kept by the caller's browser only (``private``) and must be revalidated
  every time (``no-cache``), and vary with who asks (``Cookie``, ``Authorization``);
- every GeoJSON document the app encodes has its coordinates rounded to 6 decimals
  (:mod:`patrol.geo.precision`), in the JSON provider all ``jsonify`` calls go through.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask, Response, request
from flask_compress import Compress

from patrol.geo.precision import round_geojson
from patrol.jsonio import FastJSONProvider

__all__ = [
    "COMPRESSED_MIMETYPES",
    "GeoJSONProvider",
    "close_streamed_body",
    "conditional_get",
    "init_app",
]

# Text the app sends (its own JSON flavours, CSV, GPX, pages and their scripts). Already
# compressed formats (XLSX, GeoPackage, zip, PNG) are not listed: squeezing them again costs
# CPU for nothing.
COMPRESSED_MIMETYPES = [
    "application/json",
    "application/geo+json",
    "application/problem+json",
    "application/schema+json",
    "application/vnd.oai.openapi+json",
    "application/gpx+xml",
    "application/vnd.smart.patrol+xml",
    "application/xml",
    "text/xml",
    "text/csv",
    "text/html",
    "text/plain",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/manifest+json",
    "image/svg+xml",
]

# Answers that must never be stored, even privately: the session's fresh CSRF token.
NO_STORE_ENDPOINTS = frozenset({"api.session_info"})


class GeoJSONProvider(FastJSONProvider):
    """The orjson provider, with GeoJSON coordinates rounded to 6 decimals (0.11 m)."""

    def prepare(self, obj: Any) -> Any:
        return round_geojson(obj)


def _data_path() -> bool:
    path = request.path
    return path.startswith("/api/") or path == "/ogc" or path.startswith("/ogc/")


def _vary(response: Response, *names: str) -> None:
    have = {v.strip().lower() for v in response.headers.get("Vary", "").split(",") if v.strip()}
    for name in names:
        if name.lower() not in have:
            response.vary.add(name)


def conditional_get(response: Response) -> Response:
    """A weak ETag (a hash of the uncompressed body) on every GET answer of the API and OGC,
    and 304 Not Modified when the client already has it.

    Weak, because the same JSON is sent gzip, Brotli or plain: the representations differ in
    bytes, not in meaning, and If-None-Match compares weakly (RFC 9110 13.1.2). A hash of the
    body never leaks across roles: an NGO's aggregate and a coordinator's answer differ in
    body, so in ETag. Runs before compression, so the hash is of the JSON itself and a 304
    is answered without compressing anything.
    """
    if not _data_path():
        return response
    # The answer depends on the format asked for and on who asks.
    _vary(response, "Accept", "Accept-Encoding", "Cookie", "Authorization")
    if (
        request.method not in ("GET", "HEAD")
        or response.status_code != 200
        or response.is_streamed
        or request.endpoint in NO_STORE_ENDPOINTS
        or "Content-Encoding" in response.headers
    ):
        return response
    # A view that set its own validator and cache policy knows better (a basemap tile is the
    # same for a day and named by its file's hash): keep them, answer 304 on them.
    if "ETag" not in response.headers:
        digest = hashlib.blake2b(response.get_data(), digest_size=16).hexdigest()
        response.set_etag(digest, weak=True)
    response.headers.setdefault("Cache-Control", "private, no-cache")
    response.make_conditional(request)
    return response


def close_streamed_body(response: Response) -> Response:
    """A streamed body (a file) is closed with the answer even once compressed.

    Flask-Compress replaces a streamed answer's body with a generator compressing it chunk
    by chunk; closing the answer then closes the generator, not the file it reads, which
    stayed open until garbage collection.
    """
    body = response.response
    if response.is_streamed and hasattr(body, "close"):
        response.call_on_close(body.close)
    return response


def init_app(app: Flask) -> None:
    """Wire compression, validators and rounding into ``app`` (after patrol.http)."""
    app.json = GeoJSONProvider(app)
    if app.config.get("COMPRESS", True):
        app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_MIMETYPES)
        # Brotli (quality 4) is as small as gzip (level 6) on our GeoJSON in half to two thirds
        # of the time (docs/performance.md); curl, GDAL and QGIS take gzip. Below 500 bytes
        # compression saves less than a packet.
        app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
        # Files (scripts, styles) stream, compressed chunk by chunk, with the same choice.
        app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "gzip"])
        app.config.setdefault("COMPRESS_MIN_SIZE", 500)
        Compress(app)
    # Registered after Compress, so they run before it (Flask runs after_request functions
    # last-registered first): the ETag is of the uncompressed body.
    app.after_request(close_streamed_body)
    app.after_request(conditional_get)
