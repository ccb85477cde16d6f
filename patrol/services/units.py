"""Mobile units as routes and pages look them up: by code, among those the caller may see."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import Forbidden, NotFound
from patrol.services.auth import Principal
from patrol.store.models import ConservationArea, Unit
from patrol.texts import N_
from patrol.vocabulary import Role

__all__ = ["active_units", "unit_code", "unit_in_area", "visible_unit"]


def visible_unit(session: so.Session, principal: Principal, code: str, what: str) -> Unit:
    """The unit ``code`` of one of the caller's areas; a ranger may only ask for their own.

    ``what`` names what was asked for ("targets", "route", "briefing") in the refusal. Another
    area's unit answers as a missing one: its existence is not the caller's business.
    """
    unit = session.scalar(sa.select(Unit).where(Unit.code == code))
    if unit is None or unit.area_id not in principal.area_ids:
        raise NotFound(N_("No unit {code} among yours.", code=code))
    if principal.role == Role.RANGER and unit.id != principal.unit_id:
        raise Forbidden(N_("Rangers see their own unit's {what}.", what=what))
    return unit


def unit_in_area(session: so.Session, area: ConservationArea, code: str) -> Unit | None:
    """The unit ``code`` of ``area``, or None (a filter names it; the caller words the 422)."""
    return session.scalar(sa.select(Unit).where(Unit.code == code, Unit.area_id == area.id))


def unit_code(session: so.Session, unit_id: int | None) -> str | None:
    """The code of unit ``unit_id`` (a principal's unit), or None without one."""
    if unit_id is None:
        return None
    return session.scalar(sa.select(Unit.code).where(Unit.id == unit_id))


def active_units(session: so.Session, principal: Principal) -> list[Unit]:
    """The active units of the caller's areas by code (a ranger: their own), for the pickers."""
    query = sa.select(Unit).where(Unit.area_id.in_(principal.area_ids), Unit.active.is_(True))
    if principal.role == Role.RANGER:
        query = query.where(Unit.id == principal.unit_id)
    return list(session.scalars(query.order_by(Unit.code)))
