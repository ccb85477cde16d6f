"""GET /risk and GET /units/{code}/route, checked against the pure functions on stored rows."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import gpxpy
import numpy as np
import pytest
import sqlalchemy as sa

from patrol.analytics.exposure import Visits, detection_per_visit
from patrol.analytics.risk import RiskSettings, fit_setting_rate
from patrol.store.models import ConservationArea, EffortCell, Patrol, SnareFind, User
from tests.api.test_web_security import PASSWORD, sign_in
from tests.conftest import CX, CY, HALF_M, T0, lonlat, make_report, sweep_month

GEOJSON = "application/geo+json"


@pytest.fixture
def month(client, world):
    sweep_month(client, world)


def get(client, world, path, who="coord"):
    r = client.get(path, headers=world.auth(who))
    assert r.status_code == 200, (path, r.get_json())
    return r.get_json()


def post(client, world, report):
    r = client.post(
        "/api/v1/patrols",
        data=json.dumps(report),
        content_type=GEOJSON,
        headers=world.auth("coord"),
    )
    assert r.status_code == 201, r.get_json()


def _independent_model(session, features, until_day):
    """The model refitted here from the stored rows: visits per (patrol, cell) with the
    patrol's start, snares per (patrol, cell), covariates in closed form (both bases sit at
    the centre of a square area)."""
    area = session.scalar(sa.select(ConservationArea).where(ConservationArea.slug == "test-area"))
    index = {(f["properties"]["ix"], f["properties"]["iy"]): k for k, f in enumerate(features)}
    patrols = {
        p.id: p
        for p in session.scalars(sa.select(Patrol).where(Patrol.start_date <= until_day))
        if p.transport in ("foot", "ski") and p.deleted_at is None
    }
    effort = defaultdict(float)
    for row in session.scalars(sa.select(EffortCell)):
        if row.patrol_id in patrols and (row.ix, row.iy) in index:
            effort[(row.patrol_id, index[(row.ix, row.iy)])] += row.effort_km
    snares = defaultdict(float)
    counts = []
    for f in session.scalars(sa.select(SnareFind)):
        if f.patrol_id in patrols and (f.cell_ix, f.cell_iy) in index:
            snares[(f.patrol_id, index[(f.cell_ix, f.cell_iy)])] += f.count
            counts.append(f.count)
    keys = sorted(set(effort) | set(snares))
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    visits = Visits.of(
        [k[1] for k in keys],
        [(patrols[k[0]].started_at - epoch).total_seconds() / 86400 for k in keys],
        [effort.get(k, 0.1) for k in keys],
        [snares.get(k, 0.0) for k in keys],
    )
    ix = np.array([f["properties"]["ix"] for f in features])
    iy = np.array([f["properties"]["iy"] for f in features])
    x = area.grid_origin_x + (ix + 0.5) * area.cell_m - CX
    y = area.grid_origin_y + (iy + 0.5) * area.cell_m - CY
    to_edge = np.maximum(HALF_M - np.maximum(np.abs(x), np.abs(y)), 0) / 1000
    outside = np.hypot(np.maximum(np.abs(x) - HALF_M, 0), np.maximum(np.abs(y) - HALF_M, 0)) / 1000
    d_edge = np.where(outside > 0, outside, to_edge)
    d_base = np.hypot(x, y) / 1000
    # The end of the local day 'until' (Asia/Vladivostok, UTC+10).
    end = datetime.combine(until_day + timedelta(days=1), datetime.min.time(), UTC) - timedelta(
        hours=10
    )
    counts = np.array(counts, float)
    return fit_setting_rate(
        visits,
        ix,
        iy,
        (end - epoch).total_seconds() / 86400,
        30.0,
        1.0,
        np.column_stack([np.log1p(d_edge), np.log1p(d_base)]),
        None,
        RiskSettings(),
        float((counts**2).sum() / counts.sum()),
    ), (d_edge, d_base)


def test_risk_equals_the_pure_model_on_stored_rows(client, world, month, session):
    doc = get(client, world, "/api/v1/risk?until=2026-03-31")
    assert doc["model"]["until"] == "2026-03-31" and doc["model"]["horizon_days"] == 30
    feats = doc["features"]
    model, (d_edge, d_base) = _independent_model(session, feats, T0.date().replace(day=31))
    props = [f["properties"] for f in feats]
    for k, p in enumerate(props):
        assert p["inputs"]["distance_base_km"] == pytest.approx(d_base[k], abs=2e-3)
        assert p["inputs"]["distance_boundary_km"] == pytest.approx(d_edge[k], abs=2e-3)
        assert p["walked"] == bool(model.walked[k])
        assert p["expected_finds_5km"] == pytest.approx(model.expected_finds[k], rel=1e-3, abs=1e-4)
        assert p["standing_stock"] == pytest.approx(model.standing_stock[k], rel=1e-3, abs=1e-4)
        assert p["risk_rank"] == pytest.approx(model.risk_rank[k], abs=1e-4)
        assert p["prior_setting_rate"] == pytest.approx(model.prior_rate[k], rel=1e-3, abs=1e-4)
        if p["walked"]:
            assert p["setting_rate"] == pytest.approx(model.setting_rate[k], rel=1e-3, abs=1e-4)
            assert p["setting_rate_low"] == pytest.approx(
                model.setting_rate_low[k], rel=1e-3, abs=1e-4
            )
            assert p["setting_rate_high"] == pytest.approx(
                model.setting_rate_high[k], rel=1e-3, abs=1e-4
            )
            assert p["setting_rate_low"] <= p["setting_rate"] <= p["setting_rate_high"]
        else:  # never reported as if known
            assert p["setting_rate"] is None and p["setting_rate_low"] is None
            assert p["prior_setting_rate_low"] <= p["prior_setting_rate_high"]
    walked = [p for p in props if p["walked"]]
    assert len(walked) >= 380
    # The crowded NW cluster ranks above the rest.
    cluster = [p["setting_rate"] for p in walked if p["inputs"]["snares"] >= 4]
    rest = [p["setting_rate"] for p in walked if p["inputs"]["snares"] == 0]
    assert np.median(cluster) > 3 * np.median(rest)


def test_data_after_until_changes_nothing(client, world, month):
    before = get(client, world, "/api/v1/risk?until=2026-03-31")
    late = make_report(
        xy_m=((-9500, 500), (9500, 500)),
        finds=[(x, 500) for x in range(-9000, 9000, 300)],
        start=datetime(2026, 4, 3, 1, 0, tzinfo=UTC),
    )
    post(client, world, late)
    after = get(client, world, "/api/v1/risk?until=2026-03-31")
    assert after == before
    later = get(client, world, "/api/v1/risk?until=2026-04-30")
    assert later["features"] != before["features"]
    # The default 'until' is the latest patrol's day.
    assert get(client, world, "/api/v1/risk")["model"]["until"] == "2026-04-03"


def test_roles_as_for_hotspots(client, world, month):
    assert client.get("/api/v1/risk", headers=world.auth("ngo")).status_code == 200
    assert client.get("/api/v1/risk?cell_km=1", headers=world.auth("ngo")).status_code == 403
    doc = get(client, world, "/api/v1/risk?until=2026-03-31", who="ngo")
    assert doc["model"]["cell_km"] == 5.0 and "aggregation" in doc
    for f in doc["features"]:
        p = f["properties"]
        assert p.get("suppressed") or p["inputs"]["patrols"] >= 3
    get(client, world, "/api/v1/risk?until=2026-03-31", who="ranger1")
    r = client.get("/api/v1/risk?area=test-area", headers=world.auth("coord_other"))
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ("until=2026-3-1", "/until"),
        ("horizon_days=0", "/horizon_days"),
        ("horizon_days=1.5", "/horizon_days"),
        ("horizon_days=many", "/horizon_days"),
        ("cell_km=1.5", "/cell_km"),
    ],
)
def test_bad_risk_parameters(client, world, query, pointer):
    r = client.get(f"/api/v1/risk?{query}", headers=world.auth("coord"))
    assert r.status_code == 422, r.get_json()
    assert r.mimetype == "application/problem+json"
    assert pointer in [e["pointer"] for e in r.get_json()["errors"]]


def _units_with_walk(km: float) -> dict:
    """T-01 at the centre, walking ``km`` a day (imported as a unit setting)."""
    base = lonlat([0], [0])[0]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": base},
                "properties": {"code": "T-01", "name": "T-01", "walk_km": km},
            }
        ],
    }


def test_route_is_the_best_by_brute_force(client, world, month, app, session):
    from patrol.db import get_session
    from patrol.services import areas

    with app.app_context():
        s = get_session()
        area = s.scalar(sa.select(ConservationArea).where(ConservationArea.slug == "test-area"))
        areas.import_units(s, area, _units_with_walk(5.0))
    doc = get(client, world, "/api/v1/units/T-01/route?date=2026-04-01", who="ranger1")
    line, *stops = doc["features"]
    props = line["properties"]
    assert props["walk_km"] == 5.0 and props["length_km"] <= 5.0 + 1e-9
    assert props["exact"]
    assert sum(props["legs_km"]) + 2.0 * len(stops) == pytest.approx(props["length_km"], abs=2e-3)
    assert [s["properties"]["priority"] for s in stops] == list(range(1, len(stops) + 1))
    assert stops, "a unit in the middle of a walked area has somewhere to go"
    # Scores from /risk (data up to the day before), brute force over every reachable cell.
    risk = get(client, world, "/api/v1/risk?until=2026-03-31&horizon_days=1")
    q = detection_per_visit(np.array([2.0]), 0.3, 1.0)[0]
    area = session.scalar(sa.select(ConservationArea).where(ConservationArea.slug == "test-area"))
    cells = []
    for f in risk["features"]:
        p = f["properties"]
        x = area.grid_origin_x + (p["ix"] + 0.5) * area.cell_m - CX
        y = area.grid_origin_y + (p["iy"] + 0.5) * area.cell_m - CY
        if 2 * np.hypot(x, y) / 1000 + 2.0 <= 5.0 and p["standing_stock"] > 0:
            cells.append(((x, y), p["standing_stock"] * q, (p["ix"], p["iy"])))
    assert 1 <= len(cells) <= 9
    best = 0.0
    for k in range(1, len(cells) + 1):
        for combo in itertools.permutations(range(len(cells)), k):
            path = [(0.0, 0.0), *(cells[i][0] for i in combo), (0.0, 0.0)]
            km = sum(np.hypot(b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(path))
            if km / 1000 + 2.0 * k <= 5.0 + 1e-6:
                best = max(best, sum(cells[i][1] for i in combo))
    assert props["expected_finds"] == pytest.approx(best, rel=2e-3, abs=2e-3)
    by_cell = {c[2]: c[1] for c in cells}
    for s in stops:
        assert s["properties"]["expected_finds"] == pytest.approx(
            by_cell[tuple(s["properties"]["cell"])], rel=2e-3, abs=2e-3
        )


def test_route_as_gpx_and_roles(client, world, month):
    doc = get(client, world, "/api/v1/units/T-01/route?date=2026-04-01")
    r = client.get(
        "/api/v1/units/T-01/route?date=2026-04-01&format=gpx", headers=world.auth("coord")
    )
    assert r.status_code == 200 and r.mimetype == "application/gpx+xml"
    gpx = gpxpy.parse(r.data.decode())
    assert len(gpx.routes) == 1 and not gpx.tracks
    points = gpx.routes[0].points
    line, *stops = doc["features"]
    assert points[0].name == "T-01 base" and points[-1].name == "T-01 home"
    assert [p.name for p in points[1:-1]] == [f"T-01 P{s['properties']['priority']}" for s in stops]
    for p, s in zip(points[1:-1], stops, strict=True):
        assert (p.longitude, p.latitude) == pytest.approx(tuple(s["geometry"]["coordinates"]))
    assert line["properties"]["walk_km"] == 20.0
    assert client.get("/api/v1/units/T-01/route", headers=world.auth("ranger2")).status_code == 403
    assert client.get("/api/v1/units/T-01/route", headers=world.auth("ngo")).status_code == 403
    assert client.get("/api/v1/units/O-01/route", headers=world.auth("coord")).status_code == 404
    r = client.get("/api/v1/units/O-01/route", headers=world.auth("coord_other"))
    assert r.status_code == 409  # no base to start from
    for query, pointer in (("date=soon", "/date"), ("format=kml", "/format")):
        r = client.get(f"/api/v1/units/T-01/route?{query}", headers=world.auth("coord"))
        assert r.status_code == 422 and pointer in [e["pointer"] for e in r.get_json()["errors"]]


def test_layers_become_covariates(client, world, month, runner, tmp_path):
    roads = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Road 1"},
                "geometry": {"type": "LineString", "coordinates": lonlat([-9000, 9000], [0, 0])},
            }
        ],
    }
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps(roads))
    result = runner.invoke(
        args=["layers", "import", str(path), "--kind", "roads", "--area", "test-area"]
    )
    assert result.exit_code == 0, result.output
    assert "1 roads features stored" in result.output
    layer = get(client, world, "/api/v1/layers/roads", who="ngo")
    assert [f["properties"]["name"] for f in layer["features"]] == ["Road 1"]
    assert layer["features"][0]["geometry"]["type"] == "LineString"
    assert get(client, world, "/api/v1/layers/settlements")["features"] == []
    assert client.get("/api/v1/layers/pubs", headers=world.auth("coord")).status_code == 404
    doc = get(client, world, "/api/v1/risk?until=2026-03-31")
    assert "log1p_distance_road_km" in doc["model"]["prior_coefficients"]
    for f in doc["features"][:50]:
        assert f["properties"]["inputs"]["distance_road_km"] is not None
    bad = tmp_path / "bad.geojson"
    bad.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    roads["features"][0] | {"geometry": {"type": "Point", "coordinates": [1, 2]}}
                ],
            }
        )
    )
    result = runner.invoke(
        args=["layers", "import", str(bad), "--kind", "roads", "--area", "test-area"]
    )
    assert result.exit_code != 0


def test_cli_estimates_and_stores_detection(client, world, runner, session):
    args = ["detection", "--area", "test-area"]
    assert runner.invoke(args=args).exit_code != 0  # no patrols: nothing to estimate from
    for k, day in enumerate((1, 3, 6, 10, 15, 21)):
        post(
            client,
            world,
            make_report(
                xy_m=((-9500, 500), (9500, 500)),
                finds=[(x, 500) for x in range(-9000, 9000, 1500 + 500 * k)],
                start=T0 + timedelta(days=day),
            ),
        )
    result = runner.invoke(args=[*args, "--until", "2026-03-31", "--save"])
    assert result.exit_code == 0, result.output
    p = float(result.output.split(":")[1].split()[0])
    assert 0.02 <= p <= 0.95 and "stored" in result.output
    session.rollback()
    area = session.scalar(sa.select(ConservationArea).where(ConservationArea.slug == "test-area"))
    assert area.detection_probability == pytest.approx(p, abs=1e-3)
    doc = get(client, world, "/api/v1/risk?until=2026-03-31")
    assert doc["model"]["detection_probability"] == pytest.approx(p, abs=1e-3)
    assert runner.invoke(args=[*args, "--until", "March"]).exit_code != 0


def test_an_area_without_patrols_says_nothing(client, world):
    doc = get(client, world, "/api/v1/risk?until=2026-03-31")
    assert doc["features"]
    for f in doc["features"]:
        p = f["properties"]
        assert not p["walked"] and p["setting_rate"] is None
        assert p["prior_setting_rate"] is None and p["expected_finds_5km"] is None
        assert p["risk_rank"] is None
    route = get(client, world, "/api/v1/units/T-01/route?date=2026-04-01")
    assert len(route["features"]) == 1 and route["features"][0]["properties"]["length_km"] == 0


def test_openapi_describes_risk_and_route(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    risk = spec["paths"]["/risk"]["get"]
    assert {p["name"] for p in risk["parameters"]} >= {"until", "horizon_days", "area"}
    route = spec["paths"]["/units/{code}/route"]["get"]
    assert {p["name"] for p in route["parameters"]} >= {"date", "format"}


def test_printable_briefing_lists_the_route(client, world, month, app):
    from patrol.db import get_session
    from patrol.services import auth

    with app.app_context():
        s = get_session()
        for user in s.scalars(sa.select(User)):
            auth.set_password(user, PASSWORD)
        s.commit()
    route = get(client, world, "/api/v1/units/T-01/route?date=2026-04-01")
    assert sign_in(client, "ranger1").status_code == 302
    r = client.get("/units/T-01/briefing?date=2026-04-01")
    assert r.status_code == 200, r.data[:300]
    html = r.get_data(as_text=True)
    assert "<svg" in html and 'data-testid="targets"' in html
    _, *stops = route["features"]
    assert stops
    for s in stops:
        p = s["properties"]
        assert f"{p['cell'][0]},{p['cell'][1]}" in html
        assert f"{p['expected_finds']:.2f}" in html
    assert html.count("<circle") == len(stops)
    assert client.get("/units/T-02/briefing").status_code == 403
    assert client.get("/units/T-01/briefing?date=soon").status_code == 422


def test_cli_sets_the_areas_snare_settings(client, world, month, runner):
    result = runner.invoke(args=["areas", "snares", "test-area"])
    assert result.exit_code == 0 and "0.3 (default)" in result.output
    before = get(client, world, "/api/v1/risk?until=2026-03-31")
    result = runner.invoke(
        args=["areas", "snares", "test-area", "--detection", "0.15", "--snare-life-days", "60"]
    )
    assert result.exit_code == 0, result.output
    assert "0.15" in result.output and "60 days" in result.output
    after = get(client, world, "/api/v1/risk?until=2026-03-31")
    assert after["model"]["detection_probability"] == 0.15
    assert after["model"]["mean_life_days"] == 60
    # A dimmer eye and shorter-lived snares imply more snares set for the same finds.
    walked = [
        (a["properties"]["setting_rate"], b["properties"]["setting_rate"])
        for a, b in zip(before["features"], after["features"], strict=True)
        if a["properties"]["walked"] and a["properties"]["inputs"]["snares"] > 0
    ]
    assert walked and all(new > old for old, new in walked)
    assert runner.invoke(args=["areas", "snares", "test-area", "--detection", "2"]).exit_code != 0
