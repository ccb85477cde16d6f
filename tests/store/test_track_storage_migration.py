"""Migration 0016: on PostgreSQL the packed route columns are stored out of line without a
compression attempt (``EXTERNAL``), on the plain and the partitioned schema, partitions made
later included; down gives ``EXTENDED`` back. On SQLite it changes nothing and still walks."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic import command

from patrol import create_app
from patrol.db import get_session
from patrol.services.areas import create_area
from patrol.store import partitioning
from patrol.store.engine import alembic_config, make_engine
from tests.conftest import PG_URL, _pg_database, _pg_drop

COLUMNS = ("route_packed", "times_packed")
BOUNDARY = {
    "type": "Polygon",
    "coordinates": [[[131.2, 43.1], [131.4, 43.1], [131.4, 43.3], [131.2, 43.3], [131.2, 43.1]]],
}
# pg_attribute.attstorage: 'x' EXTENDED (compress, then out of line), 'e' EXTERNAL.
_STORAGE = """
SELECT c.relname, a.attname, a.attstorage FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE a.attname IN ('route_packed', 'times_packed')
  AND (c.relname = 'patrol_track' OR c.oid IN
       (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'patrol_track'::regclass))
"""


def _storage(url: str) -> dict[tuple[str, str], str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(_STORAGE).all()
    engine.dispose()
    return {(table, column): kind for table, column, kind in rows}


def _walk(url: str) -> None:
    cfg = alembic_config(url)
    command.upgrade(cfg, "0015")
    if url.startswith("sqlite"):
        command.upgrade(cfg, "0016")
        command.downgrade(cfg, "0015")
        command.upgrade(cfg, "head")
        engine = make_engine(url)
        columns = {c["name"] for c in sa.inspect(engine).get_columns("patrol_track")}
        engine.dispose()
        assert set(COLUMNS) <= columns
        return
    before = _storage(url)
    assert before and set(before.values()) == {"x"}, before
    command.upgrade(cfg, "0016")
    assert set(_storage(url)) == set(before)
    assert set(_storage(url).values()) == {"e"}
    command.downgrade(cfg, "0015")
    assert _storage(url) == before
    command.upgrade(cfg, "head")
    assert set(_storage(url).values()) == {"e"}


def test_0016_stores_packed_routes_external(url):
    _walk(url)


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database of its own (partitioning is PostgreSQL's)."""
    if not PG_URL:
        pytest.skip("partitioning is PostgreSQL's: set PATROL_TEST_DATABASE_URL (CI does)")
    name = f"patrol_mig_{uuid.uuid4().hex[:12]}"
    try:
        yield _pg_database(name)
    finally:
        _pg_drop(name)


def test_0016_reaches_every_partition_and_later_ones(pg_url, monkeypatch):
    url = pg_url
    monkeypatch.setenv("PATROL_PG_PARTITIONED", "1")
    _walk(url)
    app = create_app({"ENV": "testing", "SECRET_KEY": "t", "DATABASE_URL": url})
    with app.app_context():
        session = get_session()
        area = create_area(session, "storage", "Storage", BOUNDARY)
        session.commit()
        area_id = area.id
    app.extensions["patrol.engine"].dispose()
    engine = make_engine(url)
    with engine.begin() as conn:
        assert partitioning.create_partition(conn, area_id, 2031)["created"]
    engine.dispose()
    storage = _storage(url)
    assert (f"patrol_track_a{area_id}_y2031", "route_packed") in storage
    assert ("patrol_track_default", "times_packed") in storage
    assert set(storage.values()) == {"e"}, storage
