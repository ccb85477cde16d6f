"""routes and vertex times packed as binary: patrol_track.route_packed, times_packed

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 21:30:00

patrol_track kept each route as GeoJSON MultiLineString text (~50–85 KB for 2,000 vertices)
and its vertex times as JSON: the bulk import built, shipped and stored that text for every
patrol and every reader parsed it back. They become two binary columns (``LargeBinary``: BLOB
on SQLite, bytea on PostgreSQL) in the layout of patrol/geo/packed_route.py, which gives back
the very floats the text held, so documents and exports do not change.

Existing rows are converted in batches of ``BATCH`` patrols (a park-year is ~5,700 rows of
~100 KB: never all in memory), both ways. The text codec is written out here rather than
imported: the module that had it is gone, and a migration must keep meaning what it meant.
On a partitioned PostgreSQL schema (migration 0011) ``ALTER TABLE`` and ``UPDATE`` on
``patrol_track`` reach every partition, so the same steps serve both schemas.

Every row the text held packs: a -0.0, an empty part (``[[]]``) and a route whose parts differ
in dimensions (an old route with elevations) are kept as they were (packed_route.py says how),
so going up and then down gives the very text back.

PostgreSQL: after upgrading, ``patrol_track`` takes more disk, not less. The ``UPDATE`` writes
a new version of every row beside the old, and ``DROP COLUMN`` only hides the text column
(rows are not rewritten), so the old text's space stays until the table is rewritten. Run
``VACUUM FULL patrol_track`` (on the partitioned schema, on each ``patrol_track`` partition),
or pg_repack to do it online, to give the space back. The migration does not: ``VACUUM FULL``
takes an ACCESS EXCLUSIVE lock for the whole rewrite (every reader and writer of patrol
tracks waits, minutes for a large park) and needs room for a second copy of the table, so the
operator chooses the window. (SQLite likewise keeps freed pages in the file for later writes;
``VACUUM`` shrinks it, under the same kind of lock.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import orjson
import sqlalchemy as sa
from alembic import op

from patrol.geo import packed_route

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BATCH = 500


def _text_route(text: str) -> list[np.ndarray]:
    geometry = orjson.loads(text)
    # A hand-made row without coordinates (tests/store/test_engine.py) becomes an empty route.
    coordinates = geometry.get("coordinates", [])
    if geometry.get("type") == "LineString":
        coordinates = [coordinates]
    return [np.asarray(c, dtype=float) for c in coordinates]


def _text_times(text: str | None) -> list[np.ndarray] | None:
    return None if text is None else [np.asarray(t, dtype=float) for t in orjson.loads(text)]


def _route_text(blob: bytes) -> str:
    return orjson.dumps(packed_route.route_geometry(blob)).decode()


def _times_text(blob: bytes | None) -> str | None:
    parts = packed_route.unpack_times(blob)
    return None if parts is None else orjson.dumps([t.tolist() for t in parts]).decode()


def _rows(conn: sa.Connection, columns: str) -> Iterator[list[Any]]:
    """patrol_track's rows, ``BATCH`` at a time, in patrol id order."""
    last = -1
    while True:
        rows = conn.execute(
            sa.text(
                f"SELECT patrol_id, {columns} FROM patrol_track WHERE patrol_id > :last"
                " ORDER BY patrol_id LIMIT :n"
            ),
            {"last": last, "n": BATCH},
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _convert(
    sources: tuple[str, str], targets: tuple[str, str], route: Callable, times: Callable
) -> None:
    conn = op.get_bind()
    update = sa.text(
        f"UPDATE patrol_track SET {targets[0]} = :r, {targets[1]} = :t WHERE patrol_id = :id"
    )
    if conn.dialect.name == "postgresql":
        update = update.bindparams(
            sa.bindparam("r", type_=_type_of(targets[0])),
            sa.bindparam("t", type_=_type_of(targets[1])),
        )
    for rows in _rows(conn, ", ".join(sources)):
        conn.execute(update, [{"id": i, "r": route(r), "t": times(t)} for i, r, t in rows])


def _type_of(column: str) -> sa.types.TypeEngine:
    return sa.LargeBinary() if column.endswith("_packed") else sa.Text()


def _swap(add: tuple[str, str], drop: tuple[str, str], route: Callable, times: Callable) -> None:
    with op.batch_alter_table("patrol_track") as batch_op:
        for name in add:
            batch_op.add_column(sa.Column(name, _type_of(name), nullable=True))
    _convert(drop, add, route, times)
    with op.batch_alter_table("patrol_track") as batch_op:
        for name in drop:
            batch_op.drop_column(name)
        batch_op.alter_column(add[0], existing_type=_type_of(add[0]), nullable=False)


def upgrade() -> None:
    _swap(
        ("route_packed", "times_packed"),
        ("route_geojson", "coord_times_json"),
        lambda text: packed_route.pack_route(_text_route(text)),
        lambda text: packed_route.pack_times(_text_times(text)),
    )


def downgrade() -> None:
    _swap(
        ("route_geojson", "coord_times_json"),
        ("route_packed", "times_packed"),
        _route_text,
        _times_text,
    )
