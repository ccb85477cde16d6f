"""Zone stats, grid hotspots and dispatch through the API, checked against the stored rows."""

from __future__ import annotations

import csv
import io
import json
import warnings
from collections import defaultdict
from datetime import timedelta

import gpxpy
import numpy as np
import pytest
import sqlalchemy as sa

from patrol.analytics.gistar import queen_weights
from patrol.store.models import EffortCell, EffortZone, Patrol, SnareFind, Zone
from tests.conftest import T0, make_report, sweep_month

GEOJSON = "application/geo+json"


@pytest.fixture
def month(client, world):
    sweep_month(client, world)


def get(client, world, path, who="coord"):
    r = client.get(path, headers=world.auth(who))
    assert r.status_code == 200, (path, r.get_json())
    return r.get_json()


def _stored_cells(session):
    """Effort and snares per fine cell, summed here from the stored rows."""
    effort = defaultdict(float)
    patrols = defaultdict(set)
    for c in session.scalars(sa.select(EffortCell)):
        effort[(c.ix, c.iy)] += c.effort_km
        patrols[(c.ix, c.iy)].add(c.patrol_id)
    snares = defaultdict(int)
    for f in session.scalars(sa.select(SnareFind)):
        snares[(f.cell_ix, f.cell_iy)] += f.count
    return effort, snares, patrols


def test_hotspot_cells_match_stored_rows_and_esda(client, world, month, session):
    doc = get(client, world, "/api/v1/hotspots?from=2026-03-01&to=2026-03-31")
    assert doc["window"] == "2026-03-01/2026-03-31"
    effort, snares, patrols = _stored_cells(session)
    cells = {
        (f["properties"]["ix"], f["properties"]["iy"]): f["properties"] for f in doc["features"]
    }
    assert len(cells) == len(doc["features"]) >= 400
    for key, props in cells.items():
        assert props["effort_km"] == pytest.approx(effort.get(key, 0.0), abs=1e-3)
        assert props["snares"] == snares.get(key, 0)
        assert props["patrols"] == len(patrols.get(key, ()))
        if effort.get(key, 0.0) < 1.0:  # the unrounded sum decides
            assert props["hotspot_class"] == "under_patrolled"
            assert props["gi_z"] is None
        else:
            assert props["hotspot_class"] != "under_patrolled"
    # Independent chain: EB rates written out, Gi* by PySAL's esda on the same cells.
    import esda
    import libpysal

    walked = [k for k in cells if effort.get(k, 0.0) > 0]
    base = np.array([effort[k] for k in walked])
    count = np.array([snares.get(k, 0) for k in walked], float)
    r = count.sum() / base.sum()
    s2 = (base * (count / base - r) ** 2).sum() / base.sum()
    a = max(0.0, s2 - r / base.mean())
    w = a / (a + r / base)
    eb_walked = dict(zip(walked, w * count / base + (1 - w) * r, strict=True))
    tested = [k for k, p in cells.items() if p["hotspot_class"] != "under_patrolled"]
    eb = np.array([eb_walked[k] for k in tested])
    for k in tested:
        assert cells[k]["eb_rate_per_100km"] == pytest.approx(100 * eb_walked[k], abs=1e-3)
    ix = np.array([k[0] for k in tested])
    iy = np.array([k[1] for k in tested])
    no_self = queen_weights(ix, iy, include_self=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lw = libpysal.weights.W({i: no_self[i].indices.tolist() for i in range(len(tested))})
        g = esda.G_Local(eb, lw, transform="B", star=True, permutations=0)
    ours = np.array([cells[k]["gi_z"] for k in tested])
    assert np.allclose(ours, g.Zs, atol=1e-3)  # the API rounds to 4 decimals
    hot = [k for k, p in cells.items() if p["hotspot_class"] in ("hot_95", "hot_99")]
    assert hot, "the crowded cluster must show as significant hot cells"
    grid_x = {k: cells[k] for k in hot}
    assert all(grid_x[k]["fdr_significant"] for k in hot)
    assert all(
        p["hotspot_class"] not in ("cold_90", "cold_95", "cold_99") or p["effort_km"] >= 1.0
        for p in cells.values()
    )


def test_coarse_cells_are_sums_of_fine_cells(client, world, month):
    fine = get(client, world, "/api/v1/hotspots?from=2026-03-01&to=2026-03-31")["features"]
    coarse = get(client, world, "/api/v1/hotspots?from=2026-03-01&to=2026-03-31&cell_km=2")
    assert coarse["cell_km"] == 2.0
    sums = defaultdict(lambda: [0.0, 0])
    for f in fine:
        p = f["properties"]
        sums[(p["ix"] // 2, p["iy"] // 2)][0] += p["effort_km"]
        sums[(p["ix"] // 2, p["iy"] // 2)][1] += p["snares"]
    for f in coarse["features"]:
        p = f["properties"]
        e, s = sums[(p["ix"], p["iy"])]
        assert p["effort_km"] == pytest.approx(e, abs=5e-3)
        assert p["snares"] == s


def test_zone_stats_match_stored_rows(client, world, month, session):
    doc = get(client, world, "/api/v1/zones/stats?from=2026-03-01&to=2026-03-31")
    zones = {z.id: z for z in session.scalars(sa.select(Zone))}
    effort = defaultdict(float)
    hours = defaultdict(float)
    patrols = defaultdict(set)
    for e in session.scalars(sa.select(EffortZone)):
        effort[zones[e.zone_id].code] += e.effort_km
        hours[zones[e.zone_id].code] += e.effort_h
        patrols[zones[e.zone_id].code].add(e.patrol_id)
    snares = defaultdict(int)
    removed = defaultdict(int)
    for f in session.scalars(sa.select(SnareFind)):
        snares[zones[f.zone_id].code] += f.count
        removed[zones[f.zone_id].code] += f.count if f.action in ("removed", "destroyed") else 0
    for feature in doc["features"]:
        p = feature["properties"]
        code = p["zone"]
        assert p["effort_km"] == pytest.approx(effort[code], abs=1e-3)
        assert p["effort_h"] == pytest.approx(hours[code], abs=1e-3)
        assert p["snares_found"] == snares[code]
        assert p["snares_removed"] == removed[code]
        assert p["patrols"] == len(patrols[code]) == p["patrol_days"]
        assert p["cpue_per_100km"] == pytest.approx(100 * snares[code] / effort[code], abs=1e-3)
        assert p["cpue_per_10h"] == pytest.approx(10 * snares[code] / hours[code], abs=1e-3)
        zone = next(z for z in zones.values() if z.code == code)
        assert p["density_per_km2"] == pytest.approx(snares[code] / zone.area_km2, abs=1e-3)
    nw = next(f["properties"] for f in doc["features"] if f["id"] == "NW")
    assert nw["hotspot"] and "hot cell" in nw["hotspot_reason"]
    se = next(f["properties"] for f in doc["features"] if f["id"] == "SE")
    assert not se["hotspot"]


def test_zone_stats_csv(client, world, month):
    r = client.get(
        "/api/v1/zones/stats?from=2026-03-01&to=2026-03-31&format=csv", headers=world.auth("ngo")
    )
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert b"\r\n" in r.data
    rows = list(csv.DictReader(io.StringIO(r.data.decode())))
    doc = get(client, world, "/api/v1/zones/stats?from=2026-03-01&to=2026-03-31")
    by_zone = {f["id"]: f["properties"] for f in doc["features"]}
    assert {row["zone"] for row in rows} == set(by_zone)
    for row in rows:
        assert int(row["snares_found"]) == by_zone[row["zone"]]["snares_found"]
        assert float(row["effort_km"]) == pytest.approx(by_zone[row["zone"]]["effort_km"])


def test_dispatch_and_unit_targets(client, world, month):
    doc = get(client, world, "/api/v1/dispatch?from=2026-03-01&to=2026-03-31")
    targets = doc["features"]
    assert targets
    per_unit = defaultdict(list)
    for t in targets:
        per_unit[t["properties"]["unit"]].append(t["properties"])
    for items in per_unit.values():
        assert len(items) <= 3
        assert [i["rank"] for i in items] == list(range(1, len(items) + 1))
        expected = [i["expected_snares"] for i in items]
        assert expected == sorted(expected, reverse=True)
        assert all(i["hotspot_class"] in ("hot_95", "hot_99", "under_patrolled") for i in items)
    assert set(per_unit) <= {"T-01", "T-02"}
    r = client.get(
        "/api/v1/units/T-01/targets?from=2026-03-01&to=2026-03-31&format=gpx",
        headers=world.auth("ranger1"),
    )
    assert r.status_code == 200 and r.mimetype == "application/gpx+xml"
    gpx = gpxpy.parse(r.data.decode())
    mine = sorted(per_unit["T-01"], key=lambda i: i["rank"])
    assert [w.name for w in gpx.waypoints] == [f"T-01 #{i['rank']}" for i in mine]
    for w, t in zip(
        gpx.waypoints, [t for t in targets if t["properties"]["unit"] == "T-01"], strict=True
    ):
        assert (w.longitude, w.latitude) == pytest.approx(tuple(t["geometry"]["coordinates"]))
    assert (
        client.get("/api/v1/units/T-02/targets", headers=world.auth("ranger1")).status_code == 403
    )
    assert client.get("/api/v1/dispatch", headers=world.auth("ranger1")).status_code == 403
    assert client.get("/api/v1/dispatch", headers=world.auth("ngo")).status_code == 403


def test_ngo_gets_coarse_cells_only(client, world, month):
    r = client.get("/api/v1/hotspots?cell_km=1", headers=world.auth("ngo"))
    assert r.status_code == 403
    doc = get(client, world, "/api/v1/hotspots?from=2026-03-01&to=2026-03-31", who="ngo")
    assert doc["cell_km"] == 5.0
    for f in doc["features"]:
        p = f["properties"]
        if p["hotspot_class"] == "suppressed":
            assert p["snares"] is None and p["effort_km"] is None
        else:
            assert p["patrols"] >= 3


def test_trend_over_monthly_bins(client, world, session):
    """A cell whose rate climbs month by month is an intensifying or new/consecutive spot."""
    for month in range(6):
        for k in range(4):
            y = -1500 + k * 1000
            finds = [(x, y) for x in range(-2500, 2600, 500)][: 2 + 3 * month]
            report = make_report(
                xy_m=((-9500, y), (9500, y)),
                finds=finds,
                start=T0 + timedelta(days=31 * month + k),
                hours=6.0,
            )
            r = client.post(
                "/api/v1/patrols",
                data=json.dumps(report),
                content_type=GEOJSON,
                headers=world.auth("coord"),
            )
            assert r.status_code == 201
    doc = get(client, world, "/api/v1/hotspots?from=2026-03-01&to=2026-08-31")
    trends = {f["properties"]["trend"] for f in doc["features"]}
    assert trends & {
        "intensifying_hot_spot",
        "consecutive_hot_spot",
        "new_hot_spot",
        "sporadic_hot_spot",
        "persistent_hot_spot",
    }
    zones = get(client, world, "/api/v1/zones/stats?from=2026-03-01&to=2026-08-31")
    assert {f["properties"]["trend"] for f in zones["features"]} <= {
        "increasing",
        "decreasing",
        "no_trend",
    }
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 24


@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ("from=2026-3-1", "/from"),
        ("to=tomorrow", "/to"),
        ("cell_km=1.5", "/cell_km"),
        ("cell_km=0", "/cell_km"),
        ("bins=weekly", "/bins"),
        ("unit=XX", "/unit"),
        ("from=2026-03-10&to=2026-03-01", "/to"),
        ("min_effort_km=-1", "/min_effort_km"),
    ],
)
def test_bad_parameters(client, world, query, pointer):
    r = client.get(f"/api/v1/hotspots?{query}", headers=world.auth("coord"))
    assert r.status_code == 422, r.get_json()
    assert pointer in [e["pointer"] for e in r.get_json()["errors"]]


def test_cli_dispatch_prints_the_same_targets(client, world, month, runner):
    doc = get(client, world, "/api/v1/dispatch?from=2026-03-01&to=2026-03-31")
    result = runner.invoke(
        args=["dispatch", "--area", "test-area", "--from", "2026-03-01", "--to", "2026-03-31"]
    )
    assert result.exit_code == 0, result.output
    lines = [ln.split() for ln in result.output.splitlines()[2:]]
    printed = {(ln[0], int(ln[1]), ln[2]) for ln in lines}
    expected = {
        (f["properties"]["unit"], f["properties"]["rank"], "{},{}".format(*f["properties"]["cell"]))
        for f in doc["features"]
    }
    assert printed == expected and printed


def test_vehicle_effort_is_not_search_effort(client, world, session):
    """A patrol by vehicle adds distance but no search effort to the cells it drives through."""
    walk = make_report(xy_m=((-9500, 500), (9500, 500), (-9500, 500)), finds=())
    drive = make_report(
        xy_m=((-9500, -500), (9500, -500)),
        finds=(),
        transport="vehicle",
        start=T0 + timedelta(days=1),
    )
    for report in (walk, drive):
        assert (
            client.post(
                "/api/v1/patrols",
                data=json.dumps(report),
                content_type=GEOJSON,
                headers=world.auth("coord"),
            ).status_code
            == 201
        )
    doc = get(client, world, "/api/v1/hotspots?from=2026-03-01&to=2026-03-31")
    total = sum(f["properties"]["effort_km"] for f in doc["features"])
    walked = session.scalar(sa.select(Patrol.distance_km).where(Patrol.transport == "foot"))
    assert total == pytest.approx(walked, abs=0.05)
    zones = get(client, world, "/api/v1/zones/stats?from=2026-03-01&to=2026-03-31")
    # The walk crosses NW and NE; the drive (SW, SE) counts nowhere.
    assert sum(f["properties"]["patrols"] for f in zones["features"]) == 2
