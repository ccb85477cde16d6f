"""What a date means in patrol: a local day of the conservation area, never a UTC day.

One rule for every answer that takes dates (lists, exports, analytics, pages): a date is a
calendar day in the area's time zone, and a patrol, with every find and observation it made,
belongs to the local day it started (``Patrol.start_date``, stored at ingest). So the finds a
coordinator lists for 2025 and the NGO's annual total for 2025 are the same snares, even for a
patrol walking through New Year's night. Instants (times with an offset) stay instants.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from patrol.store.models import Patrol

__all__ = ["local_midnight", "started_in", "utc_span"]


def local_midnight(day: date, tz: str) -> datetime:
    """The instant (aware, UTC) the local day ``day`` begins in the time zone ``tz``.

    >>> local_midnight(date(2025, 1, 1), "Asia/Vladivostok")
    datetime.datetime(2024, 12, 31, 14, 0, tzinfo=datetime.timezone.utc)
    """
    return datetime.combine(day, time(), ZoneInfo(tz)).astimezone(UTC)


def utc_span(first: date, end: date, tz: str) -> tuple[datetime, datetime]:
    """The local days [first, end) of the time zone ``tz`` as a half-open UTC interval."""
    return local_midnight(first, tz), local_midnight(end, tz)


def started_in(start: date | None, end: date | None) -> list[sa.ColumnElement[bool]]:
    """Conditions on ``Patrol``: it started on a local day in [start, end) (open ends None).

    Each patrol's local start day was computed in its own area's time zone at ingest, so the
    same conditions serve a caller with areas in several time zones.
    """
    cond: list[sa.ColumnElement[bool]] = []
    if start is not None:
        cond.append(Patrol.start_date >= start)
    if end is not None:
        cond.append(Patrol.start_date < end)
    return cond
