"""The rule of every edit of a stored patrol: locked, visible, at the revision it names, audited."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import FieldError, NotFound, StaleRevision, ValidationFailed
from patrol.services import audit
from patrol.services.auth import Principal
from patrol.store.models import Patrol
from patrol.texts import N_

__all__ = ["check_revision", "patrol_for_edit", "record_edit"]


def check_revision(patrol: Patrol, revision: object) -> None:
    """An edit names the revision it edits, and it must be the stored one."""
    if type(revision) is not int:
        raise ValidationFailed(
            N_("An edit names the revision it edits."),
            errors=[FieldError("/revision", N_("is required: a whole number"))],
        )
    if revision != patrol.revision:
        raise StaleRevision(
            N_(
                "Patrol {uuid} is at revision {revision}, not {asked}: reload it and edit again.",
                uuid=patrol.uuid,
                revision=patrol.revision,
                asked=revision,
            ),
            extra={"revision": patrol.revision},
        )


def patrol_for_edit(
    session: so.Session, principal: Principal, patrol_uuid: str, revision: object
) -> Patrol:
    """The patrol to edit, locked, in one of the caller's areas, at the revision the edit
    names; called inside the write transaction (``with write(session):``).

    FOR UPDATE: on PostgreSQL two edits of one revision would otherwise both read it, both
    pass the revision check and both commit (SQLite's BEGIN IMMEDIATE already queues them).
    """
    patrol = session.scalar(sa.select(Patrol).where(Patrol.uuid == patrol_uuid).with_for_update())
    if patrol is None or patrol.area_id not in principal.area_ids:
        raise NotFound(
            N_("No patrol {patrol_uuid} among those you can edit.", patrol_uuid=patrol_uuid)
        )
    check_revision(patrol, revision)
    return patrol


def record_edit(
    session: so.Session,
    principal: Principal,
    patrol: Patrol,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """Every edit: the revision goes up by one, an audit event says who, what, before, after."""
    patrol.revision += 1
    audit.record(
        session,
        user_id=principal.user_id,
        area_id=patrol.area_id,
        action=action,
        entity="patrol",
        entity_id=patrol.uuid,
        before=before | {"revision": patrol.revision - 1},
        after=after | {"revision": patrol.revision},
    )
