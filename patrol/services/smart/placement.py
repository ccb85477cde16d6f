"""Where a SMART patrol belongs: its area (given, its unit's, or the one its track lies in)
and its unit (given, or its SMART team through the area's map), checked for the caller."""

from __future__ import annotations

import numpy as np
import shapely
import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely.geometry import shape

from patrol.errors import FieldError, Forbidden, NotFound, ValidationFailed
from patrol.geo.smart import SmartPatrol
from patrol.geo.smart.category_map import CategoryMap
from patrol.services.auth import Principal
from patrol.services.smart.area_map import area_map
from patrol.services.smart.outcomes import ImportCache, ImportOptions
from patrol.store.models import ConservationArea, Unit
from patrol.texts import N_

__all__ = ["place"]


def place(
    session: so.Session,
    principal: Principal | None,
    patrol: SmartPatrol,
    opts: ImportOptions,
    cache: ImportCache,
) -> tuple[ConservationArea, Unit, CategoryMap]:
    """The patrol's area, its unit (active, one the caller may submit for) and the area's map."""
    area, unit = _area_of(session, principal, patrol, opts, cache)
    if area.id not in cache.maps:
        cache.maps[area.id] = area_map(session, area)
    cmap = cache.maps[area.id]
    unit = unit or _unit_of(session, area, patrol, cmap)
    if principal is not None and not principal.can_submit_for(unit):
        raise Forbidden(N_("You may not submit reports for unit {code}.", code=unit.code))
    if not unit.active:
        raise ValidationFailed(
            N_("The unit is not active; nothing was stored."),
            errors=[FieldError("/unit", N_("unit '{code}' is retired", code=unit.code))],
        )
    return area, unit, cmap


def _given_unit(session: so.Session, principal: Principal | None, code: str) -> Unit:
    unit = session.scalar(sa.select(Unit).where(Unit.code == code))
    if unit is None or (principal is not None and unit.area_id not in principal.area_ids):
        raise ValidationFailed(
            N_("The import names an unknown unit; nothing was stored."),
            errors=[FieldError("/unit", N_("no unit '{code}'", code=code))],
        )
    return unit


def _given_area(
    session: so.Session, principal: Principal | None, slug: str, unit: Unit | None
) -> ConservationArea:
    area = session.scalar(sa.select(ConservationArea).where(ConservationArea.slug == slug))
    if area is None or (principal is not None and area.id not in principal.area_ids):
        raise NotFound(N_("No conservation area '{slug}' among yours.", slug=slug))
    if unit is not None and unit.area_id != area.id:
        raise ValidationFailed(
            N_("The unit is not of that area."),
            errors=[
                FieldError(
                    "/unit",
                    N_("unit '{code}' is not in area '{slug}'", code=unit.code, slug=area.slug),
                )
            ],
        )
    return area


def _area_of(
    session: so.Session,
    principal: Principal | None,
    patrol: SmartPatrol,
    opts: ImportOptions,
    cache: ImportCache,
) -> tuple[ConservationArea, Unit | None]:
    unit = _given_unit(session, principal, opts.unit) if opts.unit else None
    if opts.area:
        return _given_area(session, principal, opts.area, unit), unit
    if unit is not None:
        return unit.area, unit
    area = _area_containing(session, principal, patrol, cache)
    if area is not None:
        return area, None
    raise ValidationFailed(
        N_("The patrol lies in none of your conservation areas; nothing was stored."),
        errors=[
            FieldError(
                f"{patrol.pointer}/legs",
                N_(
                    "no track point or waypoint lies inside one of your areas: give the area "
                    "(--area SLUG, ?area=SLUG)"
                ),
            )
        ],
    )


def _area_containing(
    session: so.Session, principal: Principal | None, patrol: SmartPatrol, cache: ImportCache
) -> ConservationArea | None:
    """The caller's area holding most of the patrol's sample points (each line's ends and
    middle, every waypoint), None when none holds any."""
    if not cache.areas:
        query = sa.select(ConservationArea).order_by(ConservationArea.id)
        if principal is not None:
            query = query.where(ConservationArea.id.in_(principal.area_ids))
        for a in session.scalars(query):
            boundary = shape(a.boundary)
            shapely.prepare(boundary)
            cache.areas[a.id] = (a, boundary)
    points = [
        part[[0, len(part) // 2, -1], :2]
        for leg in patrol.legs
        for day in leg.days
        for part in day.track or []
    ] + [np.array([[w.lon, w.lat]]) for leg in patrol.legs for d in leg.days for w in d.waypoints]
    if not points:
        return None
    xy = np.concatenate(points)
    best = max(
        cache.areas.values(),
        key=lambda ab: int(shapely.contains_xy(ab[1], xy[:, 0], xy[:, 1]).sum()),
        default=None,
    )
    if best is not None and shapely.contains_xy(best[1], xy[:, 0], xy[:, 1]).any():
        return best[0]
    return None


def _unit_of(
    session: so.Session, area: ConservationArea, patrol: SmartPatrol, cmap: CategoryMap
) -> Unit:
    """The unit of the patrol's SMART team: the map's team table, else a unit of the area
    whose code or name is the team (patrol's own exports write the unit code as the team)."""
    teams = cmap.doc.get("teams", {})
    code = teams.get(patrol.team) if patrol.team is not None else None
    if code is None and patrol.team is not None:
        unit = session.scalar(
            sa.select(Unit).where(
                Unit.area_id == area.id, sa.or_(Unit.code == patrol.team, Unit.name == patrol.team)
            )
        )
        if unit is not None:
            return unit
    if code is None:
        team = patrol.team if patrol.team is not None else "(none)"
        raise ValidationFailed(
            N_(
                "The SMART team '{team}' has no unit in area '{slug}'; nothing was stored.",
                team=team,
                slug=area.slug,
            ),
            errors=[
                FieldError(
                    f"{patrol.pointer}/team",
                    N_(
                        "team '{team}' is not in the area's team map: add it under 'teams' in the "
                        "area's SMART map (patrol smart map set FILE), or give the unit for the "
                        "whole import (--unit CODE, ?unit=CODE)",
                        team=team,
                    ),
                )
            ],
        )
    unit = session.scalar(sa.select(Unit).where(Unit.code == code, Unit.area_id == area.id))
    if unit is None:
        raise ValidationFailed(
            N_("The area's team map names an unknown unit; nothing was stored."),
            errors=[
                FieldError(
                    f"{patrol.pointer}/team",
                    N_(
                        "team '{team}' maps to unit '{code}', which area '{slug}' does not have",
                        team=patrol.team,
                        code=code,
                        slug=area.slug,
                    ),
                )
            ],
        )
    return unit
