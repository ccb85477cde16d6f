"""the patrol's route and vertex times move out of the patrol row into patrol_track

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 11:00:00

SQLite stores a row's columns in order, and a patrol row carried ~84 KB of route and times
text: every filter on the patrol's dates walked overflow pages. The figures' queries now read
short rows; documents and recomputation join patrol_track.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patrol_track",
        sa.Column("patrol_id", sa.Integer(), nullable=False),
        sa.Column("route_geojson", sa.Text(), nullable=False),
        sa.Column("coord_times_json", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patrol_id"],
            ["patrol.id"],
            name=op.f("fk_patrol_track_patrol_id_patrol"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patrol_id", name=op.f("pk_patrol_track")),
    )
    op.execute(
        "INSERT INTO patrol_track (patrol_id, route_geojson, coord_times_json)"
        " SELECT id, route_geojson, coord_times_json FROM patrol"
    )
    with op.batch_alter_table("patrol", schema=None) as batch_op:
        batch_op.drop_column("coord_times_json")
        batch_op.drop_column("route_geojson")


def downgrade() -> None:
    with op.batch_alter_table("patrol", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route_geojson", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("coord_times_json", sa.Text(), nullable=True))
    op.execute(
        "UPDATE patrol SET route_geojson = (SELECT t.route_geojson FROM patrol_track t"
        " WHERE t.patrol_id = patrol.id), coord_times_json = (SELECT t.coord_times_json"
        " FROM patrol_track t WHERE t.patrol_id = patrol.id)"
    )
    with op.batch_alter_table("patrol", schema=None) as batch_op:
        batch_op.alter_column("route_geojson", existing_type=sa.Text(), nullable=False)
    op.drop_table("patrol_track")
