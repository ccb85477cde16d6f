"""What the database knows of one submitted report, in one statement before measuring it and
one inside its write transaction: the single-report path's reads (``patrols.ingest_report``).

At a hundred reports a second every statement of a POST counts (docs/performance.md, "Ingest
through HTTP"): building an ORM statement, loading entities and a round trip cost ~0.1-0.5 ms
of CPU each, on a ~15 ms request. So the reads are pre-built Core statements of plain rows,
executed on the session's connection, and each folds what used to take two statements:

- before measuring: the report's unit with its area's columns, and whether a patrol with the
  report's id is stored (``ReportPlace``); the full replay check (``existing``) runs only when
  one is, or when the unit is unknown, so a replay answers exactly as before;
- inside the write: whether the id arrived meanwhile, and the area's zones version
  (``write_probe``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.geo.report import PatrolReport
from patrol.store.models import ConservationArea, Patrol, Unit

__all__ = ["AreaRow", "ReportPlace", "UnitRow", "report_place", "write_probe"]


@dataclass(frozen=True)
class AreaRow:
    """The columns of a conservation area that measuring and storing a report read (the
    attribute names of ``ConservationArea``, so ``AreaContext.load`` and ``area_grid`` take
    it as they take the entity)."""

    id: int
    zones_version: int
    epsg: int
    cell_m: float
    grid_origin_x: float
    grid_origin_y: float
    timezone: str
    boundary: dict[str, Any]


@dataclass(frozen=True)
class UnitRow:
    """A unit as ``check_unit``, ``Principal.can_submit_for`` and ``store_report`` read it."""

    id: int
    code: str
    active: bool
    area_id: int
    area: AreaRow


@dataclass(frozen=True)
class ReportPlace:
    """The report's unit (None: no unit has its code) and whether its id is stored."""

    unit: UnitRow | None
    id_stored: bool


_AREA_COLUMNS = (
    ConservationArea.zones_version,
    ConservationArea.epsg,
    ConservationArea.cell_m,
    ConservationArea.grid_origin_x,
    ConservationArea.grid_origin_y,
    ConservationArea.timezone,
    ConservationArea.boundary,
)

_STORED = (
    sa.select(Patrol.id)
    .where(Patrol.uuid == sa.bindparam("uuid"))
    .scalar_subquery()
    .label("stored")
)

# A SELECT of the unit joined to its area, and the stored id as a scalar subquery; with no
# unit of that code there is no row, and the id is asked on its own.
_PLACE = (
    sa.select(Unit.id, Unit.code, Unit.active, Unit.area_id, *_AREA_COLUMNS, _STORED)
    .join(ConservationArea, ConservationArea.id == Unit.area_id)
    .where(Unit.code == sa.bindparam("code"))
)
_ID_STORED = sa.select(_STORED)

# Inside the write: a SELECT of two scalar subqueries (no FROM: both databases accept it).
_WRITE = sa.select(
    _STORED,
    sa.select(ConservationArea.zones_version)
    .where(ConservationArea.id == sa.bindparam("area_id"))
    .scalar_subquery(),
)


def report_place(session: so.Session, report: PatrolReport) -> ReportPlace:
    """The report's unit and its area, and whether a patrol with the report's id is stored:
    one round trip of plain rows."""
    conn = session.connection()
    row = conn.execute(_PLACE, {"code": report.unit, "uuid": report.id}).first()
    if row is None:
        stored = conn.execute(_ID_STORED, {"uuid": report.id}).scalar()
        return ReportPlace(unit=None, id_stored=stored is not None)
    (unit_id, code, active, area_id, version, epsg, cell_m, ox, oy, tz, boundary, stored) = row
    area = AreaRow(area_id, version, epsg, cell_m, ox, oy, tz, boundary)
    return ReportPlace(UnitRow(unit_id, code, active, area_id, area), stored is not None)


def write_probe(session: so.Session, report: PatrolReport, area_id: int) -> tuple[bool, int]:
    """Inside the write transaction: whether the report's id is stored now, and the area's
    zones version (measuring used the version read before)."""
    stored, version = (
        session.connection().execute(_WRITE, {"uuid": report.id, "area_id": area_id}).one()
    )
    return stored is not None, version
