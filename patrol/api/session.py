"""Who the page's session belongs to, with a fresh CSRF token (for the report form's outbox)."""

from __future__ import annotations

from flask_wtf.csrf import generate_csrf

from patrol.api import bp
from patrol.api.common import current_principal
from patrol.db import get_session
from patrol.store.models import Unit


@bp.get("/session")
def session_info():
    principal = current_principal()
    unit = get_session().get(Unit, principal.unit_id) if principal.unit_id else None
    return {
        "username": principal.username,
        "role": principal.role,
        "unit": unit.code if unit else None,
        "csrf_token": generate_csrf(),
    }
