"""Audit trail: every create, correction and delete leaves an event with before and after."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.geo.times import iso_utc
from patrol.store.models import AuditEvent

__all__ = ["events_for", "record"]


def record(
    session: so.Session,
    *,
    user_id: int | None,
    area_id: int | None,
    action: str,
    entity: str,
    entity_id: str,
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    event = AuditEvent(
        user_id=user_id,
        area_id=area_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=before,
        after=after,
    )
    session.add(event)
    return event


def events_for(session: so.Session, entity: str, entity_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.at, AuditEvent.id)
        .options(so.joinedload(AuditEvent.user))
    ).all()
    return [
        {
            "at": iso_utc(e.at),
            "user": e.user.username if e.user else None,
            "action": e.action,
            "before": e.before,
            "after": e.after,
        }
        for e in rows
    ]
