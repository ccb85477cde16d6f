"""An area's reference layers (roads, settlements, rivers): imported whole, per kind, by the CLI.

They orient a map and are covariates of the setting-rate model: snares are carried in from
settlements and set within walking distance of roads.
"""

from __future__ import annotations

import shapely
import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely.geometry import shape

from patrol.errors import FieldError, ValidationFailed
from patrol.geo.documents import feature, feature_collection, load_json
from patrol.geo.problems import Problems
from patrol.geo.shapes import geometry_document, project
from patrol.store.engine import write
from patrol.store.models import LAYER_KINDS, AreaLayer, ConservationArea
from patrol.texts import N_, either
from patrol.vocabulary import LayerKind

__all__ = ["LAYER_KINDS", "import_layer", "layer_geometries", "layers_document"]

GEOMETRY_TYPES = {
    LayerKind.ROADS: ("LineString", "MultiLineString"),
    LayerKind.RIVERS: ("LineString", "MultiLineString"),
    LayerKind.SETTLEMENTS: ("Point", "MultiPoint", "Polygon", "MultiPolygon"),
}
MAX_FEATURES = 20_000
# What a problem calls the file of each kind (the summary names it in the reader's language).
FILE_NAMES = {
    LayerKind.ROADS: N_("roads file"),
    LayerKind.RIVERS: N_("rivers file"),
    LayerKind.SETTLEMENTS: N_("settlements file"),
}


def import_layer(
    session: so.Session, area: ConservationArea, kind: str, data: bytes | str | dict
) -> int:
    """Replace the area's layer of this kind with a GeoJSON FeatureCollection (WGS84)."""
    if kind not in LAYER_KINDS:
        raise ValidationFailed(
            N_("Unknown layer."),
            errors=[FieldError("/kind", N_("one of {allowed}", allowed=", ".join(LAYER_KINDS)))],
        )
    doc = data if isinstance(data, dict) else load_json(data)
    problems = Problems()
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        problems.add("/features", N_("a layer comes as a GeoJSON FeatureCollection"))
        problems.raise_if_any(FILE_NAMES[kind])
    if len(features) > MAX_FEATURES:
        problems.add("/features", N_("at most {limit} features", limit=MAX_FEATURES))
        problems.raise_if_any(FILE_NAMES[kind])
    rows = []
    for i, f in enumerate(features):
        where = f"/features/{i}"
        geometry = f.get("geometry") if isinstance(f, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES[kind]:
            problems.add(
                f"{where}/geometry",
                N_("{kind} are {types}", kind=kind, types=either(list(GEOMETRY_TYPES[kind]))),
            )
            continue
        try:
            geom = shape(geometry)
        except (ValueError, TypeError, AttributeError, IndexError):
            problems.add(f"{where}/geometry", N_("is not a valid GeoJSON geometry"))
            continue
        minx, miny, maxx, maxy = shapely.bounds(geom)
        if geom.is_empty or not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            problems.add(f"{where}/geometry", N_("needs longitude/latitude positions in range"))
            continue
        props = f.get("properties") if isinstance(f.get("properties"), dict) else {}
        name = str(props.get("name") or f.get("id") or f"{kind} {i + 1}")[:200]
        rows.append((name, geometry_document(geom, precision=0)))
    problems.raise_if_any(FILE_NAMES[kind])
    with write(session):
        session.execute(
            sa.delete(AreaLayer).where(AreaLayer.area_id == area.id, AreaLayer.kind == kind)
        )
        session.add_all(
            AreaLayer(area_id=area.id, kind=kind, name=name, geometry=g) for name, g in rows
        )
    return len(rows)


def layer_geometries(
    session: so.Session, area: ConservationArea, kind: str
) -> shapely.Geometry | None:
    """The layer's features as one geometry in the area's metric CRS (None when empty)."""
    geometries = session.scalars(
        sa.select(AreaLayer.geometry)
        .where(AreaLayer.area_id == area.id, AreaLayer.kind == kind)
        .order_by(AreaLayer.id)
    ).all()
    if not geometries:
        return None
    return project(shapely.union_all([shape(g) for g in geometries]), area.epsg)


def layers_document(session: so.Session, area: ConservationArea, kind: str) -> dict:
    rows = session.scalars(
        sa.select(AreaLayer)
        .where(AreaLayer.area_id == area.id, AreaLayer.kind == kind)
        .order_by(AreaLayer.id)
    ).all()
    return feature_collection(
        (feature(r.geometry, {"name": r.name}, id=r.id) for r in rows),
        area=area.slug,
        kind=kind,
    )
