"""Checks of single input fields (positions, lines, texts, names, ids, choices, times), each
adding its problems at the field's pointer and giving the value as stored, or None."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from itertools import chain
from typing import Any

import numpy as np

from patrol.geo.problems import MAX_ERRORS, Problems, printable, text_problem
from patrol.geo.times import parse_time
from patrol.texts import N_

__all__ = [
    "MAX_MEMBERS",
    "MAX_TEXT",
    "check_choice",
    "check_line",
    "check_names",
    "check_point",
    "check_positions",
    "check_text",
    "check_time_field",
    "check_uuid",
]

MAX_TEXT = 2000
MAX_MEMBERS = 100


_NUMBERS = frozenset((int, float))
# |longitude| and |latitude| at most (NaN and infinities compare false).
_LIMITS = np.array([180.0, 90.0])


def _is_number(v: Any) -> bool:
    return type(v) in (int, float)


def _fast_positions(coords: list) -> np.ndarray | None:
    """The common case in one numpy call: every position a list of 2 or 3 plain numbers.

    None when anything is unusual (ragged, strings, nulls, booleans); the slow path then
    finds and names each bad position.
    """
    # numpy turns a boolean among numbers into 1.0 or 0.0; JSON true is not a coordinate. The
    # values' types, gathered in C over the flattened positions, rule booleans out (and every
    # other non-number) without a Python loop over the thousands of positions of a route.
    try:
        kinds = set(map(type, chain.from_iterable(coords)))
    except TypeError:  # a position that is not a list
        return None
    if not kinds <= _NUMBERS:
        return None
    if set(map(len, coords)) == {2}:
        # Every position [lon, lat]: read the flat numbers straight into a float array, ~4x
        # cheaper than np.array's walk of the nested lists (which also settles a dtype first).
        try:
            return np.fromiter(chain.from_iterable(coords), float, 2 * len(coords)).reshape(-1, 2)
        except (OverflowError, ValueError):
            return None
    try:
        arr = np.array(coords)
    except (ValueError, TypeError):
        return None
    if arr.ndim != 2 or arr.shape[1] not in (2, 3) or arr.dtype.kind not in "fi":
        return None
    return arr[:, :2].astype(float)


def _slow_positions(coords: list, pointer: str, problems: Problems) -> np.ndarray | None:
    """Positions one by one, naming each that is not a list of numbers."""
    bad = False
    for i, p in enumerate(coords):
        if type(p) is not list or len(p) < 2:
            problems.add(f"{pointer}/{i}", N_("must be a position [longitude, latitude]"))
            bad = True
        elif not all(_is_number(v) for v in p[:3]):
            problems.add(f"{pointer}/{i}", N_("coordinates must be numbers"))
            bad = True
        elif not all(_is_float(v) for v in p[:3]):
            problems.add(f"{pointer}/{i}", N_("coordinates must be finite numbers"))
            bad = True
    return None if bad else np.array([p[:2] for p in coords], dtype=float)


_FLOAT_MAX = float.fromhex("0x1.fffffffffffffp+1023")


def _is_float(v: int | float) -> bool:
    """Whether a number is one a float holds: an integer of hundreds of digits (JSON allows
    it, and the standard parser reads it exactly) would make numpy raise OverflowError."""
    return type(v) is float or -_FLOAT_MAX <= v <= _FLOAT_MAX


def check_positions(coords: Any, pointer: str, problems: Problems) -> np.ndarray | None:
    """A list of GeoJSON positions as an (n, 2) lon/lat array, or None after adding problems.

    ``coords`` may also be such an array already, read from the JSON text as numbers.

    >>> problems = Problems()
    >>> check_positions([[131.0, 43.0], [200.0, 43.0]], "/coordinates", problems) is None
    True
    >>> [(item.pointer, item.detail) for item in problems.items]
    [('/coordinates/1/0', 'longitude 200 is outside [-180, 180]')]
    """
    if isinstance(coords, np.ndarray):
        arr = coords  # read as numbers already (geojson_report.fast), to be range checked
    elif not isinstance(coords, list):
        problems.add(pointer, N_("must be an array of positions"))
        return None
    elif not coords:
        return np.zeros((0, 2))
    else:
        arr = _fast_positions(coords)
        if arr is None:
            arr = _slow_positions(coords, pointer, problems)
            if arr is None:
                return None
    if (np.abs(arr) <= _LIMITS).all():  # the common case in three numpy calls
        return arr
    finite = np.isfinite(arr).all(axis=1)
    for i in np.flatnonzero(~finite)[:MAX_ERRORS]:
        problems.add(f"{pointer}/{i}", N_("coordinates must be finite numbers"))
    ok_lon = np.abs(arr[:, 0]) <= 180.0
    ok_lat = np.abs(arr[:, 1]) <= 90.0
    for i in np.flatnonzero(finite & ~ok_lon)[:MAX_ERRORS]:
        problems.add(
            f"{pointer}/{i}/0",
            N_("longitude {value} is outside [-180, 180]", value=f"{arr[i, 0]:g}"),
        )
    for i in np.flatnonzero(finite & ~ok_lat)[:MAX_ERRORS]:
        problems.add(
            f"{pointer}/{i}/1", N_("latitude {value} is outside [-90, 90]", value=f"{arr[i, 1]:g}")
        )
    if not (finite & ok_lon & ok_lat).all():
        return None
    return arr


def check_point(coords: Any, pointer: str, problems: Problems) -> tuple[float, float] | None:
    """One GeoJSON position as (lon, lat), or None after adding its problem."""
    if type(coords) is not list or len(coords) < 2:
        problems.add(pointer, N_("must be a position [longitude, latitude]"))
        return None
    local = Problems()
    arr = check_positions([coords], pointer, local)
    for item in local.items:
        # check_positions names the position inside a list; here the position is the target.
        problems.add(pointer + item.pointer[len(pointer) + 2 :], item.detail)
    return None if arr is None else (float(arr[0, 0]), float(arr[0, 1]))


def check_line(arr: np.ndarray, pointer: str, problems: Problems) -> bool:
    """A line needs two distinct positions to have a length and a direction."""
    if len(arr) < 2 or not (arr != arr[0]).any():
        problems.add(pointer, N_("a line needs at least 2 distinct positions"))
        return False
    return True


def check_text(value: Any, pointer: str, problems: Problems, limit: int = MAX_TEXT) -> str | None:
    """A free text as stored (stripped, None when blank), or None after adding its problem."""
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(pointer, N_("must be a string"))
        return None
    if len(value) > limit:
        problems.add(pointer, N_("must be at most {limit} characters", limit=limit))
        return None
    why = text_problem(value)
    if why:
        problems.add(pointer, why)
        return None
    return value.strip() or None


def check_names(value: Any, pointer: str, problems: Problems) -> list[str]:
    """A list of people's names (a patrol's members), each a short text."""
    if not isinstance(value, list) or len(value) > MAX_MEMBERS:
        problems.add(pointer, N_("must be an array of at most {n} names", n=MAX_MEMBERS))
        return []
    names = []
    for i, name in enumerate(value):
        if not isinstance(name, str):
            problems.add(f"{pointer}/{i}", N_("must be a name (a string)"))
            continue
        checked = check_text(name, f"{pointer}/{i}", problems, 200)
        if checked:
            names.append(checked)
    return names


def check_choice(
    props: dict,
    key: str,
    allowed: Sequence[str],
    pointer: str,
    problems: Problems,
    default: str | None = None,
) -> str | None:
    """``props[key]``, one of a closed vocabulary's ``allowed`` values (``default`` when absent).

    >>> problems = Problems()
    >>> check_choice({"state": "lost"}, "state", ("active", "inactive"), "/p", problems)
    >>> problems.items[0].detail
    "'lost' is not one of active, inactive"
    """
    value = props.get(key, default)
    if value is None:
        problems.add(
            f"{pointer}/{key}", N_("is required: one of {allowed}", allowed=", ".join(allowed))
        )
        return None
    if not isinstance(value, str) or value not in allowed:
        shown = printable(str(value)[:40])
        problems.add(
            f"{pointer}/{key}",
            N_("'{value}' is not one of {allowed}", value=shown, allowed=", ".join(allowed)),
        )
        return None
    return value


def check_uuid(value: Any, pointer: str, problems: Problems) -> str | None:
    """A UUID in its canonical text form (lower case, hyphenated)."""
    if not isinstance(value, str):
        problems.add(pointer, N_("must be a UUID string"))
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        problems.add(pointer, N_("'{value}' is not a UUID", value=printable(value[:40])))
        return None


def check_time_field(
    props: dict, key: str, pointer: str, problems: Problems, default: datetime | None = None
) -> datetime | None:
    """``props[key]`` as a UTC time; null means "not given" (the report form sends an empty
    field), which gives ``default``."""
    value = props.get(key)
    if value is None:
        return default
    try:
        return parse_time(value)
    except ValueError as exc:
        problems.add(f"{pointer}/{key}", exc.args[0])
        return None
