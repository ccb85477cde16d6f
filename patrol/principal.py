"""Who is asking: the one loader of a request's ``Principal``, for the API, OGC and pages."""

from __future__ import annotations

from flask import current_app, g, request, session
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from patrol.config import demo_allowed
from patrol.db import get_session
from patrol.errors import AuthenticationRequired, Forbidden
from patrol.services.auth import Principal, authenticate_token, session_principal
from patrol.texts import N_

__all__ = ["current_principal", "signed_in"]

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _demo() -> bool:
    return demo_allowed(current_app.config["ENV"])


def signed_in() -> Principal | None:
    """The person signed in on this browser session, or None (read once per request)."""
    if "signed_in" not in g:
        g.signed_in = session_principal(get_session(), session.get("sid"), allow_demo=_demo())
    return g.signed_in


def current_principal() -> Principal:
    """The caller: ``Authorization: Bearer`` for API clients, else the signed-in person's
    session (whose unsafe requests must carry the page's CSRF token); 401 without either."""
    if "principal" in g:
        return g.principal
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        g.principal = authenticate_token(get_session(), token.strip(), allow_demo=_demo())
        return g.principal
    principal = signed_in()
    if principal is None:
        raise AuthenticationRequired(N_("Send 'Authorization: Bearer <token>', or sign in."))
    if request.method not in SAFE_METHODS:
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except ValidationError:
            raise Forbidden(
                N_("The page's CSRF token is missing or stale: reload the page.")
            ) from None
    g.principal = principal
    return principal
