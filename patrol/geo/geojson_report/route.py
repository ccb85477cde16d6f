"""The route of a GeoJSON report: its LineString or MultiLineString and its ``coordTimes``."""

from __future__ import annotations

from typing import Any

import numpy as np

from patrol.geo.checks import check_line, check_positions
from patrol.geo.problems import Problems
from patrol.geo.times import check_times
from patrol.texts import N_

__all__ = ["read_route"]


def _line(coords: Any, pointer: str, problems: Problems, parts: list[np.ndarray]) -> None:
    """Add one line to ``parts`` when it is valid (its problems otherwise)."""
    arr = check_positions(coords, pointer, problems)
    if arr is not None and check_line(arr, pointer, problems):
        parts.append(arr)


def read_parts(geometry: Any, where: str, problems: Problems) -> list[np.ndarray]:
    """The route's lines as (n, 2) lon/lat arrays (``where`` is the route feature)."""
    parts: list[np.ndarray] = []
    if not isinstance(geometry, dict):
        problems.add(f"{where}/geometry", N_("the route needs a LineString or MultiLineString"))
    elif geometry.get("type") == "LineString":
        _line(geometry.get("coordinates"), f"{where}/geometry/coordinates", problems, parts)
    elif geometry.get("type") == "MultiLineString":
        lines = geometry.get("coordinates")
        if not isinstance(lines, list) or not lines:
            problems.add(f"{where}/geometry/coordinates", N_("must be a non-empty array of lines"))
        else:
            for k, line in enumerate(lines):
                _line(line, f"{where}/geometry/coordinates/{k}", problems, parts)
    else:
        problems.add(
            f"{where}/geometry/type",
            N_(
                "the route must be a LineString or MultiLineString, not {value}",
                value=str(geometry.get("type"))[:30],
            ),
        )
    return parts


def read_route(
    route: dict, where: str, problems: Problems
) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    """The route's parts and, when it gives them, one epoch-second array of times per part.

    Times are read only when the report is sound so far: they are checked against the
    parts, which must be known first.
    """
    parts = read_parts(route.get("geometry"), where, problems)
    props = route["properties"]
    if "coordTimes" not in props or not parts or problems:
        return parts, None
    counts = [len(p) for p in parts]
    return parts, check_times(
        props["coordTimes"], counts, f"{where}/properties/coordTimes", problems
    )
