"""The map's layers in bounded memory (issue 15, item 4): the same answers, built a part at a
time; pages of whole routes end at a vertex budget; simplified routes within their bound."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import jsonify
from pyproj import Transformer

from patrol.api.common import features_response
from patrol.geo.documents import feature_collection
from patrol.services import map_routes
from patrol.services.patrol_documents import route_feature
from patrol.store.models import Patrol
from tests.conftest import EPSG, make_report

GEOJSON = "application/geo+json"


def _wiggle(n: int, seed: int) -> np.ndarray:
    """A GPS-like walk: 6 km east with 2 m of jitter and a 300 m bend in the middle."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-3000, 3000, n)
    y = 300 * np.exp(-((x / 800) ** 2)) + rng.normal(0, 2, n)
    return np.column_stack([x, y])


@pytest.fixture
def walked(client, world):
    """Four patrols of 400, 2, 300 and 2 vertices, stored through the API."""
    reports = [
        make_report(xy_m=_wiggle(400, 7), finds=((0, 300),)),
        make_report(xy_m=((-6000, -3000), (-6000, 3000)), unit="T-02"),
        make_report(xy_m=_wiggle(300, 8), unit="T-02"),
        make_report(xy_m=((6000, -3000), (6000, 3000))),
    ]
    for report in reports:
        r = client.post(
            "/api/v1/patrols",
            data=json.dumps(report),
            content_type=GEOJSON,
            headers=world.auth("coord"),
        )
        assert r.status_code == 201, r.get_json()
    return reports


def test_features_response_is_the_whole_documents_bytes(app):
    """Encoded a feature at a time, the answer is the byte string of the whole document
    encoded at once (keys sorted, coordinates rounded to 6 decimals, the final newline)."""
    features = [
        {
            "type": "Feature",
            "id": f"f{i}",
            "geometry": {"type": "LineString", "coordinates": [[131.1234567891, 43.0], [i, 1.5]]},
            "properties": {"z": 1.23456789, "a": "Приморье", "n": None},
        }
        for i in range(3)
    ]
    members = {"numberMatched": 7, "numberReturned": 3, "links": [{"rel": "next", "href": "/x"}]}
    with app.test_request_context():
        whole = jsonify(feature_collection(features, **members)).get_data()
        parts = features_response(iter(features), members).get_data()
        empty = features_response(iter([]), members).get_data()
    assert parts == whole
    assert b"131.123457" in parts and b"1.23456789" in parts  # geometry rounded, not properties
    assert json.loads(empty)["features"] == [] and json.loads(empty)["numberMatched"] == 7


def test_routes_page_is_the_documents_of_the_stored_routes(app, client, world, walked, monkeypatch):
    """GET /patrols, read a chunk of one route at a time, equals the page built from the
    patrols with their tracks loaded by the ORM (the way it was built before)."""
    monkeypatch.setattr(map_routes, "CHUNK", 1)
    got = client.get("/api/v1/patrols", headers=world.auth("coord"))
    assert got.status_code == 200 and got.mimetype == GEOJSON
    with app.test_request_context("/api/v1/patrols"):
        from patrol.db import get_session

        patrols = get_session().scalars(
            sa.select(Patrol)
            .order_by(Patrol.started_at, Patrol.id)
            .options(so.selectinload(Patrol.track), so.joinedload(Patrol.unit))
        )
        doc = feature_collection(route_feature(p, with_times=False) for p in patrols)
        doc |= {"numberMatched": 4, "numberReturned": 4, "links": []}
        expected = jsonify(doc).get_data()
    assert got.data == expected
    assert [f["properties"]["vertex_count"] for f in got.get_json()["features"]] == [
        400,
        2,
        300,
        2,
    ]


def _all_pages(client, headers, path):
    pages = []
    while path:
        r = client.get(path, headers=headers)
        assert r.status_code == 200
        pages.append(r.get_json())
        path = next((link["href"] for link in pages[-1]["links"] if link["rel"] == "next"), None)
    return pages


def test_a_page_of_whole_routes_ends_at_the_vertex_budget(client, world, walked, monkeypatch):
    h = world.auth("coord")
    whole = client.get("/api/v1/patrols?limit=10", headers=h).get_json()
    monkeypatch.setattr(map_routes, "MAX_PAGE_VERTICES", 402)
    pages = _all_pages(client, h, "/api/v1/patrols?limit=10")
    # 400 + 2 fit; + 300 would not; then 300 + 2. No page empty, none over the budget but
    # a first route longer than the budget alone.
    assert [[f["properties"]["vertex_count"] for f in p["features"]] for p in pages] == [
        [400, 2],
        [300, 2],
    ]
    assert [p["numberReturned"] for p in pages] == [2, 2]
    assert all(p["numberMatched"] == 4 for p in pages)
    assert [f for p in pages for f in p["features"]] == whole["features"]
    # A budget below the first route still answers it, and the rest follow one by one.
    monkeypatch.setattr(map_routes, "MAX_PAGE_VERTICES", 1)
    pages = _all_pages(client, h, "/api/v1/patrols?limit=10")
    assert [f for p in pages for f in p["features"]] == whole["features"]
    assert [p["numberReturned"] for p in pages] == [1, 1, 1, 1]
    # Simplified routes (the map's) are not cut: one page.
    simple = client.get("/api/v1/patrols?limit=10&tolerance_m=20", headers=h).get_json()
    assert simple["numberReturned"] == 4 and simple["links"] == []


def _metric(coords) -> np.ndarray:
    to_m = Transformer.from_crs(4326, EPSG, always_xy=True)
    c = np.asarray(coords, float)
    return np.column_stack(to_m.transform(c[:, 0], c[:, 1]))


@pytest.mark.parametrize("tolerance", [5.0, 20.0, 100.0])
def test_simplified_routes_are_within_their_tolerance_hausdorff(client, world, walked, tolerance):
    """Both ways: every point of the drawn line near the route and every point of the route
    near the drawn line (Hausdorff distance, densified, in the area's metres, by shapely)."""
    h = world.auth("coord")
    full = client.get("/api/v1/patrols", headers=h).get_json()["features"]
    simple = client.get(f"/api/v1/patrols?tolerance_m={tolerance}", headers=h).get_json()[
        "features"
    ]
    thinned = 0
    for a, b in zip(full, simple, strict=True):
        (route,), (drawn,) = a["geometry"]["coordinates"], b["geometry"]["coordinates"]
        original, kept = shapely.LineString(_metric(route)), shapely.LineString(_metric(drawn))
        assert shapely.hausdorff_distance(original, kept, densify=0.01) <= tolerance + 0.01
        thinned += len(route) - len(drawn)
    assert thinned > 0  # something was simplified
