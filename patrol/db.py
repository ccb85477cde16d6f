"""Flask glue for the store: one engine per app, one session per request, closed in teardown."""

from __future__ import annotations

import logging

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app, g

from patrol.config import demo_allowed
from patrol.store.engine import make_engine, make_sessionmaker

__all__ = ["get_session", "init_app"]

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"], app.config["SQLITE_BUSY_TIMEOUT_S"])
    app.extensions["patrol.engine"] = engine
    app.extensions["patrol.sessions"] = make_sessionmaker(engine)
    app.teardown_appcontext(close_session)
    if not demo_allowed(app.config["ENV"]):
        _warn_of_demo_users(engine)


def _warn_of_demo_users(engine: sa.Engine) -> None:
    """Say so when a production server finds the demo's users: they cannot sign in here
    (their passwords and tokens are published), and they should be removed."""
    try:
        with engine.connect() as conn:
            names = conn.scalars(sa.text("SELECT username FROM app_user WHERE demo")).all()
    except sa.exc.DBAPIError:
        return  # not migrated yet: nothing to warn of
    if names:
        log.warning(
            "this database holds demo users (%s); in production they are refused: use a "
            "database of its own for production (PATROL_DATABASE_URL)",
            ", ".join(names),
        )


def get_session() -> so.Session:
    """The request's session, opened on first use."""
    if "db" not in g:
        g.db = current_app.extensions["patrol.sessions"]()
    return g.db


def close_session(_exc: BaseException | None = None) -> None:
    # Closing rolls back anything uncommitted: writes are committed by the services, never here.
    session = g.pop("db", None)
    if session is not None:
        session.close()
