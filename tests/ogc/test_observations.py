"""The observations collection answers what /api/v1/observations answers, with its role rules.

Observations reach the test database as they reach a real one: a SMART patrol XML posted to
/api/v1/patrols (tests.smart_files.standard_patrol, six observations of unit T-01).
"""

from __future__ import annotations

import pytest

from tests.api.test_observations import imported  # noqa: F401  (fixture)

OBS = "/ogc/collections/test-area-observations"


def ogc(client, world, who: str, query: str = "", path: str = OBS + "/items"):
    return client.get(f"{path}{query}", headers=world.auth(who))


def api(client, world, who: str, query: str = ""):
    r = client.get(f"/api/v1/observations{query}", headers=world.auth(who))
    assert r.status_code == 200
    return r.get_json()


def _same(mine: dict, theirs: dict) -> None:
    """Same observations in the same order: ids, categories, times, points and patrols."""
    assert mine["numberMatched"] == theirs["numberMatched"]
    assert [f["id"] for f in mine["features"]] == [f["id"] for f in theirs["features"]]
    for a, b in zip(mine["features"], theirs["features"], strict=True):
        for key in ("category", "category_path", "observed_at", "patrol", "zone", "cell"):
            assert a["properties"][key] == b["properties"][key], key
        assert a["geometry"] == b["geometry"]
        assert a["geometry"]["type"] == "Point"
        assert a["properties"]["attributes"] == {
            x["key"]: x["value"] for x in b["properties"]["attributes"]
        }


@pytest.mark.parametrize("who", ["admin", "coord", "ranger1", "ranger2"])
def test_items_are_those_of_the_api(client, world, imported, who):  # noqa: F811
    """Rangers see their unit's observations (T-01 made them all), coordinators and admins
    every one of the area's."""
    r = ogc(client, world, who, "?limit=1000")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    theirs = api(client, world, who, "?limit=1000")
    _same(r.get_json(), theirs)
    assert r.get_json()["numberMatched"] == (0 if who == "ranger2" else 6)


@pytest.mark.parametrize(
    ("ogc_query", "api_query"),
    [
        ("?category=animals", "?category=animals"),
        ("?category=animals.carcass.", "?category=animals.carcass."),
        ("?category=anim", "?category=anim"),
        ("?unit=T-02", "?unit=T-02"),
        ("?zone=SW", "?zone=SW"),
        # OGC dates are local days of the area (UTC+10); the API takes instants with offsets.
        (
            "?datetime=2026-03-03",
            "?from=2026-03-03T00:00:00%2B10:00&to=2026-03-04T00:00:00%2B10:00",
        ),
        (
            "?datetime=2026-03-03T00:00:00Z/..",
            "?from=2026-03-03T00:00:00Z",
        ),
        ("?limit=2&offset=4", "?limit=2&offset=4"),
        ("?bbox=131.0,43.0,131.3,43.25", "?bbox=131.0,43.0,131.3,43.25"),
    ],
)
def test_filters_are_those_of_the_api(client, world, imported, ogc_query, api_query):  # noqa: F811
    r = ogc(client, world, "coord", ogc_query)
    assert r.status_code == 200, r.get_json()
    _same(r.get_json(), api(client, world, "coord", api_query))


def test_filters_select_something(client, world, imported):  # noqa: F811
    """The comparisons above are not all of empty pages."""
    cats = [
        f["properties"]["category"]
        for f in ogc(client, world, "coord", "?category=animals").get_json()["features"]
    ]
    assert cats == ["animals.liveanimals.", "animals.carcass."]
    day = ogc(client, world, "coord", "?datetime=2026-03-03").get_json()["features"]
    assert [f["properties"]["category"] for f in day] == ["nashi.kat7.", "animals.carcass."]
    page = ogc(client, world, "coord", "?limit=2").get_json()
    assert page["numberReturned"] == 2 and page["numberMatched"] == 6
    assert any(link["rel"] == "next" for link in page["links"])


def test_attributes_are_one_typed_object(client, world, imported):  # noqa: F811
    feats = ogc(client, world, "coord").get_json()["features"]
    trap = next(f for f in feats if f["properties"]["category"].startswith("humanactivity"))
    assert trap["properties"]["attributes"]["numberoftraps"] == 3.0
    assert trap["properties"]["attributes"]["traptype"] == "wiresnare"


def test_one_item_and_another_units(client, world, imported):  # noqa: F811
    first = ogc(client, world, "coord").get_json()["features"][0]
    r = ogc(client, world, "ranger1", path=f"{OBS}/items/{first['id']}")
    assert r.status_code == 200
    assert r.get_json()["properties"] == first["properties"]
    assert ogc(client, world, "ranger2", path=f"{OBS}/items/{first['id']}").status_code == 404
    assert ogc(client, world, "coord", path=f"{OBS}/items/nope").status_code == 404


def test_another_areas_collection_is_empty_of_these(client, world, imported):  # noqa: F811
    """The admin sees both areas; this area's observations are not in the other's."""
    r = ogc(client, world, "admin", path="/ogc/collections/other-area-observations/items")
    assert r.status_code == 200 and r.get_json()["numberMatched"] == 0
    one = ogc(client, world, "coord").get_json()["features"][0]["id"]
    r = ogc(client, world, "admin", path=f"/ogc/collections/other-area-observations/items/{one}")
    assert r.status_code == 404


def test_ngo_has_no_observations_collection(client, world, imported):  # noqa: F811
    """The ngo role gets the observations without points through /api/v1 only; here the
    collection does not exist: 404 by name and not listed."""
    for tail in ("", "/items", "/queryables", "/schema"):
        r = ogc(client, world, "ngo", path=f"{OBS}{tail}")
        assert r.status_code == 404 and r.mimetype == "application/problem+json", tail
    listed = ogc(client, world, "ngo", path="/ogc/collections").get_json()["collections"]
    assert "test-area-observations" not in {c["id"] for c in listed}


def test_collection_extent_queryables_and_schema(client, world, imported):  # noqa: F811
    doc = ogc(client, world, "coord", path=OBS).get_json()
    assert doc["geometryType"] == "Point"
    start, end = doc["extent"]["temporal"]["interval"][0]
    assert start.startswith("2026-03-0") and end.startswith("2026-03-0")
    queryables = ogc(client, world, "coord", path=f"{OBS}/queryables").get_json()
    assert "category" in queryables["properties"]
    schema = ogc(client, world, "coord", path=f"{OBS}/schema").get_json()["properties"]
    assert schema["attributes"] == {"type": "object"}
    assert schema["observed_at"]["format"] == "date-time"
    page = ogc(client, world, "coord", "?f=html")
    assert page.mimetype == "text/html" and "animals.carcass." in page.get_data(as_text=True)
