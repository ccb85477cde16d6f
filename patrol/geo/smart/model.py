"""A SMART patrol as read from its XML: patrol, legs, days, waypoints, observations, attributes.

Every element and attribute of the schema lands in a dataclass here, and what patrol does not
know is kept as XML text (``extra``) so nothing in a file is lost. Dates and times stay naive:
SMART writes the park's wall clock and no time zone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, time
from typing import Any

import numpy as np

from patrol.geo.smart.safe_xml import PATROL_NS

__all__ = [
    "SmartAttribute",
    "SmartDay",
    "SmartLeg",
    "SmartMember",
    "SmartObservation",
    "SmartPatrol",
    "SmartWaypoint",
    "plain_document",
]


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

    @property
    def observation_count(self) -> int:
        return sum(len(w.observations) for leg in self.legs for d in leg.days for w in d.waypoints)

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
