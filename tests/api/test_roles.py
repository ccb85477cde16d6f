"""Who may do what: every endpoint against every role, and other areas stay invisible."""

from __future__ import annotations

import json

import pytest

from tests.conftest import make_report, quadrant_zones, row_counts

GEOJSON = "application/geo+json"
ROLES = ["admin", "coord", "ngo", "ranger1", "ranger2", "coord_other", "ranger_other", None]


@pytest.fixture
def stored(client, world):
    """One patrol each of units T-01 and T-02, submitted by their own rangers."""
    ids = {}
    for unit, who in (("T-01", "ranger1"), ("T-02", "ranger2")):
        report = make_report(unit=unit)
        r = client.post(
            "/api/v1/patrols",
            data=json.dumps(report),
            content_type=GEOJSON,
            headers=world.auth(who),
        )
        assert r.status_code == 201
        ids[unit] = report["features"][0]["id"]
    return ids


def _auth(world, who):
    return world.auth(who) if who else {}


SUBMIT = {
    "admin": 201,
    "coord": 201,
    "ngo": 403,
    "ranger1": 201,
    "ranger2": 403,
    "coord_other": 422,
    "ranger_other": 422,
    None: 401,
}


@pytest.mark.parametrize("who", ROLES)
def test_submit_for_unit_t01(client, world, app, who):
    before = row_counts(app)
    r = client.post(
        "/api/v1/patrols",
        data=json.dumps(make_report(unit="T-01")),
        content_type=GEOJSON,
        headers=_auth(world, who),
    )
    assert r.status_code == SUBMIT[who], r.get_json()
    if r.status_code != 201:
        assert r.mimetype == "application/problem+json"
        assert row_counts(app) == before


LIST = {
    "admin": 2,
    "coord": 2,
    "ngo": 403,
    "ranger1": 1,
    "ranger2": 1,
    "coord_other": 0,
    "ranger_other": 0,
    None: 401,
}


@pytest.mark.parametrize("path", ["/api/v1/patrols", "/api/v1/snares"])
@pytest.mark.parametrize("who", ROLES)
def test_lists(client, world, stored, who, path):
    r = client.get(path, headers=_auth(world, who))
    expected = LIST[who]
    if isinstance(expected, int) and expected >= 400:
        assert r.status_code == expected
        return
    assert r.status_code == 200
    assert len(r.get_json()["features"]) == expected
    if who == "ranger1" and path.endswith("patrols"):
        assert r.get_json()["features"][0]["properties"]["unit"] == "T-01"


READ_ONE = {
    "admin": 200,
    "coord": 200,
    "ngo": 403,
    "ranger1": 200,
    "ranger2": 404,
    "coord_other": 404,
    "ranger_other": 404,
    None: 401,
}


@pytest.mark.parametrize("who", ROLES)
def test_read_one(client, world, stored, who):
    r = client.get(f"/api/v1/patrols/{stored['T-01']}", headers=_auth(world, who))
    assert r.status_code == READ_ONE[who]
    if r.status_code == 200:
        assert r.get_json()["id"] == stored["T-01"]
        assert ("audit" in r.get_json()) == (who in ("admin", "coord"))


EDIT = {
    "admin": 200,
    "coord": 200,
    "ngo": 403,
    "ranger1": 403,
    "ranger2": 403,
    "coord_other": 404,
    "ranger_other": 403,
    None: 401,
}


@pytest.mark.parametrize("who", ROLES)
def test_correct_and_delete(client, world, stored, app, who):
    pid = stored["T-01"]
    before = row_counts(app)
    r = client.patch(
        f"/api/v1/patrols/{pid}",
        json={"revision": 1, "leader": "New Leader"},
        headers=_auth(world, who),
    )
    assert r.status_code == EDIT[who]
    if r.status_code != 200:
        assert row_counts(app) == before
        r = client.delete(f"/api/v1/patrols/{pid}?revision=1", headers=_auth(world, who))
        assert r.status_code == EDIT[who]
        assert row_counts(app) == before
        return
    assert r.get_json()["features"][0]["properties"]["leader"] == "New Leader"
    assert r.get_json()["features"][0]["properties"]["revision"] == 2
    r = client.delete(f"/api/v1/patrols/{pid}?revision=2", headers=_auth(world, who))
    assert r.status_code == 200


ZONES_READ = {
    "admin": 200,
    "coord": 200,
    "ngo": 200,
    "ranger1": 200,
    "ranger2": 200,
    "coord_other": 404,
    "ranger_other": 404,
    None: 401,
}
ZONES_WRITE = {
    "admin": 200,
    "coord": 200,
    "ngo": 403,
    "ranger1": 403,
    "ranger2": 403,
    "coord_other": 403,
    "ranger_other": 403,
    None: 401,
}


@pytest.mark.parametrize("who", ROLES)
def test_zones(client, world, who):
    r = client.get("/api/v1/zones?area=test-area", headers=_auth(world, who))
    assert r.status_code == ZONES_READ[who]
    if r.status_code == 200:
        assert len(r.get_json()["features"]) == 4
    r = client.put(
        "/api/v1/zones?area=test-area",
        data=json.dumps(quadrant_zones()),
        content_type=GEOJSON,
        headers=_auth(world, who),
    )
    assert r.status_code == ZONES_WRITE[who] or (who == "coord_other" and r.status_code == 404)


@pytest.mark.parametrize("who", ["admin", "coord", "ngo", "ranger1"])
def test_units_hide_bases_from_ngo(client, world, who):
    r = client.get("/api/v1/units?area=test-area", headers=_auth(world, who))
    assert r.status_code == 200
    geometries = [f["geometry"] for f in r.get_json()["features"]]
    assert len(geometries) == 2
    if who == "ngo":
        assert all(g is None for g in geometries)
    else:
        assert all(g["type"] == "Point" for g in geometries)


def test_ranger_cannot_see_other_units_finds(client, world, stored):
    r = client.get("/api/v1/snares", headers=world.auth("ranger2"))
    patrols = {f["properties"]["patrol"] for f in r.get_json()["features"]}
    assert patrols == {stored["T-02"]}


def test_unknown_and_revoked_tokens(client, world, runner):
    r = client.get("/api/v1/patrols", headers={"Authorization": "Bearer ptl_nope"})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    token = world.tokens["coord"]
    assert client.get("/api/v1/patrols", headers=world.auth("coord")).status_code == 200
    result = runner.invoke(args=["tokens", "revoke", token[:12]])
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/patrols", headers=world.auth("coord")).status_code == 401


def test_areas_lists_only_own(client, world):
    r = client.get("/api/v1/areas", headers=world.auth("coord"))
    assert [f["id"] for f in r.get_json()["features"]] == ["test-area"]
    r = client.get("/api/v1/areas", headers=world.auth("admin"))
    assert sorted(f["id"] for f in r.get_json()["features"]) == ["other-area", "test-area"]
