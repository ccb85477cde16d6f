"""What SMART exchange keeps: observations with their attributes, imported patrols, area maps."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.store.models.base import Base, utcnow
from patrol.store.types import JSONDocument

if TYPE_CHECKING:  # the related models, for the annotations (the registry resolves them)
    from patrol.store.models.patrols import Patrol

__all__ = ["Observation", "ObservationAttribute", "SmartAreaMap", "SmartLeg", "SmartPatrol"]


class Observation(Base):
    """What a patrol recorded that is kept as it was recorded (from SMART: carcasses, camps,
    gunshots, sightings, and snares too): category from the park's data model, typed
    attributes, point and time. A snare observation also made a SnareFind (``snare_find_uuid``).
    """

    __tablename__ = "observation"
    __table_args__ = (
        sa.Index("ix_observation_area_observed", "area_id", "observed_at"),
        sa.Index("ix_observation_area_category", "area_id", "category_key"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    uuid: so.Mapped[str] = so.mapped_column(sa.String(36), unique=True)
    patrol_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("patrol.id", ondelete="CASCADE"), index=True
    )
    area_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE")
    )
    observed_at: so.Mapped[datetime]
    lon: so.Mapped[float]
    lat: so.Mapped[float]
    category_key: so.Mapped[str] = so.mapped_column(sa.String(400))
    category_path: so.Mapped[str] = so.mapped_column(sa.String(400))
    # Where it sat in the SMART file, so an export writes it back in the same place.
    waypoint_id: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    day_index: so.Mapped[int] = so.mapped_column(default=0)
    waypoint_index: so.Mapped[int] = so.mapped_column(default=0)
    group_index: so.Mapped[int] = so.mapped_column(default=0)
    position: so.Mapped[int] = so.mapped_column(default=0)
    snare_find_uuid: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    cell_ix: so.Mapped[int]
    cell_iy: so.Mapped[int]
    zone_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("zone.id", ondelete="SET NULL"), index=True
    )

    patrol: so.Mapped[Patrol] = so.relationship()
    attributes: so.Mapped[list[ObservationAttribute]] = so.relationship(
        order_by="ObservationAttribute.position", cascade="all, delete-orphan"
    )


class ObservationAttribute(Base):
    """One attribute with its typed value: kind item (one list or tree key), items (a
    multi-list), number, boolean, text, or empty."""

    __tablename__ = "observation_attribute"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    observation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("observation.id", ondelete="CASCADE"), index=True
    )
    position: so.Mapped[int]
    key: so.Mapped[str] = so.mapped_column(sa.String(200))
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    items: so.Mapped[list[Any] | None] = so.mapped_column("items_json", JSONDocument)
    number_value: so.Mapped[float | None]
    bool_value: so.Mapped[bool | None]
    text_value: so.Mapped[str | None] = so.mapped_column(sa.Text)


class SmartPatrol(Base):
    """A patrol imported from SMART: its SMART id (the idempotency key within its area), the
    content hash of what was imported, and everything of the file that is not a route or an
    observation (type, objective, team, comment, legs' members and mandate, days' times)."""

    __tablename__ = "smart_patrol"
    __table_args__ = (sa.UniqueConstraint("area_id", "smart_id", name="uq_smart_patrol_area_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    area_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE")
    )
    smart_id: so.Mapped[str] = so.mapped_column(sa.String(64))
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("unit.id"))
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    revision: so.Mapped[int] = so.mapped_column(default=1)
    doc: so.Mapped[dict[str, Any]] = so.mapped_column("doc_json", JSONDocument)
    imported_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("app_user.id", ondelete="SET NULL")
    )
    imported_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    legs: so.Mapped[list[SmartLeg]] = so.relationship(
        order_by="SmartLeg.leg_index", cascade="all, delete-orphan"
    )


class SmartLeg(Base):
    """Which stored patrol is which leg of a SMART patrol (one patrol per leg: each leg has its
    own transport, so foot and ski legs count as search effort and vehicle legs do not)."""

    __tablename__ = "smart_leg"

    patrol_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("patrol.id", ondelete="CASCADE"), primary_key=True
    )
    smart_patrol_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("smart_patrol.id", ondelete="CASCADE"), index=True
    )
    leg_index: so.Mapped[int]

    patrol: so.Mapped[Patrol] = so.relationship()


class SmartAreaMap(Base):
    """An area's SMART map (snare categories, teams, transports) as a JSON document."""

    __tablename__ = "smart_area_map"

    area_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE"), primary_key=True
    )
    doc: so.Mapped[dict[str, Any]] = so.mapped_column("doc_json", JSONDocument)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
