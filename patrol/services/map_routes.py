"""Routes as a map at a given zoom needs them: each simplified in its own area's metric CRS,
read and built a bounded number at a time.

A page of 1,000 real routes (~2,000 vertices each) was ~85 MB of stored text (16 MB packed
since migration 0015) and is ~49 MB of GeoJSON; read, parsed and simplified at once, it took a
server worker past 1 GiB. Here the routes are read ``CHUNK`` at a time (the packed route only,
never the patrol's ORM track) and each feature is handed on before the next chunk is read, so
what a worker holds is one chunk's routes plus the answer being encoded
(``patrol.api.common.features_response``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.geo import packed_route
from patrol.geo.simplify import simplify_packed
from patrol.services.patrol_documents import route_feature
from patrol.store.models import ConservationArea, Patrol, PatrolTrack

__all__ = ["CHUNK", "MAX_PAGE_VERTICES", "MAX_TOLERANCE_M", "route_features", "vertex_budget"]

# A screen pixel at zoom 8 is ~600 m at the equator: beyond 1 km a route is a few dots.
MAX_TOLERANCE_M = 1000.0
# Routes read, parsed and simplified together: ~1.6 MB packed for real tracks, and
# still enough for the vectorised simplification to pay (one call per area and chunk).
CHUNK = 100
# A page of routes as stored ends before this many vertices (~23 MB of GeoJSON), whatever its
# ``limit``: 1,000 real routes were 49 MB, and compressing that whole answer (the compressed
# copy and Brotli's buffers beside it) took a worker past 300 MiB. Demo-density pages (~215
# vertices a route) never reach it; simplified pages (``tolerance_m``) are not cut, being
# ~25x smaller.
MAX_PAGE_VERTICES = 1_000_000


def route_features(
    session: so.Session, patrols: Sequence[Patrol], tolerance_m: float = 0.0
) -> Iterator[dict[str, Any]]:
    """The patrols' route Features in their order, as stored or simplified to ``tolerance_m``
    metres (0: as stored), ``CHUNK`` routes read at a time.

    ``patrols`` need not have their tracks loaded (``list_patrols(..., with_tracks=False)``):
    only the packed route is read here, never the vertex times.
    """
    for start in range(0, len(patrols), CHUNK):
        chunk = patrols[start : start + CHUNK]
        routes = _packed_routes(session, [p.id for p in chunk])
        simple = _simplified(session, chunk, routes, tolerance_m) if tolerance_m else {}
        for p in chunk:
            geometry = simple.get(p.id) or packed_route.route_geometry(routes[p.id])
            yield route_feature(p, with_times=False, geometry=geometry)


def vertex_budget(patrols: Sequence[Patrol], budget: int | None = None) -> list[Patrol]:
    """The first of ``patrols`` whose routes hold at most ``budget`` vertices together (the
    first always, however long: a page is never empty). The page's next link goes on from
    the first patrol left out, as OGC API - Features lets a server answer fewer than asked.

    >>> from types import SimpleNamespace as P
    >>> [p.vertex_count for p in vertex_budget([P(vertex_count=n) for n in (5, 4, 3)], 9)]
    [5, 4]
    >>> [p.vertex_count for p in vertex_budget([P(vertex_count=12), P(vertex_count=1)], 9)]
    [12]
    """
    budget = MAX_PAGE_VERTICES if budget is None else budget
    kept: list[Patrol] = []
    total = 0
    for patrol in patrols:
        total += patrol.vertex_count
        if kept and total > budget:
            break
        kept.append(patrol)
    return kept


def _packed_routes(session: so.Session, patrol_ids: Sequence[int]) -> dict[int, bytes]:
    rows = session.execute(
        sa.select(PatrolTrack.patrol_id, PatrolTrack.route_packed).where(
            PatrolTrack.patrol_id.in_(patrol_ids)
        )
    )
    return {patrol_id: blob for patrol_id, blob in rows}


def _simplified(
    session: so.Session, patrols: Sequence[Patrol], routes: dict[int, bytes], tolerance_m: float
) -> dict[int, dict[str, Any]]:
    """Each route of ``patrols`` simplified, by patrol id: a page may span several areas (a
    coordinator of two parks), and each area's routes are simplified in that area's CRS."""
    by_area: dict[int, list[int]] = {}
    for patrol in patrols:
        by_area.setdefault(patrol.area_id, []).append(patrol.id)
    out: dict[int, dict[str, Any]] = {}
    for area_id, ids in by_area.items():
        epsg = session.get(ConservationArea, area_id).epsg
        geometries = simplify_packed([routes[i] for i in ids], epsg, tolerance_m)
        out.update(zip(ids, geometries, strict=True))
    return out
