"""Routes as a map at a given zoom needs them: each simplified in its own area's metric CRS."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy.orm as so

from patrol.geo.simplify import simplify_routes
from patrol.store.models import ConservationArea, Patrol

__all__ = ["MAX_TOLERANCE_M", "simplified_routes"]

# A screen pixel at zoom 8 is ~600 m at the equator: beyond 1 km a route is a few dots.
MAX_TOLERANCE_M = 1000.0


def simplified_routes(
    session: so.Session, patrols: Sequence[Patrol], tolerance_m: float
) -> dict[int, dict[str, Any]]:
    """Each patrol's route simplified to ``tolerance_m`` metres, by patrol id.

    A page of patrols may span several areas (a coordinator of two parks): each area's routes
    are simplified together in that area's CRS. The figures of a patrol are never taken from
    these geometries.
    """
    by_area: dict[int, list[Patrol]] = defaultdict(list)
    for patrol in patrols:
        by_area[patrol.area_id].append(patrol)
    out: dict[int, dict[str, Any]] = {}
    for area_id, rows in by_area.items():
        epsg = session.get(ConservationArea, area_id).epsg
        geometries = simplify_routes([p.route_geojson for p in rows], epsg, tolerance_m)
        out.update(zip((p.id for p in rows), geometries, strict=True))
    return out
