"""OGC API - Features under /ogc: GeoJSON for programs (QGIS, GDAL), HTML for people."""

from __future__ import annotations

from flask import Blueprint

__all__ = ["bp"]

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

from patrol.ogc import routes  # noqa: E402,F401  (routes)
