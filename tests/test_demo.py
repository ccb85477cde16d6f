"""The demo: data files in data/demo/ come from the generator; loading is idempotent."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest
import shapely
import sqlalchemy as sa
from shapely.geometry import shape

from patrol.demo.area import build_area
from patrol.demo.build import AREA_SEED, DATA, in_russian, truth_cells
from patrol.demo.load import DEMO_SLUG, load_demo
from patrol.demo.simulate import SimulationSettings, simulate_patrols
from patrol.geo.projection import GEOD
from patrol.store.models import (
    AreaLayer,
    ConservationArea,
    EffortCell,
    EffortZone,
    Patrol,
    SnareFind,
    User,
    Zone,
)


def test_data_files_match_the_generator():
    area = build_area(AREA_SEED)
    assert json.loads((DATA / "zones.geojson").read_text()) == json.loads(
        json.dumps(in_russian(area.zones_geojson(), "zones"))
    )
    assert json.loads((DATA / "units.geojson").read_text()) == json.loads(
        json.dumps(in_russian(area.units_geojson(), "units"))
    )
    assert json.loads((DATA / "roads.geojson").read_text()) == json.loads(
        json.dumps(area.roads_geojson())
    )
    settlements = json.loads((DATA / "settlements.geojson").read_text())
    assert settlements == json.loads(json.dumps(area.settlements_geojson()))
    assert len(settlements["features"]) == 6
    with (DATA / "truth.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    cells = truth_cells(area)
    assert len(rows) == len(cells)
    for row, cell in zip(rows, cells, strict=True):
        assert (int(row["ix"]), int(row["iy"])) == cell[:2]
        assert float(row["snares_per_km2"]) == pytest.approx(cell[4], abs=1e-4)


def test_demo_area_shape():
    area = build_area(AREA_SEED)
    assert area.boundary.area / 1e6 == pytest.approx(2600, rel=1e-6)
    assert len(area.zones) == 12 and len(area.units) == 22
    union = shapely.union_all([z for _, _, z in area.zones])
    assert union.area == pytest.approx(area.boundary.area, rel=1e-4)
    wgs = shape(json.loads((DATA / "area.geojson").read_text())["geometry"])
    assert 130.5 < wgs.centroid.x < 132.0 and 42.6 < wgs.centroid.y < 43.6  # Primorsky Krai
    assert "synthetic" in (DATA / "README.md").read_text().lower()


def test_simulation_is_deterministic():
    area = build_area(AREA_SEED)
    settings = SimulationSettings(patrols_per_unit_week=0.05, seed=3)
    a = list(simulate_patrols(area, settings))
    b = list(simulate_patrols(area, settings))
    assert a == b and len(a) > 10


def test_load_demo_is_idempotent(app, session):
    settings = SimulationSettings(patrols_per_unit_week=0.1, seed=11)
    expected = list(simulate_patrols(build_area(AREA_SEED), settings))
    with app.app_context():
        from patrol.db import get_session

        first = load_demo(get_session(), settings)
        assert first.created_area and first.patrols_created == len(expected)
        second = load_demo(get_session(), settings)
        assert not second.created_area and second.patrols_created == 0
    area = session.scalar(sa.select(ConservationArea).where(ConservationArea.slug == DEMO_SLUG))
    assert area.synthetic and area.timezone == "Asia/Vladivostok"
    # The demo park speaks Russian: its default language, its rangers' preference, its names.
    assert area.default_language == "ru"
    rangers = session.scalars(sa.select(User).where(User.role == "ranger")).all()
    assert rangers and all(u.language == "ru" for u in rangers)
    names = session.scalars(sa.select(Zone.name)).all()
    assert all(re.search("[а-яё]", n) for n in names), names
    assert session.scalar(sa.select(sa.func.count()).select_from(Zone)) == 12
    layers = session.execute(
        sa.select(AreaLayer.kind, sa.func.count()).group_by(AreaLayer.kind)
    ).all()
    assert dict(layers) == {"roads": len(build_area(AREA_SEED).roads), "settlements": 6}
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == len(expected)
    n_finds = sum(len(doc["features"]) - 1 for doc in expected)
    assert session.scalar(sa.select(sa.func.count()).select_from(SnareFind)) == n_finds
    # Effort sums to the geodesic length of every route, computed here with pyproj.
    total_km = sum(
        GEOD.line_length(*np.array(doc["features"][0]["geometry"]["coordinates"]).T) / 1000
        for doc in expected
    )
    cell_km = session.scalar(sa.select(sa.func.sum(EffortCell.effort_km)))
    assert cell_km == pytest.approx(total_km, rel=1e-6)
    zone_km = session.scalar(sa.select(sa.func.sum(EffortZone.effort_km)))
    assert zone_km <= cell_km * (1 + 1e-9) and zone_km > 0.95 * cell_km
