"""Migration 0014 replaces the patrol table's (area_id, start_date) index by one that also
carries what the figures' fingerprints read, on SQLite and PostgreSQL: the model matches, the
fingerprint query reads the index alone, and it goes back down and up again."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from patrol.services.month_figures import fingerprint_query
from patrol.store.engine import alembic_config, make_engine
from patrol.store.models import Base

NEW = "ix_patrol_area_start_fingerprint"
OLD = "ix_patrol_area_start_date"


def _indexes(engine: sa.Engine) -> dict[str, list[str]]:
    return {i["name"]: i["column_names"] for i in sa.inspect(engine).get_indexes("patrol")}


def test_0014_covers_the_fingerprint_and_goes_down_and_up(url):
    cfg = alembic_config(url)
    command.upgrade(cfg, "0013")
    engine = make_engine(url)
    assert OLD in _indexes(engine) and NEW not in _indexes(engine)
    engine.dispose()

    command.upgrade(cfg, "0014")
    engine = make_engine(url)
    indexes = _indexes(engine)
    assert OLD not in indexes
    assert indexes[NEW][:2] == ["area_id", "start_date"]  # serves what the old one served
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert [d for d in diff if "'patrol'" in repr(d) or "ix_patrol" in repr(d)] == []
        if engine.dialect.name == "sqlite":
            query = fingerprint_query(1, date(2016, 1, 1), date(2026, 1, 1))
            sql = query.compile(engine, compile_kwargs={"literal_binds": True})
            plan = " ".join(r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert f"COVERING INDEX {NEW}" in plan, plan
    engine.dispose()

    command.downgrade(cfg, "0013")
    engine = make_engine(url)
    assert OLD in _indexes(engine) and NEW not in _indexes(engine)
    engine.dispose()
    command.upgrade(cfg, "head")
    engine = make_engine(url)
    assert NEW in _indexes(engine)
    engine.dispose()
