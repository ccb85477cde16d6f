"""The patrol report: its parsed form, and reading plus validating the GeoJSON that carries it.

Validation is complete rather than first-error: every problem is collected with the RFC 6901
pointer of the place it concerns, so a ranger fixes a report in one pass.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson

from patrol import vocabulary
from patrol.errors import FieldError, MalformedInput, ValidationFailed
from patrol.vocabulary import Action, FindState, FindType, Transport, values

__all__ = [
    "ACTIONS",
    "STATES",
    "TRANSPORTS",
    "TYPES",
    "Limits",
    "PatrolReport",
    "ReportDefaults",
    "SnareReport",
    "iso_utc",
    "parse_geojson_report",
    "parse_time",
]

TRANSPORTS = values(Transport)
TYPES = values(FindType)
STATES = values(FindState)
ACTIONS = values(Action)
REMOVED_ACTIONS = tuple(a.value for a in vocabulary.REMOVED_ACTIONS)

# A find may be logged a little before the route starts or after it ends (the GPS was switched
# on late, the last snare was noted at the car); further out it belongs to another patrol.
FIND_TIME_SLACK = timedelta(hours=1)
MAX_TEXT = 2000
MAX_ERRORS = 50
MAX_MEMBERS = 100
# Any time outside these years is a typing or clock error, not a date (and datetime cannot
# even hold some of what ISO 8601 and numpy accept, such as the year 10000).
EARLIEST_TIME = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(2200, 1, 1, tzinfo=UTC)
# A patrol: GPS receivers predate 1990 only in museums, and a report from the future is a
# device clock set wrong (a day of slack covers every time zone).
EARLIEST_PATROL = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class Limits:
    max_vertices: int = 200_000
    max_finds: int = 5_000
    # The latest instant a report may mention; None means now plus FUTURE_SLACK.
    latest: datetime | None = None

    def latest_time(self) -> datetime:
        return self.latest or datetime.now(UTC) + FUTURE_SLACK


@dataclass(frozen=True)
class ReportDefaults:
    """Values a request supplies for what the file does not say (GPX has no unit, for one)."""

    id: str | None = None
    unit: str | None = None
    transport: str | None = None
    leader: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass
class SnareReport:
    id: str
    lon: float
    lat: float
    found_at: datetime
    type: str
    count: int
    state: str
    action: str
    species: str | None = None
    notes: str | None = None
    pointer: str = ""

    def canonical(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "coordinates": [round(self.lon, 9), round(self.lat, 9)],
            "found_at": iso_utc(self.found_at),
            "type": self.type,
            "count": self.count,
            "state": self.state,
            "action": self.action,
            "species": self.species,
            "notes": self.notes,
        }


@dataclass
class PatrolReport:
    """A validated report: route parts as (n, 2) lon/lat arrays, optional epoch-second times."""

    id: str
    unit: str
    started_at: datetime
    ended_at: datetime
    parts: list[np.ndarray]
    times: list[np.ndarray] | None
    transport: str = "foot"
    leader: str | None = None
    members: list[str] = field(default_factory=list)
    snares: list[SnareReport] = field(default_factory=list)
    source_format: str = "geojson"
    route_pointer: str = "/features/0"

    @property
    def vertex_count(self) -> int:
        return sum(len(p) for p in self.parts)

    def canonical(self, with_geometry: bool = True) -> dict[str, Any]:
        """Plain data that identifies the report's content, whatever format carried it."""
        doc: dict[str, Any] = {
            "id": self.id,
            "unit": self.unit,
            "transport": self.transport,
            "leader": self.leader,
            "members": list(self.members),
            "started_at": iso_utc(self.started_at),
            "ended_at": iso_utc(self.ended_at),
            "snares": sorted((s.canonical() for s in self.snares), key=lambda s: s["id"]),
        }
        if with_geometry:
            doc["route"] = [np.round(p, 9).tolist() for p in self.parts]
            doc["times"] = None if self.times is None else [t.tolist() for t in self.times]
        return doc

    def content_hash(self) -> str:
        """SHA-256 of the content: same report, same hash (tells a replay from a conflict).

        Metadata goes in as canonical JSON, coordinates and times as the bytes of their
        arrays: JSON-encoding a 100k-vertex route only to hash it would cost more than
        measuring it.
        """
        meta = self.canonical(with_geometry=False)
        digest = hashlib.sha256(json.dumps(meta, sort_keys=True, separators=(",", ":")).encode())
        for part in self.parts:
            digest.update(np.ascontiguousarray(np.round(part, 9), dtype="<f8").tobytes())
            digest.update(b"|")
        for times in self.times or []:
            digest.update(np.ascontiguousarray(times, dtype="<f8").tobytes())
            digest.update(b"|")
        return digest.hexdigest()


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
        raise ValueError("must be an ISO 8601 time string")
    text = value.strip()
    if not text.isascii() or "\x00" in text:
        raise ValueError(f"'{printable(text[:40])}' is not an ISO 8601 time")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text[:40]}' is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise ValueError(f"'{text[:40]}' has no UTC offset (add Z or +10:00)")
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:
        parsed = EARLIEST_TIME - timedelta(days=1) if parsed.year < 2000 else LATEST_TIME
    if not EARLIEST_TIME <= parsed < LATEST_TIME:
        raise ValueError(f"'{text[:40]}' is outside the years 1900 to 2199")
    return parsed


def printable(text: str) -> str:
    """``text`` safe to quote back in a message: control characters and lone surrogates
    escaped (a problem that echoes them would itself fail to encode or store)."""
    return "".join(
        c if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF else repr(c)[1:-1] for c in text
    )


def text_problem(value: str) -> str | None:
    """Why a text cannot be stored, or None: NUL (PostgreSQL refuses it), other control
    characters but tab and line breaks, and lone surrogates (they cannot be written as UTF-8).
    """
    for c in value:
        code = ord(c)
        if code < 32 and c not in "\t\n\r":
            return f"must not contain the control character U+{code:04X}"
        if 0xD800 <= code <= 0xDFFF:
            return "must not contain a lone surrogate (it is not valid Unicode text)"
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (RFC 8259)")


@contextmanager
def _gc_paused() -> Iterator[None]:
    # Parsing a large route creates millions of small lists; the cyclic collector rescanning
    # them costs more than the parse itself. They hold no cycles, so pause it meanwhile.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_json(data: bytes | str) -> Any:
    """Parse JSON strictly (no NaN or Infinity); MalformedInput with the position otherwise."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise MalformedInput(f"The body is not UTF-8 text (byte {exc.start}).") from None
    # orjson is strict RFC 8259 and ~5x faster; what it refuses (NaN, lone surrogates, deep
    # nesting) goes the standard way, which decides as before. One difference is left on
    # purpose: an integer beyond 64 bits reads as the nearest float (no field accepts either;
    # checking the text for one first cost more than the whole parse).
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    try:
        with _gc_paused():
            return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise MalformedInput(
            f"The body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    except ValueError as exc:
        raise MalformedInput(f"The body is not valid JSON: {exc}.") from None
    except RecursionError:
        raise MalformedInput("The body is nested too deeply.") from None


class Problems:
    """Collects field errors, keeping the first MAX_ERRORS and counting the rest."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []
        self.more = 0

    def add(self, pointer: str, detail: str) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(FieldError(pointer, detail))
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.items)

    def has(self, pointer: str) -> bool:
        """Whether a problem was noted at ``pointer`` already."""
        return any(item.pointer == pointer for item in self.items)

    def raise_if_any(self, what: str = "report") -> None:
        if self.items:
            extra = f" ({self.more} more not listed)" if self.more else ""
            raise ValidationFailed(
                f"The {what} has {len(self.items) + self.more} problem(s){extra}; "
                "nothing was stored.",
                errors=list(self.items),
            )


def _is_number(v: Any) -> bool:
    return type(v) in (int, float)


def _fast_positions(coords: list) -> np.ndarray | None:
    """The common case in one numpy call: every position a list of 2 or 3 plain numbers.

    None when anything is unusual (ragged, strings, nulls, booleans); the slow path then
    finds and names each bad position.
    """
    try:
        arr = np.array(coords)
    except (ValueError, TypeError):
        return None
    if arr.ndim != 2 or arr.shape[1] not in (2, 3) or arr.dtype.kind not in "fi":
        return None
    # numpy turns a boolean among numbers into 1.0 or 0.0; JSON true is not a coordinate.
    if any(v is True or v is False for p in coords for v in p):
        return None
    return arr[:, :2].astype(float)


def check_positions(coords: Any, pointer: str, problems: Problems) -> np.ndarray | None:
    """A list of GeoJSON positions as an (n, 2) lon/lat array, or None after adding problems."""
    if not isinstance(coords, list):
        problems.add(pointer, "must be an array of positions")
        return None
    if not coords:
        return np.zeros((0, 2))
    arr = _fast_positions(coords)
    if arr is None:
        bad = False
        for i, p in enumerate(coords):
            if type(p) is not list or len(p) < 2:
                problems.add(f"{pointer}/{i}", "must be a position [longitude, latitude]")
                bad = True
            elif not all(_is_number(v) for v in p[:3]):
                problems.add(f"{pointer}/{i}", "coordinates must be numbers")
                bad = True
        if bad:
            return None
        arr = np.array([p[:2] for p in coords], dtype=float)
    finite = np.isfinite(arr).all(axis=1)
    for i in np.flatnonzero(~finite)[:MAX_ERRORS]:
        problems.add(f"{pointer}/{i}", "coordinates must be finite numbers")
    ok_lon = np.abs(arr[:, 0]) <= 180.0
    ok_lat = np.abs(arr[:, 1]) <= 90.0
    for i in np.flatnonzero(finite & ~ok_lon)[:MAX_ERRORS]:
        problems.add(f"{pointer}/{i}/0", f"longitude {arr[i, 0]:g} is outside [-180, 180]")
    for i in np.flatnonzero(finite & ~ok_lat)[:MAX_ERRORS]:
        problems.add(f"{pointer}/{i}/1", f"latitude {arr[i, 1]:g} is outside [-90, 90]")
    if not (finite & ok_lon & ok_lat).all():
        return None
    return arr


def check_point(coords: Any, pointer: str, problems: Problems) -> tuple[float, float] | None:
    """One GeoJSON position as (lon, lat), or None after adding its problem."""
    if type(coords) is not list or len(coords) < 2:
        problems.add(pointer, "must be a position [longitude, latitude]")
        return None
    local = Problems()
    arr = check_positions([coords], pointer, local)
    for item in local.items:
        # check_positions names the position inside a list; here the position is the target.
        problems.add(pointer + item.pointer[len(pointer) + 2 :], item.detail)
    return None if arr is None else (float(arr[0, 0]), float(arr[0, 1]))


def check_line(arr: np.ndarray, pointer: str, problems: Problems) -> bool:
    """A line needs two distinct positions to have a length and a direction."""
    if len(arr) < 2 or not (arr != arr[0]).any():
        problems.add(pointer, "a line needs at least 2 distinct positions")
        return False
    return True


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
    values = (stamps - np.datetime64(0, "us")).astype(np.int64) / 1e6
    if values.min() < EARLIEST_TIME.timestamp() or values.max() >= LATEST_TIME.timestamp():
        return None  # the slow path names the first time out of range
    return values


def _times_of(times: list, where: str, problems: Problems) -> np.ndarray | None:
    values = _fast_times(times)
    if values is not None:
        return values
    values = np.empty(len(times))
    for i, t in enumerate(times):
        try:
            values[i] = parse_time(t).timestamp()
        except ValueError as exc:
            problems.add(f"{where}/{i}", str(exc))
            return None
    return values


def check_times(
    raw: Any, counts: list[int], pointer: str, problems: Problems
) -> list[np.ndarray] | None:
    """Per-vertex times (``coordTimes``) as epoch seconds, one array per route part.

    A LineString gives a flat list; a MultiLineString a list of lists, one per part.
    """
    if not isinstance(raw, list):
        problems.add(pointer, f"must give one time per vertex ({sum(counts)} vertices)")
        return None
    nested = raw if len(counts) > 1 or (raw and isinstance(raw[0], list)) else [raw]
    if len(nested) != len(counts):
        problems.add(pointer, f"must give one time per vertex ({sum(counts)} vertices)")
        return None
    parts: list[np.ndarray] = []
    ok = True
    for k, (times, n) in enumerate(zip(nested, counts, strict=True)):
        where = pointer if nested is not raw else f"{pointer}/{k}"
        if not isinstance(times, list) or len(times) != n:
            problems.add(where, f"must give one time per vertex ({n} here)")
            ok = False
            continue
        values = _times_of(times, where, problems)
        if values is None:
            ok = False
            continue
        back = np.flatnonzero(np.diff(values) < 0)
        if back.size:
            problems.add(f"{where}/{back[0] + 1}", "times must not go backwards")
            ok = False
        parts.append(values)
    return parts if ok else None


def check_text(value: Any, pointer: str, problems: Problems, limit: int = MAX_TEXT) -> str | None:
    """A free text as stored (stripped, None when blank), or None after adding its problem."""
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(pointer, "must be a string")
        return None
    if len(value) > limit:
        problems.add(pointer, f"must be at most {limit} characters")
        return None
    why = text_problem(value)
    if why:
        problems.add(pointer, why)
        return None
    return value.strip() or None


def check_names(value: Any, pointer: str, problems: Problems) -> list[str]:
    """A list of people's names (a patrol's members), each a short text."""
    if not isinstance(value, list) or len(value) > MAX_MEMBERS:
        problems.add(pointer, f"must be an array of at most {MAX_MEMBERS} names")
        return []
    names = []
    for i, name in enumerate(value):
        if not isinstance(name, str):
            problems.add(f"{pointer}/{i}", "must be a name (a string)")
            continue
        checked = check_text(name, f"{pointer}/{i}", problems, 200)
        if checked:
            names.append(checked)
    return names


def _text(props: dict, key: str, pointer: str, problems: Problems, limit: int = MAX_TEXT):
    return check_text(props.get(key), f"{pointer}/{key}", problems, limit)


def _enum(props: dict, key: str, allowed, pointer, problems, default=None):
    value = props.get(key, default)
    if value is None:
        problems.add(f"{pointer}/{key}", f"is required: one of {', '.join(allowed)}")
        return None
    if not isinstance(value, str) or value not in allowed:
        shown = printable(str(value)[:40])
        problems.add(f"{pointer}/{key}", f"'{shown}' is not one of {', '.join(allowed)}")
        return None
    return value


def _uuid(value: Any, pointer: str, problems: Problems) -> str | None:
    if not isinstance(value, str):
        problems.add(pointer, "must be a UUID string")
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        problems.add(pointer, f"'{printable(value[:40])}' is not a UUID")
        return None


def _time_field(props: dict, key: str, pointer: str, problems: Problems, default=None):
    # null means "not given", as the report form sends an empty field.
    value = props.get(key)
    if value is None:
        return default
    try:
        return parse_time(value)
    except ValueError as exc:
        problems.add(f"{pointer}/{key}", str(exc))
        return None


def derive_find_id(patrol_id: str, index: int) -> str:
    """A stable id for a find sent without one, so a resend of the same report matches."""
    return str(uuid.uuid5(uuid.UUID(patrol_id), f"find-{index}"))


def check_snare(
    props: dict,
    lon: float,
    lat: float,
    snare_id: str,
    pointer: str,
    problems: Problems,
    found_at_default: datetime | None = None,
) -> SnareReport | None:
    """Validate one find's properties (pointer is the feature's properties object)."""
    before = len(problems.items)
    found_at = _time_field(props, "found_at", pointer, problems, found_at_default)
    if found_at is None and not problems.has(f"{pointer}/found_at"):
        problems.add(f"{pointer}/found_at", "is required: the time the snare was found")
    snare_type = _enum(props, "type", TYPES, pointer, problems)
    state = _enum(props, "state", STATES, pointer, problems, default="active")
    action = _enum(props, "action", ACTIONS, pointer, problems)
    count = props.get("count", 1)
    if type(count) is float and math.isfinite(count) and count.is_integer():
        count = int(count)
    if type(count) is not int:
        problems.add(f"{pointer}/count", "must be a whole number")
    elif count < 1:
        problems.add(f"{pointer}/count", f"must be at least 1 (got {count})")
    elif count > 1000:
        problems.add(f"{pointer}/count", "must be at most 1000 snares in one find")
    species = _text(props, "species", pointer, problems, 200)
    notes = _text(props, "notes", pointer, problems)
    if len(problems.items) > before:
        return None
    return SnareReport(
        id=snare_id,
        lon=lon,
        lat=lat,
        found_at=found_at,
        type=snare_type,
        count=count,
        state=state,
        action=action,
        species=species,
        notes=notes,
        pointer=pointer.rsplit("/properties", 1)[0],
    )


def check_patrol_window(
    times: list[np.ndarray] | None,
    started_at: datetime | None,
    ended_at: datetime | None,
    pointer: str,
    problems: Problems,
    limits: Limits | None = None,
    times_pointer: str | None = None,
) -> bool:
    """The patrol's window is sane, and every vertex time lies in it (give or take the slack
    finds get): one stray time must not make a 2-hour patrol weigh 50 years of effort."""
    limits = limits or Limits()
    latest = limits.latest_time()
    ok = True
    for key, value in (("started_at", started_at), ("ended_at", ended_at)):
        if value is not None and not EARLIEST_PATROL <= value <= latest:
            problems.add(
                f"{pointer}/{key}",
                f"{iso_utc(value)} is not a plausible patrol time (from 1990 up to now)",
            )
            ok = False
    if not ok:
        return False
    if started_at and ended_at and ended_at < started_at:
        problems.add(f"{pointer}/ended_at", "ended_at is before started_at")
        return False
    if started_at and ended_at and ended_at - started_at > timedelta(days=31):
        problems.add(f"{pointer}/ended_at", "a patrol report covers at most 31 days")
        return False
    if times and started_at and ended_at:
        lo = (started_at - FIND_TIME_SLACK).timestamp()
        hi = (ended_at + FIND_TIME_SLACK).timestamp()
        where = times_pointer or f"{pointer}/coordTimes"
        for k, part in enumerate(times):
            outside = np.flatnonzero((part < lo) | (part > hi))
            if outside.size:
                i = int(outside[0])
                at = f"{where}/{k}/{i}" if len(times) > 1 else f"{where}/{i}"
                problems.add(
                    at,
                    f"{iso_utc(datetime.fromtimestamp(float(part[i]), UTC))} is outside the "
                    f"patrol ({iso_utc(started_at)} to {iso_utc(ended_at)}, give or take an "
                    f"hour); {outside.size} vertex time(s) of this line are",
                )
                ok = False
    return ok


def check_find_times(report: PatrolReport, problems: Problems) -> None:
    lo = report.started_at - FIND_TIME_SLACK
    hi = report.ended_at + FIND_TIME_SLACK
    for s in report.snares:
        if not lo <= s.found_at <= hi:
            problems.add(
                f"{s.pointer}/properties/found_at",
                f"{iso_utc(s.found_at)} is outside the patrol ({iso_utc(report.started_at)} to "
                f"{iso_utc(report.ended_at)}, give or take an hour)",
            )


def check_counts(report_vertices: int, n_finds: int, limits: Limits, pointer, problems) -> bool:
    ok = True
    if report_vertices > limits.max_vertices:
        problems.add(
            pointer,
            f"the route has {report_vertices} vertices; at most "
            f"{limits.max_vertices} are accepted in one report",
        )
        ok = False
    if n_finds > limits.max_finds:
        problems.add("/features", f"{n_finds} finds; at most {limits.max_finds} in one report")
        ok = False
    return ok


def parse_geojson_report(
    data: bytes | str | dict, defaults: ReportDefaults | None = None, limits: Limits | None = None
) -> PatrolReport:
    """Read and validate a report FeatureCollection; ValidationFailed lists every problem."""
    defaults = defaults or ReportDefaults()
    limits = limits or Limits()
    doc = data if isinstance(data, dict) else load_json(data)
    problems = Problems()
    if not isinstance(doc, dict):
        raise ValidationFailed(
            "A report is a GeoJSON FeatureCollection.",
            errors=[FieldError("", "must be a JSON object")],
        )
    if doc.get("type") != "FeatureCollection":
        problems.add("/type", 'must be "FeatureCollection"')
    features = doc.get("features")
    if not isinstance(features, list):
        problems.add("/features", "must be an array of features")
        problems.raise_if_any()
    if not features:
        problems.add("/features", "is empty: a report needs one route feature")
        problems.raise_if_any()

    route_at: int | None = None
    snare_at: list[int] = []
    for i, feature in enumerate(features):
        where = f"/features/{i}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.add(f"{where}/type", "must be a GeoJSON Feature")
            continue
        props = feature.get("properties")
        if not isinstance(props, dict):
            problems.add(f"{where}/properties", 'must be an object with a "kind"')
            continue
        kind = props.get("kind")
        if kind == "route":
            if route_at is None:
                route_at = i
            else:
                problems.add(
                    f"{where}/properties/kind",
                    f"a report has exactly one route (the first is /features/{route_at})",
                )
        elif kind == "snare":
            snare_at.append(i)
        else:
            problems.add(f"{where}/properties/kind", 'must be "route" or "snare"')
    if route_at is None:
        problems.add("/features", 'no feature with "kind": "route"')
        problems.raise_if_any()

    # The route.
    where = f"/features/{route_at}"
    route = features[route_at]
    props = route["properties"]
    patrol_id = _uuid(route.get("id", defaults.id), f"{where}/id", problems)
    geometry = route.get("geometry")
    parts: list[np.ndarray] = []
    if not isinstance(geometry, dict):
        problems.add(f"{where}/geometry", "the route needs a LineString or MultiLineString")
    elif geometry.get("type") == "LineString":
        arr = check_positions(
            geometry.get("coordinates"), f"{where}/geometry/coordinates", problems
        )
        if arr is not None and check_line(arr, f"{where}/geometry/coordinates", problems):
            parts.append(arr)
    elif geometry.get("type") == "MultiLineString":
        lines = geometry.get("coordinates")
        if not isinstance(lines, list) or not lines:
            problems.add(f"{where}/geometry/coordinates", "must be a non-empty array of lines")
        else:
            for k, line in enumerate(lines):
                ptr = f"{where}/geometry/coordinates/{k}"
                arr = check_positions(line, ptr, problems)
                if arr is not None and check_line(arr, ptr, problems):
                    parts.append(arr)
    else:
        problems.add(
            f"{where}/geometry/type",
            f"the route must be a LineString or MultiLineString, not "
            f"{str(geometry.get('type'))[:30]}",
        )
    ok_parts = bool(parts) and not problems

    times = None
    if "coordTimes" in props and ok_parts:
        times = check_times(
            props["coordTimes"], [len(p) for p in parts], f"{where}/properties/coordTimes", problems
        )

    pp = f"{where}/properties"
    unit = props.get("unit") or defaults.unit
    if not isinstance(unit, str) or not unit.strip():
        problems.add(f"{pp}/unit", "is required: the code of the unit that patrolled")
        unit = None
    else:
        unit = check_text(unit, f"{pp}/unit", problems, 64)
    transport = _enum(
        props, "transport", TRANSPORTS, pp, problems, default=defaults.transport or "foot"
    )
    leader = _text(props, "leader", pp, problems, 200) or defaults.leader
    members = check_names(props.get("members") or [], f"{pp}/members", problems)
    started_at = _time_field(props, "started_at", pp, problems, defaults.started_at)
    ended_at = _time_field(props, "ended_at", pp, problems, defaults.ended_at)
    if times:
        started_at = started_at or datetime.fromtimestamp(float(times[0][0]), UTC)
        ended_at = ended_at or datetime.fromtimestamp(float(times[-1][-1]), UTC)
    if started_at is None and not problems.has(f"{pp}/started_at"):
        problems.add(f"{pp}/started_at", "is required (or give coordTimes)")
    if ended_at is None and not problems.has(f"{pp}/ended_at"):
        problems.add(f"{pp}/ended_at", "is required (or give coordTimes)")
    check_patrol_window(times, started_at, ended_at, pp, problems, limits)
    vertices = sum(len(p) for p in parts)
    check_counts(vertices, len(snare_at), limits, f"{where}/geometry/coordinates", problems)

    # The finds.
    snares: list[SnareReport] = []
    seen: dict[str, int] = {}
    for i in snare_at:
        fw = f"/features/{i}"
        feature = features[i]
        geometry = feature.get("geometry")
        lonlat = None
        if not isinstance(geometry, dict) or geometry.get("type") != "Point":
            problems.add(f"{fw}/geometry", "a snare find must be a Point")
        else:
            lonlat = check_point(
                geometry.get("coordinates"), f"{fw}/geometry/coordinates", problems
            )
        if "id" in feature:
            find_id = _uuid(feature["id"], f"{fw}/id", problems)
        else:
            find_id = derive_find_id(patrol_id, i) if patrol_id else None
        if find_id is not None:
            if find_id in seen:
                problems.add(f"{fw}/id", f"duplicate find id (also /features/{seen[find_id]})")
            seen[find_id] = i
        snare = check_snare(
            feature["properties"],
            *(lonlat or (0.0, 0.0)),
            find_id or "",
            f"{fw}/properties",
            problems,
        )
        if snare is not None and lonlat is not None and find_id is not None:
            snares.append(snare)

    problems.raise_if_any()
    report = PatrolReport(
        id=patrol_id,
        unit=unit.strip(),
        started_at=started_at,
        ended_at=ended_at,
        parts=parts,
        times=times,
        transport=transport,
        leader=leader,
        members=members,
        snares=snares,
        source_format="geojson",
        route_pointer=where,
    )
    check_find_times(report, problems)
    problems.raise_if_any()
    return report
