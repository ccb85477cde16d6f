"""Persistence: typed models, the engine and its sessions, Alembic migrations, queries."""

from patrol.store.engine import begin_write, make_engine, make_sessionmaker, upgrade

__all__ = ["begin_write", "make_engine", "make_sessionmaker", "upgrade"]
