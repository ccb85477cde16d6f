"""Patrols, their tracks and snare finds, and the effort measured per cell and zone."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy

from patrol.store.models.base import Base, utcnow
from patrol.store.types import JSONDocument

if TYPE_CHECKING:  # the related models, for the annotations (the registry resolves them)
    from patrol.store.models.areas import ConservationArea, Unit, Zone
    from patrol.store.models.people import User

__all__ = ["EffortCell", "EffortZone", "Patrol", "PatrolTrack", "SnareFind"]


class Patrol(Base):
    __tablename__ = "patrol"
    __table_args__ = (
        sa.Index("ix_patrol_area_started", "area_id", "started_at"),
        # The area's patrols by local start day, with what the figures' fingerprints read
        # (services/month_figures.py), so that query reads the index alone (migration 0014).
        sa.Index(
            "ix_patrol_area_start_fingerprint",
            "area_id",
            "start_date",
            "start_month",
            "revision",
            "submitted_at",
            "deleted_at",
            "id",
        ),
        sa.CheckConstraint("ended_at >= started_at", name="time_order"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    uuid: so.Mapped[str] = so.mapped_column(sa.String(36), unique=True)
    area_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE")
    )
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("unit.id"), index=True)
    leader: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    members: so.Mapped[list[str]] = so.mapped_column("members_json", JSONDocument, default=list)
    transport: so.Mapped[str] = so.mapped_column(sa.String(16))
    started_at: so.Mapped[datetime]
    ended_at: so.Mapped[datetime]
    # The start's calendar day and month in the area's time zone, and how many local days the
    # patrol spans: monthly figures and patrol-days become plain GROUP BYs on every backend.
    start_date: so.Mapped[date]
    start_month: so.Mapped[int]  # yyyymm
    days: so.Mapped[int] = so.mapped_column(default=1)
    vertex_count: so.Mapped[int]
    distance_km: so.Mapped[float]
    duration_h: so.Mapped[float]
    min_lon: so.Mapped[float]
    min_lat: so.Mapped[float]
    max_lon: so.Mapped[float]
    max_lat: so.Mapped[float]
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    source_format: so.Mapped[str] = so.mapped_column(sa.String(16))
    revision: so.Mapped[int] = so.mapped_column(default=1)
    submitted_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("app_user.id", ondelete="SET NULL")
    )
    submitted_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    deleted_at: so.Mapped[datetime | None]

    unit: so.Mapped[Unit] = so.relationship()
    area: so.Mapped[ConservationArea] = so.relationship()
    submitted_by: so.Mapped[User | None] = so.relationship()
    finds: so.Mapped[list[SnareFind]] = so.relationship(
        back_populates="patrol", order_by="SnareFind.found_at", cascade="all, delete-orphan"
    )
    cell_effort: so.Mapped[list[EffortCell]] = so.relationship(cascade="all, delete-orphan")
    zone_effort: so.Mapped[list[EffortZone]] = so.relationship(cascade="all, delete-orphan")
    track: so.Mapped[PatrolTrack] = so.relationship(
        back_populates="patrol", cascade="all, delete-orphan", single_parent=True
    )

    # The route and its vertex times live in their own table (PatrolTrack), read through these
    # two names as if they were columns of the patrol (packed: geo/packed_route.py).
    route_packed: AssociationProxy[bytes] = association_proxy(
        "track", "route_packed", creator=lambda v: PatrolTrack(route_packed=v)
    )
    times_packed: AssociationProxy[bytes | None] = association_proxy(
        "track", "times_packed", creator=lambda v: PatrolTrack(times_packed=v)
    )


class PatrolTrack(Base):
    """A patrol's route and per-vertex times (epoch seconds per part), packed as binary by
    geo/packed_route.py, one row per patrol.

    Kept out of the patrol row on purpose: ~84 KB of text per patrol put every filter column
    behind overflow pages in SQLite, so a year's figures walked the routes just to read
    ``start_month``. Figures never read this table; only documents and recomputation do.
    Binary rather than GeoJSON text (migration 0015): ~3x fewer bytes to build, send, store and
    parse back (24 KB for 2,000 vertices with times, was ~76 KB), and decoded by numpy without
    a Python object per vertex.
    """

    __tablename__ = "patrol_track"

    patrol_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("patrol.id", ondelete="CASCADE"), primary_key=True
    )
    route_packed: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    times_packed: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)

    patrol: so.Mapped[Patrol] = so.relationship(back_populates="track")


class SnareFind(Base):
    __tablename__ = "snare_find"
    __table_args__ = (
        sa.CheckConstraint("count >= 1", name="count_positive"),
        sa.Index("ix_snare_find_area_found", "area_id", "found_at"),
        sa.Index("ix_snare_find_cell", "area_id", "cell_ix", "cell_iy"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    uuid: so.Mapped[str] = so.mapped_column(sa.String(36), unique=True)
    patrol_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("patrol.id", ondelete="CASCADE"), index=True
    )
    area_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE")
    )
    found_at: so.Mapped[datetime]
    lon: so.Mapped[float]
    lat: so.Mapped[float]
    type: so.Mapped[str] = so.mapped_column(sa.String(16))
    count: so.Mapped[int]
    state: so.Mapped[str] = so.mapped_column(sa.String(16))
    action: so.Mapped[str] = so.mapped_column(sa.String(16))
    species: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    notes: so.Mapped[str | None] = so.mapped_column(sa.Text)
    cell_ix: so.Mapped[int]
    cell_iy: so.Mapped[int]
    zone_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("zone.id", ondelete="SET NULL"), index=True
    )

    patrol: so.Mapped[Patrol] = so.relationship(back_populates="finds")
    zone: so.Mapped[Zone | None] = so.relationship()


class EffortCell(Base):
    """Km and hours of one patrol inside one fine grid cell (computed once, at ingest)."""

    __tablename__ = "effort_cell"
    __table_args__ = (sa.Index("ix_effort_cell_cell", "ix", "iy"),)

    patrol_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("patrol.id", ondelete="CASCADE"), primary_key=True
    )
    ix: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    iy: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    effort_km: so.Mapped[float]
    effort_h: so.Mapped[float]


class EffortZone(Base):
    """Km and hours of one patrol inside one zone (recomputed when zones are replaced)."""

    __tablename__ = "effort_zone"

    patrol_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("patrol.id", ondelete="CASCADE"), primary_key=True
    )
    zone_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("zone.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    effort_km: so.Mapped[float]
    effort_h: so.Mapped[float]
