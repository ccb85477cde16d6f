"""user_area: the column named "app_user.id" becomes user_id

The first schema named the user column of user_area after the column it points at, dot and
all ("app_user.id"), which every raw query had to quote. The rows are kept: the column and its
foreign key are renamed in place on PostgreSQL, and the table is copied on SQLite (batch).

Revision ID: 0009
Revises: 0007 (0007 and 0008 are written in parallel; the merge re-chains this to 0008)
Create Date: 2026-11-30 11:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD, NEW = "app_user.id", "user_id"


def _rename(old: str, new: str) -> None:
    # Two steps: in one batch, SQLite's copy of the table silently lost the new foreign key.
    with op.batch_alter_table("user_area") as batch_op:
        batch_op.drop_constraint(f"fk_user_area_{old}_app_user", type_="foreignkey")
        batch_op.alter_column(old, new_column_name=new)
    with op.batch_alter_table("user_area") as batch_op:
        batch_op.create_foreign_key(
            f"fk_user_area_{new}_app_user", "app_user", [new], ["id"], ondelete="CASCADE"
        )


def upgrade() -> None:
    _rename(OLD, NEW)


def downgrade() -> None:
    _rename(NEW, OLD)
