"""Patrol routes thinned for a map at a given zoom: fewer vertices, the same line to the eye.

A year of routes is ~11 M vertices, a GPS fix every few metres; a map shows a screen pixel of
tens to hundreds of metres. Each route is simplified in the area's metric CRS (so the
tolerance is in metres everywhere in the park) with Douglas-Peucker, which keeps a subset of
the route's own vertices, each part's endpoints always among them, and leaves no recorded
vertex farther than the tolerance from the line drawn. The kept vertices are returned as
stored (WGS84, never reprojected back), so a route's start and end are exactly the recorded
ones. Only what a map draws is simplified: figures (distance, effort per cell) always come
from the stored routes.

Not GEOS's topology-preserving variant: it refuses every removal that would let a line touch
itself, and patrols walk out and back along the same trail, so on the demo year it kept 64 %
of the vertices at 100 m where Douglas-Peucker keeps 15 %. A route drawn on a map may cross
itself; nothing else reads these lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
import shapely

from patrol.geo.documents import line_string, multi_line_string
from patrol.geo.packed_route import route_geometry, route_vertices
from patrol.geo.projection import to_metric

__all__ = ["simplify_packed", "simplify_routes"]


def simplify_routes(
    routes_geojson: Sequence[str], epsg: int, tolerance_m: float
) -> list[dict[str, Any]]:
    """GeoJSON geometries (dicts) of the routes, each simplified to ``tolerance_m`` metres.

    ``routes_geojson`` are stored route texts (LineString or MultiLineString, WGS84) of one
    area whose metric CRS is ``epsg``. Every vertex of an answer is one of the route's own
    vertices (with its elevation, when stored), in the original order; a part never loses its
    first or last vertex. All routes are parsed, projected and simplified in vectorised calls.

    >>> line = (
    ...     '{"type": "LineString", "coordinates": '
    ...     '[[131.3, 43.2], [131.30001, 43.2001], [131.3, 43.21]]}'
    ... )
    >>> simplify_routes([line], 32652, 10.0)
    [{'type': 'LineString', 'coordinates': [[131.3, 43.2], [131.3, 43.21]]}]
    """
    if not routes_geojson:
        return []
    return _simplify(
        shapely.from_geojson(np.asarray(routes_geojson, dtype=object)), epsg, tolerance_m
    )


def simplify_packed(routes: Sequence[bytes], epsg: int, tolerance_m: float) -> list[dict[str, Any]]:
    """``simplify_routes`` of routes stored packed (geo/packed_route.py): the same answer, with
    the geometries built from the stored arrays in two vectorised calls instead of parsed
    from text.

    >>> from patrol.geo.packed_route import pack_route
    >>> blob = pack_route([np.array([[131.3, 43.2], [131.30001, 43.2001], [131.3, 43.21]])])
    >>> simplify_packed([blob], 32652, 10.0)
    [{'type': 'MultiLineString', 'coordinates': [[[131.3, 43.2], [131.3, 43.21]]]}]
    """
    if not routes:
        return []
    decoded = [route_vertices(blob) for blob in routes]
    if any(v.shape[1] != 2 for v, _ in decoded):  # an old route with elevations
        texts = [orjson.dumps(route_geometry(blob)).decode() for blob in routes]
        return simplify_routes(texts, epsg, tolerance_m)
    parts = np.concatenate([lengths for _, lengths in decoded])
    owner = np.repeat(np.arange(len(decoded)), [len(lengths) for _, lengths in decoded])
    lines = shapely.linestrings(
        np.concatenate([v for v, _ in decoded]), indices=np.repeat(np.arange(len(parts)), parts)
    )
    return _simplify(shapely.multilinestrings(lines, indices=owner), epsg, tolerance_m)


def _simplify(geoms: np.ndarray, epsg: int, tolerance_m: float) -> list[dict[str, Any]]:
    original = shapely.get_coordinates(geoms, include_z=True)
    has_z = shapely.has_z(geoms)
    x, y = to_metric(original[:, 0], original[:, 1], epsg)
    # The third ordinate carries each vertex's index, so what the simplifier keeps names the
    # original vertex (GEOS keeps a kept vertex's Z, and simplifies in 2D).
    indexed = shapely.set_coordinates(
        shapely.force_3d(geoms), np.column_stack([x, y, np.arange(len(original), dtype=float)])
    )
    simple = shapely.simplify(indexed, tolerance_m, preserve_topology=False)
    parts, owner = shapely.get_parts(simple, return_index=True)
    kept, part_of = shapely.get_coordinates(parts, include_z=True, return_index=True)
    index = kept[:, 2].astype(np.int64)
    out_parts: list[list[list[list[float]]]] = [[] for _ in geoms]
    bounds = np.flatnonzero(np.diff(part_of)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(part_of)]])
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        part = int(part_of[start])
        route = int(owner[part])
        cols = 3 if has_z[route] else 2
        out_parts[route].append(original[index[start:end], :cols].tolist())
    out = []
    for k, lines in enumerate(out_parts):
        kind = shapely.get_type_id(geoms[k])
        if kind == shapely.GeometryType.LINESTRING and len(lines) == 1:
            out.append(line_string(lines[0]))
        else:
            out.append(multi_line_string(lines))
    return out
