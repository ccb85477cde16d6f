"""What a SMART import is asked to do and what became of it: options, per-patrol and per-file
outcomes, their totals, and the lookups a bulk import shares."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import shapely

from patrol.errors import FieldError, PatrolError
from patrol.geo.report import Limits
from patrol.geo.smart.category_map import CategoryMap
from patrol.services.measure import AreaContext
from patrol.store.models import ConservationArea

__all__ = [
    "FileOutcome",
    "ImportCache",
    "ImportOptions",
    "PatrolOutcome",
    "new_cache",
    "totals",
]


@dataclass(frozen=True)
class ImportOptions:
    area: str | None = None  # slug
    unit: str | None = None  # code, for the whole import
    update: bool = False
    area_margin_km: float = 10.0
    limits: Limits = field(default_factory=Limits)


@dataclass
class PatrolOutcome:
    """What happened to one SMART patrol of a file."""

    smart_id: str | None
    status: str  # stored | replayed | updated | rejected
    pointer: str = "/patrol"
    patrols: list[dict[str, Any]] = field(default_factory=list)
    observations: int = 0
    snare_finds: int = 0
    vertices: int = 0
    area: str | None = None
    unit: str | None = None
    warnings: list[FieldError] = field(default_factory=list)
    problem: PatrolError | None = None

    def as_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "smart_id": self.smart_id,
            "status": self.status,
            "pointer": self.pointer,
        }
        if self.problem is not None:
            doc["problem"] = self.problem.as_problem()
            return doc
        doc |= {
            "area": self.area,
            "unit": self.unit,
            "patrols": self.patrols,
            "observations": self.observations,
            "snare_finds": self.snare_finds,
            "warnings": [w.as_dict() for w in self.warnings],
        }
        return doc


@dataclass
class FileOutcome:
    name: str
    patrols: list[PatrolOutcome] = field(default_factory=list)
    problem: PatrolError | None = None  # the file itself could not be read

    @property
    def rejected(self) -> bool:
        return self.problem is not None

    def as_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"file": self.name, "patrols": [p.as_dict() for p in self.patrols]}
        if self.problem is not None:
            doc["problem"] = self.problem.as_problem()
        return doc


def totals(files: Iterable[FileOutcome]) -> dict[str, int]:
    """Patrols by status, and files rejected whole, over an import."""
    counts = {"stored": 0, "replayed": 0, "updated": 0, "rejected": 0, "files_rejected": 0}
    for f in files:
        counts["files_rejected"] += f.rejected
        for p in f.patrols:
            counts[p.status] += 1
    return counts


@dataclass
class ImportCache:
    """What a bulk import looks up once: areas' shapes, contexts, maps, units."""

    areas: dict[int, tuple[ConservationArea, shapely.Geometry]] = field(default_factory=dict)
    contexts: dict[int, AreaContext] = field(default_factory=dict)
    maps: dict[int, CategoryMap] = field(default_factory=dict)


def new_cache() -> ImportCache:
    """Lookups a bulk import shares across its files."""
    return ImportCache()
