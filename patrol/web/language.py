"""The language switch and the scripts' message catalogs (one per language, cached offline)."""

from __future__ import annotations

import hashlib
import json
from functools import cache

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    request,
    url_for,
)

from patrol import i18n
from patrol.db import get_session
from patrol.services import preferences
from patrol.web import _safe_next, current_user
from patrol.web.labels import LABELS, label, labels_for, long_day, status_text, year_text
from patrol.web.report_words import flag_text, footnote_text

__all__ = ["bp", "init_app"]

bp = Blueprint("language", __name__)
YEAR = 365 * 24 * 3600


@bp.post("/language")
def switch() -> Response:
    """The switch on every page: the choice is kept in a cookie (before sign-in too) and, for a
    signed-in user, as their preference, which then wins on every device."""
    lang = request.form.get("lang", "")
    if lang not in i18n.LANGUAGES:
        abort(400)
    me = current_user()
    if me is not None:
        preferences.set_user_language(get_session(), me, lang, i18n.LANGUAGES)
    target = _safe_next(request.form.get("next")) or url_for("web.index")
    response = redirect(target)
    response.set_cookie(
        i18n.COOKIE,
        lang,
        max_age=YEAR,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response


@cache
def _catalog_script(lang: str) -> tuple[str, str]:
    """The catalog as a script that sets ``window.PATROL_MESSAGES`` (read synchronously by
    common.js before any page script runs), and its ETag."""
    dump = {"ensure_ascii": False, "sort_keys": True}
    body = (
        f"window.PATROL_MESSAGES = {json.dumps(i18n.js_catalog(lang), **dump)};\n"
        # (in the vocabularies' own order: the pages list the values as patrol/vocabulary.py does)
        f"window.PATROL_LABELS = {json.dumps(labels_for(lang), ensure_ascii=False)};\n"
    )
    return body, hashlib.sha256(body.encode()).hexdigest()[:16]


@bp.get("/i18n/<lang>.js")
def catalog(lang: str) -> Response:
    """One language's messages for the pages' scripts; the service worker keeps both."""
    if lang not in i18n.LANGUAGES:
        abort(404)
    body, tag = _catalog_script(lang)
    response = Response(body, mimetype="text/javascript")
    response.set_etag(tag)
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    """The switch's routes, and the reader's preference and area default for the selector."""

    def preference() -> str | None:
        return preferences.user_language(get_session(), current_user())

    def area_default() -> str | None:
        return preferences.area_default_language(get_session(), current_user())

    app.jinja_env.globals.update(
        label=label,
        role_label=lambda role: label("Role", role),
        long_day=long_day,
        status_text=status_text,
        year_text=year_text,
        flag_text=flag_text,
        footnote_text=footnote_text,
        **{kind.__name__: kind for kind in LABELS},
    )
    app.extensions["patrol_language_hooks"] = {
        "preference": preference,
        "area_default": area_default,
    }
    app.register_blueprint(bp)
