"""The SMART documents of stored patrols, for the export: an imported SMART patrol as it came
(routes, observations and find corrections from the rows), a native patrol as a one-leg one."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.geo import packed_route
from patrol.geo.smart import SmartAttribute, epoch_to_wall_ms
from patrol.geo.smart.category_map import CategoryMap, SnareMatch, field_attribute
from patrol.store.models import Observation, ObservationAttribute, Patrol, SmartLeg, SnareFind
from patrol.store.models import SmartPatrol as SmartPatrolRow
from patrol.vocabulary import Transport

__all__ = ["EXPORT_KEYS", "imported_doc", "native_doc"]

SMART_ATTRIBUTE_FIELDS = ("key", "kind", "items", "number", "boolean", "text")
TRANSPORT_NAMES = {
    Transport.FOOT: "Foot",
    Transport.VEHICLE: "Vehicle",
    Transport.MOTORBIKE: "Motorbike",
    Transport.BOAT: "Boat",
    Transport.SKI: "Ski",
}
#: Attribute keys written for a snare field the observation does not carry.
EXPORT_KEYS = {
    "type": "snaretype",
    "count": "numberofsnares",
    "state": "snarestate",
    "action": "actiontaken",
}


def _wall(t: datetime, zone: ZoneInfo) -> datetime:
    return t.astimezone(zone).replace(tzinfo=None)


def _route(patrol: Patrol) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    return (
        packed_route.unpack_route(patrol.route_packed),
        packed_route.unpack_times(patrol.times_packed),
    )


# ---------------------------------------------------------------------------------------------
# An imported SMART patrol


def imported_doc(
    session: so.Session, row: SmartPatrolRow, zone: ZoneInfo, cmap: CategoryMap
) -> dict[str, Any]:
    """An imported SMART patrol as it came, routes and observations from the stored rows
    (snare observations carrying the corrections made to their finds since)."""
    doc = copy.deepcopy(row.doc)
    links = session.scalars(
        sa.select(SmartLeg).where(SmartLeg.smart_patrol_id == row.id).order_by(SmartLeg.leg_index)
    ).all()
    by_leg = {link.leg_index: link.patrol for link in links}
    for li, leg in enumerate(doc["legs"]):
        patrol = by_leg.get(li)
        if patrol is None or patrol.deleted_at is not None:
            leg["days"] = []
            continue
        _fill_leg(session, leg, patrol, zone, cmap)
    return doc


def _fill_leg(
    session: so.Session, leg: dict[str, Any], patrol: Patrol, zone: ZoneInfo, cmap: CategoryMap
) -> None:
    """A stored leg document given its tracks back and its waypoints' observations."""
    parts, times = _route(patrol)
    finds = {f.uuid: f for f in patrol.finds}
    observations = session.scalars(
        sa.select(Observation)
        .where(Observation.patrol_id == patrol.id)
        .order_by(Observation.day_index, Observation.waypoint_index, Observation.position)
        .options(so.selectinload(Observation.attributes))
    ).all()
    grouped: dict[tuple[int, int], list[Observation]] = {}
    for o in observations:
        grouped.setdefault((o.day_index, o.waypoint_index), []).append(o)
    for di, day in enumerate(leg["days"]):
        if day["track"] is not None:
            day["track"] = [_track_line(entry, parts, times, zone) for entry in day["track"]]
        for wi, wp in enumerate(day["waypoints"]):
            rows = grouped.get((di, wi), [])
            wp["observations"] = [_obs_doc(o) for o in rows]
            for obs, o in zip(wp["observations"], rows, strict=True):
                find = finds.get(o.snare_find_uuid) if o.snare_find_uuid else None
                if find is not None:
                    _apply_corrections(obs, find, cmap)


def _track_line(
    entry: dict[str, Any],
    parts: list[np.ndarray],
    times: list[np.ndarray] | None,
    zone: ZoneInfo,
) -> np.ndarray:
    """One line of a day's track: a route part with its times (or the Z it came with), or a
    point or pause kept whole."""
    if "route_part" not in entry:
        return np.array([[np.nan if v is None else v for v in p] for p in entry["coordinates"]])
    k = entry["route_part"]
    if times is not None:
        z = epoch_to_wall_ms(times[k], zone)
    else:
        z = np.array([np.nan if v is None else v for v in entry["z"]])
    return np.column_stack([parts[k], z])


def _attr_doc(a: ObservationAttribute) -> dict[str, Any]:
    return {
        "key": a.key,
        "kind": a.kind,
        "items": a.items or [],
        "number": a.number_value,
        "boolean": a.bool_value,
        "text": a.text_value,
    }


def _obs_doc(o: Observation) -> dict[str, Any]:
    return {
        "category_key": o.category_key,
        "group": o.group_index,
        "attributes": [_attr_doc(a) for a in o.attributes],
        "extra": [],
    }


def _apply_corrections(obs: dict[str, Any], find: SnareFind, cmap: CategoryMap) -> None:
    """A snare observation whose find was corrected in patrol (PATCH) is written with the
    corrected type, count, state and action, in the attributes the map reads them from, so
    SMART and a re-import see the correction."""
    attrs = [SmartAttribute(**{k: a[k] for k in SMART_ATTRIBUTE_FIELDS}) for a in obs["attributes"]]
    match = cmap.match(obs["category_key"], attrs)
    if not isinstance(match, SnareMatch):
        return
    entry = cmap.entry_for(obs["category_key"])
    for name in ("type", "state", "action", "count"):
        want = getattr(find, name)
        if getattr(match, name) == want:
            continue
        spec = entry.get(name) or {}
        key = spec.get("attribute") or field_attribute(name, attrs) or EXPORT_KEYS[name]
        if name == "count":
            value = {"kind": "number", "items": [], "number": float(want)}
        else:
            reverse = {v: k for k, v in (spec.get("items") or {}).items()}
            value = {"kind": "item", "items": [reverse.get(want, want)], "number": None}
        value |= {"key": key, "boolean": None, "text": None}
        for k, a in enumerate(obs["attributes"]):
            if a["key"] == key:
                obs["attributes"][k] = value
                break
        else:
            obs["attributes"].append(value)


# ---------------------------------------------------------------------------------------------
# A native patrol (GeoJSON, GPX, the form) as a one-leg SMART patrol


class _Days:
    """The SMART days of a native patrol, made as a route part or a find needs them."""

    def __init__(self) -> None:
        self.days: dict[date, dict[str, Any]] = {}

    def of(self, d: date) -> dict[str, Any]:
        if d not in self.days:
            # Only the first and last day get times (the patrol's start and end).
            self.days[d] = {
                "date": d.isoformat(),
                "start_time": None,
                "end_time": None,
                "rest_minutes": None,
                "track": [],
                "distance": None,
                "waypoints": [],
                "extra": [],
            }
        return self.days[d]

    def in_order(self) -> list[dict[str, Any]]:
        return [self.days[d] for d in sorted(self.days)]


def native_doc(patrol: Patrol, cmap: CategoryMap, zone: ZoneInfo) -> dict[str, Any]:
    """A patrol submitted through patrol (GeoJSON, GPX, the form) as a one-leg SMART patrol:
    route parts as the days' tracks, each snare find a waypoint with one observation in the
    area's snare category."""
    start, end = _wall(patrol.started_at, zone), _wall(patrol.ended_at, zone)
    days = _Days()
    days.of(start.date())["start_time"] = start.time().replace(microsecond=0).isoformat()
    days.of(end.date())["end_time"] = end.time().replace(microsecond=0).isoformat()
    parts, times = _route(patrol)
    for k, part in enumerate(parts):
        if times is not None:
            z = epoch_to_wall_ms(times[k], zone)
            first = datetime.fromtimestamp(float(times[k][0]), UTC)
        else:
            z = np.zeros(len(part))
            first = patrol.started_at
        days.of(_wall(first, zone).date())["track"].append(np.column_stack([part, z]))
    writer = _FindWriter(cmap)
    for n, find in enumerate(patrol.finds):
        local = _wall(find.found_at, zone)
        days.of(local.date())["waypoints"].append(writer.waypoint(n, find, local))
    return _patrol_doc(patrol, start, end, days.in_order())


class _FindWriter:
    """Snare finds as SMART waypoints, in the attributes and items the area's map reads."""

    def __init__(self, cmap: CategoryMap) -> None:
        self.category = cmap.export_category
        self.entry = cmap.entry_for_export()
        self.keys = {
            name: (self.entry.get(name) or {}).get("attribute") or default
            for name, default in (*EXPORT_KEYS.items(), ("species", "species"))
        }

    def item(self, name: str, value: str) -> str:
        reverse = {v: k for k, v in ((self.entry.get(name) or {}).get("items") or {}).items()}
        return reverse.get(value, value)

    def waypoint(self, n: int, find: SnareFind, local: datetime) -> dict[str, Any]:
        keys = self.keys
        attributes = [
            {"key": keys["type"], "kind": "item", "items": [self.item("type", find.type)]},
            {"key": keys["count"], "kind": "number", "number": float(find.count)},
            {"key": keys["state"], "kind": "item", "items": [self.item("state", find.state)]},
            {"key": keys["action"], "kind": "item", "items": [self.item("action", find.action)]},
        ]
        if find.species:
            attributes.append({"key": keys["species"], "kind": "item", "items": [find.species]})
        if find.notes:
            attributes.append({"key": "notes", "kind": "text", "text": find.notes})
        observation = {
            "category_key": self.category,
            "group": 0,
            "attributes": attributes,
            "extra": [],
        }
        return {
            "id": str(n + 1),
            "lon": find.lon,
            "lat": find.lat,
            "time": local.time().replace(microsecond=0).isoformat(),
            "groups": 1,
            "observations": [observation],
            "extra": [],
        }


def _patrol_doc(
    patrol: Patrol, start: datetime, end: datetime, days: list[dict[str, Any]]
) -> dict[str, Any]:
    members = [{"given_name": patrol.leader, "leader": True}] if patrol.leader else []
    members += [{"given_name": m, "leader": False} for m in patrol.members]
    return {
        "id": patrol.uuid,
        "patrol_type": "WATER" if patrol.transport == Transport.BOAT else "GROUND",
        "start_date": start.date().isoformat(),
        "end_date": end.date().isoformat(),
        "armed": None,
        "objective": None,
        "team": patrol.unit.code,
        "team_language": "en",
        "comment": None,
        "attributes": {},
        "extra": [],
        "legs": [
            {
                "id": "1",
                "start_date": start.date().isoformat(),
                "end_date": end.date().isoformat(),
                "transport": TRANSPORT_NAMES[patrol.transport],
                "transport_language": "en",
                "members": members,
                "mandate": None,
                "days": days,
                "extra": [],
            }
        ],
    }
