"""Flask glue for the store: one engine per app, one session per request, closed in teardown."""

from __future__ import annotations

import sqlalchemy.orm as so
from flask import Flask, current_app, g

from patrol.store.db import make_engine, make_sessionmaker

__all__ = ["get_session", "init_app"]


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"], app.config["SQLITE_BUSY_TIMEOUT_S"])
    app.extensions["patrol.engine"] = engine
    app.extensions["patrol.sessions"] = make_sessionmaker(engine)
    app.teardown_appcontext(close_session)


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
