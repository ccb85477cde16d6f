"""A SMART day's track: hex EWKB whose Z holds each point's wall-clock time, to and from arrays.

SMART writes the park's wall clock as if it were UTC (milliseconds in Z, dates and times without
a zone); these helpers turn that into true instants with the area's zone, and back.
"""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np
import shapely

from patrol.texts import N_

__all__ = [
    "epoch_to_wall_ms",
    "local_to_utc",
    "track_from_wkb",
    "track_to_wkb",
    "wall_ms_to_epoch",
]


def track_from_wkb(hex_wkb: str) -> list[np.ndarray]:
    """A day's track: hex (E)WKB of a LineString or MultiLineString, as (n, 3) arrays of lon,
    lat and the Z value (SMART's time, ms of wall-clock time; nan when the track is 2D)."""
    try:
        raw = bytes.fromhex(hex_wkb)
    except ValueError:
        raise ValueError(N_("is not hexadecimal WKB")) from None
    try:
        geom = shapely.from_wkb(raw)
    except shapely.errors.GEOSException as exc:
        raise ValueError(N_("is not valid WKB: {reason}", reason=str(exc)[:120])) from None
    kind = shapely.get_type_id(geom)
    if kind == 1:
        lines = [geom]
    elif kind == 5:
        lines = list(shapely.get_parts(geom))
    else:
        raise ValueError(
            N_("must be a LineString or MultiLineString, not a {kind}", kind=geom.geom_type)
        )
    parts = []
    for line in lines:
        coords = shapely.get_coordinates(line, include_z=True)
        parts.append(np.asarray(coords, dtype=float))
    if not parts or not any(len(p) for p in parts):
        raise ValueError(N_("the track is empty"))
    return parts


def track_to_wkb(parts: list[np.ndarray]) -> str:
    """Hex EWKB (big-endian, as SMART writes it) of a MultiLineString Z: lon, lat, time.

    >>> line = np.array([[30.5, 60.1, 1.7e12], [30.6, 60.2, 1.7e12 + 60_000]])
    >>> [p.tolist() == line.tolist() for p in track_from_wkb(track_to_wkb([line]))]
    [True]
    """
    out = [struct.pack(">BII", 0, 0x80000005, len(parts))]
    for part in parts:
        arr = np.asarray(part, dtype=">f8")
        out.append(struct.pack(">BII", 0, 0x80000002, len(arr)))
        out.append(arr.tobytes())
    return b"".join(out).hex()


def local_to_utc(day: date, clock: time | None, zone: ZoneInfo) -> datetime | None:
    """A SMART date and wall-clock time in the area's zone as a UTC instant (None: no time)."""
    if clock is None:
        return None
    return datetime.combine(day, clock).replace(tzinfo=zone).astimezone(UTC)


def wall_ms_to_epoch(ms: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    """SMART's track times (wall-clock ms written as if UTC) as true epoch seconds."""
    seconds = ms / 1000.0
    first = datetime.fromtimestamp(float(seconds[0]), UTC).replace(tzinfo=zone)
    last = datetime.fromtimestamp(float(seconds[-1]), UTC).replace(tzinfo=zone)
    if first.utcoffset() == last.utcoffset():
        return seconds - first.utcoffset().total_seconds()
    offsets = [
        datetime.fromtimestamp(float(s), UTC).replace(tzinfo=zone).utcoffset().total_seconds()
        for s in seconds
    ]
    return seconds - np.asarray(offsets)


def epoch_to_wall_ms(seconds: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    """The inverse: epoch seconds as SMART's wall-clock ms."""
    offsets = np.array(
        [datetime.fromtimestamp(float(s), zone).utcoffset().total_seconds() for s in seconds]
    )
    return np.round((np.asarray(seconds) + offsets) * 1000.0, 3)
