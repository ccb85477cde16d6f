"""an area's offline basemap (an MBTiles or PMTiles file kept in the basemap folder)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "area_basemap",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("container", sa.String(length=8), nullable=False),
        sa.Column("tile_format", sa.String(length=8), nullable=False),
        sa.Column("file_path", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("attribution", sa.String(length=500), nullable=True),
        sa.Column("min_lon", sa.Double(), nullable=False),
        sa.Column("min_lat", sa.Double(), nullable=False),
        sa.Column("max_lon", sa.Double(), nullable=False),
        sa.Column("max_lat", sa.Double(), nullable=False),
        sa.Column("min_zoom", sa.Integer(), nullable=False),
        sa.Column("max_zoom", sa.Integer(), nullable=False),
        sa.Column("tile_compression", sa.String(length=8), nullable=True),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.Column("loaded_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "container IN ('mbtiles', 'pmtiles')", name=op.f("ck_area_basemap_container")
        ),
        sa.CheckConstraint(
            "tile_format IN ('png', 'jpg', 'webp', 'pbf')", name=op.f("ck_area_basemap_tile_format")
        ),
        sa.CheckConstraint(
            "min_zoom >= 0 AND min_zoom <= max_zoom AND max_zoom <= 24",
            name=op.f("ck_area_basemap_zooms"),
        ),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["conservation_area.id"],
            name=op.f("fk_area_basemap_area_id_conservation_area"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_basemap")),
        sa.UniqueConstraint("area_id", name=op.f("uq_area_basemap_area_id")),
    )


def downgrade() -> None:
    op.drop_table("area_basemap")
