"""Migration 0007 (area_basemap) creates what the model says and undoes cleanly."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from patrol.store.engine import alembic_config, make_engine, upgrade
from patrol.store.models import Base


def test_0007_matches_the_model_and_goes_down_and_up(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if "area_basemap" in repr(d)] == []
    assert "area_basemap" in sa.inspect(engine).get_table_names()
    engine.dispose()
    command.downgrade(alembic_config(url), "0006")
    engine = make_engine(url)
    assert "area_basemap" not in sa.inspect(engine).get_table_names()
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    assert "area_basemap" in sa.inspect(engine).get_table_names()
    engine.dispose()
