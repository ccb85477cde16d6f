"""Polygons of areas and zones: GeoJSON in and out, projection, validation with reasons."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from patrol.geo.checks import check_positions
from patrol.geo.problems import Problems
from patrol.geo.projection import to_metric, to_wgs84
from patrol.texts import N_

__all__ = [
    "ZoneInput",
    "dumps_geometry",
    "geometry_document",
    "parse_zones",
    "project",
    "unproject",
]


def project(geometry: shapely.Geometry, epsg: int) -> shapely.Geometry:
    """A WGS84 geometry in the metric CRS ``epsg`` (all coordinates in one vectorised call)."""
    return shapely.transform(
        geometry, lambda xy: np.column_stack(to_metric(xy[:, 0], xy[:, 1], epsg))
    )


def unproject(geometry: shapely.Geometry, epsg: int) -> shapely.Geometry:
    return shapely.transform(
        geometry, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], epsg))
    )


def dumps_geometry(geometry: shapely.Geometry, precision: int = 7) -> str:
    """GeoJSON text of a geometry, coordinates rounded to ``precision`` decimals (1 cm)."""
    rounded = shapely.set_precision(geometry, 10.0**-precision) if precision else geometry
    return json.dumps(mapping(rounded), separators=(",", ":"))


def geometry_document(geometry: shapely.Geometry, precision: int = 7) -> dict[str, Any]:
    """The GeoJSON geometry as a JSON value (lists, not shapely's tuples), coordinates rounded
    to ``precision`` decimals: what a geometry column stores and reads back.

    >>> geometry_document(shapely.Point(131.123456789, 43.1))
    {'type': 'Point', 'coordinates': [131.1234568, 43.1]}
    """
    return json.loads(dumps_geometry(geometry, precision))


# A zone's name in another language: ``name_ru``, ``name_en``, ``name_zh``, ``name_pt-BR``...
NAME_IN_LANGUAGE = re.compile(r"name_([a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?)")
MAX_NAME = 200


class ZoneInput:
    """A zone as read from a file: code, name, its names in other languages (language code
    -> name, from the ``name_<lang>`` properties) and a valid (Multi)Polygon in WGS84."""

    __slots__ = ("code", "geometry", "name", "names")

    def __init__(
        self,
        code: str,
        name: str,
        geometry: shapely.Geometry,
        names: dict[str, str] | None = None,
    ) -> None:
        self.code = code
        self.name = name
        self.geometry = geometry
        self.names = names or {}


def _check_polygon_coords(coords: Any, gtype: str, pointer: str, problems: Problems) -> bool:
    rings = [coords] if gtype == "Polygon" else coords
    if not isinstance(rings, list) or not rings:
        problems.add(pointer, N_("must be a non-empty array"))
        return False
    ok = True
    for p, polygon in enumerate(rings):
        ptr = pointer if gtype == "Polygon" else f"{pointer}/{p}"
        if not isinstance(polygon, list) or not polygon:
            problems.add(ptr, N_("a polygon needs at least one ring"))
            ok = False
            continue
        for r, ring in enumerate(polygon):
            arr = check_positions(ring, f"{ptr}/{r}", problems)
            if arr is None:
                ok = False
            elif len(arr) < 4 or not np.array_equal(arr[0], arr[-1]):
                problems.add(f"{ptr}/{r}", N_("a ring needs 4 or more positions, closed"))
                ok = False
    return ok


def _zone_code(
    feature: dict, props: dict, i: int, seen: dict[str, int], problems: Problems
) -> str | None:
    """The zone's code (its ``code`` property, else the feature's id): a short text, and
    each code once in the file (``seen`` says where each was first)."""
    where = f"/features/{i}/properties/code"
    code = props.get("code", feature.get("id"))
    if isinstance(code, int) and not isinstance(code, bool):
        code = str(code)
    if not isinstance(code, str) or not code.strip() or len(code) > 64:
        problems.add(where, N_("each zone needs a short text code"))
        return None
    if code in seen:
        problems.add(
            where,
            N_(
                "duplicate zone code '{code}' (also {first})",
                code=code,
                first=f"/features/{seen[code]}",
            ),
        )
    else:
        seen[code] = i
    return code


def _zone_geometry(feature: dict, where: str, problems: Problems) -> shapely.Geometry | None:
    """The zone's (Multi)Polygon when its coordinates are sound and it is valid."""
    geometry = feature.get("geometry")
    gtype = geometry.get("type") if isinstance(geometry, dict) else None
    if gtype not in ("Polygon", "MultiPolygon"):
        problems.add(f"{where}/geometry", N_("a zone must be a Polygon or MultiPolygon"))
        return None
    if not _check_polygon_coords(
        geometry.get("coordinates"), gtype, f"{where}/geometry/coordinates", problems
    ):
        return None
    geom = shape(geometry)
    if not shapely.is_valid(geom):
        problems.add(
            f"{where}/geometry",
            N_("invalid polygon: {reason}", reason=shapely.is_valid_reason(geom)),
        )
        return None
    return geom


def _zone(feature: Any, i: int, seen: dict[str, int], problems: Problems) -> ZoneInput | None:
    """One zone feature read, or None after adding its problems."""
    where = f"/features/{i}"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        problems.add(f"{where}/type", N_("must be a GeoJSON Feature"))
        return None
    props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
    code = _zone_code(feature, props, i, seen, problems)
    name = props.get("name", code)
    if not isinstance(name, str) or len(name) > MAX_NAME:
        problems.add(f"{where}/properties/name", _TOO_LONG)
    names = _zone_names(props, where, problems)
    geom = _zone_geometry(feature, where, problems)
    if geom is None or not code or not isinstance(name, str) or names is None:
        return None
    return ZoneInput(code.strip(), name.strip() or code.strip(), geom, names)


_TOO_LONG = N_("must be a text of at most {limit} characters", limit=MAX_NAME)


def _zone_names(props: dict, where: str, problems: Problems) -> dict[str, str] | None:
    """The zone's ``name_<lang>`` properties as language -> name (blank ones left out), or
    None after adding a problem for one that is not a short text."""
    names: dict[str, str] = {}
    for key, value in props.items():
        match = NAME_IN_LANGUAGE.fullmatch(key) if isinstance(key, str) else None
        if match is None or value is None:
            continue
        if not isinstance(value, str) or len(value) > MAX_NAME:
            problems.add(f"{where}/properties/{key}", _TOO_LONG)
            return None
        if value.strip():
            names[match.group(1).replace("_", "-")] = value.strip()
    return names


def _check_overlaps(
    zones: list[ZoneInput], seen: dict[str, int], problems: Problems, tolerance: float
) -> None:
    """Zones must not overlap by more than ``tolerance`` of the smaller one's area, or
    effort and finds would count twice (all pairs found by one STRtree query)."""
    geoms = np.array([z.geometry for z in zones], dtype=object)
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    pairs = a < b
    a, b = a[pairs], b[pairs]
    if not a.size:
        return
    shared = shapely.area(shapely.intersection(geoms[a], geoms[b]))
    smaller = np.minimum(shapely.area(geoms[a]), shapely.area(geoms[b]))
    overlapping = shared > tolerance * smaller
    for i, j in zip(a[overlapping], b[overlapping], strict=True):
        problems.add(
            f"/features/{seen[zones[j].code]}/geometry",
            N_(
                "overlaps zone '{code}': zones must not overlap, or effort and finds would "
                "count twice",
                code=zones[i].code,
            ),
        )


def parse_zones(doc: Any, problems: Problems, overlap_tolerance: float = 1e-3) -> list[ZoneInput]:
    """Validate a zones FeatureCollection (Polygon/MultiPolygon features with code and name)."""
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        problems.add("/type", N_("zones come as a GeoJSON FeatureCollection"))
        return []
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        problems.add("/features", N_("must be a non-empty array of zone features"))
        return []
    seen: dict[str, int] = {}
    zones = [z for i, f in enumerate(features) if (z := _zone(f, i, seen, problems)) is not None]
    if len(zones) > 1 and not problems:
        _check_overlaps(zones, seen, problems, overlap_tolerance)
    return zones
