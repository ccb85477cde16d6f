"""GET /api/v1/observations: filters, paging and the role rules (no points for NGOs)."""

from __future__ import annotations

import pytest

from tests.api.test_smart_import import post_xml
from tests.smart_files import standard_patrol


@pytest.fixture
def imported(client, world):
    r = post_xml(client, world, standard_patrol())
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def get(client, world, who: str, query: str = ""):
    return client.get(f"/api/v1/observations{query}", headers=world.auth(who))


def test_coordinator_sees_every_observation_with_its_point(client, world, imported):
    r = get(client, world, "coord")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    doc = r.get_json()
    assert doc["numberMatched"] == len(doc["features"]) == 6
    first = doc["features"][0]
    assert first["geometry"]["type"] == "Point"
    assert first["properties"]["patrol"] == imported["patrols"][0]["id"]
    assert first["properties"]["snare_find"] is not None
    assert first["properties"]["zone"] in ("SW", "SE", "NW", "NE")


def test_ngo_gets_no_points_and_no_patrols(client, world, imported):
    doc = get(client, world, "ngo").get_json()
    assert len(doc["features"]) == 6
    for feature in doc["features"]:
        assert feature["geometry"] is None
        assert "patrol" not in feature["properties"]
        assert "cell" not in feature["properties"]
        assert "smart_waypoint" not in feature["properties"]


def test_rangers_see_their_units_only(client, world, imported):
    assert len(get(client, world, "ranger1").get_json()["features"]) == 6
    assert get(client, world, "ranger2").get_json()["features"] == []
    assert get(client, world, "coord_other").get_json()["features"] == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?category=animals", ["animals.liveanimals.", "animals.carcass."]),
        ("?category=animals.carcass.", ["animals.carcass."]),
        ("?category=anim", []),
        # A date is a local day of the area, and an observation belongs to the day its patrol
        # (leg) started (docs/decisions.md): leg 1 started on 2 March and walked on into the
        # 3rd, leg 2 started on the 4th. A time with an offset is that instant.
        ("?from=2026-03-03&to=2026-03-03", []),
        ("?from=2026-03-04&to=2026-03-04", ["position."]),
        (
            "?from=2026-03-03T00:00:00%2B10:00&to=2026-03-04T00:00:00%2B10:00",
            ["nashi.kat7.", "animals.carcass."],
        ),
        ("?unit=T-02", []),
        ("?limit=2&offset=4", ["animals.carcass.", "position."]),
    ],
)
def test_filters(client, world, imported, query, expected):
    doc = get(client, world, "coord", query).get_json()
    assert [f["properties"]["category"] for f in doc["features"]] == expected


def test_bad_filters_are_problems(client, world, imported):
    r = get(client, world, "coord", "?from=yesterday")
    assert r.status_code == 422 and r.get_json()["errors"][0]["pointer"] == "/from"


def test_deleted_patrols_hide_their_observations(client, world, imported):
    foot = imported["patrols"][0]["id"]
    r = client.delete(f"/api/v1/patrols/{foot}?revision=1", headers=world.auth("coord"))
    assert r.status_code == 200
    doc = get(client, world, "coord").get_json()
    assert [f["properties"]["category"] for f in doc["features"]] == ["position."]


def test_openapi_documents_the_smart_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "application/xml" in paths["/patrols"]["post"]["requestBody"]["content"]
    assert {"/observations", "/exports/smart"} <= set(paths)
