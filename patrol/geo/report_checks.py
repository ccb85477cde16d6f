"""The rules every patrol report obeys, whatever format carried it: a find's fields, the
patrol's window of time, and how much one report may hold."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from patrol.geo.checks import check_choice, check_text, check_time_field
from patrol.geo.problems import Problems
from patrol.geo.report import ACTIONS, STATES, TYPES, Limits, PatrolReport, SnareReport
from patrol.geo.times import EARLIEST_PATROL, FIND_TIME_SLACK, iso_utc
from patrol.texts import N_
from patrol.vocabulary import FindState

__all__ = [
    "check_counts",
    "check_find_times",
    "check_patrol_window",
    "check_snare",
    "derive_find_id",
]

MAX_PATROL = timedelta(days=31)


def derive_find_id(patrol_id: str, index: int) -> str:
    """A stable id for a find sent without one, so a resend of the same report matches.

    >>> derive_find_id("6f1c1f3e-5d5b-4c43-9a55-2b8f4f0c8a11", 3) == derive_find_id(
    ...     "6f1c1f3e-5d5b-4c43-9a55-2b8f4f0c8a11", 3)
    True
    """
    return str(uuid.uuid5(uuid.UUID(patrol_id), f"find-{index}"))


def _check_count(value: Any, pointer: str, problems: Problems) -> Any:
    """How many snares one find holds: a whole number from 1 to 1000 (2.0 counts as 2)."""
    if type(value) is float and math.isfinite(value) and value.is_integer():
        value = int(value)
    if type(value) is not int:
        problems.add(pointer, N_("must be a whole number"))
    elif value < 1:
        problems.add(pointer, N_("must be at least 1 (got {value})", value=value))
    elif value > 1000:
        problems.add(pointer, N_("must be at most 1000 snares in one find"))
    return value


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
    found_at = check_time_field(props, "found_at", pointer, problems, found_at_default)
    if found_at is None and not problems.has(f"{pointer}/found_at"):
        problems.add(f"{pointer}/found_at", N_("is required: the time the snare was found"))
    snare_type = check_choice(props, "type", TYPES, pointer, problems)
    state = check_choice(props, "state", STATES, pointer, problems, default=FindState.ACTIVE)
    action = check_choice(props, "action", ACTIONS, pointer, problems)
    count = _check_count(props.get("count", 1), f"{pointer}/count", problems)
    species = check_text(props.get("species"), f"{pointer}/species", problems, 200)
    notes = check_text(props.get("notes"), f"{pointer}/notes", problems)
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


def _check_window_ends(
    started_at: datetime | None,
    ended_at: datetime | None,
    pointer: str,
    problems: Problems,
    latest: datetime,
) -> bool:
    """Each end of the window lies between 1990 and now, the end after the start, and the
    window is at most 31 days long."""
    ok = True
    for key, value in (("started_at", started_at), ("ended_at", ended_at)):
        if value is not None and not EARLIEST_PATROL <= value <= latest:
            problems.add(
                f"{pointer}/{key}",
                N_(
                    "{time} is not a plausible patrol time (from 1990 up to now)",
                    time=iso_utc(value),
                ),
            )
            ok = False
    if not ok:
        return False
    if started_at and ended_at and ended_at < started_at:
        problems.add(f"{pointer}/ended_at", N_("ended_at is before started_at"))
        return False
    if started_at and ended_at and ended_at - started_at > MAX_PATROL:
        problems.add(f"{pointer}/ended_at", N_("a patrol report covers at most 31 days"))
        return False
    return True


def _check_vertex_times(
    times: list[np.ndarray],
    started_at: datetime,
    ended_at: datetime,
    where: str,
    problems: Problems,
) -> bool:
    """Every vertex time lies in the window, give or take the slack finds get."""
    lo = (started_at - FIND_TIME_SLACK).timestamp()
    hi = (ended_at + FIND_TIME_SLACK).timestamp()
    ok = True
    for k, part in enumerate(times):
        outside = np.flatnonzero((part < lo) | (part > hi))
        if outside.size:
            i = int(outside[0])
            at = f"{where}/{k}/{i}" if len(times) > 1 else f"{where}/{i}"
            problems.add(
                at,
                N_(
                    "{time} is outside the patrol ({start} to {end}, give or take an hour); "
                    "{n} vertex time(s) of this line are",
                    time=iso_utc(datetime.fromtimestamp(float(part[i]), UTC)),
                    start=iso_utc(started_at),
                    end=iso_utc(ended_at),
                    n=outside.size,
                ),
            )
            ok = False
    return ok


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
    if not _check_window_ends(started_at, ended_at, pointer, problems, limits.latest_time()):
        return False
    if times and started_at and ended_at:
        where = times_pointer or f"{pointer}/coordTimes"
        return _check_vertex_times(times, started_at, ended_at, where, problems)
    return True


def check_find_times(report: PatrolReport, problems: Problems) -> None:
    """Every find was made during the patrol, give or take an hour."""
    lo = report.started_at - FIND_TIME_SLACK
    hi = report.ended_at + FIND_TIME_SLACK
    for s in report.snares:
        if not lo <= s.found_at <= hi:
            problems.add(
                f"{s.pointer}/properties/found_at",
                N_(
                    "{time} is outside the patrol ({start} to {end}, give or take an hour)",
                    time=iso_utc(s.found_at),
                    start=iso_utc(report.started_at),
                    end=iso_utc(report.ended_at),
                ),
            )


def check_counts(
    report_vertices: int, n_finds: int, limits: Limits, pointer: str, problems: Problems
) -> bool:
    """The report holds no more vertices and finds than ``limits`` accept."""
    ok = True
    if report_vertices > limits.max_vertices:
        problems.add(
            pointer,
            N_(
                "the route has {n} vertices; at most {limit} are accepted in one report",
                n=report_vertices,
                limit=limits.max_vertices,
            ),
        )
        ok = False
    if n_finds > limits.max_finds:
        problems.add(
            "/features",
            N_("{n} finds; at most {limit} in one report", n=n_finds, limit=limits.max_finds),
        )
        ok = False
    return ok
