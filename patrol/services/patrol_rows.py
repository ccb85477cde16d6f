"""What a stored patrol is, as rows: one rule shared by the single-report path (ingest_report)
and the bulk import (services/bulk.py), so both store a report the same way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
import sqlalchemy as sa
from psycopg import sql

from patrol.errors import FieldError, ValidationFailed
from patrol.geo import packed_route
from patrol.geo.report import PatrolReport
from patrol.geo.times import iso_utc
from patrol.services.measure import AreaContext, RouteFigures, finds_metric
from patrol.store import partitioning
from patrol.store.models import (
    AuditEvent,
    EffortCell,
    EffortZone,
    Patrol,
    PatrolTrack,
    SnareFind,
)
from patrol.texts import N_

__all__ = [
    "PatrolRows",
    "audit_after",
    "check_unit",
    "effort_rows",
    "find_rows",
    "insert_patrols",
    "local_days",
    "patrol_columns",
    "patrol_rows",
]


def local_days(started_at: datetime, ended_at: datetime, tz: str) -> dict[str, Any]:
    """The patrol's start day and month in the area's time zone, and the local days it spans."""
    zone = ZoneInfo(tz)
    start = started_at.astimezone(zone).date()
    end = ended_at.astimezone(zone).date()
    return {
        "start_date": start,
        "start_month": start.year * 100 + start.month,
        "days": (end - start).days + 1,
    }


def check_unit(report: PatrolReport, unit: Any, visible: bool = True) -> None:
    """ValidationFailed unless ``unit`` (None when no unit has the report's code; anything
    with ``code`` and ``active``) may carry the report; ``visible`` False hides a unit of an
    area the sender does not belong to as if it did not exist."""
    unit_pointer = (
        f"{report.route_pointer}/properties/unit" if report.source_format == "geojson" else "/unit"
    )
    if unit is None or not visible:
        raise ValidationFailed(
            N_("The report names an unknown unit; nothing was stored."),
            errors=[FieldError(unit_pointer, N_("no unit '{unit}'", unit=report.unit))],
        )
    if not unit.active:
        raise ValidationFailed(
            N_("The unit is not active; nothing was stored."),
            errors=[FieldError(unit_pointer, N_("unit '{unit}' is retired", unit=unit.code))],
        )


def patrol_columns(
    report: PatrolReport,
    *,
    unit_id: int,
    area_id: int,
    timezone: str,
    route: list[np.ndarray],
    figures: RouteFigures,
    submitted_by_id: int | None,
) -> dict[str, Any]:
    """The patrol row's columns (route and times excepted: they go to patrol_track)."""
    return {
        "uuid": report.id,
        "area_id": area_id,
        "unit_id": unit_id,
        "leader": report.leader,
        "members": list(report.members),
        "transport": report.transport,
        "started_at": report.started_at,
        "ended_at": report.ended_at,
        **local_days(report.started_at, report.ended_at, timezone),
        "vertex_count": report.vertex_count,
        "distance_km": figures.distance_km,
        "duration_h": figures.duration_h,
        "min_lon": min(float(p[:, 0].min()) for p in route),
        "min_lat": min(float(p[:, 1].min()) for p in route),
        "max_lon": max(float(p[:, 0].max()) for p in route),
        "max_lat": max(float(p[:, 1].max()) for p in route),
        "content_hash": report.content_hash(),
        "source_format": report.source_format,
        "submitted_by_id": submitted_by_id,
    }


def effort_rows(
    patrol_id: int | None, figures: RouteFigures, context: AreaContext
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The effort_cell and effort_zone rows of a measured route."""
    cells, zones = figures.cells, figures.zones
    cell_rows = [
        {"patrol_id": patrol_id, "ix": a, "iy": b, "effort_km": k, "effort_h": h}
        for a, b, k, h in zip(
            np.asarray(cells.ix).tolist(),
            np.asarray(cells.iy).tolist(),
            np.asarray(cells.km, dtype=float).tolist(),
            np.asarray(cells.hours, dtype=float).tolist(),
            strict=True,
        )
    ]
    zone_rows = [
        {"patrol_id": patrol_id, "zone_id": int(context.zone_ids[z]), "effort_km": k, "effort_h": h}
        for z, k, h in zip(
            np.asarray(zones.zone).tolist(),
            np.asarray(zones.km, dtype=float).tolist(),
            np.asarray(zones.hours, dtype=float).tolist(),
            strict=True,
        )
    ]
    return cell_rows, zone_rows


def find_rows(
    report: PatrolReport,
    patrol_id: int | None,
    area_id: int,
    context: AreaContext,
    finds_m: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[dict[str, Any]]:
    """The snare_find rows of a report: each find with its grid cell and zone (``finds_m``:
    the finds in the area's CRS, when measuring projected them already)."""
    if not report.snares:
        return []
    x, y = finds_m or finds_metric(report, context.epsg)
    ix, iy = context.grid.cell_of(x, y)
    zone_ids = context.zone_of(x, y)
    return [
        {
            "uuid": s.id,
            "patrol_id": patrol_id,
            "area_id": area_id,
            "found_at": s.found_at,
            "lon": s.lon,
            "lat": s.lat,
            "type": s.type,
            "count": s.count,
            "state": s.state,
            "action": s.action,
            "species": s.species,
            "notes": s.notes,
            "cell_ix": int(ix[k]),
            "cell_iy": int(iy[k]),
            "zone_id": zone_ids[k],
        }
        for k, s in enumerate(report.snares)
    ]


def audit_after(
    report: PatrolReport, unit_code: str, figures: RouteFigures, content_hash: str
) -> dict[str, Any]:
    """What the audit trail keeps of a created patrol."""
    return {
        "unit": unit_code,
        "started_at": iso_utc(report.started_at),
        "distance_km": round(figures.distance_km, 3),
        "finds": len(report.snares),
        "content_hash": content_hash,
    }


@dataclass
class PatrolRows:
    """Every row of one measured report, before the patrol has its database id."""

    patrol: dict[str, Any]
    route_packed: bytes
    times_packed: bytes | None
    cells: list[dict[str, Any]]
    zones: list[dict[str, Any]]
    finds: list[dict[str, Any]]
    audit_after: dict[str, Any]


def patrol_rows(
    report: PatrolReport,
    *,
    unit_id: int,
    unit_code: str,
    area_id: int,
    timezone: str,
    context: AreaContext,
    route: list[np.ndarray],
    figures: RouteFigures,
    submitted_by_id: int | None = None,
) -> PatrolRows:
    columns = patrol_columns(
        report,
        unit_id=unit_id,
        area_id=area_id,
        timezone=timezone,
        route=route,
        figures=figures,
        submitted_by_id=submitted_by_id,
    )
    cells, zones = effort_rows(None, figures, context)
    return PatrolRows(
        patrol=columns,
        route_packed=packed_route.pack_route(route),
        times_packed=packed_route.pack_times(report.times),
        cells=cells,
        zones=zones,
        finds=find_rows(report, None, area_id, context, figures.finds_m),
        audit_after=audit_after(report, unit_code, figures, columns["content_hash"]),
    )


def _table_row(model: type, values: dict[str, Any]) -> dict[str, Any]:
    """A row given by the model's attribute names, keyed by its table's column names for a Core
    insert (``members`` is the column ``members_json``); the column types still encode values."""
    columns = sa.inspect(model).columns
    return {columns[name].key: value for name, value in values.items()}


def insert_patrols(
    conn: sa.Connection, new: list[tuple[PatrolRows, int, int | None]]
) -> dict[str, int]:
    """Insert measured reports, each given as (rows, area id, submitting user id): the patrols
    first (their ids: ``_insert_patrol_rows``), then tracks, effort cells and zones, finds and
    audit events with one executemany each (pipelined by psycopg; the effort rows by COPY on
    PostgreSQL). The patrols' ids, by uuid.

    Core, not the ORM's unit of work: for one 2,000-vertex report the ORM's flush of a patrol
    and its track cost more CPU than the inserts themselves, and the single-report path and
    the bulk import write the same rows this one way.
    """
    ids = _insert_patrol_rows(conn, [_table_row(Patrol, rows.patrol) for rows, _, _ in new])
    tracks, cells, zones, finds, events = [], [], [], [], []
    for rows, area_id, user_id in new:
        uuid = rows.patrol["uuid"]
        pid = ids[uuid]
        tracks.append(
            {
                "patrol_id": pid,
                "route_packed": rows.route_packed,
                "times_packed": rows.times_packed,
            }
        )
        for group, target in ((rows.cells, cells), (rows.zones, zones), (rows.finds, finds)):
            for r in group:
                r["patrol_id"] = pid
            target.extend(group)
        events.append(
            {
                "user_id": user_id,
                "area_id": area_id,
                "action": "create",
                "entity": "patrol",
                "entity_id": uuid,
                "before_json": None,
                "after_json": rows.audit_after,
            }
        )
    for model, values in (
        (PatrolTrack, tracks),
        (EffortCell, cells),
        (EffortZone, zones),
        (SnareFind, finds),
        (AuditEvent, events),
    ):
        if not values:
            continue
        if model in _COPIED and conn.dialect.name == "postgresql":
            copy_rows(conn, model.__table__, values)
        else:
            conn.execute(_INSERTS[model], values)
    return ids


def _insert_patrol_rows(conn: sa.Connection, patrols: list[dict[str, Any]]) -> dict[str, int]:
    """Insert the patrol rows; their ids by uuid.

    One row, SQLite, or a partitioned PostgreSQL database: one INSERT with RETURNING (on a
    partitioned one the table's trigger gives a row without an id the next of its area-year's
    block, store/partitioning.py, so the ids must be left to it). Many rows on a plain
    PostgreSQL database: the ids are taken from the sequence first and the rows sent with them
    as an executemany of one short INSERT, which psycopg prepares once and pipelines. An
    INSERT with RETURNING of a batch is one statement of ~650 bytes a row (132 KB for 200
    patrols), longer than psycopg caches its parsing of (4 KB), so it split that text with
    regular expressions again for every batch: ~0.1 ms of the writer's CPU a patrol, a third
    of all it did (docs/performance.md). The ids are the ones RETURNING gave, in the batch's
    order.
    """
    if not patrols:
        return {}
    if len(patrols) == 1 or conn.dialect.name != "postgresql" or partitioning.is_partitioned(conn):
        return {row.uuid: row.id for row in conn.execute(_PATROL_INSERT, patrols)}
    ids = sorted(conn.execute(_NEXT_PATROL_IDS, {"n": len(patrols)}).scalars())
    for row, patrol_id in zip(patrols, ids, strict=True):
        row["id"] = patrol_id
    conn.execute(_INSERTS[Patrol], patrols)
    return {row["uuid"]: row["id"] for row in patrols}


# Built once (two single-report inserts a POST): their compiled forms are cached either way.
_PATROL_INSERT = sa.insert(Patrol.__table__).returning(
    Patrol.__table__.c.uuid, Patrol.__table__.c.id
)
_NEXT_PATROL_IDS = sa.text(
    "SELECT nextval(pg_get_serial_sequence('patrol', 'id')) FROM generate_series(1, :n)"
)
_INSERTS = {
    model: sa.insert(model.__table__)
    for model in (Patrol, PatrolTrack, EffortCell, EffortZone, SnareFind, AuditEvent)
}


# The effort rows (a report's tens of cells, a batch's thousands): plain integers and floats,
# no column type that converts a value on its way in, so COPY stores what an INSERT would.
_COPIED = (EffortCell, EffortZone)


@cache
def _copy_query(table: sa.Table, keys: tuple[str, ...]) -> sql.Composed:
    names = sql.SQL(", ").join(sql.Identifier(table.c[k].name) for k in keys)
    return sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table.name), names)


def copy_rows(conn: sa.Connection, table: sa.Table, values: list[dict[str, Any]]) -> None:
    """Write rows with PostgreSQL's COPY, inside the connection's transaction.

    For the rows of one report, an executemany (insertmanyvalues) cost ~1.6 ms of CPU for 60
    effort cells and COPY ~0.6 (docs/performance.md). Floats travel as Python writes them
    (the shortest text that reads back to the same double, as the INSERT's parameters do),
    so the stored values are the same bits.
    """
    keys = tuple(values[0])
    query = _copy_query(table, keys)
    driver = conn.connection.driver_connection
    try:
        with driver.cursor() as cursor, cursor.copy(query) as copy:
            for row in values:
                copy.write_row([row[k] for k in keys])
    except psycopg.Error as err:
        # Raised as SQLAlchemy raises a statement's error (an IntegrityError is still one to
        # the callers), and a lost connection leaves the pool as it would.
        lost = conn.dialect.is_disconnect(err, driver, None)
        if lost:
            conn.invalidate(err)
        raise sa.exc.DBAPIError.instance(
            query.as_string(driver), None, err, psycopg.Error, connection_invalidated=lost
        ) from err
