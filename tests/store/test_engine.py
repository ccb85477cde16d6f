"""The store: durable SQLite settings on every connection, migrations that go both ways."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from patrol.geo.packed_route import unpack_route
from patrol.store.engine import alembic_config, make_engine, upgrade, write
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


def test_migration_0002_backfills_local_dates(tmp_path):
    """A patrol stored under schema 0001 gets its local start date, month and days."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0001")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO conservation_area (id, slug, name, epsg, cell_m, grid_origin_x, "
            "grid_origin_y, timezone, boundary_geojson, area_km2, synthetic, min_lon, min_lat, "
            "max_lon, max_lat, created_at) VALUES (1, 'a', 'A', 32652, 1000, 0, 0, "
            "'Asia/Vladivostok', '{}', 1, 0, 0, 0, 1, 1, '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO unit (id, area_id, code, name, active) VALUES (1, 1, 'U', 'U', 1)"
        )
        # 2026-01-31 20:00 UTC is 1 February 06:00 in Vladivostok; ends 2 February local.
        conn.exec_driver_sql(
            "INSERT INTO patrol (id, uuid, area_id, unit_id, members_json, transport, "
            "started_at, ended_at, route_geojson, vertex_count, distance_km, duration_h, "
            "min_lon, min_lat, max_lon, max_lat, content_hash, source_format, revision, "
            "submitted_at) VALUES (1, 'x', 1, 1, '[]', 'foot', '2026-01-31 20:00:00', "
            "'2026-02-01 15:00:00', '{}', 2, 1, 19, 0, 0, 1, 1, 'h', 'geojson', 1, "
            "'2026-02-02 00:00:00')"
        )
        conn.exec_driver_sql("INSERT INTO effort_cell VALUES (1, 3, 4, 2.5, 1.0)")
        conn.exec_driver_sql(
            "INSERT INTO snare_find (uuid, patrol_id, area_id, found_at, lon, lat, type, count, "
            "state, action, cell_ix, cell_iy) VALUES ('f', 1, 1, '2026-01-31 21:00:00', 0, 0, "
            "'wire', 1, 'active', 'removed', 3, 4)"
        )
    engine.dispose()
    command.upgrade(cfg, "head")
    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT start_date, start_month, days FROM patrol").one()
        # Rebuilding the patrol table must not cascade into its children.
        cells = conn.exec_driver_sql("SELECT count(*) FROM effort_cell").scalar()
        finds = conn.exec_driver_sql("SELECT count(*) FROM snare_find").scalar()
        # The route moved into patrol_track (0010) with the patrol.
        track = conn.exec_driver_sql("SELECT patrol_id, route_packed FROM patrol_track").all()
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert tuple(row) == ("2026-02-01", 202602, 2)
    assert (cells, finds) == (1, 1)
    # ... and its text '{}' (no coordinates) became an empty packed route (0015).
    assert [(i, unpack_route(bytes(r))) for i, r in track] == [(1, [])]
    engine.dispose()


def _area(slug: str):
    from patrol.store.models import ConservationArea

    return ConservationArea(
        slug=slug,
        name=slug,
        epsg=32652,
        cell_m=1000.0,
        grid_origin_x=0.0,
        grid_origin_y=0.0,
        timezone="UTC",
        boundary={},
        area_km2=1.0,
        min_lon=0.0,
        min_lat=0.0,
        max_lon=1.0,
        max_lat=1.0,
    )


def _slugs(session) -> set[str]:
    from patrol.store.models import ConservationArea

    session.rollback()
    return set(session.scalars(sa.select(ConservationArea.slug)))


def test_write_commits_the_block_or_nothing(app, session):
    """``write()`` stores what its block did; an error in the block, or at the commit itself,
    leaves nothing and the session usable."""
    sessions = app.extensions["patrol.sessions"]
    before = _slugs(session)
    with sessions() as s, write(s):
        s.add(_area("kept"))
    assert _slugs(session) == before | {"kept"}

    with sessions() as s:
        with pytest.raises(RuntimeError), write(s):
            s.add(_area("dropped"))
            s.flush()
            raise RuntimeError("the block failed")
        # The commit fails (a duplicate slug): rolled back, and the session goes on.
        with pytest.raises(sa.exc.IntegrityError), write(s):
            s.add(_area("kept"))
        with write(s):
            s.add(_area("after"))
    assert _slugs(session) == before | {"kept", "after"}
