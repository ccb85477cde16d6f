"""Migration 0015 packs patrol_track's route and times text into binary on SQLite, PostgreSQL
and the partitioned PostgreSQL schema: every row (more than one conversion batch of them) gives
back the very text it held, the schema matches the model, and it goes down (the same text
again) and up (the same bytes again)."""

from __future__ import annotations

import uuid

import numpy as np
import orjson
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from patrol.geo import packed_route
from patrol.store import partitioning
from patrol.store.engine import alembic_config, make_engine
from patrol.store.models import Base
from tests.conftest import BACKENDS, _pg_database, _pg_drop

ROWS = 520  # more than one batch (0015's BATCH is 500)


@pytest.fixture(params=[*BACKENDS, *(["partitioned"] if "postgresql" in BACKENDS else [])])
def url(request, tmp_path, monkeypatch):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'packed.sqlite3'}"
        return
    if request.param == "partitioned":
        monkeypatch.setenv("PATROL_PG_PARTITIONED", "1")
    name = f"patrol_mig_{uuid.uuid4().hex[:12]}"
    try:
        yield _pg_database(name)
    finally:
        _pg_drop(name)


def _texts(k: int, rng: np.random.Generator) -> tuple[str, str | None]:
    """The text the store held for a route and its times: as the text codec wrote them (orjson
    of float lists), rounded to 7 decimals like every stored route, with some odd ones: an
    unrounded route, a route with elevations, fractional and absent times, a -0.0 (a rounded
    coordinate just west of the meridian), an empty part and parts with different dimensions."""
    n = int(rng.integers(2, 40))
    parts = [
        np.round(np.column_stack([rng.uniform(130, 132, n), rng.uniform(42, 44, n)]), 7)
        for _ in range(1 + k % 3)
    ]
    if k == 1:
        parts = [np.column_stack([rng.uniform(130, 132, n), rng.uniform(42, 44, n)])]
    if k == 2:
        parts = [np.column_stack([rng.uniform(130, 132, n), rng.uniform(42, 44, n), [5.5] * n])]
    if k == 6:
        parts[0][0, 0] = np.round(-1e-9, 7)  # -0.0
    if k == 8:
        parts = [np.asarray([], dtype=float)]
    if k == 9:
        parts = [parts[0], np.column_stack([parts[0], [5.5] * n]), parts[0]]
    route = orjson.dumps(
        {"type": "MultiLineString", "coordinates": [p.tolist() for p in parts]}
    ).decode()
    start = 1.7e9 + 86400.0 * k
    times = [start + 10.0 * np.arange(len(p)) for p in parts]
    if k % 5 == 3:
        times = [t + 0.25 for t in times]
    if k % 7 == 4:
        return route, None
    return route, orjson.dumps([t.tolist() for t in times]).decode()


def _fill(engine: sa.Engine) -> dict[int, tuple[str, str | None]]:
    rng = np.random.default_rng(15)
    texts = {k + 1: _texts(k, rng) for k in range(ROWS)}
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO conservation_area (id, slug, name, epsg, cell_m, grid_origin_x, "
            "grid_origin_y, timezone, boundary_geojson, area_km2, synthetic, min_lon, "
            "min_lat, max_lon, max_lat, created_at) VALUES (1, 'a', 'A', 32652, 1000, 0, 0, "
            "'Asia/Vladivostok', '{}', 1, FALSE, 0, 0, 1, 1, '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO unit (id, area_id, code, name, active) VALUES (1, 1, 'U', 'U', TRUE)"
        )
        conn.execute(
            sa.text(
                "INSERT INTO patrol (id, uuid, area_id, unit_id, members_json, transport, "
                "started_at, ended_at, start_date, start_month, days, vertex_count, "
                "distance_km, duration_h, min_lon, min_lat, max_lon, max_lat, content_hash, "
                "source_format, revision, submitted_at) VALUES (:id, :uuid, 1, 1, '[]', "
                "'foot', '2026-02-01 00:00:00', '2026-02-01 05:00:00', '2026-02-01', 202602, "
                "1, 2, 1, 5, 0, 0, 1, 1, 'h', 'geojson', 1, '2026-02-02 00:00:00')"
            ),
            [{"id": i, "uuid": f"p{i}"} for i in texts],
        )
        conn.execute(
            sa.text(
                "INSERT INTO patrol_track (patrol_id, route_geojson, coord_times_json)"
                " VALUES (:i, :r, :t)"
            ),
            [{"i": i, "r": r, "t": t} for i, (r, t) in texts.items()],
        )
    return texts


def _rows(engine: sa.Engine, columns: str) -> dict[int, tuple]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT patrol_id, {columns} FROM patrol_track").all()
    return {
        i: tuple(bytes(v) if isinstance(v, memoryview) else v for v in rest) for i, *rest in rows
    }


def _as_text(route: bytes, times: bytes | None) -> tuple[str, str | None]:
    """A packed row written back as the text codec wrote it (independently of 0015's own)."""
    text = orjson.dumps(packed_route.route_geometry(route)).decode()
    parts = packed_route.unpack_times(times)
    return text, None if parts is None else orjson.dumps([t.tolist() for t in parts]).decode()


def test_0015_packs_every_route_exactly_and_goes_down_and_up(url, request):
    cfg = alembic_config(url)
    command.upgrade(cfg, "0013")
    engine = make_engine(url)
    texts = _fill(engine)
    with engine.connect() as conn:
        partitioned = partitioning.is_partitioned(conn)
    assert partitioned == (request.node.callspec.params["url"] == "partitioned")
    engine.dispose()

    command.upgrade(cfg, "0015")
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert partitioning.is_partitioned(conn) == partitioned
    # (a partitioned schema's partitions are tables the model does not know: not compared)
    partitions = [d for d in diff if d[0] == "remove_table" and d[1].name != "patrol_track"]
    assert [d for d in diff if "patrol_track" in repr(d) and d not in partitions] == []
    packed = _rows(engine, "route_packed, times_packed")
    assert packed.keys() == texts.keys()
    assert {i: _as_text(*v) for i, v in packed.items()} == texts
    # Rounded routes are kept as int32, the rest (unrounded, with elevations) as float64;
    # whole times as integers, fractional ones as float64.
    kinds = {i: (r[:1], t[:1] if t is not None else None) for i, (r, t) in packed.items()}
    assert kinds[1] == (b"q", b"i") and kinds[2][0] == kinds[3][0] == b"d"
    assert kinds[4][1] == b"d" and kinds[5][1] is None
    assert kinds[7][0] == kinds[10][0] == b"d" and packed[10][0][1] == 0  # -0.0; mixed dims
    assert np.signbit(packed_route.unpack_route(packed[7][0])[0][0, 0])
    stored_bytes = sum(len(r) + len(t or b"") for r, t in packed.values())
    text_bytes = sum(len(r) + len(t or "") for r, t in texts.values())
    assert stored_bytes < text_bytes / 2
    engine.dispose()

    command.downgrade(cfg, "0013")
    engine = make_engine(url)
    assert _rows(engine, "route_geojson, coord_times_json") == texts
    engine.dispose()
    command.upgrade(cfg, "head")
    engine = make_engine(url)
    assert _rows(engine, "route_packed, times_packed") == packed
    engine.dispose()
