"""Times in reports and answers: read strictly (ISO 8601 with an offset), written in UTC with a Z.

Any time outside the years 1900 to 2199 is a typing or clock error, not a date (and
``datetime`` cannot even hold some of what ISO 8601 and numpy accept, such as the year 10000).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np

from patrol.geo.problems import Problems, printable
from patrol.texts import N_

__all__ = [
    "EARLIEST_PATROL",
    "EARLIEST_TIME",
    "FIND_TIME_SLACK",
    "FUTURE_SLACK",
    "LATEST_TIME",
    "check_times",
    "iso_utc",
    "iso_utc_seconds",
    "parse_time",
    "read_time_block",
]

EARLIEST_TIME = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(2200, 1, 1, tzinfo=UTC)
# A patrol: GPS receivers predate 1990 only in museums, and a report from the future is a
# device clock set wrong (a day of slack covers every time zone).
EARLIEST_PATROL = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
# A find may be logged a little before the route starts or after it ends (the GPS was switched
# on late, the last snare was noted at the car); further out it belongs to another patrol.
FIND_TIME_SLACK = timedelta(hours=1)


def iso_utc(value: datetime) -> str:
    """A time as ISO 8601 in UTC with a Z: the one way every report and answer writes times
    (a naive one is UTC already, as the store keeps them).

    >>> from datetime import timezone
    >>> iso_utc(datetime(2025, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=10))))
    '2025-12-31T13:30:00Z'
    >>> iso_utc(datetime(2025, 1, 1, 12, 0))
    '2025-01-01T12:00:00Z'
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iso_utc_seconds(seconds: np.ndarray) -> list[str]:
    """``iso_utc`` of many epoch seconds at once (vectorised: routes have thousands of times).

    >>> iso_utc_seconds(np.array([0.0, 1.5, 1764496800.0]))
    ['1970-01-01T00:00:00Z', '1970-01-01T00:00:01.500000Z', '2025-11-30T10:00:00Z']
    """
    # As datetime.fromtimestamp rounds: whole seconds and the fraction apart, half to even.
    fraction, whole = np.modf(np.asarray(seconds, dtype=float))
    us = whole.astype(np.int64) * 1_000_000 + np.round(fraction * 1e6).astype(np.int64)
    stamps = us.astype("datetime64[us]")
    whole = np.datetime_as_string(stamps, unit="s")
    fraction = np.datetime_as_string(stamps, unit="us")
    return np.char.add(np.where(us % 1_000_000 == 0, whole, fraction), "Z").tolist()


def parse_time(value: Any) -> datetime:
    """An ISO 8601 time with a UTC offset, as an aware UTC datetime; ValueError otherwise.

    Only ASCII digits count (``fromisoformat`` would take other scripts' digits), and only
    years 1900 to 2199: beyond them lie typing errors and instants ``datetime`` cannot shift.

    >>> parse_time("2025-03-01T10:00:00+10:00").isoformat()
    '2025-03-01T00:00:00+00:00'
    >>> parse_time("0001-01-01T00:00:00+05:00")
    Traceback (most recent call last):
    ...
    ValueError: '0001-01-01T00:00:00+05:00' is outside the years 1900 to 2199
    """
    if not isinstance(value, str):
        raise ValueError(N_("must be an ISO 8601 time string"))
    text = value.strip()
    if not text.isascii() or "\x00" in text:
        raise ValueError(N_("'{value}' is not an ISO 8601 time", value=printable(text[:40])))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(N_("'{value}' is not an ISO 8601 time", value=text[:40])) from None
    if parsed.tzinfo is None:
        raise ValueError(N_("'{value}' has no UTC offset (add Z or +10:00)", value=text[:40]))
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:
        parsed = EARLIEST_TIME - timedelta(days=1) if parsed.year < 2000 else LATEST_TIME
    if not EARLIEST_TIME <= parsed < LATEST_TIME:
        raise ValueError(N_("'{value}' is outside the years 1900 to 2199", value=text[:40]))
    return parsed


# The layouts read as blocks of bytes: whole seconds, or fractions of 3 or 6 digits, then "Z"
# or "+00:00"; "#" stands for any ASCII digit. Each width is one layout.
_LAYOUTS = {
    len(stamp + suffix): (stamp, suffix)
    for stamp in ("####-##-##T##:##:##", "####-##-##T##:##:##.###", "####-##-##T##:##:##.######")
    for suffix in ("Z", "+00:00")
}


@lru_cache(maxsize=32)
def _row(width: int, before: bytes, after: bytes) -> tuple[np.ndarray, np.ndarray, int] | None:
    """One row of a block of times of ``width`` characters, each between ``before`` and
    ``after``: the byte expected per column ("0" for a digit), how far above it a byte may be
    (9 for a digit, 0 for the rest), and the column after the time's stamp; None for a width
    that is no layout."""
    if width not in _LAYOUTS:
        return None
    stamp, suffix = _LAYOUTS[width]
    layout = np.frombuffer(before + (stamp + suffix).encode("ascii") + after, np.uint8)
    digit = layout == ord("#")
    expected = np.where(digit, ord("0"), layout).astype(np.uint8)
    return expected, np.where(digit, 9, 0).astype(np.uint8), len(before) + len(stamp)


def read_time_block(block: bytes, n: int, before: bytes, after: bytes) -> np.ndarray | None:
    """Epoch seconds of n times written one after the other in ``block``, each between
    ``before`` and ``after`` and all in one of the ``_LAYOUTS`` (what GPS converters and
    isoformat write, e.g. "2025-01-01T00:00:00Z"); None when they are not.

    The block is read as an (n, row) matrix of bytes and every column checked against the
    layout, so ``before`` and ``after`` sit in their columns only when each time has the
    layout's width (the layout allows them nowhere else), and numpy's parser sees only
    "YYYY-MM-DDTHH:MM:SS[.fff[fff]]", which it reads as ``parse_time`` does
    (tests/geo/test_fixed_times.py).
    """
    if n == 0 or len(block) % n:
        return None
    row = _row(len(block) // n - len(before) - len(after), before, after)
    if row is None:
        return None
    expected, limit, end = row
    rows = np.frombuffer(block, np.uint8).reshape(n, len(expected))
    if not ((rows - expected) <= limit).all():  # in uint8 a byte below "0" wraps round
        return None
    text = np.ascontiguousarray(rows[:, len(before) : end]).view(f"S{end - len(before)}")
    try:
        stamps = text.ravel().astype("datetime64[us]")
    except ValueError:  # month 13, February 30, hour 24, second 60: the slow path names it
        return None
    return _in_range((stamps - np.datetime64(0, "us")).astype(np.int64) / 1e6)


def _fixed_times(times: list) -> np.ndarray | None:
    """``read_time_block`` of a list of times: joined by newlines, a newline after the last.
    Two Python passes over the strings (the suffix, then the slice) cost 3x more."""
    try:
        block = ("\n".join(times) + "\n").encode("ascii")
    except (TypeError, UnicodeEncodeError):  # a time that is not a str, or not ASCII
        return None
    return read_time_block(block, len(times), b"", b"\n")


def _in_range(values: np.ndarray) -> np.ndarray | None:
    if values.min() < EARLIEST_TIME.timestamp() or values.max() >= LATEST_TIME.timestamp():
        return None  # the slow path names the first time out of range
    return values


def _fast_times(times: list) -> np.ndarray | None:
    """Epoch seconds of UTC times written with 'Z' (what GPS converters write) or '+00:00'
    (what Python's isoformat writes), vectorised; None sends them the slow way."""
    if all(type(t) is str and t.endswith("Z") for t in times):
        cut = 1
    elif all(type(t) is str and t.endswith("+00:00") for t in times):
        cut = 6
    else:
        return None
    try:
        stamps = np.array([t[:-cut] for t in times], dtype="datetime64[us]")
    except ValueError:
        return None
    if np.isnat(stamps).any():
        return None
    return _in_range((stamps - np.datetime64(0, "us")).astype(np.int64) / 1e6)


def _times_of(times: list, where: str, problems: Problems) -> np.ndarray | None:
    values = _fixed_times(times)
    if values is None:
        values = _fast_times(times)
    if values is not None:
        return values
    values = np.empty(len(times))
    for i, t in enumerate(times):
        try:
            values[i] = parse_time(t).timestamp()
        except ValueError as exc:
            problems.add(f"{where}/{i}", exc.args[0])
            return None
    return values


def check_times(
    raw: Any, counts: list[int], pointer: str, problems: Problems
) -> list[np.ndarray] | None:
    """Per-vertex times (``coordTimes``) as epoch seconds, one array per route part.

    A LineString gives a flat list; a MultiLineString a list of lists, one per part. A
    LineString's times may also come read already, as an array (``geojson_report.fast``).

    >>> times = ["2025-01-01T00:00:00Z", "2025-01-01T10:01:00+10:00"]
    >>> [part.tolist() for part in check_times(times, [2], "", Problems())]
    [[1735689600.0, 1735689660.0]]
    """
    if isinstance(raw, np.ndarray) and len(counts) == 1:
        nested: list = [raw]  # a LineString's times read already (geojson_report.fast)
    elif not isinstance(raw, list):
        problems.add(pointer, N_("must give one time per vertex ({n} vertices)", n=sum(counts)))
        return None
    else:
        nested = raw if len(counts) > 1 or (raw and isinstance(raw[0], list)) else [raw]
    if len(nested) != len(counts):
        problems.add(pointer, N_("must give one time per vertex ({n} vertices)", n=sum(counts)))
        return None
    parts: list[np.ndarray] = []
    ok = True
    for k, (times, n) in enumerate(zip(nested, counts, strict=True)):
        where = pointer if nested is not raw else f"{pointer}/{k}"
        if not isinstance(times, list | np.ndarray) or len(times) != n:
            problems.add(where, N_("must give one time per vertex ({n} here)", n=n))
            ok = False
            continue
        values = times if isinstance(times, np.ndarray) else _times_of(times, where, problems)
        if values is None:
            ok = False
            continue
        back = np.flatnonzero(np.diff(values) < 0)
        if back.size:
            problems.add(f"{where}/{back[0] + 1}", N_("times must not go backwards"))
            ok = False
        parts.append(values)
    return parts if ok else None
