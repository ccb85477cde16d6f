"""Who the page's session belongs to, with a fresh CSRF token (for the report form's outbox)."""

from __future__ import annotations

from typing import Any

from flask_wtf.csrf import generate_csrf

from patrol.api import bp
from patrol.api.common import current_principal
from patrol.db import get_session
from patrol.services.units import unit_code

__all__ = ["session_info"]


@bp.get("/session")
def session_info() -> dict[str, Any]:
    principal = current_principal()
    return {
        "username": principal.username,
        "role": principal.role,
        "unit": unit_code(get_session(), principal.unit_id),
        "csrf_token": generate_csrf(),
    }
