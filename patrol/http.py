"""One error handler for the whole app, and the security headers every answer carries."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from patrol.errors import FieldError, PatrolError, PayloadTooLarge, ValidationFailed
from patrol.geo.problems import printable, text_problem

__all__ = ["init_app", "problem_response", "wants_html"]

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; worker-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


def wants_html() -> bool:
    """Whether an OGC API resource is asked for as a page: ``f=html``, else by ``Accept``
    (browsers put text/html first; GDAL, QGIS and curl get JSON)."""
    fmt = request.args.get("f")
    if fmt:
        return fmt == "html"
    best = request.accept_mimetypes.best_match(
        ["application/geo+json", "application/json", "text/html"], default="application/json"
    )
    return best == "text/html"


def _is_ogc() -> bool:
    return request.path == "/ogc" or request.path.startswith("/ogc/")


def _wants_problem() -> bool:
    return request.path.startswith("/api/") or (_is_ogc() and not wants_html())


def problem_response(error: PatrolError) -> Response:
    response = jsonify(error.as_problem(instance=request.path))
    response.status_code = error.status
    response.mimetype = PROBLEM_JSON
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="patrol"'
    return response


def _page(error: PatrolError) -> tuple[str, int]:
    return render_template("error.html", error=error), error.status


def handle_patrol_error(error: PatrolError) -> ResponseReturnValue:
    return problem_response(error) if _wants_problem() else _page(error)


def handle_http_exception(exc: HTTPException) -> Response:
    headers = {}
    if exc.code == 405:
        # RFC 9110 15.5.6: a 405 names the methods the resource does support.
        headers = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}
    if exc.code == 413:
        error: PatrolError = PayloadTooLarge(
            "The body is larger than this server accepts in one request."
        )
    else:
        error = PatrolError(exc.description or exc.name)
        error.status, error.code, error.title = (
            exc.code or 500,
            exc.name.lower().replace(" ", "-"),
            exc.name,
        )
    response = make_response(handle_patrol_error(error))
    response.headers.update(headers)
    return response


def reject_unstorable_parameters() -> None:
    """No query parameter or path segment may carry what no column can store.

    A NUL byte reaches PostgreSQL as an error and other control characters are never part of
    an id, a date or a code: one check before any route sees them, for every endpoint.
    """
    problems = [
        FieldError(f"/{printable(name)}", why)
        for name, values in request.args.lists()
        for value in (name, *values)
        if (why := text_problem(value))
    ]
    problems += [
        FieldError(f"/{name}", why)
        for name, value in (request.view_args or {}).items()
        if isinstance(value, str) and (why := text_problem(value))
    ]
    if problems:
        raise ValidationFailed("The request's parameters are not valid.", errors=problems[:10])


def handle_unexpected(exc: Exception) -> ResponseReturnValue:
    from patrol.db import close_session

    log.exception("unhandled error on %s %s", request.method, request.path)
    close_session()  # rolls back whatever the failed request had begun
    error = PatrolError("Something went wrong on the server; nothing was stored.")
    error.status, error.code, error.title = 500, "internal-error", "Internal server error"
    return handle_patrol_error(error)


def security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.path.startswith("/api/") or _is_ogc():
        # Answers depend on who asks: no shared cache may keep them.
        response.headers.setdefault("Cache-Control", "no-store")
    if request.is_secure:
        # Only over https (directly or behind PATROL_PROXY_COUNT proxies): a browser told this
        # on plain http to a LAN address would lock itself out of a field office's server.
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(PatrolError, handle_patrol_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
    app.before_request(reject_unstorable_parameters)
    app.after_request(security_headers)
