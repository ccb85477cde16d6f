"""The route feature's properties of a GeoJSON report: unit, transport, people, the window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from patrol.geo.checks import check_choice, check_names, check_text, check_time_field
from patrol.geo.problems import Problems
from patrol.geo.report import TRANSPORTS, Limits, ReportDefaults
from patrol.geo.report_checks import check_patrol_window
from patrol.texts import N_
from patrol.vocabulary import Transport

__all__ = ["RouteProperties", "read_properties"]


@dataclass
class RouteProperties:
    """The patrol's fields as read from the route feature (None where a problem was noted)."""

    unit: str | None
    transport: str | None
    leader: str | None
    members: list[str] = field(default_factory=list)
    started_at: datetime | None = None
    ended_at: datetime | None = None


def _unit(props: dict, defaults: ReportDefaults, pp: str, problems: Problems) -> str | None:
    unit = props.get("unit") or defaults.unit
    if not isinstance(unit, str) or not unit.strip():
        problems.add(f"{pp}/unit", N_("is required: the code of the unit that patrolled"))
        return None
    return check_text(unit, f"{pp}/unit", problems, 64)


def _window(
    props: dict,
    times: list[np.ndarray] | None,
    defaults: ReportDefaults,
    pp: str,
    problems: Problems,
) -> tuple[datetime | None, datetime | None]:
    """Start and end as given, else the request's, else the first and last vertex times."""
    started_at = check_time_field(props, "started_at", pp, problems, defaults.started_at)
    ended_at = check_time_field(props, "ended_at", pp, problems, defaults.ended_at)
    if times:
        started_at = started_at or datetime.fromtimestamp(float(times[0][0]), UTC)
        ended_at = ended_at or datetime.fromtimestamp(float(times[-1][-1]), UTC)
    if started_at is None and not problems.has(f"{pp}/started_at"):
        problems.add(f"{pp}/started_at", N_("is required (or give coordTimes)"))
    if ended_at is None and not problems.has(f"{pp}/ended_at"):
        problems.add(f"{pp}/ended_at", N_("is required (or give coordTimes)"))
    return started_at, ended_at


def read_properties(
    props: dict,
    times: list[np.ndarray] | None,
    defaults: ReportDefaults,
    limits: Limits,
    pp: str,
    problems: Problems,
) -> RouteProperties:
    """Validate the route's properties (``pp`` points at them); the request's ``defaults``
    fill what the file leaves out, and the window is checked against the vertex times."""
    unit = _unit(props, defaults, pp, problems)
    transport = check_choice(
        props, "transport", TRANSPORTS, pp, problems, default=defaults.transport or Transport.FOOT
    )
    leader = check_text(props.get("leader"), f"{pp}/leader", problems, 200) or defaults.leader
    members = check_names(props.get("members") or [], f"{pp}/members", problems)
    started_at, ended_at = _window(props, times, defaults, pp, problems)
    check_patrol_window(times, started_at, ended_at, pp, problems, limits)
    return RouteProperties(unit, transport, leader, members, started_at, ended_at)
