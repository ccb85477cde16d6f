"""A SMART patrol as patrol reports: one per leg (its transport, members, route and snare
finds), every observation kept as a record, with the area's time zone given to SMART's wall
clock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np

from patrol.errors import FieldError
from patrol.geo.checks import check_line
from patrol.geo.problems import Problems
from patrol.geo.report import PatrolReport, SnareReport
from patrol.geo.report_checks import check_patrol_window
from patrol.geo.smart.category_map import CategoryMap, SnareMatch, transport_of
from patrol.geo.smart.model import (
    SmartAttribute,
    SmartDay,
    SmartLeg,
    SmartObservation,
    SmartPatrol,
    SmartWaypoint,
)
from patrol.geo.smart.track import local_to_utc, wall_ms_to_epoch
from patrol.geo.times import FIND_TIME_SLACK, iso_utc
from patrol.texts import N_

__all__ = [
    "SMART_NAMESPACE",
    "LegReport",
    "ObservationRecord",
    "SmartReports",
    "leg_patrol_id",
    "to_reports",
]

#: Ids of patrols and observations made from SMART ids: the same file gives the same ids.
SMART_NAMESPACE = uuid.UUID("0b6f3c9e-8a1d-4f57-b2c4-5e7d9a31c0f2")


def leg_patrol_id(scope: str, smart_id: str, leg_id: str | None, index: int) -> str:
    """The patrol id of one leg: stable for the same SMART patrol in the same area."""
    return str(uuid.uuid5(SMART_NAMESPACE, f"{scope}\x1f{smart_id}\x1f{leg_id or index}"))


@dataclass
class ObservationRecord:
    """One SMART observation ready to store: where, when, what, and its snare find if mapped."""

    id: str
    leg_index: int
    waypoint_id: str | None
    waypoint_index: int  # 0-based within its day
    day_index: int
    group: int
    position: int  # 0-based within its waypoint
    lon: float
    lat: float
    observed_at: datetime
    category_key: str
    category_path: str
    attributes: list[SmartAttribute]
    snare_id: str | None = None
    pointer: str = ""


@dataclass
class LegReport:
    leg: SmartLeg
    report: PatrolReport
    observations: list[ObservationRecord]
    parts_per_day: list[list[int]]  # route part indices of each day (skipped ones absent)


@dataclass
class SmartReports:
    patrol: SmartPatrol
    legs: list[LegReport]
    warnings: list[FieldError]


@dataclass
class _Route:
    """A leg's walked lines, their times (epoch seconds) and the days' own times."""

    parts: list[np.ndarray] = field(default_factory=list)
    times: list[np.ndarray] = field(default_factory=list)
    timed: bool = True
    parts_per_day: list[list[int]] = field(default_factory=list)
    starts: list[datetime] = field(default_factory=list)
    ends: list[datetime] = field(default_factory=list)

    @property
    def route_times(self) -> list[np.ndarray] | None:
        """The lines' times when every line has them, else None."""
        return self.times if self.timed and len(self.times) == len(self.parts) else None


@dataclass
class _Leg:
    """What reading one leg's observations needs: ids, zone, window, map, and where to note."""

    patrol_id: str
    index: int
    zone: ZoneInfo
    started_at: datetime
    ended_at: datetime
    category_map: CategoryMap
    problems: Problems
    warnings: list[FieldError]
    observations: list[ObservationRecord] = field(default_factory=list)
    snares: list[SnareReport] = field(default_factory=list)


def to_reports(
    patrol: SmartPatrol,
    *,
    unit: str,
    timezone: str,
    category_map: CategoryMap,
    scope: str,
) -> SmartReports:
    """The SMART patrol as one patrol report per leg (its own transport, members, route and
    snare finds) plus every observation; ValidationFailed lists every problem."""
    zone = ZoneInfo(timezone)
    problems = Problems()
    warnings: list[FieldError] = []
    legs: list[LegReport] = []
    for li, leg in enumerate(patrol.legs):
        transport = _transport(leg, category_map, warnings)
        route = _route(leg, zone, problems)
        window = _window(leg, route, problems)
        if window is None:
            continue
        reading = _Leg(
            leg_patrol_id(scope, patrol.id, leg.id, li),
            li,
            zone,
            *window,
            category_map,
            problems,
            warnings,
        )
        _read_observations(leg, reading)
        report = PatrolReport(
            id=reading.patrol_id,
            unit=unit,
            started_at=reading.started_at,
            ended_at=reading.ended_at,
            parts=route.parts,
            times=route.route_times,
            transport=transport,
            leader=next((m.name for m in leg.members if m.leader), None),
            members=[m.name for m in leg.members if not m.leader and m.name],
            snares=reading.snares,
            source_format="smart",
            route_pointer=leg.pointer,
        )
        legs.append(LegReport(leg, report, reading.observations, route.parts_per_day))
    problems.raise_if_any(N_("SMART patrol"))
    return SmartReports(patrol, legs, warnings)


def _transport(leg: SmartLeg, category_map: CategoryMap, warnings: list[FieldError]) -> str:
    transport, known = transport_of(leg.transport, category_map)
    if not known:
        warnings.append(
            FieldError(
                f"{leg.pointer}/transportType",
                N_(
                    "transport '{transport}' is not known: taken as {taken} (not search effort); "
                    "map it under 'transports' in the area's SMART map",
                    transport=leg.transport,
                    taken=transport,
                ),
            )
        )
    return transport


def _route(leg: SmartLeg, zone: ZoneInfo, problems: Problems) -> _Route:
    """The leg's lines with a length (points and pauses stay in the stored document only)."""
    route = _Route()
    for day in leg.days:
        mine: list[int] = []
        for k, part in enumerate(day.track or []):
            xy = part[:, :2]
            if len(xy) < 2 or not (xy != xy[0]).any():
                continue  # a point or a pause: no length; kept in the stored document
            if not check_line(xy, f"{day.pointer}/track/line[{k + 1}]", problems):
                continue
            mine.append(len(route.parts))
            route.parts.append(xy)
            t = part[:, 2]
            if np.isfinite(t).all() and (t > 0).all():
                route.times.append(wall_ms_to_epoch(t, zone))
            else:
                route.timed = False
        route.parts_per_day.append(mine)
        start = local_to_utc(day.date, day.start_time, zone)
        end = local_to_utc(day.date, day.end_time, zone)
        if start is not None:
            route.starts.append(start)
        if end is not None:
            route.ends.append(end)
    return route


def _window(leg: SmartLeg, route: _Route, problems: Problems) -> tuple[datetime, datetime] | None:
    """The leg's start and end: its days' times and its track's, whichever reach further;
    None (with a problem) when the leg has no route or no time at all."""
    if not route.parts:
        problems.add(
            f"{leg.pointer}/days",
            N_("the leg has no track with two distinct points: patrol needs the walked route"),
        )
        return None
    route_times = route.route_times
    starts, ends = list(route.starts), list(route.ends)
    if route_times is not None:
        starts.append(datetime.fromtimestamp(float(min(t[0] for t in route_times)), UTC))
        ends.append(datetime.fromtimestamp(float(max(t[-1] for t in route_times)), UTC))
    if not starts or not ends:
        problems.add(
            f"{leg.pointer}/days/day[1]/@startTime",
            N_("the leg's days have no start and end times and its track no point times"),
        )
        return None
    started_at, ended_at = min(starts), max(ends)
    check_patrol_window(route_times, started_at, ended_at, leg.pointer, problems)
    return started_at, ended_at


def _read_observations(leg: SmartLeg, reading: _Leg) -> None:
    """Every observation of the leg's waypoints, each with its snare find when the map says so;
    a waypoint outside the leg's window (give or take the slack) is a problem."""
    for di, day in enumerate(leg.days):
        for wi, wp in enumerate(day.waypoints):
            when = _waypoint_time(day, wp, reading)
            lo, hi = reading.started_at - FIND_TIME_SLACK, reading.ended_at + FIND_TIME_SLACK
            if not lo <= when <= hi:
                reading.problems.add(
                    f"{wp.pointer}/@time",
                    N_(
                        "{when} is outside the leg ({started_at} to {ended_at}, give or take an "
                        "hour)",
                        when=iso_utc(when),
                        started_at=iso_utc(reading.started_at),
                        ended_at=iso_utc(reading.ended_at),
                    ),
                )
                continue
            for oi, obs in enumerate(wp.observations):
                _read_observation(reading, di, wi, wp, oi, obs, when)


def _waypoint_time(day: SmartDay, wp: SmartWaypoint, reading: _Leg) -> datetime:
    """The waypoint's own time, else its day's start, else the leg's."""
    when = local_to_utc(day.date, wp.time, reading.zone) or local_to_utc(
        day.date, day.start_time, reading.zone
    )
    return reading.started_at if when is None else when


def _read_observation(
    reading: _Leg,
    di: int,
    wi: int,
    wp: SmartWaypoint,
    oi: int,
    obs: SmartObservation,
    when: datetime,
) -> None:
    key = f"{reading.patrol_id}\x1f{di}\x1f{wp.id or wi}\x1f{oi}"
    record = ObservationRecord(
        id=str(uuid.uuid5(SMART_NAMESPACE, key)),
        leg_index=reading.index,
        waypoint_id=wp.id,
        waypoint_index=wi,
        day_index=di,
        group=obs.group,
        position=oi,
        lon=wp.lon,
        lat=wp.lat,
        observed_at=when,
        category_key=obs.category_key,
        category_path=obs.category_path,
        attributes=obs.attributes,
        pointer=obs.pointer,
    )
    match = reading.category_map.match(obs.category_key, obs.attributes)
    if isinstance(match, SnareMatch):
        record.snare_id = str(uuid.uuid5(SMART_NAMESPACE, key + "\x1fsnare"))
        reading.snares.append(_snare(record, match))
        reading.warnings += [FieldError(obs.pointer, note) for note in match.warnings]
    elif match is not None:
        reading.warnings.append(FieldError(obs.pointer, match))
    reading.observations.append(record)


def _snare(record: ObservationRecord, match: SnareMatch) -> SnareReport:
    """The snare find an observation the map calls a snare one makes."""
    return SnareReport(
        id=record.snare_id,
        lon=record.lon,
        lat=record.lat,
        found_at=record.observed_at,
        type=match.type,
        count=match.count,
        state=match.state,
        action=match.action,
        species=match.species,
        notes=match.notes,
        pointer=record.pointer,
    )
