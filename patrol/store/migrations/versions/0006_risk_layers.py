"""area layers (roads, settlements, rivers), a unit's walking length, detection and snare life

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "area_layer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("geometry_geojson", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('roads', 'settlements', 'rivers')", name=op.f("ck_area_layer_kind")
        ),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["conservation_area.id"],
            name=op.f("fk_area_layer_area_id_conservation_area"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_layer")),
    )
    with op.batch_alter_table("area_layer", schema=None) as batch_op:
        batch_op.create_index("ix_area_layer_area_kind", ["area_id", "kind"], unique=False)
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("walk_km", sa.Float(), nullable=True))
    with op.batch_alter_table("conservation_area", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detection_probability", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("snare_life_days", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conservation_area", schema=None) as batch_op:
        batch_op.drop_column("snare_life_days")
        batch_op.drop_column("detection_probability")
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_column("walk_km")
    with op.batch_alter_table("area_layer", schema=None) as batch_op:
        batch_op.drop_index("ix_area_layer_area_kind")
    op.drop_table("area_layer")
