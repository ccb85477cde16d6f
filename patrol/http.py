"""One error handler for the whole app, and the security headers every answer carries."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, get_locale, gettext
from werkzeug.exceptions import HTTPException

from patrol.errors import FieldError, PatrolError, PayloadTooLarge, ValidationFailed
from patrol.geo.problems import printable, text_problem
from patrol.i18n import ENGLISH, LANGUAGES, choose_language
from patrol.texts import N_, translated

__all__ = ["init_app", "problem_language", "problem_response", "say", "wants_html"]

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; worker-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


# Werkzeug's own words for the answers it makes (an unknown address, a method the address
# does not take, a bad request), marked so they are said in the reader's language too.
WERKZEUG_WORDS = {
    m: m
    for m in (
        N_("Not Found"),
        N_(
            "The requested URL was not found on the server. If you entered the URL manually "
            "please check your spelling and try again."
        ),
        N_("Method Not Allowed"),
        N_("The method is not allowed for the requested URL."),
        N_("Bad Request"),
        N_("The browser (or proxy) sent a request that this server could not understand."),
    )
}


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


def problem_language() -> str:
    """The language of a problem: the caller's ``Accept-Language``, else a signed-in caller's
    saved preference, else English. Not the area's default (nor the switch's cookie): a
    script that does not ask keeps the English it was written against."""
    asked = choose_language(None, None, request.accept_languages, None)
    if asked != ENGLISH or any(
        tag.split("-")[0].lower() == ENGLISH for tag, _q in request.accept_languages
    ):
        return asked
    try:
        preference = _saved_preference()
    except Exception:  # a problem is answered even when the store cannot be asked
        log.debug("no preference for the problem's language", exc_info=True)
        preference = None
    return preference if preference in LANGUAGES else ENGLISH


def _saved_preference() -> str | None:
    """The caller's saved language when who they are is known already: the principal the
    route authenticated (a token's user too), else the browser session's user."""
    principal = g.get("principal")
    if principal is not None:
        from patrol.db import get_session
        from patrol.services.preferences import user_language

        return user_language(get_session(), principal)
    hook = current_app.extensions.get("patrol_language_hooks", {}).get("preference")
    return hook() if hook else None


def said(problem: dict[str, Any], lang: str) -> dict[str, Any]:
    """``problem`` with its title, detail and each error's detail in ``lang``; type, status,
    pointers and every other member unchanged, for programs."""
    if lang == ENGLISH:
        return problem
    with force_locale(lang):
        out = {**problem}
        for key in ("title", "detail"):
            if isinstance(out.get(key), str):
                out[key] = translated(out[key], gettext)
        if isinstance(out.get("errors"), list):
            out["errors"] = [
                {**e, "detail": translated(e["detail"], gettext)}
                if isinstance(e, dict) and isinstance(e.get("detail"), str)
                else e
                for e in out["errors"]
            ]
    return out


def say(text: str, lang: str) -> str:
    """``text`` (a Message, or a catalog's message) in ``lang``: what the API says in words
    besides its problems (the audit trail's sentences), in the problems' language."""
    if lang == ENGLISH:
        return str(text)
    with force_locale(lang):
        return translated(text, gettext)


def problem_response(error: PatrolError) -> Response:
    problem = error.as_problem(instance=request.path)
    response = jsonify(said(problem, problem_language()))
    response.status_code = error.status
    response.mimetype = PROBLEM_JSON
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="patrol"'
    response.vary.add("Accept-Language")
    return response


def _page(error: PatrolError) -> tuple[str, int]:
    """The error page, its title and details in the page's language (the problem's members
    read the same in the template as the error's attributes)."""
    problem = said(error.as_problem(), str(get_locale() or ENGLISH))
    return render_template("error.html", error=problem), error.status


def handle_patrol_error(error: PatrolError) -> ResponseReturnValue:
    return problem_response(error) if _wants_problem() else _page(error)


def handle_http_exception(exc: HTTPException) -> Response:
    headers = {}
    if exc.code == 405:
        # RFC 9110 15.5.6: a 405 names the methods the resource does support.
        headers = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}
    if exc.code == 413:
        error: PatrolError = PayloadTooLarge(
            N_("The body is larger than this server accepts in one request.")
        )
    else:
        error = PatrolError(WERKZEUG_WORDS.get(exc.description, exc.description or exc.name))
        error.status, error.code, error.title = (
            exc.code or 500,
            exc.name.lower().replace(" ", "-"),
            WERKZEUG_WORDS.get(exc.name, exc.name),
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
        raise ValidationFailed(N_("The request's parameters are not valid."), errors=problems[:10])


def handle_unexpected(exc: Exception) -> ResponseReturnValue:
    from patrol.db import close_session

    log.exception("unhandled error on %s %s", request.method, request.path)
    close_session()  # rolls back whatever the failed request had begun
    error = PatrolError(N_("Something went wrong on the server; nothing was stored."))
    error.status, error.code, error.title = 500, "internal-error", N_("Internal server error")
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
