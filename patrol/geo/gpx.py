"""GPX 1.0 / 1.1 files from handheld GPS units and phones, read into a patrol report (gpxpy).

Tracks become the route (one part per non-empty segment, with point times when every point has
one); waypoints become snare finds. Waypoints carry no structured snare fields, so type, count,
state and action are read from keywords in name, description, comment and type, with the
defaults of docs/formats.md (type other, count 1, state active, action removed).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime

import gpxpy
import gpxpy.gpx
import numpy as np

from patrol.errors import FieldError, MalformedInput, ValidationFailed
from patrol.geo.checks import check_line, check_positions
from patrol.geo.problems import Problems
from patrol.geo.report import Limits, PatrolReport, ReportDefaults, SnareReport
from patrol.geo.report_checks import (
    check_counts,
    check_find_times,
    check_patrol_window,
    check_snare,
    derive_find_id,
)
from patrol.texts import N_
from patrol.vocabulary import Action, FindState, FindType, Transport

__all__ = ["GPX_NAMESPACE", "parse_gpx_report", "waypoint_properties"]

#: Namespace for ids of GPX reports sent without one: the same file gets the same patrol id.
GPX_NAMESPACE = uuid.UUID("6f1c1f3e-5d5b-4c43-9a55-2b8f4f0c8a11")

_COUNT = re.compile(r"(?:\bx\s*(\d{1,4})\b|\b(\d{1,4})\s*(?:x\b|snares?\b|pcs\b))", re.I)
_ACTION_WORDS = {
    "destroyed": Action.DESTROYED,
    "destroy": Action.DESTROYED,
    "left in place": Action.LEFT_IN_PLACE,
    "left_in_place": Action.LEFT_IN_PLACE,
    "left": Action.LEFT_IN_PLACE,
    "marked": Action.MARKED,
    "removed": Action.REMOVED,
    "remove": Action.REMOVED,
}


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    # GPX times are UTC by the schema; some writers drop the Z.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except ValueError:  # gpxpy reads any offset; Python refuses 24 hours or more
        raise MalformedInput(
            N_("The GPX file has a time with a UTC offset of 24 hours or more.")
        ) from None


def waypoint_properties(wpt: gpxpy.gpx.GPXWaypoint) -> dict:
    """Snare-find properties read from a waypoint's free text."""
    text = " ".join(filter(None, [wpt.name, wpt.description, wpt.comment, wpt.type, wpt.symbol]))
    low = text.lower()
    props: dict = {}
    props["type"] = next((t for t in FindType if re.search(rf"\b{t}s?\b", low)), FindType.OTHER)
    props["state"] = next((s for s in FindState if re.search(rf"\b{s}\b", low)), FindState.ACTIVE)
    props["action"] = next(
        (a for w, a in _ACTION_WORDS.items() if re.search(rf"\b{w}\b", low)), Action.REMOVED
    )
    match = _COUNT.search(text)
    props["count"] = int(match.group(1) or match.group(2)) if match else 1
    notes = " / ".join(filter(None, [wpt.name, wpt.description, wpt.comment]))
    if notes:
        props["notes"] = notes[:2000]
    return props


def _read_gpx(data: bytes) -> gpxpy.gpx.GPX:
    """The GPX document; MalformedInput when it is not UTF-8, XML or GPX."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedInput(
            N_("The GPX file is not UTF-8 text (byte {n}).", n=exc.start)
        ) from None
    try:
        return gpxpy.parse(text)
    except gpxpy.gpx.GPXXMLSyntaxException as exc:
        raise MalformedInput(
            N_("The file is not well-formed XML: {reason}", reason=str(exc)[:200])
        ) from None
    except gpxpy.gpx.GPXException as exc:
        raise MalformedInput(
            N_("The file is not a GPX document: {reason}", reason=str(exc)[:200])
        ) from None
    except ValueError as exc:
        raise MalformedInput(
            N_("The GPX file has a value that cannot be read: {reason}", reason=str(exc))
        ) from None


def _segment_times(
    points: list[gpxpy.gpx.GPXTrackPoint], where: str, problems: Problems
) -> np.ndarray | None:
    """A segment's point times as epoch seconds, when every point has one (else None)."""
    times = [_utc(p.time) for p in points]
    if not all(times):
        return None
    values = np.array([tm.timestamp() for tm in times])
    back = np.flatnonzero(np.diff(values) < 0)
    if back.size:
        problems.add(
            f"{where}/trkpt/{back[0] + 1}/time", N_("track point times must not go backwards")
        )
    return values


def _track_parts(
    gpx: gpxpy.gpx.GPX, problems: Problems
) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    """The route: one part per segment of two points or more, and the parts' times when
    every part has them."""
    parts: list[np.ndarray] = []
    part_times: list[np.ndarray | None] = []
    for t, track in enumerate(gpx.tracks):
        for s, segment in enumerate(track.segments):
            where = f"/gpx/trk/{t}/trkseg/{s}"
            points = segment.points
            if len(points) < 2:
                continue  # empty and one-point segments carry no route; handhelds write them
            arr = check_positions(
                [[p.longitude, p.latitude] for p in points], f"{where}/trkpt", problems
            )
            if arr is None or not check_line(arr, where, problems):
                continue
            parts.append(arr)
            part_times.append(_segment_times(points, where, problems))
    if not parts and not problems:
        reason = (
            N_("has a planned route (<rte>) but no recorded track (<trk>)")
            if gpx.routes
            else N_("has no track with at least 2 points")
        )
        raise ValidationFailed(
            N_("The GPX file {reason}; a patrol report needs the walked track.", reason=reason),
            errors=[FieldError("/gpx/trk", reason)],
        )
    times = part_times if parts and all(t is not None for t in part_times) else None
    return parts, times


def _track_window(
    gpx: gpxpy.gpx.GPX, defaults: ReportDefaults, problems: Problems
) -> tuple[datetime | None, datetime | None]:
    """The patrol's start and end: as the request gives them, else the times of the track's
    first and last points (a few timed points mid-track do not bound it)."""
    points = [
        p
        for trk in gpx.tracks
        for seg in trk.segments
        if len(seg.points) >= 2
        for p in (seg.points[0], seg.points[-1])
    ]
    first = _utc(points[0].time) if points else None
    last = _utc(points[-1].time) if points else None
    started_at = defaults.started_at or first
    ended_at = defaults.ended_at or last
    if started_at is None:
        problems.add(
            "/started_at",
            N_("the track's first point has no time: give started_at with the upload"),
        )
    if ended_at is None:
        problems.add(
            "/ended_at", N_("the track's last point has no time: give ended_at with the upload")
        )
    return started_at, ended_at


def _waypoint_finds(
    gpx: gpxpy.gpx.GPX,
    parts: list[np.ndarray],
    times: list[np.ndarray] | None,
    patrol_id: str,
    started_at: datetime | None,
    problems: Problems,
) -> list[SnareReport]:
    """The waypoints as finds; one without a time was found when the track passed closest."""
    all_xy = np.concatenate(parts) if parts else np.zeros((0, 2))
    all_t = np.concatenate(times) if times else None
    snares = []
    for w, wpt in enumerate(gpx.waypoints):
        where = f"/gpx/wpt/{w}"
        lonlat = check_positions([[wpt.longitude, wpt.latitude]], where, Problems())
        if lonlat is None:
            problems.add(where, N_("the waypoint's lat/lon are not valid coordinates"))
            continue
        found_at = _utc(wpt.time)
        if found_at is None and all_t is not None and len(all_xy):
            nearest = int(np.argmin(np.hypot(*(all_xy - lonlat[0]).T)))
            found_at = datetime.fromtimestamp(float(all_t[nearest]), UTC)
        if found_at is None and started_at is None:
            continue  # the missing started_at, reported already, is the one thing to fix
        snare = check_snare(
            waypoint_properties(wpt),
            float(lonlat[0, 0]),
            float(lonlat[0, 1]),
            derive_find_id(patrol_id, w),
            f"{where}/properties",
            problems,
            found_at_default=found_at or started_at,
        )
        if snare is not None:
            snare.pointer = where
            snares.append(snare)
    return snares


def parse_gpx_report(
    data: bytes, defaults: ReportDefaults | None = None, limits: Limits | None = None
) -> PatrolReport:
    """Read and validate a GPX file as a patrol report; every problem is reported at once."""
    defaults = defaults or ReportDefaults()
    limits = limits or Limits()
    gpx = _read_gpx(data)
    problems = Problems()
    parts, times = _track_parts(gpx, problems)
    started_at, ended_at = _track_window(gpx, defaults, problems)
    check_patrol_window(times, started_at, ended_at, "", problems, limits, "/gpx/trk/time")
    if not defaults.unit:
        problems.add("/unit", N_("is required: give the unit code with the upload"))
    vertices = sum(len(p) for p in parts)
    check_counts(vertices, len(gpx.waypoints), limits, "/gpx/trk", problems)
    patrol_id = defaults.id or str(
        uuid.uuid5(GPX_NAMESPACE, hashlib.sha256(data).hexdigest() + (defaults.unit or ""))
    )
    snares = _waypoint_finds(gpx, parts, times, patrol_id, started_at, problems)
    problems.raise_if_any(N_("GPX file"))
    report = PatrolReport(
        id=patrol_id,
        unit=defaults.unit.strip(),
        started_at=started_at,
        ended_at=ended_at,
        parts=parts,
        times=times,
        transport=defaults.transport or Transport.FOOT,
        leader=defaults.leader,
        snares=snares,
        source_format="gpx",
        route_pointer="/gpx/trk",
    )
    check_find_times(report, problems)
    problems.raise_if_any(N_("GPX file"))
    return report
