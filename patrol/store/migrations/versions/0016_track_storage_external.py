"""PostgreSQL keeps the packed routes out of line without trying to compress them

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 02:10:00

``patrol_track.route_packed`` and ``times_packed`` (migration 0015) are arrays of int32 or
float64 values, ~16 KB and ~8 KB for 2,000 vertices. bytea's default storage, ``EXTENDED``,
has the server try pglz on every value over ~2 KB before moving it out of line; on these
arrays pglz gives up (the stored size equals the raw size, ``pg_column_size =
octet_length``), so the attempt is pure cost: measured on 300 imported park reports, the
server's CPU fell from 0.19-0.22 s to 0.12-0.13 s with ``EXTERNAL`` (out of line, never
compressed), ~0.25 ms a report on a 2-core machine where the server shares the cores with the
import. Storage of existing rows does not change (nothing was compressed); the setting is
metadata (no table rewrite) and, on the partitioned schema (migration 0011), reaches every
partition, and partitions made later copy it from the parent. SQLite has no such setting.
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

COLUMNS = ("route_packed", "times_packed")


def _storage(kind: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(f"ALTER TABLE patrol_track ALTER COLUMN {column} SET STORAGE {kind}")


def upgrade() -> None:
    _storage("EXTERNAL")


def downgrade() -> None:
    _storage("EXTENDED")
