"""Reading stored patrols and finds back, filtered and paged, as the caller may see them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import NotFound
from patrol.services.auth import Principal
from patrol.services.days import started_in
from patrol.store.models import EffortZone, Patrol, SnareFind, Unit, Zone
from patrol.texts import N_
from patrol.vocabulary import Role

__all__ = [
    "Filters",
    "get_find",
    "get_patrol",
    "list_finds",
    "list_patrols",
    "live_patrols",
    "visible_patrols",
]


@dataclass(frozen=True)
class Filters:
    """Filters common to patrols, finds and observations, ``end`` and ``end_day`` exclusive.

    ``start``/``end`` are instants (aware): a patrol overlapping them, a find or observation
    made between them. ``first_day``/``end_day`` are local days of the area (services.days):
    the patrols that started on them, with their finds and observations.
    """

    start: datetime | None = None
    end: datetime | None = None
    unit: str | None = None
    zone: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    limit: int = 100
    offset: int = 0
    area_id: int | None = None  # one of the caller's areas only (OGC collections are per area)
    first_day: date | None = None
    end_day: date | None = None

    def patrol_days(self) -> list:
        """Conditions on Patrol for the local days asked (none without them)."""
        return started_in(self.first_day, self.end_day)


def live_patrols(
    area_id: int,
    first_day: date | None = None,
    end_day: date | None = None,
    unit_id: int | None = None,
    transports: Iterable[str] | None = None,
) -> list[sa.ColumnElement[bool]]:
    """Conditions on Patrol: the area's patrols not deleted that started on a local day in
    [first_day, end_day) (open ends None), by ``unit_id`` and ``transports`` when given.

    Every figure (cells, zones, exports, the prediction) counts these patrols and no others.
    """
    cond = [Patrol.area_id == area_id, Patrol.deleted_at.is_(None)]
    cond += started_in(first_day, end_day)
    if unit_id is not None:
        cond.append(Patrol.unit_id == unit_id)
    if transports is not None:
        cond.append(Patrol.transport.in_(tuple(transports)))
    return cond


def visible_patrols(principal: Principal, area_id: int | None = None) -> list:
    """Conditions on Patrol: the caller's areas (or one of them), not deleted, a ranger's unit."""
    cond = [Patrol.area_id.in_(principal.area_ids), Patrol.deleted_at.is_(None)]
    if area_id is not None:
        cond.append(Patrol.area_id == area_id)
    if principal.role == Role.RANGER:
        cond.append(Patrol.unit_id == principal.unit_id)
    return cond


def list_patrols(
    session: so.Session, principal: Principal, f: Filters, with_tracks: bool = True
) -> tuple[int, list[Patrol]]:
    """The page of patrols ``f`` asks for and how many match; ``with_tracks=False`` leaves
    their routes and vertex times unread (``services.map_routes`` reads them a chunk at a
    time: a page of real routes is ~85 MB of text)."""
    principal.require_role(Role.RANGER, Role.COORDINATOR, Role.ADMIN)
    cond = visible_patrols(principal, f.area_id) + f.patrol_days()
    if f.start is not None:
        cond.append(Patrol.ended_at >= f.start)
    if f.end is not None:
        cond.append(Patrol.started_at < f.end)
    if f.unit:
        cond.append(Patrol.unit_id.in_(sa.select(Unit.id).where(Unit.code == f.unit)))
    if f.zone:
        cond.append(
            Patrol.id.in_(sa.select(EffortZone.patrol_id).join(Zone).where(Zone.code == f.zone))
        )
    if f.bbox:
        w, s, e, n = f.bbox
        cond += [Patrol.max_lon >= w, Patrol.min_lon <= e, Patrol.max_lat >= s, Patrol.min_lat <= n]
    total = session.scalar(sa.select(sa.func.count()).select_from(Patrol).where(*cond))
    options = [so.joinedload(Patrol.unit)]
    if with_tracks:
        options.append(so.selectinload(Patrol.track))
    rows = session.scalars(
        sa.select(Patrol)
        .where(*cond)
        .order_by(Patrol.started_at, Patrol.id)
        .offset(f.offset)
        .limit(f.limit)
        .options(*options)
    ).all()
    return total, list(rows)


def list_finds(session: so.Session, principal: Principal, f: Filters) -> tuple[int, list]:
    principal.require_role(Role.RANGER, Role.COORDINATOR, Role.ADMIN)
    cond = visible_patrols(principal, f.area_id) + f.patrol_days()
    if f.start is not None:
        cond.append(SnareFind.found_at >= f.start)
    if f.end is not None:
        cond.append(SnareFind.found_at < f.end)
    if f.unit:
        cond.append(Patrol.unit_id.in_(sa.select(Unit.id).where(Unit.code == f.unit)))
    if f.zone:
        cond.append(SnareFind.zone_id.in_(sa.select(Zone.id).where(Zone.code == f.zone)))
    if f.bbox:
        w, s, e, n = f.bbox
        cond += [SnareFind.lon >= w, SnareFind.lon <= e, SnareFind.lat >= s, SnareFind.lat <= n]
    base = sa.select(SnareFind).join(Patrol, SnareFind.patrol_id == Patrol.id).where(*cond)
    total = session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    rows = session.execute(
        base.add_columns(Zone.code)
        .outerjoin(Zone, SnareFind.zone_id == Zone.id)
        .order_by(SnareFind.found_at, SnareFind.id)
        .offset(f.offset)
        .limit(f.limit)
        .options(so.contains_eager(SnareFind.patrol))
    ).all()
    return total, [(r[0], r[1]) for r in rows]


def get_patrol(
    session: so.Session, principal: Principal, patrol_uuid: str, include_deleted: bool = False
) -> Patrol:
    principal.require_role(Role.RANGER, Role.COORDINATOR, Role.ADMIN)
    patrol = session.scalar(
        sa.select(Patrol)
        .where(Patrol.uuid == patrol_uuid)
        .options(so.joinedload(Patrol.unit), so.selectinload(Patrol.finds))
    )
    hidden = (
        patrol is None
        or patrol.area_id not in principal.area_ids
        or (principal.role == Role.RANGER and patrol.unit_id != principal.unit_id)
        or (
            patrol.deleted_at is not None
            and not (include_deleted and principal.role != Role.RANGER)
        )
    )
    if hidden:
        raise NotFound(
            N_("No patrol {patrol_uuid} among those you can see.", patrol_uuid=patrol_uuid)
        )
    return patrol


def get_find(session: so.Session, principal: Principal, find_uuid: str, area_id: int) -> tuple:
    """One find of ``area_id`` with its zone code, if the caller may see its patrol."""
    principal.require_role(Role.RANGER, Role.COORDINATOR, Role.ADMIN)
    row = session.execute(
        sa.select(SnareFind, Zone.code)
        .join(Patrol, SnareFind.patrol_id == Patrol.id)
        .outerjoin(Zone, SnareFind.zone_id == Zone.id)
        .where(SnareFind.uuid == find_uuid, *visible_patrols(principal, area_id))
        .options(so.contains_eager(SnareFind.patrol))
    ).first()
    if row is None:
        raise NotFound(N_("No find {find_uuid} among those you can see.", find_uuid=find_uuid))
    return row[0], row[1]
