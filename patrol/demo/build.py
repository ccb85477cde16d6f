"""Write the demo area's files into data/demo/ (run: python -m patrol.demo.build)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import shapely

from patrol.demo.area import DemoArea, build_area, truth_rate
from patrol.geo.grid import Grid
from patrol.geo.projection import to_wgs84

__all__ = ["DATA", "ZONE_NAMES_RU", "in_russian", "main", "truth_cells"]

DATA = Path(__file__).resolve().parents[2] / "data" / "demo"
AREA_SEED = 7
CELL_M = 1000.0
# The demo park speaks Russian: its zones (named after places of southern Primorye) and its
# units carry Russian names (``name`` and ``name_ru``), with the English transliteration
# beside them as ``name_en``: a reader in English sees that one (docs/i18n.md).
ZONE_NAMES_RU = {
    "Kedrovaya": "Кедровая",
    "Barabash": "Барабаш",
    "Narva": "Нарва",
    "Gakkelevka": "Гаккелевка",
    "Ryazanovka": "Рязановка",
    "Bezverkhovo": "Безверхово",
    "Kravtsovka": "Кравцовка",
    "Filippovka": "Филипповка",
    "Amba": "Амба",
    "Sukhaya": "Сухая",
    "Zolotaya": "Золотая",
    "Perevalnaya": "Перевальная",
}
SYNTHETIC_EN, SYNTHETIC_RU = " (synthetic)", " (синтетическая)"


def in_russian(doc: dict, kind: str) -> dict:
    """The simulator's zones or units document with Russian names (``name``, ``name_ru``) and
    the English ones kept as ``name_en``."""
    for feature in doc["features"]:
        props = feature["properties"]
        english = props["name"]
        if kind == "zones":
            base = english.removesuffix(SYNTHETIC_EN)
            russian = ZONE_NAMES_RU[base] + SYNTHETIC_RU
        else:
            number = english.removeprefix("Mobile unit ").removesuffix(SYNTHETIC_EN)
            russian = f"Мобильная группа {number} (синтетическая)"
        props["name"], props["name_ru"], props["name_en"] = russian, russian, english
    return doc


def truth_cells(area: DemoArea) -> list[tuple[int, int, float, float, float]]:
    """True snare density per 1 km cell of the area's grid (cell centre, snares per km2)."""
    grid = Grid.covering(shapely.bounds(area.boundary), CELL_M)
    ix, iy = grid.cells_covering(area.boundary)
    cx = grid.origin_x + (ix + 0.5) * CELL_M
    cy = grid.origin_y + (iy + 0.5) * CELL_M
    # The mean over a 10 x 10 sub-grid of each cell, not the value at its centre.
    sub = (np.arange(10) + 0.5) / 10 - 0.5
    sx = cx[:, None, None] + sub[None, :, None] * CELL_M
    sy = cy[:, None, None] + sub[None, None, :] * CELL_M
    rate = truth_rate(area, sx, sy).mean(axis=(1, 2))
    lon, lat = to_wgs84(cx, cy, area.epsg)
    return [
        (int(a), int(b), float(o), float(t), float(r))
        for a, b, o, t, r in zip(ix, iy, lon, lat, rate, strict=True)
    ]


def main(out: Path = DATA) -> None:
    area = build_area(AREA_SEED)
    out.mkdir(parents=True, exist_ok=True)
    for name, doc in (
        ("area.geojson", area.boundary_geojson()),
        ("zones.geojson", in_russian(area.zones_geojson(), "zones")),
        ("units.geojson", in_russian(area.units_geojson(), "units")),
        ("roads.geojson", area.roads_geojson()),
        ("settlements.geojson", area.settlements_geojson()),
    ):
        (out / name).write_text(json.dumps(doc, indent=1) + "\n")
    with (out / "truth.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ix", "iy", "lon", "lat", "snares_per_km2"])
        for ix, iy, lon, lat, rate in truth_cells(area):
            writer.writerow([ix, iy, f"{lon:.6f}", f"{lat:.6f}", f"{rate:.4f}"])


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA)
