"""The engine (SQLite tuned for durability, or PostgreSQL via psycopg 3), sessions, migrations."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["begin_write", "make_engine", "make_sessionmaker", "upgrade", "write"]

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
WRITE = "patrol_write"


def _normalise_url(url: str) -> str:
    # Plain postgresql:// URLs would pick psycopg2, which is not installed: use psycopg 3.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, busy_timeout_s: float = 30.0, foreign_keys: bool = True) -> sa.Engine:
    """An engine for ``url``; SQLite gets WAL, synchronous=FULL and foreign keys on every
    connection, and write transactions that take the write lock up front (BEGIN IMMEDIATE)
    so two writers queue instead of failing half-way.

    Migrations pass ``foreign_keys=False``: SQLite alters a table by copying it and dropping
    the old one, and with foreign keys on, that drop would cascade into every child table.
    """
    url = _normalise_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": busy_timeout_s})

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
            # Let SQLAlchemy's begin event issue BEGIN, instead of pysqlite's implicit one.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            immediate = conn.get_execution_options().get(WRITE, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def make_sessionmaker(engine: sa.Engine) -> so.sessionmaker[so.Session]:
    return so.sessionmaker(engine, expire_on_commit=False)


def begin_write(session: so.Session) -> None:
    """Open the session's write transaction, ending any read-only one it holds.

    On SQLite this is BEGIN IMMEDIATE: a deferred transaction that read first and writes later
    fails outright when another writer committed in between, instead of waiting its turn.
    """
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write called with unsaved changes in the session")
        session.rollback()
    session.connection(execution_options={WRITE: True})


@contextmanager
def write(session: so.Session) -> Iterator[so.Session]:
    """One write transaction: opened with ``begin_write``, committed when the block ends,
    rolled back (and the error raised on) when the block or the commit raises.

    This is the house rule of who commits: the service that writes, through this block, before
    it returns. Routes and the CLI never commit; a block either stores all it did or nothing.
    """
    begin_write(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def alembic_config(url: str) -> Config:
    """Alembic's configuration for ``url``.

    Alembic (with Mako) is ~30 MiB of a process's memory and only migrations need it: it is
    imported here, not when the app starts, so a server worker never loads it.
    """
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", _normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` with the Alembic migrations."""
    from alembic import command

    log.info("migrating database to %s", revision)
    command.upgrade(alembic_config(url), revision)
