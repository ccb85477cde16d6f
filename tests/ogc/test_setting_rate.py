"""The cells collection carries the predicted setting rate of /api/v1/risk for its period."""

from __future__ import annotations

import pytest

from patrol.services.ogc import RISK_FIGURES

CELLS = "/ogc/collections/test-area-cells"


def _cells(client, world, who: str, query: str) -> dict:
    r = client.get(f"{CELLS}/items{query}", headers=world.auth(who))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _risk(client, world, who: str, query: str) -> dict[str, dict]:
    r = client.get(f"/api/v1/risk{query}", headers=world.auth(who))
    assert r.status_code == 200, r.get_json()
    return {f["id"]: f["properties"] for f in r.get_json()["features"]}


@pytest.mark.parametrize(
    ("who", "period", "until", "cell_km"),
    [
        ("coord", "2026-03-01/2026-03-31", "2026-03-31", 1),
        ("coord", "2026-03-01/2026-03-10", "2026-03-10", 1),
        ("coord", "2026-03-01/2026-03-31&cell_km=2", "2026-03-31", 2),
        ("ranger1", "2026-03-01/2026-03-31", "2026-03-31", 1),
        ("ngo", "2026-03-01/2026-03-31", "2026-03-31", 5),
        # An NGO's period is widened to whole months: the model's 'until' is the month's end.
        ("ngo", "2026-03-05/2026-03-20", "2026-03-31", 5),
    ],
)
def test_cells_carry_the_apis_setting_rate(client, world, month, who, period, until, cell_km):
    """Cell by cell, the five figures equal /api/v1/risk?until=<the period's last day> on the
    same grid; null where the model has no rate, and all null where an NGO's cell is
    suppressed."""
    doc = _cells(client, world, who, f"?datetime={period}&limit=1000")
    assert doc["cell_km"] == cell_km
    api = _risk(client, world, who, f"?until={until}&cell_km={cell_km}")
    assert {f["id"] for f in doc["features"]} == set(api)
    rated = 0
    for feature in doc["features"]:
        mine, theirs = feature["properties"], api[feature["id"]]
        for name in RISK_FIGURES:
            assert name in mine
            if mine["hotspot_class"] == "suppressed":
                assert mine[name] is None, (feature["id"], name)
            else:
                assert mine[name] == theirs.get(name), (feature["id"], name)
        rated += mine["setting_rate"] is not None
    assert rated > 0
    if who != "ngo":
        # A cell nobody walked has no rate, but still its expected finds and rank.
        assert any(
            f["properties"]["setting_rate"] is None
            and f["properties"]["expected_finds_5km"] is not None
            for f in doc["features"]
        ) or rated == len(doc["features"])


def test_ngo_never_sees_a_figure_of_a_suppressed_cell(client, world, month):
    doc = _cells(client, world, "ngo", "?datetime=2026-03-01/2026-03-31&limit=1000")
    suppressed = [f for f in doc["features"] if f["properties"]["hotspot_class"] == "suppressed"]
    assert suppressed
    for feature in suppressed:
        assert all(feature["properties"][name] is None for name in RISK_FIGURES)


def test_one_cell_carries_the_same_rate(client, world, month):
    doc = _cells(client, world, "coord", "?datetime=2026-03-01/2026-03-31&limit=1000")
    first = doc["features"][0]
    r = client.get(
        f"{CELLS}/items/{first['id']}?datetime=2026-03-01/2026-03-31",
        headers=world.auth("coord"),
    )
    assert r.get_json()["properties"] == first["properties"]
    assert first["properties"]["setting_rate"] is not None  # most complete first, for GDAL


def test_setting_rate_is_described(client, world):
    h = world.auth("coord")
    schema = client.get(f"{CELLS}/schema", headers=h).get_json()["properties"]
    queryables = client.get(f"{CELLS}/queryables", headers=h).get_json()["properties"]
    for name in RISK_FIGURES:
        assert schema[name] == {"type": "number"}
        assert queryables[name]["type"] == "number" and queryables[name]["title"]
    text = client.get(CELLS, headers=h).get_json()["description"]
    assert "setting rate" in text
