"""GeoJSON coordinates rounded to what a GPS can tell apart, for every answer that leaves.

A handheld GPS is good to a few metres; 6 decimals of a degree are 0.11 m of latitude (and at
most 0.11 m of longitude), so anything finer is noise on the wire: 15-17 significant digits per
number where 9-10 say as much. Stored routes and shapes keep their full precision; only the
encoded answer is rounded (``round_geojson``, called where GeoJSON is encoded).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["GPS_DECIMALS", "round_coordinates", "round_geojson"]

GPS_DECIMALS = 6

# How deep positions sit in each geometry type's "coordinates".
_DEPTH = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "Polygon": 2,
    "MultiLineString": 2,
    "MultiPolygon": 3,
}
_GEOJSON_TYPES = {*_DEPTH, "GeometryCollection", "Feature", "FeatureCollection"}


def round_geojson(obj: Any, digits: int = GPS_DECIMALS) -> Any:
    """``obj`` with the coordinates of every geometry in it rounded to ``digits`` decimals.

    ``obj`` may be any JSON value: a GeoJSON object (FeatureCollection, Feature, geometry, or
    GeometryCollection) is copied with its geometries rounded, foreign members that hold
    GeoJSON objects included; properties and anything else are left alone and shared, never
    changed in place (answers may come from a cache). One numpy rounding covers every
    position of the document, so a grid of 2,700 cells costs one call, not 2,700.

    >>> round_geojson({"type": "Point", "coordinates": [131.123456789, 43.1]})
    {'type': 'Point', 'coordinates': [131.123457, 43.1]}
    >>> doc = {"type": "Feature", "geometry": None, "properties": {"x": 1.23456789}}
    >>> round_geojson(doc) == doc
    True
    >>> round_geojson({"openapi": "3.1.0"})
    {'openapi': '3.1.0'}
    """
    if not _is_geojson(obj):
        return obj
    geometries: list[dict[str, Any]] = []
    copy = _copy(obj, geometries)
    _round_batch(geometries, digits)
    return copy


def round_coordinates(coords: Any, digits: int = GPS_DECIMALS) -> Any:
    """Nested coordinate lists with every float rounded (other values kept as they are).

    >>> round_coordinates([[1.00000049, 2], [3.1234565, 4.9999999]])
    [[1.0, 2], [3.123457, 5.0]]
    """
    if isinstance(coords, float):
        return round(coords, digits)
    if isinstance(coords, list):
        return [round_coordinates(c, digits) for c in coords]
    return coords


def _is_geojson(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("type") in _GEOJSON_TYPES


def _copy(obj: dict[str, Any], geometries: list[dict[str, Any]]) -> dict[str, Any]:
    """A shallow copy of a GeoJSON object down to its geometries, which are collected for
    rounding; foreign members holding GeoJSON (a patrol's observations) are copied too."""
    kind = obj["type"]
    out = dict(obj)
    if kind in _DEPTH:
        if isinstance(obj.get("coordinates"), list):
            geometries.append(out)
        return out
    for key, value in obj.items():
        if key == "properties":
            continue
        if _is_geojson(value):
            out[key] = _copy(value, geometries)
        elif isinstance(value, list) and value and _is_geojson(value[0]):
            out[key] = [_copy(v, geometries) if _is_geojson(v) else v for v in value]
    return out


def _flatten(coords: list, depth: int, flat: list) -> None:
    if depth == 0:
        flat.append(coords)
    elif depth == 1:
        flat.extend(coords)
    else:
        for part in coords:
            _flatten(part, depth - 1, flat)


def _rebuild(coords: list, depth: int, rounded: list, start: int) -> tuple[list, int]:
    if depth == 0:
        return rounded[start], start + 1
    if depth == 1:
        return rounded[start : start + len(coords)], start + len(coords)
    out = []
    for part in coords:
        new, start = _rebuild(part, depth - 1, rounded, start)
        out.append(new)
    return out, start


def _round_batch(geometries: list[dict[str, Any]], digits: int) -> None:
    """Round the collected geometries' positions in one numpy call when they are regular
    (all 2D or all 3D numbers), else geometry by geometry, value by value."""
    flat: list = []
    try:
        for g in geometries:
            _flatten(g["coordinates"], _DEPTH[g["type"]], flat)
        if not flat:
            return
        # dtype given: 3x faster than numpy inferring it (positions are numbers: every
        # geometry the app answers with was validated, or computed, as numbers).
        array = np.asarray(flat, dtype=float)
        if array.ndim != 2:
            raise ValueError("positions of mixed dimensions")
        rounded = np.round(array, digits).tolist()
    except (TypeError, ValueError):
        # Mixed 2D and 3D positions, or something not a position: slow but exact.
        for g in geometries:
            g["coordinates"] = round_coordinates(g["coordinates"], digits)
        return
    start = 0
    for g in geometries:
        g["coordinates"], start = _rebuild(g["coordinates"], _DEPTH[g["type"]], rounded, start)
