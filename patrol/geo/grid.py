"""The area's square grid in its metric CRS: half-open cells ``[ix, ix+1) x [iy, iy+1)``."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["Grid"]


@dataclass(frozen=True)
class Grid:
    """A grid of square cells of ``cell_m`` metres whose corner ``(0, 0)`` is at ``origin``.

    Cell ``(ix, iy)`` covers ``[ox + ix*c, ox + (ix+1)*c) x [oy + iy*c, oy + (iy+1)*c)``.
    Coarser grids share the origin and group ``factor x factor`` fine cells, so their figures
    are sums of stored fine cells.
    """

    origin_x: float
    origin_y: float
    cell_m: float

    @classmethod
    def covering(cls, bounds: tuple[float, float, float, float], cell_m: float) -> Grid:
        """A grid whose origin is the bounds' lower-left corner snapped down to a whole cell."""
        minx, miny, _, _ = bounds
        return cls(math.floor(minx / cell_m) * cell_m, math.floor(miny / cell_m) * cell_m, cell_m)

    def cell_of(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Integer cell indices of metric points (half-open cells)."""
        ix = np.floor((np.asarray(x, float) - self.origin_x) / self.cell_m).astype(np.int64)
        iy = np.floor((np.asarray(y, float) - self.origin_y) / self.cell_m).astype(np.int64)
        return ix, iy

    def coarsen(self, factor: int) -> Grid:
        """The grid of ``factor`` x ``factor`` blocks of this one, on the same origin."""
        if factor < 1:
            raise ValueError("factor must be a positive whole number")
        return Grid(self.origin_x, self.origin_y, self.cell_m * factor)

    def boxes(self, ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
        """Shapely polygons (metric CRS) of the given cells."""
        x0 = self.origin_x + np.asarray(ix, float) * self.cell_m
        y0 = self.origin_y + np.asarray(iy, float) * self.cell_m
        return shapely.box(x0, y0, x0 + self.cell_m, y0 + self.cell_m)

    def cells_covering(self, geometry: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the cells that intersect ``geometry`` (metric CRS)."""
        if geometry is None or shapely.is_empty(geometry):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        minx, miny, maxx, maxy = shapely.bounds(geometry)
        (ix0, ix1), (iy0, iy1) = self.cell_of(np.array([minx, maxx]), np.array([miny, maxy]))
        gx, gy = np.meshgrid(np.arange(ix0, ix1 + 1), np.arange(iy0, iy1 + 1), indexing="ij")
        gx, gy = gx.ravel(), gy.ravel()
        shapely.prepare(geometry)
        keep = shapely.intersects(geometry, self.boxes(gx, gy))
        return gx[keep], gy[keep]
