"""A SMART patrol's rows besides the patrols themselves: the document kept for export, the
observations with their attributes, the legs' links; deleted for an update, summed for a
replay."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.geo.projection import to_metric
from patrol.geo.smart.reports import ObservationRecord, SmartReports
from patrol.services.measure import AreaContext
from patrol.store.models import (
    ConservationArea,
    EffortCell,
    EffortZone,
    Observation,
    ObservationAttribute,
    Patrol,
    SmartLeg,
    SnareFind,
)
from patrol.store.models import SmartPatrol as SmartPatrolRow

__all__ = [
    "delete_legs",
    "is_own_export",
    "leg_documents",
    "leg_summaries",
    "store_observations",
]


def _finite(values: list[float]) -> list[float | None]:
    return [None if not np.isfinite(v) else v for v in values]


def _track_entry(part: np.ndarray, in_route: Any, timed: bool) -> dict[str, Any]:
    """A day's line as stored: a route part by its index (with its Z when the route has no
    times), or a point or pause kept whole."""
    xy = part[:, :2]
    if len(xy) >= 2 and (xy != xy[0]).any():
        entry: dict[str, Any] = {"route_part": next(in_route)}
        if not timed:
            entry["z"] = _finite(part[:, 2])
        return entry
    return {"coordinates": [_finite(p) for p in part.tolist()]}


def leg_documents(reports: SmartReports, plain: dict[str, Any]) -> dict[str, Any]:
    """What the stored patrol keeps besides routes and observations (for export and audit)."""
    doc = plain  # hashed already: filled in place
    for leg_doc, leg_report, leg in zip(
        doc["legs"], reports.legs, reports.patrol.legs, strict=True
    ):
        timed = leg_report.report.times is not None
        for day_doc, day, mine in zip(
            leg_doc["days"], leg.days, leg_report.parts_per_day, strict=True
        ):
            in_route = iter(mine)
            entries = [_track_entry(part, in_route, timed) for part in day.track or []]
            day_doc["track"] = entries if day.track is not None else None
            for wp in day_doc["waypoints"]:
                wp["observations"] = len(wp["observations"])
    return doc


def store_observations(
    session: so.Session, patrol: Patrol, records: list[ObservationRecord], context: AreaContext
) -> None:
    """The leg's observations and their attributes, each in its cell and zone."""
    if not records:
        return
    x, y = to_metric(
        np.array([r.lon for r in records]), np.array([r.lat for r in records]), context.epsg
    )
    ix, iy = context.grid.cell_of(x, y)
    zones = context.zone_of(x, y)
    for k, r in enumerate(records):
        obs = Observation(
            uuid=r.id,
            patrol_id=patrol.id,
            area_id=patrol.area_id,
            observed_at=r.observed_at,
            lon=r.lon,
            lat=r.lat,
            category_key=r.category_key[:400],
            category_path=r.category_path[:400],
            waypoint_id=r.waypoint_id,
            day_index=r.day_index,
            waypoint_index=r.waypoint_index,
            group_index=r.group,
            position=r.position,
            snare_find_uuid=r.snare_id,
            cell_ix=int(ix[k]),
            cell_iy=int(iy[k]),
            zone_id=zones[k],
        )
        obs.attributes = [
            ObservationAttribute(
                position=p,
                key=a.key[:200],
                kind=a.kind,
                items=a.items or None,
                number_value=a.number,
                bool_value=a.boolean,
                text_value=a.text,
            )
            for p, a in enumerate(r.attributes)
        ]
        session.add(obs)


def delete_legs(session: so.Session, row: SmartPatrolRow) -> list[str]:
    """Delete the patrols of a stored SMART patrol and all that hangs on them; their uuids."""
    ids = list(
        session.scalars(sa.select(SmartLeg.patrol_id).where(SmartLeg.smart_patrol_id == row.id))
    )
    uuids = list(session.scalars(sa.select(Patrol.uuid).where(Patrol.id.in_(ids))))
    obs_ids = sa.select(Observation.id).where(Observation.patrol_id.in_(ids))
    session.execute(
        sa.delete(ObservationAttribute).where(ObservationAttribute.observation_id.in_(obs_ids))
    )
    for model in (Observation, SnareFind, EffortCell, EffortZone, SmartLeg):
        session.execute(sa.delete(model).where(model.patrol_id.in_(ids)))
    session.execute(sa.delete(Patrol).where(Patrol.id.in_(ids)))
    return uuids


def is_own_export(session: so.Session, area: ConservationArea, smart_id: str) -> bool:
    """A SMART id that is the UUID of one of the area's own patrols: patrol's export of it."""
    try:
        key = str(uuid.UUID(smart_id))
    except ValueError:
        return False
    return (
        session.scalar(
            sa.select(Patrol.id).where(
                Patrol.uuid == key, Patrol.area_id == area.id, Patrol.source_format != "smart"
            )
        )
        is not None
    )


def leg_summaries(session: so.Session, row: SmartPatrolRow) -> list[dict[str, Any]]:
    """The stored legs of a SMART patrol as an import answers them."""
    out = []
    for link in session.scalars(
        sa.select(SmartLeg).where(SmartLeg.smart_patrol_id == row.id).order_by(SmartLeg.leg_index)
    ):
        p = link.patrol
        out.append(
            {
                "id": p.uuid,
                "leg": None,
                "transport": p.transport,
                "distance_km": round(p.distance_km, 4),
                "finds": len(p.finds),
                "observations": session.scalar(
                    sa.select(sa.func.count()).where(Observation.patrol_id == p.id)
                ),
            }
        )
    return out
