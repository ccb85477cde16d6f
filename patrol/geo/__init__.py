"""Pure geometry: report parsing and validation, projection, the grid, effort allocation, GPX.

Nothing here imports Flask or the store: arrays, Shapely geometries and dicts in and out.
"""

__all__: list[str] = []
