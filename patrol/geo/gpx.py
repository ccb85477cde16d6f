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
from patrol.geo.report import STATES, TYPES, Limits, PatrolReport, ReportDefaults
from patrol.geo.report_checks import (
    check_counts,
    check_find_times,
    check_patrol_window,
    check_snare,
    derive_find_id,
)

__all__ = ["GPX_NAMESPACE", "parse_gpx_report", "waypoint_properties"]

#: Namespace for ids of GPX reports sent without one: the same file gets the same patrol id.
GPX_NAMESPACE = uuid.UUID("6f1c1f3e-5d5b-4c43-9a55-2b8f4f0c8a11")

_COUNT = re.compile(r"(?:\bx\s*(\d{1,4})\b|\b(\d{1,4})\s*(?:x\b|snares?\b|pcs\b))", re.I)
_ACTION_WORDS = {
    "destroyed": "destroyed",
    "destroy": "destroyed",
    "left in place": "left_in_place",
    "left_in_place": "left_in_place",
    "left": "left_in_place",
    "marked": "marked",
    "removed": "removed",
    "remove": "removed",
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
            "The GPX file has a time with a UTC offset of 24 hours or more."
        ) from None


def waypoint_properties(wpt: gpxpy.gpx.GPXWaypoint) -> dict:
    """Snare-find properties read from a waypoint's free text."""
    text = " ".join(filter(None, [wpt.name, wpt.description, wpt.comment, wpt.type, wpt.symbol]))
    low = text.lower()
    props: dict = {}
    props["type"] = next((t for t in TYPES if re.search(rf"\b{t}s?\b", low)), "other")
    props["state"] = next((s for s in STATES if re.search(rf"\b{s}\b", low)), "active")
    props["action"] = next(
        (a for w, a in _ACTION_WORDS.items() if re.search(rf"\b{w}\b", low)), "removed"
    )
    match = _COUNT.search(text)
    props["count"] = int(match.group(1) or match.group(2)) if match else 1
    notes = " / ".join(filter(None, [wpt.name, wpt.description, wpt.comment]))
    if notes:
        props["notes"] = notes[:2000]
    return props


def parse_gpx_report(
    data: bytes, defaults: ReportDefaults | None = None, limits: Limits | None = None
) -> PatrolReport:
    """Read and validate a GPX file as a patrol report; every problem is reported at once."""
    defaults = defaults or ReportDefaults()
    limits = limits or Limits()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedInput(f"The GPX file is not UTF-8 text (byte {exc.start}).") from None
    try:
        gpx = gpxpy.parse(text)
    except gpxpy.gpx.GPXXMLSyntaxException as exc:
        raise MalformedInput(f"The file is not well-formed XML: {str(exc)[:200]}") from None
    except gpxpy.gpx.GPXException as exc:
        raise MalformedInput(f"The file is not a GPX document: {str(exc)[:200]}") from None
    except ValueError as exc:
        raise MalformedInput(f"The GPX file has a value that cannot be read: {exc}") from None

    problems = Problems()
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
            times = [_utc(p.time) for p in points]
            if all(times):
                values = np.array([tm.timestamp() for tm in times])
                back = np.flatnonzero(np.diff(values) < 0)
                if back.size:
                    problems.add(
                        f"{where}/trkpt/{back[0] + 1}/time",
                        "track point times must not go backwards",
                    )
                part_times.append(values)
            else:
                part_times.append(None)
    if not parts and not problems:
        reason = (
            "has a planned route (<rte>) but no recorded track (<trk>)"
            if gpx.routes
            else "has no track with at least 2 points"
        )
        raise ValidationFailed(
            f"The GPX file {reason}; a patrol report needs the walked track.",
            errors=[FieldError("/gpx/trk", reason)],
        )
    times = part_times if parts and all(t is not None for t in part_times) else None

    # Without a time on every point, the times of the track's first and last points still
    # bound the patrol; a few timed points mid-track do not.
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
            "/started_at", "the track's first point has no time: give started_at with the upload"
        )
    if ended_at is None:
        problems.add(
            "/ended_at", "the track's last point has no time: give ended_at with the upload"
        )
    check_patrol_window(times, started_at, ended_at, "", problems, limits, "/gpx/trk/time")
    if not defaults.unit:
        problems.add("/unit", "is required: give the unit code with the upload")
    vertices = sum(len(p) for p in parts)
    check_counts(vertices, len(gpx.waypoints), limits, "/gpx/trk", problems)

    patrol_id = defaults.id or str(
        uuid.uuid5(GPX_NAMESPACE, hashlib.sha256(data).hexdigest() + (defaults.unit or ""))
    )
    all_xy = np.concatenate(parts) if parts else np.zeros((0, 2))
    all_t = np.concatenate(times) if times else None
    snares = []
    for w, wpt in enumerate(gpx.waypoints):
        where = f"/gpx/wpt/{w}"
        lonlat = check_positions([[wpt.longitude, wpt.latitude]], where, Problems())
        if lonlat is None:
            problems.add(where, "the waypoint's lat/lon are not valid coordinates")
            continue
        found_at = _utc(wpt.time)
        if found_at is None and all_t is not None and len(all_xy):
            # No time on the waypoint: the time the track passed closest to it.
            nearest = int(np.argmin(np.hypot(*(all_xy - lonlat[0]).T)))
            found_at = datetime.fromtimestamp(float(all_t[nearest]), UTC)
        if found_at is None and started_at is None:
            continue  # the missing started_at, reported above, is the one thing to fix
        props = waypoint_properties(wpt)
        snare = check_snare(
            props,
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
    problems.raise_if_any("GPX file")
    report = PatrolReport(
        id=patrol_id,
        unit=defaults.unit.strip(),
        started_at=started_at,
        ended_at=ended_at,
        parts=parts,
        times=times,
        transport=defaults.transport or "foot",
        leader=defaults.leader,
        snares=snares,
        source_format="gpx",
        route_pointer="/gpx/trk",
    )
    check_find_times(report, problems)
    problems.raise_if_any("GPX file")
    return report
