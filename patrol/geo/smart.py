"""SMART patrol XML (the Spatial Monitoring and Reporting Tool's patrol export), read and written.

A SMART patrol has legs (one transport each, members, mandate), legs have days (times, rest,
the day's track as hex EWKB whose Z holds each point's time), days have waypoints whose groups
carry observations (a category key from the park's data model and typed attributes). Reading
is pure and complete: every element and attribute of the schema lands in a dataclass here, and
what this module does not know is kept as XML text (``extra``) so nothing in a file is lost.

SMART writes no time zone: dates, times and the track's time values are the park's wall clock.
They stay naive here; the service gives them the area's time zone (``to_reports``).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
import uuid
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse as safe_iterparse

from patrol.errors import FieldError, MalformedInput, ValidationFailed
from patrol.geo.checks import check_line, check_positions
from patrol.geo.problems import Problems
from patrol.geo.report import Limits, PatrolReport, SnareReport
from patrol.geo.report_checks import check_patrol_window
from patrol.geo.smart_map import CategoryMap, SnareMatch, transport_of
from patrol.geo.times import FIND_TIME_SLACK, iso_utc

__all__ = [
    "PATROL_NS",
    "SMART_NAMESPACE",
    "SmartAttribute",
    "SmartDay",
    "SmartLeg",
    "SmartMember",
    "SmartObservation",
    "SmartPatrol",
    "SmartWaypoint",
    "is_smart_patrol",
    "leg_patrol_id",
    "parse_smart_patrols",
    "parse_xml",
    "plain_document",
    "to_reports",
    "track_from_wkb",
    "track_to_wkb",
    "write_smart_patrol",
]

#: The namespace patrol writes; any 1.x patrol namespace is read.
PATROL_NS = "http://www.smartconservationsoftware.org/xml/1.3/patrol"
_PATROL_NS_RE = re.compile(r"^http://www\.smartconservationsoftware\.org/xml/1\.\d+/patrol$")
#: Ids of patrols and observations made from SMART ids: the same file gives the same ids.
SMART_NAMESPACE = uuid.UUID("0b6f3c9e-8a1d-4f57-b2c4-5e7d9a31c0f2")

MAX_DEPTH = 32  # a SMART patrol nests 9 deep; anything far deeper is hostile or not SMART
MAX_TEXT = 10_000  # characters of any text or attribute but a track's geometry
MAX_PATROLS_PER_FILE = 10_000


@dataclass
class SmartAttribute:
    """One attribute of an observation, typed as SMART writes it.

    kind: ``item`` (one ``itemKey``: a list or tree value), ``items`` (several: multi-list),
    ``number`` (``dValue``), ``boolean`` (``bValue``), ``text`` (``sValue``), ``empty``.
    """

    key: str
    kind: str
    items: list[str] = field(default_factory=list)
    number: float | None = None
    boolean: bool | None = None
    text: str | None = None

    def value(self) -> Any:
        return {
            "item": self.items[0] if self.items else None,
            "items": list(self.items),
            "number": self.number,
            "boolean": self.boolean,
            "text": self.text,
            "empty": None,
        }[self.kind]


@dataclass
class SmartObservation:
    category_key: str
    attributes: list[SmartAttribute]
    group: int  # 0-based group of its waypoint
    pointer: str = ""
    extra: list[str] = field(default_factory=list)

    @property
    def category_path(self) -> str:
        """The category key's levels, as the data model's tree nests them."""
        return "/".join(p for p in self.category_key.split(".") if p)


@dataclass
class SmartWaypoint:
    id: str | None
    lon: float
    lat: float
    time: time | None
    observations: list[SmartObservation]
    groups: int
    pointer: str = ""
    extra: list[str] = field(default_factory=list)


@dataclass
class SmartDay:
    date: date
    start_time: time | None
    end_time: time | None
    rest_minutes: float | None
    # The day's track: one (n, 3) array per line, lon, lat and the time value (ms, or nan).
    track: list[np.ndarray] | None
    distance: str | None
    waypoints: list[SmartWaypoint]
    pointer: str = ""
    extra: list[str] = field(default_factory=list)


@dataclass
class SmartMember:
    given_name: str | None
    family_name: str | None
    employee_id: str | None
    leader: bool
    pilot: bool

    @property
    def name(self) -> str:
        return " ".join(filter(None, [self.given_name, self.family_name])) or (
            self.employee_id or ""
        )


@dataclass
class SmartLeg:
    id: str | None
    start_date: date | None
    end_date: date | None
    transport: str | None
    transport_language: str | None
    members: list[SmartMember]
    mandate: str | None
    mandate_language: str | None
    days: list[SmartDay]
    pointer: str = ""
    extra: list[str] = field(default_factory=list)


@dataclass
class SmartPatrol:
    id: str
    patrol_type: str | None
    start_date: date | None
    end_date: date | None
    armed: bool | None
    objective: str | None
    team: str | None
    team_language: str | None
    comment: str | None
    legs: list[SmartLeg]
    namespace: str = PATROL_NS
    pointer: str = "/patrol"
    extra: list[str] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)  # unknown root attributes

    @property
    def vertex_count(self) -> int:
        return sum(len(p) for leg in self.legs for d in leg.days for p in d.track or [])

    def content_hash(self, plain: dict[str, Any] | None = None) -> str:
        """SHA-256 of everything the file says: the same export again is a replay.

        ``plain`` is ``plain_document(self)`` when the caller has it (it is the costly part).
        """
        meta = plain if plain is not None else plain_document(self)
        digest = hashlib.sha256(json.dumps(meta, sort_keys=True, default=str).encode())
        for leg in self.legs:
            for day in leg.days:
                for part in day.track or []:
                    digest.update(np.ascontiguousarray(part, dtype="<f8").tobytes())
                    digest.update(b"|")
        return digest.hexdigest()


def plain_document(patrol: SmartPatrol) -> dict[str, Any]:
    """The patrol as plain data without track arrays or pointers (for hashing and storing)."""
    doc = asdict(patrol)
    doc.pop("pointer", None)
    for leg in doc["legs"]:
        leg.pop("pointer", None)
        for day in leg["days"]:
            day.pop("pointer", None)
            day["track"] = None if day["track"] is None else [len(p) for p in day["track"]]
            for wp in day["waypoints"]:
                wp.pop("pointer", None)
                for obs in wp["observations"]:
                    obs.pop("pointer", None)
    return doc


# ---------------------------------------------------------------------------------------------
# Safe XML


def parse_xml(data: bytes, what: str = "SMART file") -> ET.Element:
    """Parse untrusted XML: no DTD (so no entity expansion and no external entity), no network,
    bounded depth and text. Refusals are MalformedInput with a plain reason."""
    if not data.strip():
        raise MalformedInput(f"The {what} is empty.")
    depth = 0
    root = None
    try:
        for event, elem in safe_iterparse(
            io.BytesIO(data),
            events=("start", "end"),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        ):
            if event == "start":
                depth += 1
                if root is None:
                    root = elem
                if depth > MAX_DEPTH:
                    raise MalformedInput(
                        f"The {what} nests elements more than {MAX_DEPTH} deep; "
                        "a SMART patrol nests 9."
                    )
                for name, value in elem.attrib.items():
                    if len(value) > MAX_TEXT and not name.endswith("geom"):
                        raise MalformedInput(
                            f"The {what} has an attribute '{_local(name)[:40]}' of "
                            f"{len(value)} characters (at most {MAX_TEXT})."
                        )
            else:
                depth -= 1
                if elem.text and len(elem.text) > MAX_TEXT:
                    raise MalformedInput(
                        f"The {what} has a text of {len(elem.text)} characters in "
                        f"<{_local(elem.tag)[:40]}> (at most {MAX_TEXT})."
                    )
    except DefusedXmlException as exc:
        raise MalformedInput(
            f"The {what} declares a DTD or entities, which are refused ({type(exc).__name__})."
        ) from None
    except ET.ParseError as exc:
        raise MalformedInput(f"The {what} is not well-formed XML: {str(exc)[:200]}") from None
    assert root is not None
    return root


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def is_smart_patrol(head: bytes) -> bool:
    """Whether a file's first bytes look like SMART patrol XML."""
    return b"smartconservationsoftware.org/xml/" in head[:4096] and b"/patrol" in head[:4096]


# ---------------------------------------------------------------------------------------------
# Reading


class _Reader:
    """Walks one patrol element, collecting every problem with an XPath-like pointer."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems

    def attr(self, elem, name, where, required=False):
        value = elem.get(name)
        if value is None and required:
            self.problems.add(f"{where}/@{name}", "is required")
        return value

    def date_attr(self, elem, name, where, required=False) -> date | None:
        value = self.attr(elem, name, where, required)
        if value is None:
            return None
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            self.problems.add(f"{where}/@{name}", f"'{value[:40]}' is not a date (YYYY-MM-DD)")
            return None

    def time_attr(self, elem, name, where) -> time | None:
        value = elem.get(name)
        if value is None:
            return None
        try:
            return time.fromisoformat(value.strip())
        except ValueError:
            self.problems.add(f"{where}/@{name}", f"'{value[:40]}' is not a time (HH:MM:SS)")
            return None

    def float_attr(self, elem, name, where, required=False) -> float | None:
        value = self.attr(elem, name, where, required)
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            self.problems.add(f"{where}/@{name}", f"'{value[:40]}' is not a number")
            return None
        if not np.isfinite(number):
            self.problems.add(f"{where}/@{name}", "must be a finite number")
            return None
        return number

    def bool_attr(self, elem, name, where) -> bool | None:
        value = elem.get(name)
        if value is None:
            return None
        if value.strip().lower() not in ("true", "false", "1", "0"):
            self.problems.add(f"{where}/@{name}", f"'{value[:20]}' is not true or false")
            return None
        return value.strip().lower() in ("true", "1")

    # -- elements

    def patrol(self, elem: ET.Element, where: str) -> SmartPatrol | None:
        before = len(self.problems.items)
        known = {"id", "patrolType", "startDate", "endDate", "isArmed"}
        patrol_id = self.attr(elem, "id", where, required=True)
        legs: list[SmartLeg] = []
        objective = team = team_lang = comment = None
        extra: list[str] = []
        counts: dict[str, int] = {}
        for child in elem:
            name = _local(child.tag)
            counts[name] = counts.get(name, 0) + 1
            if name == "legs":
                leg = self.leg(child, f"{where}/legs/leg[{counts[name]}]")
                if leg is not None:
                    legs.append(leg)
            elif name == "objective":
                desc = next((c for c in child if _local(c.tag) == "description"), None)
                objective = desc.text if desc is not None else child.text
            elif name == "team":
                team, team_lang = child.get("value"), child.get("languageCode")
            elif name == "comment":
                comment = child.text
            else:
                extra.append(ET.tostring(child, encoding="unicode"))
        if not counts.get("legs"):
            self.problems.add(f"{where}/legs", "a patrol needs at least one leg")
        armed = self.bool_attr(elem, "isArmed", where)
        patrol = SmartPatrol(
            id=(patrol_id or "").strip(),
            patrol_type=elem.get("patrolType"),
            start_date=self.date_attr(elem, "startDate", where),
            end_date=self.date_attr(elem, "endDate", where),
            armed=armed,
            objective=objective,
            team=team,
            team_language=team_lang,
            comment=comment,
            legs=legs,
            namespace=_ns(elem.tag),
            pointer=where,
            extra=extra,
            attributes={k: v for k, v in elem.attrib.items() if k not in known},
        )
        if patrol_id is not None and not patrol.id:
            self.problems.add(f"{where}/@id", "must not be empty")
        if patrol.id and len(patrol.id) > 64:
            self.problems.add(f"{where}/@id", "must be at most 64 characters")
        return patrol if len(self.problems.items) == before else None

    def leg(self, elem: ET.Element, where: str) -> SmartLeg | None:
        members: list[SmartMember] = []
        days: list[SmartDay] = []
        transport = transport_lang = mandate = mandate_lang = None
        extra: list[str] = []
        n_days = 0
        for child in elem:
            name = _local(child.tag)
            if name == "transportType":
                transport, transport_lang = child.get("value"), child.get("languageCode")
            elif name == "members":
                members.append(
                    SmartMember(
                        given_name=child.get("givenName"),
                        family_name=child.get("familyName"),
                        employee_id=child.get("employeeId"),
                        leader=bool(self.bool_attr(child, "isLeader", where)),
                        pilot=bool(self.bool_attr(child, "isPilot", where)),
                    )
                )
            elif name == "days":
                n_days += 1
                day = self.day(child, f"{where}/days/day[{n_days}]")
                if day is not None:
                    days.append(day)
            elif name == "mandate":
                mandate, mandate_lang = child.get("value"), child.get("languageCode")
            else:
                extra.append(ET.tostring(child, encoding="unicode"))
        if n_days == 0:
            self.problems.add(f"{where}/days", "a leg needs at least one day")
        return SmartLeg(
            id=elem.get("id"),
            start_date=self.date_attr(elem, "startDate", where),
            end_date=self.date_attr(elem, "endDate", where),
            transport=transport,
            transport_language=transport_lang,
            members=members,
            mandate=mandate,
            mandate_language=mandate_lang,
            days=days,
            pointer=where,
            extra=extra,
        )

    def day(self, elem: ET.Element, where: str) -> SmartDay | None:
        day_date = self.date_attr(elem, "date", where, required=True)
        waypoints: list[SmartWaypoint] = []
        track = None
        distance = None
        extra: list[str] = []
        n_wp = n_track = 0
        for child in elem:
            name = _local(child.tag)
            if name == "waypoints":
                n_wp += 1
                wp = self.waypoint(child, f"{where}/waypoints/waypoint[{n_wp}]")
                if wp is not None:
                    waypoints.append(wp)
            elif name == "track":
                n_track += 1
                tw = f"{where}/track"
                if n_track > 1:
                    self.problems.add(f"{tw}[{n_track}]", "a day has at most one track")
                    continue
                distance = child.get("distance")
                geom = child.get("geom")
                if geom is None or not geom.strip():
                    self.problems.add(f"{tw}/@geom", "is required: the day's track as hex WKB")
                    continue
                try:
                    track = track_from_wkb(geom.strip())
                except ValueError as exc:
                    self.problems.add(f"{tw}/@geom", str(exc))
                    continue
                for k, part in enumerate(track):
                    pw = f"{tw}/line[{k + 1}]"
                    if check_positions(part[:, :2].tolist(), pw, self.problems) is None:
                        continue
                    t = part[:, 2]
                    if np.isfinite(t).all():
                        back = np.flatnonzero(np.diff(t) < 0)
                        if back.size:
                            self.problems.add(
                                f"{pw}/point[{back[0] + 2}]",
                                "track point times must not go backwards",
                            )
            else:
                extra.append(ET.tostring(child, encoding="unicode"))
        if day_date is None:
            return None
        return SmartDay(
            date=day_date,
            start_time=self.time_attr(elem, "startTime", where),
            end_time=self.time_attr(elem, "endTime", where),
            rest_minutes=self.float_attr(elem, "restMinutes", where),
            track=track,
            distance=distance,
            waypoints=waypoints,
            pointer=where,
            extra=extra,
        )

    def waypoint(self, elem: ET.Element, where: str) -> SmartWaypoint | None:
        before = len(self.problems.items)
        lon = self.float_attr(elem, "x", where, required=True)
        lat = self.float_attr(elem, "y", where, required=True)
        if lon is not None and not -180 <= lon <= 180:
            self.problems.add(f"{where}/@x", f"longitude {lon:g} is outside [-180, 180]")
        if lat is not None and not -90 <= lat <= 90:
            self.problems.add(f"{where}/@y", f"latitude {lat:g} is outside [-90, 90]")
        observations: list[SmartObservation] = []
        extra: list[str] = []
        groups = 0
        for child in elem:
            name = _local(child.tag)
            if name == "groups":
                groups += 1
                gw = f"{where}/groups/group[{groups}]"
                n_obs = 0
                for oc in child:
                    if _local(oc.tag) != "observations":
                        self.problems.add(
                            f"{gw}/{_local(oc.tag)[:40]}", "unknown element in a group"
                        )
                        continue
                    n_obs += 1
                    obs = self.observation(
                        oc, groups - 1, f"{gw}/observations/observation[{n_obs}]"
                    )
                    if obs is not None:
                        observations.append(obs)
            else:
                extra.append(ET.tostring(child, encoding="unicode"))
        wp = SmartWaypoint(
            id=elem.get("id"),
            lon=lon or 0.0,
            lat=lat or 0.0,
            time=self.time_attr(elem, "time", where),
            observations=observations,
            groups=groups,
            pointer=where,
            extra=extra,
        )
        return wp if len(self.problems.items) == before else None

    def observation(self, elem: ET.Element, group: int, where: str) -> SmartObservation | None:
        key = self.attr(elem, "categoryKey", where, required=True)
        if key is not None and not key.strip(". "):
            self.problems.add(f"{where}/@categoryKey", "must not be empty")
        attributes: list[SmartAttribute] = []
        extra: list[str] = []
        n_attr = 0
        for child in elem:
            if _local(child.tag) != "attributes":
                extra.append(ET.tostring(child, encoding="unicode"))
                continue
            n_attr += 1
            aw = f"{where}/attributes/attribute[{n_attr}]"
            attribute = self.attribute(child, aw)
            if attribute is not None:
                attributes.append(attribute)
        if key is None:
            return None
        return SmartObservation(key, attributes, group, where, extra)

    def attribute(self, elem: ET.Element, where: str) -> SmartAttribute | None:
        key = self.attr(elem, "attributeKey", where, required=True)
        items: list[str] = []
        numbers: list[str] = []
        bools: list[str] = []
        texts: list[str] = []
        for child in elem:
            name = _local(child.tag)
            text = child.text or ""
            if name == "itemKey":
                items.append(text.strip())
            elif name == "dValue":
                numbers.append(text.strip())
            elif name == "bValue":
                bools.append(text.strip())
            elif name == "sValue":
                texts.append(text)
            else:
                self.problems.add(f"{where}/{name[:40]}", "unknown attribute value element")
                return None
        kinds = [
            k
            for k, v in (("items", items), ("number", numbers), ("boolean", bools), ("text", texts))
            if v
        ]
        if key is None:
            return None
        if len(kinds) > 1:
            self.problems.add(where, f"mixes value kinds ({', '.join(kinds)})")
            return None
        if not kinds:
            return SmartAttribute(key, "empty")
        if items:
            return SmartAttribute(key, "item" if len(items) == 1 else "items", items=items)
        if len(numbers + bools + texts) > 1:
            self.problems.add(where, "has more than one value")
            return None
        if numbers:
            try:
                number = float(numbers[0])
            except ValueError:
                self.problems.add(f"{where}/dValue", f"'{numbers[0][:40]}' is not a number")
                return None
            if not np.isfinite(number):
                self.problems.add(f"{where}/dValue", "must be a finite number")
                return None
            return SmartAttribute(key, "number", number=number)
        if bools:
            if bools[0].lower() not in ("true", "false"):
                self.problems.add(f"{where}/bValue", f"'{bools[0][:20]}' is not true or false")
                return None
            return SmartAttribute(key, "boolean", boolean=bools[0].lower() == "true")
        return SmartAttribute(key, "text", text=texts[0])


def parse_smart_patrols(
    data: bytes, limits: Limits | None = None
) -> list[SmartPatrol | ValidationFailed]:
    """Every patrol of a SMART patrol XML file (one ``patrol``, or a ``patrols`` wrapper).

    A file-level fault raises MalformedInput or ValidationFailed; a bad patrol comes back as
    its ValidationFailed (with every problem and its pointer) in place of the patrol, so a bulk
    import can store the good ones and report the bad.
    """
    limits = limits or Limits()
    root = parse_xml(data)
    name = _local(root.tag)
    if name == "patrol":
        elements = [(root, "/patrol")]
    elif name == "patrols":
        elements = [
            (el, f"/patrols/patrol[{k + 1}]")
            for k, el in enumerate(c for c in root if _local(c.tag) == "patrol")
        ]
        if len(elements) > MAX_PATROLS_PER_FILE:
            raise ValidationFailed(
                f"The file holds {len(elements)} patrols; at most {MAX_PATROLS_PER_FILE}.",
                errors=[FieldError("/patrols", "too many patrols in one file")],
            )
    else:
        raise ValidationFailed(
            "The file is XML but not a SMART patrol export.",
            errors=[FieldError(f"/{name[:40]}", "the root element must be a SMART <patrol>")],
        )
    results: list[SmartPatrol | ValidationFailed] = []
    for elem, where in elements:
        if not _PATROL_NS_RE.match(_ns(elem.tag)):
            results.append(
                ValidationFailed(
                    "The file is XML but not a SMART patrol export.",
                    errors=[
                        FieldError(
                            where,
                            f"namespace '{_ns(elem.tag)[:80]}' is not SMART's patrol "
                            "namespace (http://www.smartconservationsoftware.org/xml/1.x/patrol)",
                        )
                    ],
                )
            )
            continue
        problems = Problems()
        patrol = _Reader(problems).patrol(elem, where)
        if patrol is not None and patrol.vertex_count > limits.max_vertices:
            problems.add(
                f"{where}/legs",
                f"the tracks have {patrol.vertex_count} vertices; at most "
                f"{limits.max_vertices} are accepted in one patrol",
            )
        n_obs = (
            0
            if patrol is None
            else sum(
                len(w.observations) for leg in patrol.legs for d in leg.days for w in d.waypoints
            )
        )
        if n_obs > limits.max_finds:
            problems.add(f"{where}/legs", f"{n_obs} observations; at most {limits.max_finds}")
        try:
            problems.raise_if_any("SMART patrol")
        except ValidationFailed as exc:
            results.append(exc)
            continue
        results.append(patrol)
    return results


# ---------------------------------------------------------------------------------------------
# Tracks as (E)WKB


def track_from_wkb(hex_wkb: str) -> list[np.ndarray]:
    """A day's track: hex (E)WKB of a LineString or MultiLineString, as (n, 3) arrays of lon,
    lat and the Z value (SMART's time, ms of wall-clock time; nan when the track is 2D)."""
    try:
        raw = bytes.fromhex(hex_wkb)
    except ValueError:
        raise ValueError("is not hexadecimal WKB") from None
    try:
        geom = shapely.from_wkb(raw)
    except shapely.errors.GEOSException as exc:
        raise ValueError(f"is not valid WKB: {str(exc)[:120]}") from None
    kind = shapely.get_type_id(geom)
    if kind == 1:
        lines = [geom]
    elif kind == 5:
        lines = list(shapely.get_parts(geom))
    else:
        raise ValueError(f"must be a LineString or MultiLineString, not a {geom.geom_type}")
    parts = []
    for line in lines:
        coords = shapely.get_coordinates(line, include_z=True)
        parts.append(np.asarray(coords, dtype=float))
    if not parts or not any(len(p) for p in parts):
        raise ValueError("the track is empty")
    return parts


def track_to_wkb(parts: list[np.ndarray]) -> str:
    """Hex EWKB (big-endian, as SMART writes it) of a MultiLineString Z: lon, lat, time."""
    out = [struct.pack(">BII", 0, 0x80000005, len(parts))]
    for part in parts:
        arr = np.asarray(part, dtype=">f8")
        out.append(struct.pack(">BII", 0, 0x80000002, len(arr)))
        out.append(arr.tobytes())
    return b"".join(out).hex()


# ---------------------------------------------------------------------------------------------
# SMART patrol -> patrol reports (one per leg), observations and snare finds


def leg_patrol_id(scope: str, smart_id: str, leg_id: str | None, index: int) -> str:
    """The patrol id of one leg: stable for the same SMART patrol in the same area."""
    return str(uuid.uuid5(SMART_NAMESPACE, f"{scope}\x1f{smart_id}\x1f{leg_id or index}"))


def _local_to_utc(day: date, clock: time | None, zone: ZoneInfo) -> datetime | None:
    if clock is None:
        return None
    return datetime.combine(day, clock).replace(tzinfo=zone).astimezone(UTC)


def _wall_ms_to_epoch(ms: np.ndarray, zone: ZoneInfo) -> np.ndarray:
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
        patrol_id = leg_patrol_id(scope, patrol.id, leg.id, li)
        transport, known = transport_of(leg.transport, category_map)
        if not known:
            warnings.append(
                FieldError(
                    f"{leg.pointer}/transportType",
                    f"transport '{leg.transport}' is not known: taken as {transport} (not "
                    "search effort); map it under 'transports' in the area's SMART map",
                )
            )
        parts: list[np.ndarray] = []
        times: list[np.ndarray] = []
        timed = True
        parts_per_day: list[list[int]] = []
        starts: list[datetime] = []
        ends: list[datetime] = []
        for day in leg.days:
            mine: list[int] = []
            for k, part in enumerate(day.track or []):
                where = f"{day.pointer}/track/line[{k + 1}]"
                xy = part[:, :2]
                if len(xy) < 2 or not (xy != xy[0]).any():
                    continue  # a point or a pause: no length; kept in the stored document
                if not check_line(xy, where, problems):
                    continue
                mine.append(len(parts))
                parts.append(xy)
                t = part[:, 2]
                if np.isfinite(t).all() and (t > 0).all():
                    times.append(_wall_ms_to_epoch(t, zone))
                else:
                    timed = False
            parts_per_day.append(mine)
            start = _local_to_utc(day.date, day.start_time, zone)
            end = _local_to_utc(day.date, day.end_time, zone)
            if start is not None:
                starts.append(start)
            if end is not None:
                ends.append(end)
        if not parts:
            problems.add(
                f"{leg.pointer}/days",
                "the leg has no track with two distinct points: patrol needs the walked route",
            )
            continue
        route_times = times if timed and len(times) == len(parts) else None
        if route_times is not None:
            starts.append(datetime.fromtimestamp(float(min(t[0] for t in route_times)), UTC))
            ends.append(datetime.fromtimestamp(float(max(t[-1] for t in route_times)), UTC))
        if not starts or not ends:
            problems.add(
                f"{leg.pointer}/days/day[1]/@startTime",
                "the leg's days have no start and end times and its track no point times",
            )
            continue
        started_at, ended_at = min(starts), max(ends)
        check_patrol_window(route_times, started_at, ended_at, leg.pointer, problems)

        leader = next((m.name for m in leg.members if m.leader), None)
        members = [m.name for m in leg.members if not m.leader and m.name]
        observations: list[ObservationRecord] = []
        snares: list[SnareReport] = []
        for di, day in enumerate(leg.days):
            for wi, wp in enumerate(day.waypoints):
                when = _local_to_utc(day.date, wp.time, zone) or _local_to_utc(
                    day.date, day.start_time, zone
                )
                if when is None:
                    when = started_at
                if not started_at - FIND_TIME_SLACK <= when <= ended_at + FIND_TIME_SLACK:
                    problems.add(
                        f"{wp.pointer}/@time",
                        f"{iso_utc(when)} is outside the leg ({iso_utc(started_at)} to "
                        f"{iso_utc(ended_at)}, give or take an hour)",
                    )
                    continue
                for oi, obs in enumerate(wp.observations):
                    key = f"{patrol_id}\x1f{di}\x1f{wp.id or wi}\x1f{oi}"
                    obs_id = str(uuid.uuid5(SMART_NAMESPACE, key))
                    record = ObservationRecord(
                        id=obs_id,
                        leg_index=li,
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
                    match = category_map.match(obs.category_key, obs.attributes)
                    if isinstance(match, SnareMatch):
                        snare_id = str(uuid.uuid5(SMART_NAMESPACE, key + "\x1fsnare"))
                        record.snare_id = snare_id
                        snares.append(
                            SnareReport(
                                id=snare_id,
                                lon=wp.lon,
                                lat=wp.lat,
                                found_at=when,
                                type=match.type,
                                count=match.count,
                                state=match.state,
                                action=match.action,
                                species=match.species,
                                notes=match.notes,
                                pointer=obs.pointer,
                            )
                        )
                        for note in match.warnings:
                            warnings.append(FieldError(obs.pointer, note))
                    elif match is not None:
                        warnings.append(FieldError(obs.pointer, match))
                    observations.append(record)
        report = PatrolReport(
            id=patrol_id,
            unit=unit,
            started_at=started_at,
            ended_at=ended_at,
            parts=parts,
            times=route_times,
            transport=transport,
            leader=leader,
            members=members,
            snares=snares,
            source_format="smart",
            route_pointer=leg.pointer,
        )
        legs.append(LegReport(leg, report, observations, parts_per_day))
    problems.raise_if_any("SMART patrol")
    return SmartReports(patrol, legs, warnings)


# ---------------------------------------------------------------------------------------------
# Writing


def _fmt_number(value: float) -> str:
    return repr(float(value))


def write_smart_patrol(doc: dict[str, Any], namespace: str = PATROL_NS) -> ET.Element:
    """A SMART ``patrol`` element from plain data (the shape of ``SmartPatrol`` as a dict,
    tracks as lists of (n, 3) arrays), for the exporter. Element order follows SMART's."""
    ns = f"{{{namespace}}}"

    def sub(parent, name, **attrs):
        clean = {k: str(v) for k, v in attrs.items() if v is not None}
        return ET.SubElement(parent, ns + name, clean)

    def flag(value):
        return None if value is None else ("true" if value else "false")

    root = ET.Element(
        ns + "patrol",
        {
            k: str(v)
            for k, v in {
                "patrolType": doc.get("patrol_type"),
                "startDate": doc.get("start_date"),
                "endDate": doc.get("end_date"),
                "isArmed": flag(doc.get("armed")),
                "id": doc["id"],
                **doc.get("attributes", {}),
            }.items()
            if v is not None
        },
    )
    if doc.get("objective") is not None:
        ET.SubElement(sub(root, "objective"), ns + "description").text = doc["objective"]
    if doc.get("team") is not None:
        sub(root, "team", languageCode=doc.get("team_language"), value=doc["team"])
    for leg in doc["legs"]:
        el = sub(
            root,
            "legs",
            startDate=leg.get("start_date"),
            endDate=leg.get("end_date"),
            id=leg.get("id"),
        )
        if leg.get("transport") is not None:
            sub(
                el,
                "transportType",
                languageCode=leg.get("transport_language"),
                value=leg["transport"],
            )
        for m in leg.get("members", []):
            sub(
                el,
                "members",
                givenName=m.get("given_name"),
                familyName=m.get("family_name"),
                employeeId=m.get("employee_id"),
                isPilot=flag(m.get("pilot", False)),
                isLeader=flag(m.get("leader", False)),
            )
        for day in leg["days"]:
            dl = sub(
                el,
                "days",
                date=day["date"],
                startTime=day.get("start_time"),
                endTime=day.get("end_time"),
                restMinutes=None
                if day.get("rest_minutes") is None
                else _fmt_number(day["rest_minutes"]),
            )
            for wp in day.get("waypoints", []):
                wl = sub(
                    dl,
                    "waypoints",
                    id=wp.get("id"),
                    x=_fmt_number(wp["lon"]),
                    y=_fmt_number(wp["lat"]),
                    time=wp.get("time"),
                )
                groups: dict[int, ET.Element] = {}
                for g in range(wp.get("groups", 0)):
                    groups[g] = sub(wl, "groups")
                for obs in wp.get("observations", []):
                    g = obs.get("group", 0)
                    if g not in groups:
                        groups[g] = sub(wl, "groups")
                    ol = sub(groups[g], "observations", categoryKey=obs["category_key"])
                    for a in obs.get("attributes", []):
                        al = sub(ol, "attributes", attributeKey=a["key"])
                        kind = a["kind"]
                        if kind in ("item", "items"):
                            for item in a["items"]:
                                ET.SubElement(al, ns + "itemKey").text = item
                        elif kind == "number":
                            ET.SubElement(al, ns + "dValue").text = _fmt_number(a["number"])
                        elif kind == "boolean":
                            ET.SubElement(al, ns + "bValue").text = flag(a["boolean"])
                        elif kind == "text":
                            ET.SubElement(al, ns + "sValue").text = a["text"]
                    for raw in obs.get("extra", []):
                        ol.append(ET.fromstring(raw))
                for raw in wp.get("extra", []):
                    wl.append(ET.fromstring(raw))
            if day.get("track"):
                sub(dl, "track", geom=track_to_wkb(day["track"]), distance=day.get("distance"))
            for raw in day.get("extra", []):
                dl.append(ET.fromstring(raw))
        if leg.get("mandate") is not None:
            sub(el, "mandate", languageCode=leg.get("mandate_language"), value=leg["mandate"])
        for raw in leg.get("extra", []):
            el.append(ET.fromstring(raw))
    if doc.get("comment") is not None:
        sub(root, "comment").text = doc["comment"]
    for raw in doc.get("extra", []):
        root.append(ET.fromstring(raw))
    return root
