"""The query-parameter collector: a request's arguments read by type, every problem kept.

Each getter returns the value, or its default when the parameter is absent or not valid; a
value that is not valid adds a ``FieldError`` named by its pointer (``/from``, ``/limit``).
``check()`` then raises one ``ValidationFailed`` with every problem, so a client learns all
that is wrong with a query in one answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from flask import request

from patrol.errors import FieldError, ValidationFailed
from patrol.geo.problems import printable
from patrol.geo.times import parse_time
from patrol.texts import N_

__all__ = ["FIRST_YEAR", "LAST_YEAR", "QueryArgs", "ascii_int", "parse_day"]

# Dates a query may name: wide enough for any history, narrow enough that a day after the
# last one (an inclusive 'to') and any time zone shift stay representable.
FIRST_YEAR, LAST_YEAR = 1900, 2199

Bbox = tuple[float, float, float, float]


def parse_day(raw: str) -> date:
    """A calendar date written YYYY-MM-DD in ASCII digits, years 1900 to 2199; ValueError
    otherwise (``date.fromisoformat`` alone would take other scripts' digits and year 1)."""
    not_a_date = N_("'{value}' is not a date (YYYY-MM-DD)", value=printable(raw[:40]))
    if len(raw) != 10 or not raw.isascii():
        raise ValueError(not_a_date)
    try:
        day = date.fromisoformat(raw)
    except ValueError:  # its own words ("month must be in 1..12") are English only
        raise ValueError(not_a_date) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(
            N_(
                "'{value}' is outside the years {first} to {last}",
                value=raw,
                first=FIRST_YEAR,
                last=LAST_YEAR,
            )
        )
    return day


def ascii_int(raw: str) -> int:
    """A whole number in ASCII digits (``int`` and ``str.isdigit`` accept '²' and '٣')."""
    text = raw.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > 18:
        raise ValueError(N_("'{value}' is not a whole number", value=printable(raw[:20])))
    return int(text)


class QueryArgs:
    """A request's query parameters (or any mapping of them), read by type."""

    def __init__(self, args: Mapping[str, str] | None = None) -> None:
        self.args: Mapping[str, str] = request.args if args is None else args
        self.problems: list[FieldError] = []

    def problem(self, name: str, detail: str) -> None:
        """Note a problem with the parameter ``name`` (or a pointer, when it starts with /)."""
        self.problems.append(FieldError(name if name.startswith("/") else f"/{name}", detail))

    def check(self, message: str = N_("The query parameters are not valid.")) -> None:
        """Raise every problem noted so far as one 422, or nothing when there is none."""
        if self.problems:
            raise ValidationFailed(message, errors=list(self.problems))

    def text(self, name: str) -> str | None:
        """The parameter as given, None when absent or empty."""
        return self.args.get(name) or None

    def day(self, name: str, required: str | None = None) -> date | None:
        """A date YYYY-MM-DD; ``required`` is the problem told when it is absent."""
        raw = self.args.get(name)
        if not raw:
            if required:
                self.problem(name, required)
            return None
        try:
            return parse_day(raw)
        except ValueError as exc:
            self.problem(name, exc.args[0])
            return None

    def day_or_time(self, name: str, end: bool) -> date | datetime | None:
        """A date (a local day of the area: services.days) or an instant with an offset; an
        ``end`` date means the whole day: 'to=2026-03-31' includes the 31st."""
        raw = self.args.get(name)
        if not raw:
            return None
        try:
            if len(raw) == 10:
                day = parse_day(raw)
                return day + timedelta(days=1) if end else day
            return parse_time(raw)
        except ValueError as exc:
            self.problem(name, N_("not a date or ISO 8601 time: {reason}", reason=exc.args[0]))
            return None

    def instant(self, name: str) -> datetime | None:
        """An ISO 8601 time with its offset (``geo.report.parse_time``), or None."""
        raw = self.args.get(name)
        if not raw:
            return None
        try:
            return parse_time(raw)
        except ValueError as exc:
            self.problem(name, exc.args[0])
            return None

    def whole(self, name: str, default: int | None, lo: int, hi: int) -> int | None:
        """A whole number in [lo, hi], else ``default``."""
        raw = self.args.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = ascii_int(raw)
        except ValueError:
            self.problem(name, N_("must be a whole number"))
            return default
        if not lo <= value <= hi:
            self.problem(name, N_("must be between {lo} and {hi}", lo=lo, hi=hi))
            return default
        return value

    def number(self, name: str, lo: float, hi: float) -> float | None:
        """A finite number in [lo, hi], or None."""
        raw = self.args.get(name)
        if raw is None or raw == "":
            return None
        try:
            value = float(raw) if raw.isascii() else math.nan
        except ValueError:
            value = math.nan
        if not lo <= value <= hi:
            self.problem(name, N_("must be a number from {lo} to {hi}", lo=f"{lo:g}", hi=f"{hi:g}"))
            return None
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        """One of ``choices``, or ``default`` (when absent, or not one of them: noted)."""
        raw = self.args.get(name) or default
        if raw not in choices:
            self.problem(name, N_("must be one of {allowed}", allowed=", ".join(choices)))
            return default
        return raw

    def year(self, name: str, required: bool = False) -> int | None:
        """A year of four ASCII digits from FIRST_YEAR to LAST_YEAR."""
        raw = self.args.get(name, "")
        if not raw:
            if required:
                self.problem(name, N_("is required: a year like 2025"))
            return None
        try:
            year = ascii_int(raw) if len(raw) == 4 else None
        except ValueError:
            year = None
        if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
            self.problem(
                name,
                N_(
                    "'{value}' is not a year from {first} to {last}",
                    value=printable(raw[:10]),
                    first=FIRST_YEAR,
                    last=LAST_YEAR,
                ),
            )
            return None
        return year

    def bbox(self, name: str = "bbox") -> Bbox | None:
        """west,south,east,north in degrees (WGS84), each within its range."""
        raw = self.args.get(name)
        if not raw:
            return None
        try:
            parts = [float(v) for v in raw.split(",")]
        except ValueError:
            parts = []
        if len(parts) == 4 and all(math.isfinite(v) for v in parts):
            w, s, e, n = parts
            if -180 <= w <= e <= 180 and -90 <= s <= n <= 90:
                return (w, s, e, n)
        self.problem(name, N_("give west,south,east,north in degrees"))
        return None
