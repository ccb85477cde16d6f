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
from patrol.geo.packed_route import route_dims, route_geometry, route_vertices
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
    from text. A route those calls cannot build (no parts, a part under two vertices, an old
    route with elevations) goes the text way, as it went before routes were packed: an empty
    route is answered an empty MultiLineString, in its place.

    >>> from patrol.geo.packed_route import pack_route
    >>> blob = pack_route([np.array([[131.3, 43.2], [131.30001, 43.2001], [131.3, 43.21]])])
    >>> simplify_packed([blob], 32652, 10.0)
    [{'type': 'MultiLineString', 'coordinates': [[[131.3, 43.2], [131.3, 43.21]]]}]
    """
    out: list[dict[str, Any]] = [{} for _ in routes]
    plain: list[tuple[int, tuple[np.ndarray, np.ndarray]]] = []
    others: list[int] = []
    for k, blob in enumerate(routes):
        decoded = route_vertices(blob) if route_dims(blob) == 2 else None
        if decoded is not None and len(decoded[1]) and decoded[1].min() >= 2:
            plain.append((k, decoded))
        else:
            others.append(k)
    if others:
        texts = [orjson.dumps(route_geometry(routes[k])).decode() for k in others]
        for k, geometry in zip(others, simplify_routes(texts, epsg, tolerance_m), strict=True):
            out[k] = geometry
    if plain:
        answers = _simplify(_multilines([d for _, d in plain]), epsg, tolerance_m)
        for (k, _), geometry in zip(plain, answers, strict=True):
            out[k] = geometry
    return out


def _multilines(decoded: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """One MultiLineString per route, in two vectorised calls. Every route has a part and every
    part two vertices: ``shapely.multilinestrings`` makes no geometry for an owner without
    parts (the answers would shift), and a line needs two vertices."""
    parts = np.concatenate([lengths for _, lengths in decoded])
    owner = np.repeat(np.arange(len(decoded)), [len(lengths) for _, lengths in decoded])
    lines = shapely.linestrings(
        np.concatenate([v for v, _ in decoded]), indices=np.repeat(np.arange(len(parts)), parts)
    )
    return shapely.multilinestrings(lines, indices=owner)


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
    # Where each kept part's vertices start and end (none at all when every route is empty).
    starts = np.flatnonzero(np.diff(part_of, prepend=-1))
    ends = np.append(starts[1:], len(part_of))[: len(starts)]
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
