"""zone names in several languages: zone.names

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 18:10:00

A zones file may name a zone in several languages (``name_ru``, ``name_en``, ... beside
``name``): they are kept as one JSON object per zone ({"ru": ..., "en": ...}), stored as text
like every other JSON document of the schema (store/types.JSONDocument), so it is the same
column on SQLite and PostgreSQL. Nullable: existing zones have only their ``name``, which
stays what every page shows until the zones file is loaded again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("zone") as batch_op:
        batch_op.add_column(sa.Column("names", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("zone") as batch_op:
        batch_op.drop_column("names")
