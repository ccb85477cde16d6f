"""What the service keeps of its own work: recompute jobs and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.store.models.base import Base, utcnow
from patrol.store.types import JSONDocument
from patrol.vocabulary import (
    JobKind,
    JobState,
    sql_in,
)

if TYPE_CHECKING:  # the related models, for the annotations (the registry resolves them)
    from patrol.store.models.people import User

__all__ = ["AuditEvent", "RecomputeJob"]


class RecomputeJob(Base):
    """Measuring an area's patrols again after its zones (or grid) changed, in batches.

    Progress is stored after each batch, so the API can report it and any process can
    resume a job whose runner died (its ``heartbeat_at`` stops moving).
    """

    __tablename__ = "recompute_job"
    __table_args__ = (
        sa.CheckConstraint(sql_in("state", JobState), name="state"),
        sa.CheckConstraint(sql_in("kind", JobKind), name="kind"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    area_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE"), index=True
    )
    # zones: effort per zone and the finds' zones; all: cells too (after a grid change).
    kind: so.Mapped[str] = so.mapped_column(sa.String(16), default="zones")
    zones_version: so.Mapped[int]
    state: so.Mapped[str] = so.mapped_column(sa.String(16), default="running")
    total: so.Mapped[int] = so.mapped_column(default=0)
    done: so.Mapped[int] = so.mapped_column(default=0)
    # Patrols are measured in id order; the last id measured is where a resumed job goes on.
    last_patrol_id: so.Mapped[int] = so.mapped_column(default=0)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    heartbeat_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    finished_at: so.Mapped[datetime | None]
    error: so.Mapped[str | None] = so.mapped_column(sa.Text)


class AuditEvent(Base):
    """Who did what to which record, with its state before and after (JSON text)."""

    __tablename__ = "audit_event"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("app_user.id", ondelete="SET NULL")
    )
    area_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE")
    )
    action: so.Mapped[str] = so.mapped_column(sa.String(32))
    entity: so.Mapped[str] = so.mapped_column(sa.String(32))
    entity_id: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    before: so.Mapped[dict[str, Any] | None] = so.mapped_column("before_json", JSONDocument)
    after: so.Mapped[dict[str, Any] | None] = so.mapped_column("after_json", JSONDocument)

    user: so.Mapped[User | None] = so.relationship()
