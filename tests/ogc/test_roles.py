"""/ogc answers what /api/v1 answers, with the same role and area rules."""

from __future__ import annotations

import pytest

from patrol.services.ogc import RISK_FIGURES
from tests.api.test_web_security import people, sign_in  # noqa: F401  (fixture)

ROLES = ["admin", "coord", "ngo", "ranger1", "ranger2", "coord_other", "ranger_other", None]
KINDS = ("zones", "cells", "bases", "routes", "finds", "observations")
COLLECTIONS = {
    "admin": [f"other-area-{k}" for k in KINDS] + [f"test-area-{k}" for k in KINDS],
    "coord": [f"test-area-{k}" for k in KINDS],
    "ngo": ["test-area-zones", "test-area-cells"],
    "ranger1": [f"test-area-{k}" for k in KINDS],
    "ranger2": [f"test-area-{k}" for k in KINDS],
    "coord_other": [f"other-area-{k}" for k in KINDS],
    "ranger_other": [f"other-area-{k}" for k in KINDS],
}


def _auth(world, who):
    return world.auth(who) if who else {}


@pytest.mark.parametrize("who", ROLES)
def test_collections_per_role(client, world, who):
    r = client.get("/ogc/collections", headers=_auth(world, who))
    if who is None:
        assert r.status_code == 401 and r.mimetype == "application/problem+json"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        return
    assert [c["id"] for c in r.get_json()["collections"]] == COLLECTIONS[who]


@pytest.mark.parametrize("who", ROLES)
def test_a_collection_not_offered_does_not_exist(client, world, who):
    """Another area's collections, and routes, finds and bases for the ngo role: 404 on the
    collection, its items, one item and its queryables, exactly like a missing one."""
    paths = [
        f"/ogc/collections/test-area-{kind}{tail}"
        for kind in KINDS
        for tail in ("", "/items", "/items/x", "/queryables")
    ]
    for path in paths:
        cid = path.split("/")[3]
        r = client.get(path, headers=_auth(world, who))
        if who is None:
            assert r.status_code == 401
        elif cid not in COLLECTIONS[who]:
            assert r.status_code == 404, (who, path)
            assert r.mimetype == "application/problem+json"
        else:
            assert r.status_code == (404 if path.endswith("/x") else 200), (who, path)


@pytest.mark.parametrize("who", ["admin", "coord", "ranger1", "ranger2"])
def test_routes_and_finds_are_those_of_the_api(client, world, month, who):
    """Rangers see their unit's patrols and finds, coordinators all: as /api/v1 lists them."""
    h = world.auth(who)
    for ogc, api in (("routes", "patrols"), ("finds", "snares")):
        mine = client.get(f"/ogc/collections/test-area-{ogc}/items?limit=1000", headers=h)
        theirs = client.get(f"/api/v1/{api}?limit=1000", headers=h).get_json()
        assert mine.get_json()["numberMatched"] == theirs["numberMatched"] > 0
        assert mine.get_json()["features"] == theirs["features"]
    units = {
        f["properties"]["unit"]
        for f in client.get("/ogc/collections/test-area-routes/items", headers=h).get_json()[
            "features"
        ]
    }
    assert units == {"ranger1": {"T-01"}, "ranger2": {"T-02"}}.get(who, {"T-01", "T-02"})


def test_a_ranger_cannot_read_another_units_patrol_by_id(client, world, month):
    other = client.get(
        "/ogc/collections/test-area-routes/items?unit=T-02&limit=1", headers=world.auth("coord")
    ).get_json()["features"][0]["id"]
    path = f"/ogc/collections/test-area-routes/items/{other}"
    assert client.get(path, headers=world.auth("ranger2")).status_code == 200
    assert client.get(path, headers=world.auth("ranger1")).status_code == 404


@pytest.mark.parametrize("who", ["coord", "ngo"])
def test_cells_are_those_of_the_api(client, world, month, who):
    """The same cells, classes and figures as /api/v1/hotspots for the same period; for the
    ngo role 5 km cells with thinly patrolled ones suppressed, and finer cells refused."""
    h = world.auth(who)
    api = client.get("/api/v1/hotspots?from=2026-03-01&to=2026-03-31", headers=h).get_json()
    r = client.get(
        "/ogc/collections/test-area-cells/items?datetime=2026-03-01/2026-03-31&limit=1000",
        headers=h,
    )
    doc = r.get_json()
    assert doc["window"] == api["window"] == "2026-03-01/2026-03-31"
    assert doc["cell_km"] == api["cell_km"] == (5.0 if who == "ngo" else 1.0)
    # The hotspot figures are those of the API; the predicted setting rate added to each cell
    # is checked against /api/v1/risk in test_setting_rate.py.
    mine = [
        {**f, "properties": {k: v for k, v in f["properties"].items() if k not in RISK_FIGURES}}
        for f in doc["features"]
    ]
    assert sorted(mine, key=lambda f: f["id"]) == sorted(api["features"], key=lambda f: f["id"])
    classes = {f["properties"]["hotspot_class"] for f in doc["features"]}
    if who == "ngo":
        assert "3 or more patrols" in doc["aggregation"]
        r = client.get("/ogc/collections/test-area-cells/items?cell_km=1", headers=h)
        assert r.status_code == 403
    else:
        assert {"hot_99", "hot_95"} & classes


def test_zones_are_those_of_the_api(client, world, month):
    h = world.auth("ngo")
    api = client.get("/api/v1/zones/stats?from=2026-03-01&to=2026-03-31", headers=h).get_json()
    doc = client.get(
        "/ogc/collections/test-area-zones/items?datetime=2026-03-01/2026-03-31", headers=h
    ).get_json()
    assert sorted(doc["features"], key=lambda f: f["id"]) == sorted(
        api["features"], key=lambda f: f["id"]
    )
    assert sum(f["properties"]["snares_found"] for f in doc["features"]) > 0


def test_zones_default_to_the_current_year(client, world, month):
    """The year of the latest patrol (21 March 2026, local day) up to it."""
    doc = client.get(
        "/ogc/collections/test-area-zones/items", headers=world.auth("coord")
    ).get_json()
    assert doc["window"] == "2026-01-01/2026-03-21"
    api = client.get(
        "/api/v1/zones/stats?from=2026-01-01&to=2026-03-21", headers=world.auth("coord")
    ).get_json()
    assert sorted(doc["features"], key=lambda f: f["id"]) == sorted(
        api["features"], key=lambda f: f["id"]
    )
    one = client.get(
        "/ogc/collections/test-area-zones/items/NW", headers=world.auth("coord")
    ).get_json()
    assert one["properties"] == next(f for f in doc["features"] if f["id"] == "NW")["properties"]


def test_bases_hidden_from_ngo_shown_to_rangers(client, world):
    r = client.get("/ogc/collections/test-area-bases/items", headers=world.auth("ranger1"))
    assert [f["id"] for f in r.get_json()["features"]] == ["T-01", "T-02"]
    assert all(f["geometry"]["type"] == "Point" for f in r.get_json()["features"])
    r = client.get("/ogc/collections/test-area-bases/items", headers=world.auth("ngo"))
    assert r.status_code == 404


def test_session_cookie_for_pages(client, world, people):  # noqa: F811
    """People use the pages with their session: without one they are sent to sign in."""
    r = client.get("/ogc/collections?f=html")
    assert r.status_code == 302 and "/login?next=" in r.headers["Location"]
    sign_in(client, "ngo")
    page = client.get("/ogc/collections", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "test-area-cells" in text and "test-area-routes" not in text
    data = client.get("/ogc/collections?f=json").get_json()
    assert [c["id"] for c in data["collections"]] == COLLECTIONS["ngo"]
    assert client.get("/ogc/collections/test-area-finds/items?f=html").status_code == 404


def test_revoked_token_is_refused(client, world, runner):
    h = world.auth("coord")
    assert client.get("/ogc/collections", headers=h).status_code == 200
    assert runner.invoke(args=["tokens", "revoke", world.tokens["coord"][:12]]).exit_code == 0
    assert client.get("/ogc/collections", headers=h).status_code == 401


def test_answers_are_not_cached(client, world):
    # Only the caller's own browser may keep an answer, and must revalidate it every time
    # (patrol.wire); answers vary with who asks.
    r = client.get("/ogc/collections", headers=world.auth("coord"))
    assert r.headers["Cache-Control"] == "private, no-cache"
    assert {"Authorization", "Cookie"} <= {v.strip() for v in r.headers["Vary"].split(",")}


def test_the_definition_names_a_signed_in_persons_collections(client, world, people):  # noqa: F811
    """A person browsing with a session (no token) reads the definition with their own
    collections as the path's enum, as an API client with a token does."""

    def enum() -> list[str] | None:
        spec = client.get("/ogc/api").get_json()
        params = spec["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
        return next(p for p in params if p.get("name") == "collectionId")["schema"].get("enum")

    assert enum() is None
    sign_in(client, "ngo")
    assert enum() == COLLECTIONS["ngo"]
