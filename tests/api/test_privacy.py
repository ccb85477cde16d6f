"""Aggregates reveal no single patrol: the filters each role may use, and the differencing
attacks that recovered one patrol from NGO figures (issue 8, item 6)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from patrol.store.models import ConservationArea, EffortCell, Patrol
from tests.conftest import T0, UTC, make_report, sweep_month

GEOJSON = "application/geo+json"
LONE_DAY = datetime(2026, 4, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def park(client, world):
    """March: 20 patrols sweeping the area (5 per 5 km row of cells); April: one lone patrol."""
    sweep_month(client, world)
    lone = make_report(
        xy_m=((-9000, -9000), (-6000, -9000), (-6000, -7000)),
        finds=((-6000, -8000),),
        start=LONE_DAY,
        hours=3.0,
    )
    r = client.post(
        "/api/v1/patrols", data=json.dumps(lone), content_type=GEOJSON, headers=world.auth("coord")
    )
    assert r.status_code == 201
    return lone["features"][0]["id"]


def _cells(client, world, who, **params):
    r = client.get("/api/v1/hotspots", query_string=params, headers=world.auth(who))
    assert r.status_code == 200, r.get_json()
    return {
        (f["properties"]["ix"], f["properties"]["iy"]): f["properties"]
        for f in r.get_json()["features"]
    }


@pytest.mark.parametrize("path", ["/api/v1/hotspots", "/api/v1/zones/stats"])
def test_rangers_narrow_to_their_own_unit_only(client, world, park, path):
    other = client.get(path, query_string={"unit": "T-01"}, headers=world.auth("ranger2"))
    assert other.status_code == 403
    own = client.get(path, query_string={"unit": "T-02"}, headers=world.auth("ranger2"))
    assert own.status_code == 200


WINDOW_CASES = [
    ({"unit": "T-01", "from": "2026-04-01", "to": "2026-04-30"}, 403, None),
    ({"from": "2026-04-10", "to": "2026-04-10"}, 422, "/from"),
    ({"from": "2026-03-01", "to": "2026-04-10"}, 422, "/to"),
    ({"from": "2026-03-01", "to": "2026-04-30"}, 200, None),
]
CELL_CASES = [
    ({"from": "2026-03-01", "to": "2026-04-30", "cell_km": "7"}, 422, "/cell_km"),
    ({"from": "2026-03-01", "to": "2026-04-30", "cell_km": "2"}, 403, None),
    ({"from": "2026-03-01", "to": "2026-04-30", "cell_km": "10"}, 200, None),
]


@pytest.mark.parametrize(
    ("path", "params", "status", "pointer"),
    [("/api/v1/hotspots", *case) for case in WINDOW_CASES + CELL_CASES]
    + [("/api/v1/zones/stats", *case) for case in WINDOW_CASES],
)
def test_ngo_figures_are_whole_months_of_the_whole_area(
    client, world, park, path, params, status, pointer
):
    r = client.get(path, query_string=params, headers=world.auth("ngo"))
    assert r.status_code == status, r.get_json()
    if pointer:
        assert pointer in [e["pointer"] for e in r.get_json()["errors"]]


def test_the_old_one_day_unit_window_is_closed(client, world, park):
    """What recovered one patrol's zone, km and snares: a unit and a one-day window."""
    day = LONE_DAY.date().isoformat()
    r = client.get(
        "/api/v1/zones/stats",
        query_string={"unit": "T-01", "from": day, "to": day},
        headers=world.auth("ngo"),
    )
    assert r.status_code == 403


def test_differencing_windows_reveals_nothing_of_the_lone_patrol(client, world, park, session):
    march = _cells(client, world, "ngo", **{"from": "2026-03-01", "to": "2026-03-31"})
    both = _cells(client, world, "ngo", **{"from": "2026-03-01", "to": "2026-04-30"})
    april = _cells(client, world, "ngo", **{"from": "2026-04-01", "to": "2026-04-30"})
    for key in ("effort_km", "effort_h", "snares", "finds"):
        for cell, props in both.items():
            shown = props[key] or 0
            assert shown == pytest.approx(march[cell][key] or 0, abs=1e-9), (key, cell)
        assert all(props[key] in (None, 0) for props in april.values()), key
    # Yet the coordinator sees the lone patrol's effort in April.
    coord_april = _cells(
        client, world, "coord", **{"from": "2026-04-01", "to": "2026-04-30", "cell_km": "5"}
    )
    assert sum(p["effort_km"] or 0 for p in coord_april.values()) > 4.0


def test_differencing_cell_sizes_reveals_nothing(client, world, park):
    """A 10 km cell's figures are the sums of its 5 km cells' as shown: nothing hidden in a
    5 km cell can be recovered as a remainder."""
    window = {"from": "2026-03-01", "to": "2026-04-30"}
    fine = _cells(client, world, "ngo", cell_km="5", **window)
    coarse = _cells(client, world, "ngo", cell_km="10", **window)
    for (cx, cy), props in coarse.items():
        if props["hotspot_class"] == "suppressed":
            continue
        parts = [p for (x, y), p in fine.items() if x // 2 == cx and y // 2 == cy]
        assert props["effort_km"] == pytest.approx(
            sum(p["effort_km"] or 0 for p in parts),
            abs=5e-3,  # each shown to 3 decimals
        )


def test_ngo_march_cells_equal_an_independent_tally(client, world, park, session):
    """The NGO's 5 km figures for March are the stored effort rows of March's foot patrols
    summed per 5 km block, leaving out blocks with 1 or 2 patrols (one month, so each block
    is one atom): computed here without the service."""
    area = session.get(ConservationArea, world.area_id)
    factor = round(5000 / area.cell_m)
    rows = session.execute(
        sa.select(EffortCell.ix, EffortCell.iy, EffortCell.effort_km, EffortCell.patrol_id)
        .join(Patrol)
        .where(
            Patrol.started_at >= T0 - timedelta(days=1),
            Patrol.started_at < datetime(2026, 4, 1, tzinfo=UTC),
            Patrol.transport.in_(("foot", "ski")),
        )
    ).all()
    expected: dict[tuple[int, int], float] = {}
    patrols: dict[tuple[int, int], set[int]] = {}
    for ix, iy, km, patrol_id in rows:
        key = (ix // factor, iy // factor)
        expected[key] = expected.get(key, 0.0) + km
        patrols.setdefault(key, set()).add(patrol_id)
    expected = {k: v for k, v in expected.items() if len(patrols[k]) >= 3}
    assert len(expected) >= 10 and any(len(p) < 3 for p in patrols.values())
    march = _cells(client, world, "ngo", **{"from": "2026-03-01", "to": "2026-03-31"})
    shown = {cell: p["effort_km"] for cell, p in march.items() if p["effort_km"]}
    assert shown.keys() == {k for k, v in expected.items() if v > 0 and k in march}
    for cell, km in shown.items():
        assert km == pytest.approx(expected[cell], rel=1e-6, abs=1e-3)
    assert np.isfinite(sum(shown.values()))
