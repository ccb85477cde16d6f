"""Migration 0005 (observations, SMART tables) creates what the models say and undoes cleanly."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from patrol.store.engine import alembic_config, make_engine, upgrade
from patrol.store.models import Base

NEW_TABLES = {"observation", "observation_attribute", "smart_patrol", "smart_leg", "smart_area_map"}


def test_models_match_the_migrations_and_0005_goes_down_and_up(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if any(t in repr(d) for t in NEW_TABLES)] == []
    assert set(sa.inspect(engine).get_table_names()) >= NEW_TABLES
    command.downgrade(alembic_config(url), "0003")
    engine.dispose()
    engine = make_engine(url)
    assert not NEW_TABLES & set(sa.inspect(engine).get_table_names())
    upgrade(url)
    engine.dispose()
    engine = make_engine(url)
    assert set(sa.inspect(engine).get_table_names()) >= NEW_TABLES
    engine.dispose()
