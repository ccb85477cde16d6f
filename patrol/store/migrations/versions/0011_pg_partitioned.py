"""optionally partition routes and effort rows by area and year (PostgreSQL only)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 12:00:00

Only when asked (``PATROL_PG_PARTITIONED=1`` in the environment, or ``alembic -x
partitioned=1``): a national deployment asks for it, a park's server and SQLite do not, and
their schema stays exactly as it was. What it builds and why: patrol/store/partitioning.py and
docs/scaling.md. A database migrated without it can be partitioned later, at the same
revision, with ``patrol db partition``.
"""

from __future__ import annotations

from alembic import context, op

from patrol.store import partitioning

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql" and partitioning.wanted(
        context.get_x_argument(as_dictionary=True)
    ):
        partitioning.partition(conn)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        partitioning.unpartition(conn)
