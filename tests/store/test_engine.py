"""The store: durable SQLite settings on every connection, migrations that go both ways."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from patrol.store.db import alembic_config, make_engine, upgrade
from patrol.store.models import Base


def test_sqlite_pragmas_on_every_pooled_connection(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.sqlite3'}"
    engine = make_engine(url)
    for _ in range(3):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_migrations_create_the_models_schema_and_go_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    inspector = sa.inspect(engine)
    tables = set(inspector.get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)
    for name, table in Base.metadata.tables.items():
        assert {c["name"] for c in inspector.get_columns(name)} == set(table.columns.keys())
    command.downgrade(alembic_config(url), "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_postgres_keeps_synchronous_commit(app):
    engine = app.extensions["patrol.engine"]
    if engine.dialect.name != "postgresql":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"


def test_foreign_keys_are_enforced(app):
    from patrol.store.models import EffortCell

    engine = app.extensions["patrol.engine"]
    with engine.connect() as conn:
        try:
            conn.execute(
                sa.insert(EffortCell).values(patrol_id=999, ix=0, iy=0, effort_km=1.0, effort_h=1.0)
            )
            conn.commit()
        except sa.exc.IntegrityError:
            conn.rollback()
        else:
            raise AssertionError("a row pointing at no patrol was accepted")
