"""The Flask application factory: settings, the store, the API and the pages wired together."""

from __future__ import annotations

import gc
import importlib
import logging
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from patrol import config as settings
from patrol.config import ConfigurationError

__all__ = ["ANSWER_MODULES", "create_app", "preload"]

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)

# What the answers import where they use it rather than when the app is made: scipy's
# statistics are ~0.7 s of CPU, most of every command's start-up, and no command but the
# statistics' needs them. A server imports them before its first answer (``preload``).
ANSWER_MODULES = ("scipy.stats", "scipy.sparse", "scipy.optimize", "scipy.ndimage", "scipy.special")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The application factory: defaults, then instance/config.py, PATROL_* env, test config.

    The collector is paused while it runs: making the app imports most of patrol and
    allocates ~120,000 objects that nearly all live on, and collecting among them as they come
    (~290 collections, ~0.1 s of every command's start-up) freed ~3,000 of them. The
    process's own app (no test config: a command's, or the server's in ``wsgi.py``) lives as
    long as the process, so what it holds is then frozen out of later collections: the
    collections at exit alone went over it for ~0.13 s (``server_gc`` freezes it too).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        app = _build(test_config)
        if test_config is None:
            gc.freeze()
        return app
    finally:
        if collecting:
            gc.enable()


def _build(test_config: dict[str, Any] | None) -> Flask:
    """The app itself: settings, the store, the API, the pages and the commands wired up."""
    app = Flask(
        "patrol",
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from patrol.jsonio import FastJSONProvider

    app.json = FastJSONProvider(app)  # patrol.wire replaces it with its rounding subclass
    app.config.from_mapping({k: v for k, v in settings.DEFAULTS.items()})
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_mapping(settings.from_environment())
    else:
        app.config.from_mapping(test_config)
    if not app.config["SECRET_KEY"]:
        if app.config["ENV"] not in ("development", "testing"):
            raise ConfigurationError(
                "PATROL_SECRET_KEY is not set. Set it to a long random value "
                "(python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        app.config["SECRET_KEY"] = settings.DEV_SECRET_KEY
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = settings.default_database_url(
            app.instance_path, app.config["ENV"]
        )
    app.config["SESSION_COOKIE_SECURE"] = app.config["ENV"] not in ("development", "testing")

    from patrol import cli, db, http, i18n, wire
    from patrol.api import bp as api_bp
    from patrol.ogc import bp as ogc_bp
    from patrol.web import bp as web_bp
    from patrol.web import language

    db.init_app(app)
    http.init_app(app)
    wire.init_app(app)  # after http: its validators and compression run before the headers
    cli.init_app(app)
    app.register_blueprint(api_bp)
    app.register_blueprint(ogc_bp)
    app.register_blueprint(web_bp)
    i18n.init_app(app)  # the pages' language (Flask-Babel over translations/)
    language.init_app(app)  # the switch and the scripts' catalogs
    # Forms carry a CSRF token; the API checks the header itself for session callers
    # (bearer-token clients need none: no browser sends their token on its own).
    csrf = CSRFProtect(app)
    csrf.exempt(api_bp)
    if app.config["PROXY_COUNT"]:
        # The client's scheme and address as the proxy saw them (https, for secure cookies and
        # CSRF's referrer check; the address for sign-in rate limiting).
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    return app


def preload() -> None:
    """Import what the answers import on first use (``ANSWER_MODULES``), so that a server
    worker's first answer does not pay for it: ``wsgi.py`` calls it before the workers answer."""
    for name in ANSWER_MODULES:
        importlib.import_module(name)
