"""A stored patrol as documents: its report (route, finds, figures), receipt and features."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.geo import packed_route
from patrol.geo.documents import feature, feature_collection, point
from patrol.geo.times import iso_utc, iso_utc_seconds
from patrol.services.observations import patrol_observations
from patrol.store.models import (
    EffortCell,
    EffortZone,
    Patrol,
    SmartLeg,
    SmartPatrol,
    SnareFind,
    Zone,
)
from patrol.vocabulary import REMOVED_ACTIONS

__all__ = ["find_feature", "patrol_document", "patrol_receipt", "route_feature"]


def _snare_figures(snare_rows: list[SnareFind]) -> tuple[int, int]:
    """Snares found and snares removed among the finds."""
    found = sum(s.count for s in snare_rows)
    removed = sum(s.count for s in snare_rows if s.action in REMOVED_ACTIONS)
    return found, removed


def _zone_figures(session: so.Session, patrol: Patrol) -> list[dict[str, Any]]:
    effort = {
        r.zone_id: r
        for r in session.scalars(sa.select(EffortZone).where(EffortZone.patrol_id == patrol.id))
    }
    finds: dict[int | None, list[SnareFind]] = {}
    for f in patrol.finds:
        finds.setdefault(f.zone_id, []).append(f)
    zone_ids = sorted(set(effort) | {z for z in finds if z is not None})
    zones = {z.id: z for z in session.scalars(sa.select(Zone).where(Zone.id.in_(zone_ids)))}
    rows = []
    for zid in zone_ids:
        found, removed = _snare_figures(finds.get(zid, []))
        e = effort.get(zid)
        rows.append(
            {
                "zone": zones[zid].code,
                "name": zones[zid].name,
                "names": zones[zid].names or {},
                "effort_km": round(e.effort_km, 4) if e else 0.0,
                "effort_h": round(e.effort_h, 4) if e else 0.0,
                "finds": len(finds.get(zid, [])),
                "snares_found": found,
                "snares_removed": removed,
            }
        )
    inside_km = sum(e.effort_km for e in effort.values())
    inside_h = sum(e.effort_h for e in effort.values())
    found, removed = _snare_figures(finds.get(None, []))
    rows.append(
        {
            "zone": None,
            "name": "outside every zone",
            "names": {},
            "effort_km": round(max(patrol.distance_km - inside_km, 0.0), 4),
            "effort_h": round(max(_hours_total(session, patrol) - inside_h, 0.0), 4),
            "finds": len(finds.get(None, [])),
            "snares_found": found,
            "snares_removed": removed,
        }
    )
    return rows


def _hours_total(session: so.Session, patrol: Patrol) -> float:
    return float(
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(EffortCell.effort_h), 0.0)).where(
                EffortCell.patrol_id == patrol.id
            )
        )
    )


def find_feature(find: SnareFind, zone_code: str | None = None) -> dict[str, Any]:
    return feature(
        point(find.lon, find.lat),
        {
            "kind": "snare",
            "patrol": find.patrol.uuid if find.patrol else None,
            "found_at": iso_utc(find.found_at),
            "type": find.type,
            "count": find.count,
            "state": find.state,
            "action": find.action,
            "species": find.species,
            "notes": find.notes,
            "zone": zone_code,
            "cell": [find.cell_ix, find.cell_iy],
        },
        id=find.uuid,
    )


def route_feature(
    patrol: Patrol, with_times: bool = True, geometry: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The route as a Feature; ``geometry`` replaces the stored route (a map's simplified one)."""
    props: dict[str, Any] = {
        "kind": "route",
        "unit": patrol.unit.code,
        "leader": patrol.leader,
        "members": patrol.members,
        "transport": patrol.transport,
        "started_at": iso_utc(patrol.started_at),
        "ended_at": iso_utc(patrol.ended_at),
        "distance_km": round(patrol.distance_km, 4),
        "duration_h": round(patrol.duration_h, 4),
        "vertex_count": patrol.vertex_count,
        "revision": patrol.revision,
        "source_format": patrol.source_format,
        "submitted_at": iso_utc(patrol.submitted_at),
        "deleted_at": iso_utc(patrol.deleted_at) if patrol.deleted_at else None,
    }
    if with_times and patrol.times_packed is not None:
        parts = packed_route.unpack_times(patrol.times_packed)
        props["coordTimes"] = [iso_utc_seconds(part) for part in parts]
    return feature(
        geometry or packed_route.route_geometry(patrol.route_packed), props, id=patrol.uuid
    )


def patrol_document(session: so.Session, patrol: Patrol) -> dict[str, Any]:
    """The stored report as a FeatureCollection (route, then finds) with its figures."""
    zone_codes = dict(
        session.execute(sa.select(Zone.id, Zone.code).where(Zone.area_id == patrol.area_id)).all()
    )
    found, removed = _snare_figures(patrol.finds)
    return feature_collection(
        [route_feature(patrol)]
        + [find_feature(f, zone_codes.get(f.zone_id)) for f in patrol.finds],
        id=patrol.uuid,
        # Everything else the patrol recorded (from SMART: every observation, snares too).
        observations=patrol_observations(session, patrol),
        smart=_smart_origin(session, patrol),
        figures={
            "distance_km": round(patrol.distance_km, 4),
            "duration_h": round(patrol.duration_h, 4),
            "snares_found": found,
            "snares_removed": removed,
            "zones": _zone_figures(session, patrol),
        },
    )


def patrol_receipt(patrol: Patrol) -> dict[str, Any]:
    """What a sender needs to know its report is stored (``Prefer: return=minimal``): the
    id and revision, the figures, no route echoed back."""
    found, removed = _snare_figures(patrol.finds)
    return {
        "id": patrol.uuid,
        "revision": patrol.revision,
        "figures": {
            "distance_km": round(patrol.distance_km, 4),
            "duration_h": round(patrol.duration_h, 4),
            "snares_found": found,
            "snares_removed": removed,
        },
    }


def _smart_origin(session: so.Session, patrol: Patrol) -> dict[str, Any] | None:
    """The SMART patrol and leg a patrol was imported from (None for patrol's own)."""
    if patrol.source_format != "smart":
        return None
    row = session.execute(
        sa.select(SmartPatrol.smart_id, SmartPatrol.revision, SmartLeg.leg_index)
        .join(SmartLeg, SmartLeg.smart_patrol_id == SmartPatrol.id)
        .where(SmartLeg.patrol_id == patrol.id)
    ).first()
    if row is None:
        return None
    return {"id": row.smart_id, "revision": row.revision, "leg": row.leg_index + 1}
