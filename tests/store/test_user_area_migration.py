"""Migration 0009 renames user_area's column "app_user.id" to user_id, keeping every row, on
SQLite (a batch copy of the table) and PostgreSQL (renamed in place), and back."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from patrol.store.engine import alembic_config, make_engine
from patrol.store.models import Base

# The revision 0009 follows, whatever the chain before it.
BEFORE = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision("0009").down_revision
ROWS = {(1, 1), (1, 2), (2, 2)}  # (user, area)


def _fill(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for k in (1, 2):
            conn.exec_driver_sql(
                "INSERT INTO conservation_area (id, slug, name, epsg, cell_m, grid_origin_x, "
                "grid_origin_y, timezone, boundary_geojson, area_km2, synthetic, min_lon, "
                "min_lat, max_lon, max_lat, created_at) VALUES "
                f"({k}, 'a{k}', 'A{k}', 32652, 1000, 0, 0, 'Asia/Vladivostok', '{{}}', 1, "
                "FALSE, 0, 0, 1, 1, '2026-01-01 00:00:00')"
            )
            conn.exec_driver_sql(
                "INSERT INTO app_user (id, username, role, active, created_at) VALUES "
                f"({k}, 'u{k}', 'coordinator', TRUE, '2026-01-01 00:00:00')"
            )
        for user, area in sorted(ROWS):
            conn.exec_driver_sql(
                f'INSERT INTO user_area ("app_user.id", area_id) VALUES ({user}, {area})'
            )


def _rows(engine: sa.Engine, column: str) -> set[tuple[int, int]]:
    with engine.connect() as conn:
        result = conn.exec_driver_sql(f'SELECT "{column}", area_id FROM user_area')
        return {tuple(r) for r in result}


def _user_fk(engine: sa.Engine) -> dict:
    fks = sa.inspect(engine).get_foreign_keys("user_area")
    (fk,) = [f for f in fks if f["referred_table"] == "app_user"]
    return fk


def test_0009_renames_the_column_and_keeps_the_rows_both_ways(url):
    cfg = alembic_config(url)
    command.upgrade(cfg, BEFORE)
    engine = make_engine(url)
    _fill(engine)
    engine.dispose()

    command.upgrade(cfg, "0009")
    engine = make_engine(url)
    assert _rows(engine, "user_id") == ROWS
    fk = _user_fk(engine)
    assert fk["constrained_columns"] == ["user_id"]
    assert fk["name"] == "fk_user_area_user_id_app_user"
    assert fk["options"].get("ondelete", "").upper() == "CASCADE"
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if "user_area" in repr(d)] == []
    # The foreign key still cascades: a removed user takes their area links along.
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM app_user WHERE id = 2")
    assert _rows(engine, "user_id") == ROWS - {(2, 2)}
    engine.dispose()

    command.downgrade(cfg, BEFORE)
    engine = make_engine(url)
    assert _rows(engine, "app_user.id") == ROWS - {(2, 2)}
    assert _user_fk(engine)["constrained_columns"] == ["app_user.id"]
    engine.dispose()
