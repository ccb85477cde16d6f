"""the pages' language: a user's chosen language and an area's default language

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 15:00:00

Both columns are nullable language codes (a catalog in translations/): no value means "not
chosen", and the reader's browser or English decides (patrol/i18n.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))
    with op.batch_alter_table("conservation_area") as batch_op:
        batch_op.add_column(sa.Column("default_language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conservation_area") as batch_op:
        batch_op.drop_column("default_language")
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.drop_column("language")
