"""The monthly summary (``services/month_figures``): figures kept per month equal figures
recomputed from the stored effort rows for any window, and stay so after every write."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patrol.services import answer_cache, month_figures, risk
from patrol.services.cell_figures import Window, cell_figures
from patrol.services.zone_stats import zone_months
from patrol.store.models import (
    ConservationArea,
    EffortCell,
    EffortZone,
    Patrol,
    SnareFind,
    Unit,
    Zone,
)
from patrol.vocabulary import REMOVED_ACTIONS
from tests.conftest import T0, make_report

GEOJSON = "application/geo+json"
FIRST = date(2025, 11, 20)  # the stored patrols start from here ...
LAST = date(2026, 5, 10)  # ... to here


def _post(client, world, report, who="ranger1"):
    r = client.post(
        "/api/v1/patrols", data=json.dumps(report), content_type=GEOJSON, headers=world.auth(who)
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()


ROUTES = [
    ((-6000, -6000), (6000, -6000), (6000, 6000)),
    ((-3000, 4000), (3000, 4000), (3000, -4000), (-3000, -4000)),
    ((-8000, 0), (8000, 0)),
    ((0, -8000), (0, 8000), (500, 8000), (500, -8000)),
]


@pytest.fixture
def stored(client, world):
    """Patrols every ~12 days over half a year, by two units and two transports, with finds;
    one deleted (it must count nowhere)."""
    day, k, ids = FIRST, 0, []
    while day <= LAST:
        start = T0.replace(year=day.year, month=day.month, day=day.day)
        route = ROUTES[k % len(ROUTES)]
        finds = [route[1], route[-1]][: k % 3]
        report = make_report(
            route,
            unit=("T-01", "T-02")[k % 2],
            finds=finds,
            start=start,
            transport=("foot", "vehicle", "ski")[k % 3],
            times=k % 2 == 0,
        )
        ids.append(_post(client, world, report, "coord")["id"])
        day += timedelta(days=12)
        k += 1
    r = client.delete(f"/api/v1/patrols/{ids[3]}?revision=1", headers=world.auth("coord"))
    assert r.status_code == 200, r.get_json()
    return ids


def _expected_cells(session, area, window, factor, unit_id, transports):
    """Every cell figure of the window summed here, in Python, from the stored rows."""
    live = [
        Patrol.area_id == area.id,
        Patrol.deleted_at.is_(None),
        Patrol.start_date >= window.start,
        Patrol.start_date < window.end,
    ]
    if unit_id is not None:
        live.append(Patrol.unit_id == unit_id)
    if transports is not None:
        live.append(Patrol.transport.in_(transports))
    sums = defaultdict(lambda: defaultdict(float))
    walkers = defaultdict(set)
    last = {}
    for c, day in session.execute(
        sa.select(EffortCell, Patrol.start_date).join(Patrol).where(*live)
    ).all():
        key = (c.ix // factor, c.iy // factor)
        sums[key]["effort_km"] += c.effort_km
        sums[key]["effort_h"] += c.effort_h
        walkers[key].add(c.patrol_id)
        last[key] = max(last.get(key, day), day)
    for f in session.scalars(sa.select(SnareFind).join(Patrol).where(*live)):
        key = (f.cell_ix // factor, f.cell_iy // factor)
        sums[key]["snares"] += f.count
        sums[key]["removed"] += f.count if f.action in REMOVED_ACTIONS else 0
        sums[key]["finds"] += 1
    return sums, walkers, last


def _check_cells(session, area, window, factor, unit_id, transports):
    f = cell_figures(session, area, window, factor, unit_id, transports)
    sums, walkers, last = _expected_cells(session, area, window, factor, unit_id, transports)
    cells = {(int(x), int(y)): k for k, (x, y) in enumerate(zip(f.ix, f.iy, strict=True))}
    assert set(sums) <= set(cells)  # every walked cell lies in the area here
    for key, k in cells.items():
        for name in ("effort_km", "effort_h"):
            assert getattr(f, name)[k] == pytest.approx(sums[key][name], rel=1e-12, abs=1e-12)
        for name in ("snares", "removed", "finds"):
            assert getattr(f, name)[k] == sums[key][name]
        assert f.patrols[k] == len(walkers[key])
        assert f.last_patrolled[k] == last.get(key)
    # The monthly bins add up to the totals, one row per month of the window.
    first, end = window.start, window.end - timedelta(days=1)
    assert (
        f.by_bin["effort_km"].shape[0] == (end.year - first.year) * 12 + end.month - first.month + 1
    )
    assert np.allclose(f.by_bin["patrols"].sum(axis=0), f.patrols)
    return f


def _expected_zones(session, area, window, transports):
    live = [
        Patrol.area_id == area.id,
        Patrol.deleted_at.is_(None),
        Patrol.start_date >= window.start,
        Patrol.start_date < window.end,
        Patrol.transport.in_(transports),
    ]
    sums = defaultdict(lambda: defaultdict(float))
    for e, days in session.execute(sa.select(EffortZone, Patrol.days).join(Patrol).where(*live)):
        sums[e.zone_id]["effort_km"] += e.effort_km
        sums[e.zone_id]["patrols"] += 1
        sums[e.zone_id]["patrol_days"] += days
    for f in session.scalars(sa.select(SnareFind).join(Patrol).where(*live)):
        sums[f.zone_id]["snares"] += f.count
        sums[f.zone_id]["finds"] += 1
    return sums


days = st.integers(0, (LAST - FIRST).days + 40).map(
    lambda n: FIRST - timedelta(days=20) + timedelta(days=n)
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    a=days,
    b=days,
    factor=st.sampled_from([1, 2, 5]),
    by_unit=st.booleans(),
    search_only=st.booleans(),
)
def test_summary_equals_figures_recomputed_from_the_stored_rows(
    app, world, stored, session, a, b, factor, by_unit, search_only
):
    """Random windows (whole months or not), grids, unit and transport filters: the kept
    pieces (warmed by the examples before, in any order) sum to what the rows say."""
    start, end = min(a, b), max(a, b) + timedelta(days=1)
    session.rollback()
    area = session.get(ConservationArea, world.area_id)
    unit_id = session.scalar(sa.select(Unit.id).where(Unit.code == "T-02")) if by_unit else None
    transports = ("foot", "ski") if search_only else None
    _check_cells(session, area, Window(start, end), factor, unit_id, transports)
    zones = list(session.scalars(sa.select(Zone).where(Zone.area_id == area.id).order_by(Zone.id)))
    monthly = zone_months(session, area, Window(start, end), zones, None, ("foot", "ski"))
    expected = _expected_zones(session, area, Window(start, end), ("foot", "ski"))
    for k, zid in enumerate([z.id for z in zones] + [None]):
        for name in ("effort_km", "patrols", "patrol_days", "snares", "finds"):
            got = monthly[name][:, k].sum()
            assert got == pytest.approx(expected[zid][name], rel=1e-12, abs=1e-12)


def test_pieces_are_reused_and_bounded(app, world, stored, session, monkeypatch):
    area = session.get(ConservationArea, world.area_id)
    month_figures.clear()
    cell_figures(session, area, Window(date(2026, 1, 1), date(2026, 4, 1)))
    assert month_figures.kept()["pieces"] == 3
    cell_figures(session, area, Window(date(2025, 12, 1), date(2026, 4, 1)))
    assert month_figures.kept()["pieces"] == 4  # only December was computed
    monkeypatch.setattr(month_figures, "BUDGET", 1)
    cell_figures(session, area, Window(date(2025, 11, 1), date(2026, 6, 1)))
    assert month_figures.kept()["pieces"] == 1


# Every write that changes figures, then the answers: equal to answers computed with nothing
# kept, and (so the test can fail) different from the answers before the write.
WINDOW = "from=2016-01-01&to=2026-12-31"
URLS = [
    f"/api/v1/hotspots?{WINDOW}",
    f"/api/v1/hotspots?{WINDOW}&cell_km=2",
    f"/api/v1/zones/stats?{WINDOW}",
    "/api/v1/hotspots?from=2026-03-01&to=2026-03-31",
    "/api/v1/zones/stats?from=2026-03-01&to=2026-03-31&format=csv",
]


# The prediction (its visits kept per month, its covariates kept) and dispatch, which ranks
# by it: after every write, equal to what is computed with nothing kept, and moved.
RISK_URLS = [
    "/api/v1/risk?until=2026-05-10",
    "/api/v1/dispatch?from=2025-05-11&to=2026-05-10",
]


def _answers(client, world):
    out = []
    for url in URLS + RISK_URLS:
        r = client.get(url, headers=world.auth("coord"))
        assert r.status_code == 200, (url, r.get_json())
        out.append(r.data)
    return out


def _forget() -> None:
    month_figures.clear()
    answer_cache.clear()
    risk.clear()


def _after_write(client, world, write, risk_moves: bool = True) -> None:
    before = _answers(client, world)  # now kept
    assert _answers(client, world) == before  # and answered from what is kept
    write()
    after = _answers(client, world)
    _forget()
    assert after == _answers(client, world)
    assert after[0] != before[0]
    assert (after[len(URLS)] != before[len(URLS)]) == risk_moves


def test_ingest_through_the_api(client, world, stored):
    _after_write(client, world, lambda: _post(client, world, make_report(finds=((0, 0),))))


def test_correction_of_a_find(client, world, stored):
    def correct():
        pid = stored[2]  # on skis, with two finds
        doc = client.get(f"/api/v1/patrols/{pid}", headers=world.auth("coord")).get_json()
        body = {"revision": 1, "finds": {doc["features"][1]["id"]: {"count": 9}}}
        r = client.patch(f"/api/v1/patrols/{pid}", json=body, headers=world.auth("coord"))
        assert r.status_code == 200, r.get_json()

    _after_write(client, world, correct)


def test_delete_and_restore(client, world, stored):
    def delete():
        r = client.delete(f"/api/v1/patrols/{stored[6]}?revision=1", headers=world.auth("coord"))
        assert r.status_code == 200

    _after_write(client, world, delete)

    def restore():
        r = client.post(
            f"/api/v1/patrols/{stored[6]}/restore?revision=2", headers=world.auth("coord")
        )
        assert r.status_code == 200, r.get_json()

    _after_write(client, world, restore)


def test_bulk_import(client, world, stored, runner, tmp_path):
    path = tmp_path / "one.geojson"
    path.write_text(json.dumps(make_report(finds=((1000, 1000),))))

    def bulk():
        result = runner.invoke(args=["patrols", "import", "--unit", "T-01", str(path)])
        assert result.exit_code == 0, result.output

    _after_write(client, world, bulk)


def test_smart_import(client, world, stored, runner, tmp_path):
    from tests.smart_files import standard_patrol

    path = tmp_path / "p.xml"
    path.write_bytes(standard_patrol("SMART_X"))

    def smart():
        result = runner.invoke(args=["smart", "import", str(path), "--unit", "T-01"])
        assert result.exit_code == 0, result.output

    _after_write(client, world, smart)


def test_recompute_rewrites_effort(app, client, world, stored, runner):
    """Effort rows spoiled behind the app's back (no fingerprint moves), kept, then put right
    by ``patrol recompute``: the answers follow the recomputation."""
    engine = app.extensions["patrol.engine"]

    with engine.begin() as conn:
        conn.execute(sa.update(EffortCell).values(effort_km=EffortCell.effort_km * 3))
        conn.execute(sa.update(EffortZone).values(effort_km=EffortZone.effort_km * 3))

    def recompute():
        result = runner.invoke(args=["recompute"])
        assert result.exit_code == 0, result.output

    _after_write(client, world, recompute)


def test_zones_replaced(client, world, stored):
    from tests.api.test_zones import halves, wait_for_job

    def replace():
        r = client.put(
            "/api/v1/zones?area=test-area",
            data=json.dumps(halves()),
            content_type=GEOJSON,
            headers=world.auth("coord"),
        )
        assert r.status_code == 202, r.get_json()
        wait_for_job(client, world, r.headers["Location"])

    # Zones change zone figures only: the test's first answer is the ten-year zone table.
    URLS.insert(0, URLS.pop(2))
    try:
        _after_write(client, world, replace, risk_moves=False)  # zones are no covariate
    finally:
        URLS.insert(2, URLS.pop(0))


def test_a_grid_change_is_another_key(client, world, stored, session):
    """A grid of another cell size (or origin) is never answered from the old one's pieces."""
    before = _answers(client, world)
    session.rollback()
    with session.begin():
        session.get(ConservationArea, world.area_id).cell_m = 500.0
    after = _answers(client, world)
    _forget()
    assert after == _answers(client, world)
    assert after[0] != before[0]
    assert after[len(URLS)] != before[len(URLS)]  # the prediction's cells are another grid's
