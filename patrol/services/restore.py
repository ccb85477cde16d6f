"""Restoring a soft-deleted patrol: the exact inverse of ``patrols.delete_patrol``.

A delete only stamps ``deleted_at``; every figure (zone and cell effort, finds, exports,
hotspots, the prediction) filters on it, and the effort rows of deleted patrols are kept and
re-measured by zone or grid recompute jobs like any other. So clearing the stamp brings the
patrol back into every figure exactly as it would be had it never been deleted.
"""

from __future__ import annotations

import sqlalchemy.orm as so

from patrol.errors import Conflict
from patrol.geo.times import iso_utc
from patrol.services.auth import Principal
from patrol.services.edits import patrol_for_edit, record_edit
from patrol.store.engine import write
from patrol.store.models import Patrol
from patrol.texts import N_
from patrol.vocabulary import Role

__all__ = ["NotDeleted", "restore_patrol"]


class NotDeleted(Conflict):
    code = "patrol-not-deleted"
    title = N_("This patrol is not deleted")


def restore_patrol(
    session: so.Session, principal: Principal, patrol_uuid: str, revision: object
) -> Patrol:
    """Bring a deleted patrol back into every list and figure (coordinators; audited; the
    revision goes up by one, as for any edit)."""
    principal.require_role(Role.COORDINATOR, Role.ADMIN)
    with write(session):
        patrol = patrol_for_edit(session, principal, patrol_uuid, revision)
        if patrol.deleted_at is None:
            raise NotDeleted(
                N_(
                    "Patrol {patrol_uuid} is not deleted: there is nothing to restore.",
                    patrol_uuid=patrol_uuid,
                ),
                extra={"revision": patrol.revision},
            )
        deleted_at = iso_utc(patrol.deleted_at)
        patrol.deleted_at = None
        record_edit(
            session, principal, patrol, "restore", {"deleted_at": deleted_at}, {"deleted_at": None}
        )
    return patrol
