"""observations (with typed attributes) and the SMART exchange: imported patrols, legs, area maps

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 07:36:44.837146
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "smart_area_map",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("doc_json", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["conservation_area.id"],
            name=op.f("fk_smart_area_map_area_id_conservation_area"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("area_id", name=op.f("pk_smart_area_map")),
    )
    op.create_table(
        "smart_patrol",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("smart_id", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("doc_json", sa.Text(), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["conservation_area.id"],
            name=op.f("fk_smart_patrol_area_id_conservation_area"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["imported_by_id"],
            ["app_user.id"],
            name=op.f("fk_smart_patrol_imported_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_smart_patrol_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smart_patrol")),
        sa.UniqueConstraint("area_id", "smart_id", name="uq_smart_patrol_area_id"),
    )
    op.create_table(
        "observation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("patrol_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("observed_at", sa.DateTime(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("category_key", sa.String(length=400), nullable=False),
        sa.Column("category_path", sa.String(length=400), nullable=False),
        sa.Column("waypoint_id", sa.String(length=64), nullable=True),
        sa.Column("day_index", sa.Integer(), nullable=False),
        sa.Column("waypoint_index", sa.Integer(), nullable=False),
        sa.Column("group_index", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("snare_find_uuid", sa.String(length=36), nullable=True),
        sa.Column("cell_ix", sa.Integer(), nullable=False),
        sa.Column("cell_iy", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["conservation_area.id"],
            name=op.f("fk_observation_area_id_conservation_area"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patrol_id"],
            ["patrol.id"],
            name=op.f("fk_observation_patrol_id_patrol"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zone.id"], name=op.f("fk_observation_zone_id_zone"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observation")),
        sa.UniqueConstraint("uuid", name=op.f("uq_observation_uuid")),
    )
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_observation_area_category", ["area_id", "category_key"], unique=False
        )
        batch_op.create_index(
            "ix_observation_area_observed", ["area_id", "observed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_observation_patrol_id"), ["patrol_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_observation_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "smart_leg",
        sa.Column("patrol_id", sa.Integer(), nullable=False),
        sa.Column("smart_patrol_id", sa.Integer(), nullable=False),
        sa.Column("leg_index", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patrol_id"],
            ["patrol.id"],
            name=op.f("fk_smart_leg_patrol_id_patrol"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["smart_patrol_id"],
            ["smart_patrol.id"],
            name=op.f("fk_smart_leg_smart_patrol_id_smart_patrol"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patrol_id", name=op.f("pk_smart_leg")),
    )
    with op.batch_alter_table("smart_leg", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_smart_leg_smart_patrol_id"), ["smart_patrol_id"], unique=False
        )

    op.create_table(
        "observation_attribute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("items_json", sa.Text(), nullable=True),
        sa.Column("number_value", sa.Double(), nullable=True),
        sa.Column("bool_value", sa.Boolean(), nullable=True),
        sa.Column("text_value", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["observation.id"],
            name=op.f("fk_observation_attribute_observation_id_observation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observation_attribute")),
    )
    with op.batch_alter_table("observation_attribute", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_observation_attribute_observation_id"), ["observation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("observation_attribute", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_observation_attribute_observation_id"))

    op.drop_table("observation_attribute")
    with op.batch_alter_table("smart_leg", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_smart_leg_smart_patrol_id"))

    op.drop_table("smart_leg")
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_observation_zone_id"))
        batch_op.drop_index(batch_op.f("ix_observation_patrol_id"))
        batch_op.drop_index("ix_observation_area_observed")
        batch_op.drop_index("ix_observation_area_category")

    op.drop_table("observation")
    op.drop_table("smart_patrol")
    op.drop_table("smart_area_map")
