"""Observations (what patrols recorded besides snare finds), listed as the caller may see them.

Exact points are for the roles that see find locations (rangers, coordinators, admins); an NGO
analyst gets the category, time, attributes and zone, never the point nor the patrol.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import NotFound
from patrol.geo.documents import feature, point
from patrol.geo.times import iso_utc
from patrol.services.auth import Principal
from patrol.services.queries import Filters, visible_patrols
from patrol.store.models import Observation, ObservationAttribute, Patrol, Unit, Zone
from patrol.texts import N_

__all__ = [
    "attribute_value",
    "get_observation",
    "list_observations",
    "observation_feature",
    "patrol_observations",
]


def attribute_value(a: ObservationAttribute) -> Any:
    """The typed value: a key (list, tree), a list of keys (multi-list), number, bool, text."""
    if a.kind == "item":
        return a.items[0] if a.items else None
    if a.kind == "items":
        return a.items or []
    return {"number": a.number_value, "boolean": a.bool_value, "text": a.text_value}.get(a.kind)


def observation_feature(
    obs: Observation, zone_code: str | None, with_location: bool = True
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "kind": "observation",
        "category": obs.category_key,
        "category_path": obs.category_path,
        "observed_at": iso_utc(obs.observed_at),
        "attributes": [
            {"key": a.key, "type": a.kind, "value": attribute_value(a)} for a in obs.attributes
        ],
        "snare_find": obs.snare_find_uuid,
        "zone": zone_code,
    }
    if with_location:
        props["patrol"] = obs.patrol.uuid
        props["cell"] = [obs.cell_ix, obs.cell_iy]
        props["smart_waypoint"] = obs.waypoint_id
    return feature(point(obs.lon, obs.lat) if with_location else None, props, id=obs.uuid)


def _conditions(
    principal: Principal, f: Filters, category: str | None
) -> list[sa.ColumnElement[bool]]:
    """The WHERE of every listing: the caller's visible patrols (one area if ``f.area_id``,
    as OGC collections are per area), then the filters. One place, so /api/v1/observations
    and the OGC collection cannot disagree."""
    cond = list(visible_patrols(principal, f.area_id)) + f.patrol_days()
    if f.start is not None:
        cond.append(Observation.observed_at >= f.start)
    if f.end is not None:
        cond.append(Observation.observed_at < f.end)
    if f.unit:
        cond.append(Patrol.unit_id.in_(sa.select(Unit.id).where(Unit.code == f.unit)))
    if f.zone:
        cond.append(Observation.zone_id.in_(sa.select(Zone.id).where(Zone.code == f.zone)))
    if f.bbox:
        w, s, e, n = f.bbox
        cond += [
            Observation.lon >= w,
            Observation.lon <= e,
            Observation.lat >= s,
            Observation.lat <= n,
        ]
    if category:
        key = category.strip().strip(".")
        cond.append(
            sa.or_(
                Observation.category_key.in_([key, key + "."]),
                Observation.category_key.startswith(key + ".", autoescape=True),
            )
        )
    return cond


def _select(cond: list[sa.ColumnElement[bool]]) -> sa.Select:
    return sa.select(Observation).join(Patrol, Observation.patrol_id == Patrol.id).where(*cond)


def _with_zones(base: sa.Select) -> sa.Select:
    return (
        base.add_columns(Zone.code)
        .outerjoin(Zone, Observation.zone_id == Zone.id)
        .options(so.contains_eager(Observation.patrol), so.selectinload(Observation.attributes))
    )


def list_observations(
    session: so.Session, principal: Principal, f: Filters, category: str | None = None
) -> tuple[int, list[tuple[Observation, str | None]]]:
    """Observations of the caller's areas (rangers: their unit's), filtered and paged;
    ``category`` matches a category key and everything under it."""
    base = _select(_conditions(principal, f, category))
    total = session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    rows = session.execute(
        _with_zones(base)
        .order_by(Observation.observed_at, Observation.id)
        .offset(f.offset)
        .limit(f.limit)
    ).all()
    return total, [(r[0], r[1]) for r in rows]


def get_observation(
    session: so.Session, principal: Principal, obs_uuid: str, area_id: int
) -> tuple[Observation, str | None]:
    """One observation of ``area_id`` with its zone code, if the caller may see its patrol
    (the listing's own conditions, so an item is visible exactly when it is listed)."""
    cond = _conditions(principal, Filters(area_id=area_id), None)
    row = session.execute(_with_zones(_select([*cond, Observation.uuid == obs_uuid]))).first()
    if row is None:
        raise NotFound(
            N_("No observation {obs_uuid} among those you can see.", obs_uuid=obs_uuid[:80])
        )
    return row[0], row[1]


def patrol_observations(session: so.Session, patrol: Patrol) -> list[dict[str, Any]]:
    """A patrol's observations as features, in the order they were recorded."""
    zone_codes = dict(
        session.execute(sa.select(Zone.id, Zone.code).where(Zone.area_id == patrol.area_id)).all()
    )
    rows = session.scalars(
        sa.select(Observation)
        .where(Observation.patrol_id == patrol.id)
        .order_by(Observation.day_index, Observation.waypoint_index, Observation.position)
        .options(so.selectinload(Observation.attributes))
    ).all()
    return [observation_feature(o, zone_codes.get(o.zone_id)) for o in rows]
