"""The patrol report as every format is read into it: its route, its finds and its limits.

The GeoJSON parser is ``patrol.geo.geojson_report``, GPX ``patrol.geo.gpx``, SMART
``patrol.geo.smart``; the rules all of them apply are in ``patrol.geo.report_checks``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from patrol import vocabulary
from patrol.geo.times import FUTURE_SLACK, iso_utc
from patrol.vocabulary import Action, FindState, FindType, Transport, values

__all__ = [
    "ACTIONS",
    "REMOVED_ACTIONS",
    "STATES",
    "TRANSPORTS",
    "TYPES",
    "Limits",
    "PatrolReport",
    "ReportDefaults",
    "SnareReport",
]

TRANSPORTS = values(Transport)
TYPES = values(FindType)
STATES = values(FindState)
ACTIONS = values(Action)
REMOVED_ACTIONS = tuple(a.value for a in vocabulary.REMOVED_ACTIONS)


@dataclass(frozen=True)
class Limits:
    """How much one report may hold, and the latest instant it may mention."""

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
    """One validated find; ``pointer`` is where it was in the file, for later problems."""

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
    transport: str = Transport.FOOT
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
