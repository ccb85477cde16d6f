"""Request helpers shared by the API routes: who is asking, and parsing query parameters."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app, g, jsonify, request, session, url_for
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from patrol.config import demo_allowed
from patrol.db import get_session
from patrol.errors import AuthenticationRequired, FieldError, Forbidden, ValidationFailed
from patrol.geo.problems import printable
from patrol.geo.times import parse_time
from patrol.services import areas
from patrol.services.auth import Principal, authenticate_token, session_principal
from patrol.services.queries import Filters

__all__ = [
    "ascii_int",
    "choice_arg",
    "current_principal",
    "date_arg",
    "filters_from_request",
    "float_arg",
    "geojson_response",
    "int_arg",
    "parse_day",
]


def _demo() -> bool:
    return demo_allowed(current_app.config["ENV"])


def current_principal() -> Principal:
    """The caller: ``Authorization: Bearer`` for API clients, else the signed-in person's
    session (whose unsafe requests must carry the page's CSRF token); 401 without either."""
    if "principal" in g:
        return g.principal
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        g.principal = authenticate_token(get_session(), token.strip(), allow_demo=_demo())
        return g.principal
    principal = session_principal(get_session(), session.get("sid"), allow_demo=_demo())
    if principal is None:
        raise AuthenticationRequired("Send 'Authorization: Bearer <token>', or sign in.")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except ValidationError:
            raise Forbidden("The page's CSRF token is missing or stale: reload the page.") from None
    g.principal = principal
    return principal


# Dates a query may name: wide enough for any history, narrow enough that a day after the
# last one (an inclusive 'to') and any time zone shift stay representable.
FIRST_YEAR, LAST_YEAR = 1900, 2199


def parse_day(raw: str) -> date:
    """A calendar date written YYYY-MM-DD in ASCII digits, years 1900 to 2199; ValueError
    otherwise (``date.fromisoformat`` alone would take other scripts' digits and year 1)."""
    if len(raw) != 10 or not raw.isascii():
        raise ValueError(f"'{printable(raw[:40])}' is not a date (YYYY-MM-DD)")
    day = date.fromisoformat(raw)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"'{raw}' is outside the years {FIRST_YEAR} to {LAST_YEAR}")
    return day


def date_arg(name: str, problems: list[FieldError]) -> date | None:
    """The query parameter ``name`` as a date, or None (absent, or a problem noted)."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return parse_day(raw)
    except ValueError as exc:
        problems.append(FieldError(f"/{name}", str(exc)))
        return None


def ascii_int(raw: str) -> int:
    """A whole number in ASCII digits (``int`` and ``str.isdigit`` accept '²' and '٣')."""
    text = raw.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > 18:
        raise ValueError(f"'{printable(raw[:20])}' is not a whole number")
    return int(text)


def int_arg(
    name: str, default: int | None, lo: int, hi: int, problems: list[FieldError]
) -> int | None:
    """The query parameter ``name`` as a whole number in [lo, hi], else ``default``."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = ascii_int(raw)
    except ValueError:
        problems.append(FieldError(f"/{name}", "must be a whole number"))
        return default
    if not lo <= value <= hi:
        problems.append(FieldError(f"/{name}", f"must be between {lo} and {hi}"))
        return default
    return value


def float_arg(name: str, problems: list[FieldError], lo: float, hi: float) -> float | None:
    """The query parameter ``name`` as a finite number in [lo, hi], or None."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw) if raw.isascii() else math.nan
    except ValueError:
        value = math.nan
    if not lo <= value <= hi:
        problems.append(FieldError(f"/{name}", f"must be a number from {lo:g} to {hi:g}"))
        return None
    return value


def choice_arg(name: str, choices: tuple[str, ...], default: str) -> str:
    """The query parameter ``name``, one of ``choices`` (422 otherwise), or ``default``."""
    raw = request.args.get(name) or default
    if raw not in choices:
        raise ValidationFailed(
            "The query parameters are not valid.",
            errors=[FieldError(f"/{name}", f"must be one of {', '.join(choices)}")],
        )
    return raw


def _time_arg(
    name: str, value: str, problems: list[FieldError], end: bool
) -> date | datetime | None:
    """A date (a local day of the area: services.days) or an instant with an offset."""
    try:
        if len(value) == 10:
            # A date alone means the whole day: 'to=2026-03-31' includes the 31st.
            day = parse_day(value)
            return day + timedelta(days=1) if end else day
        return parse_time(value)
    except ValueError as exc:
        problems.append(FieldError(f"/{name}", f"not a date or ISO 8601 time: {exc}"))
        return None


def _comparable(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), UTC)


def filters_from_request() -> Filters:
    """area, from, to, unit, zone, bbox, limit, offset from the query string, validated
    together."""
    args = request.args
    problems: list[FieldError] = []
    start = _time_arg("from", args["from"], problems, False) if args.get("from") else None
    end = _time_arg("to", args["to"], problems, True) if args.get("to") else None
    if start and end and _comparable(end) <= _comparable(start):
        problems.append(FieldError("/to", "must be after 'from'"))
    bbox = None
    if args.get("bbox"):
        try:
            parts = [float(v) for v in args["bbox"].split(",")]
            if len(parts) != 4 or not all(math.isfinite(v) for v in parts):
                raise ValueError
            w, s, e, n = parts
            if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
                raise ValueError
            bbox = (w, s, e, n)
        except ValueError:
            problems.append(FieldError("/bbox", "give west,south,east,north in degrees"))
    limit = int_arg(
        "limit",
        current_app.config["API_PAGE_SIZE"],
        1,
        current_app.config["API_MAX_PAGE_SIZE"],
        problems,
    )
    offset = int_arg("offset", 0, 0, 10**9, problems)
    if problems:
        raise ValidationFailed("The query parameters are not valid.", errors=problems)
    area_id = None
    if args.get("area"):  # one of the caller's areas (404 for another's, as everywhere)
        area_id = areas.area_for(get_session(), current_principal(), args["area"]).id
    return Filters(
        start=None if _is_day(start) else start,
        end=None if _is_day(end) else end,
        unit=args.get("unit") or None,
        zone=args.get("zone") or None,
        bbox=bbox,
        limit=limit,
        offset=offset,
        first_day=start if _is_day(start) else None,
        end_day=end if _is_day(end) else None,
        area_id=area_id,
    )


def _is_day(value: date | datetime | None) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def geojson_response(doc: dict[str, Any], status: int = 200, headers: dict | None = None):
    response = jsonify(doc)
    response.status_code = status
    response.mimetype = "application/geo+json"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def paged(doc: dict[str, Any], endpoint: str, total: int, f: Filters, returned: int) -> dict:
    """OGC API - Features style paging members: numberMatched, numberReturned, next link."""
    doc["numberMatched"] = total
    doc["numberReturned"] = returned
    links = []
    if f.offset + returned < total:
        args = request.args.to_dict() | {"offset": f.offset + f.limit, "limit": f.limit}
        links.append(
            {
                "rel": "next",
                "type": "application/geo+json",
                "href": url_for(endpoint, _external=False, **args),
            }
        )
    doc["links"] = links
    return doc
