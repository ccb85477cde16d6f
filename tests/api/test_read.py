"""Reading back: filters, paging, corrections with revisions, the audit trail."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from patrol.store.models import AuditEvent, Patrol
from tests.conftest import T0, lonlat, make_report, row_counts

GEOJSON = "application/geo+json"


@pytest.fixture
def patrols(client, world):
    """Five patrols on five days: T-01 walks in the west, T-02 in the east."""
    out = []
    for day in range(5):
        unit = "T-01" if day % 2 == 0 else "T-02"
        x = -6000 if unit == "T-01" else 6000
        report = make_report(
            xy_m=((x, -3000), (x, 3000)), unit=unit, finds=((x, 0),), start=T0 + timedelta(days=day)
        )
        r = client.post(
            "/api/v1/patrols",
            data=json.dumps(report),
            content_type=GEOJSON,
            headers=world.auth("coord"),
        )
        assert r.status_code == 201
        out.append(report["features"][0]["id"])
    return out


def ids(response):
    return [f["id"] for f in response.get_json()["features"]]


def test_area_filter_keeps_to_one_of_the_callers_areas(client, world, patrols):
    """``area=<slug>`` lists that area's patrols and finds only; another's is a 404."""
    h = world.auth("admin")  # sees both areas
    assert ids(client.get("/api/v1/patrols?area=test-area", headers=h)) == patrols
    assert ids(client.get("/api/v1/patrols?area=other-area", headers=h)) == []
    assert ids(client.get("/api/v1/snares?area=other-area", headers=h)) == []
    assert len(ids(client.get("/api/v1/snares?area=test-area", headers=h))) == len(patrols)
    r = client.get("/api/v1/patrols?area=test-area", headers=world.auth("coord_other"))
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    nxt = client.get("/api/v1/patrols?area=test-area&limit=2", headers=h).get_json()
    assert "area=test-area" in next(x["href"] for x in nxt["links"] if x["rel"] == "next")


def test_filters(client, world, patrols):
    h = world.auth("coord")
    assert ids(client.get("/api/v1/patrols", headers=h)) == patrols
    assert ids(client.get("/api/v1/patrols?unit=T-02", headers=h)) == patrols[1::2]
    day2 = (T0 + timedelta(days=2)).date().isoformat()
    assert ids(client.get(f"/api/v1/patrols?from={day2}&to={day2}", headers=h)) == [patrols[2]]
    assert ids(client.get(f"/api/v1/patrols?from={day2}", headers=h)) == patrols[2:]
    west = lonlat([-9000, -3000], [-9000, 9000])
    bbox = f"{west[0][0]},{west[0][1]},{west[1][0]},{west[1][1]}"
    assert ids(client.get(f"/api/v1/patrols?bbox={bbox}", headers=h)) == patrols[0::2]
    # Zones: T-02 walks x = +6 km, from y = -3 km to +3 km: in SE and NE.
    assert ids(client.get("/api/v1/patrols?zone=NE", headers=h)) == patrols[1::2]
    snares = client.get("/api/v1/snares?zone=SW", headers=h).get_json()["features"]
    assert snares == [] or all(f["properties"]["zone"] == "SW" for f in snares)
    finds = client.get(f"/api/v1/snares?unit=T-01&bbox={bbox}", headers=h).get_json()
    assert len(finds["features"]) == 3
    assert all(f["properties"]["patrol"] in patrols[0::2] for f in finds["features"])


def test_paging(client, world, patrols):
    h = world.auth("coord")
    first = client.get("/api/v1/patrols?limit=2", headers=h).get_json()
    assert first["numberMatched"] == 5 and first["numberReturned"] == 2
    seen = [f["id"] for f in first["features"]]
    link = first["links"][0]["href"]
    while link:
        page = client.get(link, headers=h).get_json()
        seen += [f["id"] for f in page["features"]]
        link = page["links"][0]["href"] if page["links"] else None
    assert seen == patrols


@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ("from=yesterday", "/from"),
        ("to=2026-13-45", "/to"),
        ("bbox=1,2,3", "/bbox"),
        ("bbox=10,50,0,60", "/bbox"),
        ("limit=0", "/limit"),
        ("limit=abc", "/limit"),
        ("offset=-1", "/offset"),
        ("from=2026-03-05&to=2026-03-01", "/to"),
        ("from=2026-03-05T10:00:00", "/from"),
    ],
)
def test_bad_filters(client, world, query, pointer):
    r = client.get(f"/api/v1/patrols?{query}", headers=world.auth("coord"))
    assert r.status_code == 422
    assert pointer in [e["pointer"] for e in r.get_json()["errors"]]


def test_correction_needs_current_revision_and_is_audited(client, world, patrols, session, app):
    pid = patrols[0]
    h = world.auth("coord")
    doc = client.get(f"/api/v1/patrols/{pid}", headers=h).get_json()
    find_id = doc["features"][1]["id"]
    r = client.patch(
        f"/api/v1/patrols/{pid}",
        headers=h,
        json={"revision": 1, "finds": {find_id: {"count": 3, "action": "destroyed"}}},
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["features"][1]["properties"]["count"] == 3
    before = row_counts(app)
    stale = client.patch(f"/api/v1/patrols/{pid}", headers=h, json={"revision": 1, "leader": "X"})
    assert stale.status_code == 409
    assert stale.get_json()["type"].endswith("/stale-revision")
    bad = client.patch(
        f"/api/v1/patrols/{pid}", headers=h, json={"revision": 2, "finds": {find_id: {"count": 0}}}
    )
    assert bad.status_code == 422
    assert f"/finds/{find_id}/count" in [e["pointer"] for e in bad.get_json()["errors"]]
    unknown = client.patch(f"/api/v1/patrols/{pid}", headers=h, json={"revision": 2, "x": 1})
    assert unknown.status_code == 422
    assert row_counts(app) == before
    trail = client.get(f"/api/v1/patrols/{pid}", headers=h).get_json()["audit"]
    assert [e["action"] for e in trail] == ["create", "correct"]
    assert trail[1]["before"][find_id] == {"count": 2, "action": "removed"}
    assert trail[1]["after"][find_id] == {"count": 3, "action": "destroyed"}
    assert trail[1]["user"] == "coord"


def test_soft_delete_hides_but_keeps(client, world, patrols, session):
    h = world.auth("coord")
    r = client.delete(f"/api/v1/patrols/{patrols[0]}?revision=1", headers=h)
    assert r.status_code == 200
    assert patrols[0] not in ids(client.get("/api/v1/patrols", headers=h))
    assert all(
        f["properties"]["patrol"] != patrols[0]
        for f in client.get("/api/v1/snares", headers=h).get_json()["features"]
    )
    kept = session.scalar(sa.select(Patrol).where(Patrol.uuid == patrols[0]))
    assert kept is not None and kept.deleted_at is not None
    doc = client.get(f"/api/v1/patrols/{patrols[0]}", headers=h).get_json()
    assert doc["features"][0]["properties"]["deleted_at"]
    assert (
        client.get(f"/api/v1/patrols/{patrols[0]}", headers=world.auth("ranger1")).status_code
        == 404
    )
    actions = session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.entity_id == patrols[0])
    ).all()
    assert sorted(actions) == ["create", "delete"]
    # The coordinator can read the deleted patrol, so a second delete says what happened.
    again = client.delete(f"/api/v1/patrols/{patrols[0]}?revision=2", headers=h)
    assert again.status_code == 409
    assert again.get_json()["type"].endswith("/patrol-deleted")


def test_api_errors_are_problem_json_not_html(client, world):
    for r in (
        client.get("/api/v1/nothing-here", headers=world.auth("coord")),
        client.put("/api/v1/patrols", headers=world.auth("coord")),
        client.get("/api/v1/patrols/not-a-uuid", headers=world.auth("coord")),
    ):
        assert r.mimetype == "application/problem+json"
        assert r.get_json()["status"] in (404, 405)


def test_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert {"/patrols", "/patrols/{id}", "/snares", "/zones", "/units"} <= set(spec["paths"])


def test_security_headers(client):
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
