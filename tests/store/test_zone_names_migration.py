"""Migration 0013 adds zone.names (the park's names of a zone per language) on SQLite and
PostgreSQL, keeps every zone, matches the model, and goes back down and up again."""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from patrol.store.engine import alembic_config, make_engine
from patrol.store.models import Base

NAMES = {"ru": "Кедровая", "en": "Kedrovaya"}


def _columns(engine: sa.Engine) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns("zone")}


def _fill(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO conservation_area (id, slug, name, epsg, cell_m, grid_origin_x, "
            "grid_origin_y, timezone, boundary_geojson, area_km2, synthetic, min_lon, "
            "min_lat, max_lon, max_lat, created_at) VALUES (1, 'a', 'A', 32652, 1000, 0, 0, "
            "'Asia/Vladivostok', '{}', 1, FALSE, 0, 0, 1, 1, '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO zone (id, area_id, code, name, geometry_geojson, area_km2, min_lon, "
            "min_lat, max_lon, max_lat) VALUES (1, 1, 'Z01', 'Кедровая', '{}', 1, 0, 0, 1, 1)"
        )


def test_0013_adds_zone_names_keeps_the_zones_and_goes_down_and_up(url):
    cfg = alembic_config(url)
    command.upgrade(cfg, "0012")
    engine = make_engine(url)
    assert "names" not in _columns(engine)
    _fill(engine)
    engine.dispose()

    command.upgrade(cfg, "0013")
    engine = make_engine(url)
    assert "names" in _columns(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if "'zone'" in repr(d) or "names" in repr(d)] == []
    with engine.begin() as conn:
        assert conn.exec_driver_sql("SELECT code, name, names FROM zone").all() == [
            ("Z01", "Кедровая", None)
        ]
        conn.execute(
            sa.text("UPDATE zone SET names = :n"), {"n": json.dumps(NAMES, ensure_ascii=False)}
        )
        stored = conn.exec_driver_sql("SELECT names FROM zone").scalar_one()
    assert json.loads(stored) == NAMES
    engine.dispose()

    command.downgrade(cfg, "0012")
    engine = make_engine(url)
    assert "names" not in _columns(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT code, name FROM zone").all() == [("Z01", "Кедровая")]
    engine.dispose()
    command.upgrade(cfg, "head")
    engine = make_engine(url)
    assert "names" in _columns(engine)
    engine.dispose()
