"""server-side sessions, recompute jobs, zone versions, demo users

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conservation_area", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("zones_version", sa.Integer(), nullable=False, server_default="1")
        )
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Users the demo loader made before this column existed: they hold its published tokens.
    op.execute(
        "UPDATE app_user SET demo = TRUE WHERE id IN "
        "(SELECT user_id FROM api_token WHERE prefix LIKE 'ptl_demo%')"
    )
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_user_session_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_session_user_id"), ["user_id"], unique=False)
    op.create_table(
        "recompute_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("zones_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("last_patrol_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('running', 'done', 'failed')", name=op.f("ck_recompute_job_state")
        ),
        sa.CheckConstraint("kind IN ('zones', 'all')", name=op.f("ck_recompute_job_kind")),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["conservation_area.id"],
            name=op.f("fk_recompute_job_area_id_conservation_area"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recompute_job")),
    )
    with op.batch_alter_table("recompute_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recompute_job_area_id"), ["area_id"], unique=False)
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_failure_ip"), ["ip"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failure_ip"))
    with op.batch_alter_table("recompute_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recompute_job_area_id"))
    op.drop_table("recompute_job")
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_session_user_id"))
    op.drop_table("user_session")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("demo")
    with op.batch_alter_table("conservation_area", schema=None) as batch_op:
        batch_op.drop_column("zones_version")
