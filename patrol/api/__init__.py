"""The JSON API under /api/v1: parse the request, call a service, answer (RFC 9457 on errors)."""

from __future__ import annotations

from flask import Blueprint

__all__ = ["bp"]

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from patrol.api import (  # noqa: E402,F401  (routes)
    analytics,
    basemap,
    openapi,
    patrols,
    risk,
    session,
    smart,
    zones,
)
