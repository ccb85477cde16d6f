"""GeoPackage files of patrol's tables: a layer per table, in the area's CRS, an about table.

Written with pyogrio (GDAL's OGR, bundled in its wheel), so the file is what GDAL, QGIS and
ArcGIS expect: geometry columns registered with their CRS, typed columns, real nulls.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from patrol.geo.projection import to_metric

__all__ = ["Layer", "write_geopackage"]


@dataclass
class Layer:
    """One table: rows of properties, with a WGS84 GeoJSON geometry each when spatial."""

    name: str
    rows: list[dict[str, Any]]
    geometries: list[dict[str, Any] | None] | None = None  # None: a table without geometry
    geometry_type: str | None = None  # e.g. "MultiPolygon", "Point"
    columns: list[str] = field(default_factory=list)  # order (and presence when empty)


def _column(values: list[Any]) -> tuple[np.ndarray, np.ndarray | None]:
    """A typed array and its null mask: GeoPackage columns are typed, unlike JSON."""
    present = [v for v in values if v is not None]
    mask = np.array([v is None for v in values], dtype=bool)
    if present and all(isinstance(v, bool) for v in present):
        return np.array([bool(v) for v in values], dtype=bool), mask
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return np.array([0 if v is None else v for v in values], dtype=np.int64), mask
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=float), None
    text = [
        None
        if v is None
        else json.dumps(v, ensure_ascii=False)
        if isinstance(v, list | dict)
        else str(v)
        for v in values
    ]
    return np.array(text, dtype=object), None


def _wkb(geometries: list[dict[str, Any] | None], epsg: int, multi: bool) -> np.ndarray:
    """WGS84 GeoJSON geometries as WKB in the metric CRS ``epsg`` (vectorised transform)."""
    shapes = np.array([None if g is None else shape(g) for g in geometries], dtype=object)

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = to_metric(coords[:, 0], coords[:, 1], epsg)
        return np.column_stack([x, y])

    projected = shapely.transform(shapes, project)
    if multi:
        projected = np.array(
            [
                g
                if g is None or g.geom_type.startswith("Multi")
                else getattr(shapely, f"Multi{g.geom_type}")([g])
                for g in projected
            ],
            dtype=object,
        )
    return shapely.to_wkb(projected)


def write_geopackage(layers: list[Layer], epsg: int) -> bytes:
    """One GeoPackage with every layer; spatial layers in ``epsg`` (the area's CRS)."""
    from pyogrio.raw import write

    with tempfile.TemporaryDirectory(prefix="patrol-gpkg-") as folder:
        path = Path(folder) / "export.gpkg"
        for k, layer in enumerate(layers):
            names = list(layer.columns)
            for row in layer.rows:
                names += [n for n in row if n not in names]
            arrays, masks = [], []
            for name in names:
                array, mask = _column([row.get(name) for row in layer.rows])
                arrays.append(array)
                masks.append(mask)
            spatial = layer.geometries is not None
            multi = bool(layer.geometry_type and layer.geometry_type.startswith("Multi"))
            write(
                str(path),
                _wkb(layer.geometries, epsg, multi) if spatial else None,
                arrays,
                np.array(names, dtype=object),
                field_mask=[np.zeros(len(layer.rows), bool) if m is None else m for m in masks],
                layer=layer.name,
                driver="GPKG",
                geometry_type=layer.geometry_type if spatial else None,
                crs=f"EPSG:{epsg}" if spatial else None,
                append=k > 0,
                # GeoPackage 1.2: what QGIS and GDAL releases of the last years read without
                # a warning (the bundled GDAL would write 1.4, which GDAL 3.6 warns about).
                dataset_options={"VERSION": "1.2"} if k == 0 else None,
            )
        return path.read_bytes()
