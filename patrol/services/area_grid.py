"""An area's grid and its cells: the one place a ``Grid`` is built from a stored area."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from shapely.geometry import shape

from patrol.errors import FieldError, ValidationFailed
from patrol.geo.grid import Grid
from patrol.geo.projection import to_wgs84
from patrol.geo.shapes import project
from patrol.store.models import ConservationArea
from patrol.store.types import json_text
from patrol.texts import N_

if TYPE_CHECKING:
    from patrol.services.ingest_probe import AreaRow

__all__ = ["AreaCells", "area_cells", "area_grid", "cell_polygons", "grid_for"]

MAX_FACTOR = 50  # the coarsest grid asked for: 50 x 50 stored cells

# The cells of a grid covering an area: ix, iy, WGS84 rings (rounded to 6 decimals), centres.
AreaCells = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def area_grid(area: ConservationArea | AreaRow, factor: int = 1) -> Grid:
    """The area's stored grid, or the grid of its ``factor`` x ``factor`` blocks."""
    grid = Grid(area.grid_origin_x, area.grid_origin_y, area.cell_m)
    return grid if factor == 1 else grid.coarsen(factor)


def grid_for(area: ConservationArea, cell_km: float | None) -> tuple[Grid, int]:
    """The grid of ``cell_km`` cells asked for (the stored one by default) and its factor:
    only whole multiples of the stored cells, so every figure is a sum of stored ones."""
    if cell_km is None:
        return area_grid(area), 1
    factor = cell_km * 1000.0 / area.cell_m
    if factor < 1 or abs(factor - round(factor)) > 1e-9 or factor > MAX_FACTOR:
        raise ValidationFailed(
            N_("The cell size must be a whole multiple of the area's grid."),
            errors=[
                FieldError(
                    "/cell_km",
                    N_(
                        "use {value} km or a whole multiple of it (at most 50x)",
                        value=f"{area.cell_m / 1000:g}",
                    ),
                )
            ],
        )
    factor = round(factor)
    return area_grid(area, factor), factor


def area_cells(area: ConservationArea, grid: Grid) -> AreaCells:
    """The cells of ``grid`` covering the area, with their WGS84 polygons and centres."""
    return _cells(json_text(area.boundary), area.epsg, grid.origin_x, grid.origin_y, grid.cell_m)


@lru_cache(maxsize=64)
def _cells(boundary_text: str, epsg: int, ox: float, oy: float, cell_m: float) -> AreaCells:
    """Cached per grid and boundary (by content: its JSON text as stored), shared by every
    answer, never modified."""
    boundary = project(shape(json.loads(boundary_text)), epsg)
    ix, iy = Grid(ox, oy, cell_m).cells_covering(boundary)
    x0 = ox + ix * cell_m
    y0 = oy + iy * cell_m
    xs = np.stack([x0, x0 + cell_m, x0 + cell_m, x0, x0], axis=1)
    ys = np.stack([y0, y0, y0 + cell_m, y0 + cell_m, y0], axis=1)
    lon, lat = to_wgs84(xs.ravel(), ys.ravel(), epsg)
    rings = np.stack([lon.reshape(xs.shape), lat.reshape(ys.shape)], axis=2)
    clon, clat = to_wgs84(x0 + cell_m / 2, y0 + cell_m / 2, epsg)
    return ix, iy, np.round(rings, 6), clon, clat


def cell_polygons(area: ConservationArea, grid: Grid) -> tuple[list, ...]:
    """The cells' polygon coordinates as JSON-ready lists (aligned with ``area_cells``)."""
    return _polygons(json_text(area.boundary), area.epsg, grid.origin_x, grid.origin_y, grid.cell_m)


@lru_cache(maxsize=64)
def _polygons(boundary_text: str, epsg: int, ox: float, oy: float, cell_m: float) -> tuple:
    """Built once per grid (a year's answer has thousands of cells): shared by every answer,
    so nothing may modify them."""
    rings = _cells(boundary_text, epsg, ox, oy, cell_m)[2]
    return tuple([ring] for ring in rings.tolist())
