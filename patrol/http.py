"""One error handler for the whole app, and the security headers every answer carries."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from patrol.errors import PatrolError, PayloadTooLarge

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


def _page(error: PatrolError):
    return render_template("error.html", error=error), error.status


def handle_patrol_error(error: PatrolError):
    return problem_response(error) if _wants_problem() else _page(error)


def handle_http_exception(exc: HTTPException):
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
    return handle_patrol_error(error)


def handle_unexpected(exc: Exception):
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
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(PatrolError, handle_patrol_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
    app.after_request(security_headers)
