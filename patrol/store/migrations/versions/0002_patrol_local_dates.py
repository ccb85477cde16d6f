"""patrol: local start date, start month and days spanned

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 05:00:00
"""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def local_days(started_at, ended_at, tz: str):
    """(start date, yyyymm, days spanned) in the area's time zone."""
    zone = ZoneInfo(tz)
    start = started_at.replace(tzinfo=UTC).astimezone(zone).date()
    end = ended_at.replace(tzinfo=UTC).astimezone(zone).date()
    return start, start.year * 100 + start.month, (end - start) // timedelta(days=1) + 1


def upgrade() -> None:
    with op.batch_alter_table("patrol", schema=None) as batch_op:
        batch_op.add_column(sa.Column("start_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("start_month", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("days", sa.Integer(), nullable=True))

    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT p.id, p.started_at, p.ended_at, a.timezone FROM patrol p "
            "JOIN conservation_area a ON a.id = p.area_id"
        )
    ).all()
    for pid, started_at, ended_at, tz in rows:
        if isinstance(started_at, str):  # SQLite hands back text
            from datetime import datetime

            started_at = datetime.fromisoformat(started_at)
            ended_at = datetime.fromisoformat(ended_at)
        day, month, days = local_days(started_at, ended_at, tz)
        conn.execute(
            sa.text("UPDATE patrol SET start_date = :d, start_month = :m, days = :n WHERE id = :i"),
            {"d": day, "m": month, "n": days, "i": pid},
        )

    with op.batch_alter_table("patrol", schema=None) as batch_op:
        batch_op.alter_column("start_date", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column("start_month", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("days", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index("ix_patrol_area_start_date", ["area_id", "start_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("patrol", schema=None) as batch_op:
        batch_op.drop_index("ix_patrol_area_start_date")
        batch_op.drop_column("days")
        batch_op.drop_column("start_month")
        batch_op.drop_column("start_date")
