"""the patrol table's area-and-day index covers the figures' fingerprints

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 21:40:00

Every coordinator's answer first reads a fingerprint of the window's patrols, month by month
(``services/month_figures.fingerprints``: count, ids, revisions and latest submission per
start month), through the index on (area_id, start_date). Over ten park-years that walked
28,630 patrol rows, one table lookup each: ~30 ms on SQLite and ~45 ms on PostgreSQL of a
cold answer. This index has the same leading columns, so every query the old one served it
serves, and carries the columns the fingerprint reads, so that query reads the index alone
(SQLite: a covering index, the id being the rowid; PostgreSQL: an index-only scan). It
replaces ``ix_patrol_area_start_date``. The patrol table is one table in the partitioned
PostgreSQL schema too (migration 0011), so the same statement serves both schemas.
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COLUMNS = ["area_id", "start_date", "start_month", "revision", "submitted_at", "deleted_at", "id"]


def upgrade() -> None:
    with op.batch_alter_table("patrol") as batch_op:
        batch_op.create_index("ix_patrol_area_start_fingerprint", COLUMNS, unique=False)
        batch_op.drop_index("ix_patrol_area_start_date")


def downgrade() -> None:
    with op.batch_alter_table("patrol") as batch_op:
        batch_op.create_index("ix_patrol_area_start_date", ["area_id", "start_date"], unique=False)
        batch_op.drop_index("ix_patrol_area_start_fingerprint")
