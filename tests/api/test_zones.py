"""Replacing zones recomputes effort and finds; bad zone files change nothing."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from patrol.store.models import EffortCell, EffortZone, Patrol, RecomputeJob, SnareFind, Zone
from tests.conftest import CX, CY, HALF_M, make_report, quadrant_zones, rect, row_counts

GEOJSON = "application/geo+json"


def halves() -> dict:
    """Two zones, west and east halves of the test area."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "W", "name": "West"},
                "geometry": rect(CX - HALF_M, CY - HALF_M, CX, CY + HALF_M),
            },
            {
                "type": "Feature",
                "properties": {"code": "E", "name": "East"},
                "geometry": rect(CX, CY - HALF_M, CX + HALF_M, CY + HALF_M),
            },
        ],
    }


def test_replacing_zones_recomputes(client, world, session):
    report = make_report(xy_m=((-4000, 1000), (4000, 1000)), finds=((3000, 1000),))
    assert (
        client.post(
            "/api/v1/patrols",
            data=json.dumps(report),
            content_type=GEOJSON,
            headers=world.auth("ranger1"),
        ).status_code
        == 201
    )
    cells_before = sorted(
        (c.ix, c.iy, round(c.effort_km, 9)) for c in session.scalars(sa.select(EffortCell))
    )
    r = client.put(
        "/api/v1/zones?area=test-area",
        data=json.dumps(halves()),
        content_type=GEOJSON,
        headers=world.auth("coord"),
    )
    assert r.status_code == 202, r.get_json()
    assert [f["id"] for f in r.get_json()["features"]] == ["E", "W"]
    assert wait_for_job(client, world, r.headers["Location"])["done"] == 1
    session.rollback()
    zones = {z.id: z.code for z in session.scalars(sa.select(Zone))}
    assert sorted(zones.values()) == ["E", "W"]
    effort = {zones[e.zone_id]: e.effort_km for e in session.scalars(sa.select(EffortZone))}
    assert effort["W"] == pytest.approx(4.0, rel=2e-3)
    assert effort["E"] == pytest.approx(4.0, rel=2e-3)
    find = session.scalar(sa.select(SnareFind))
    assert zones[find.zone_id] == "E"
    # The grid did not change: cell effort is untouched.
    cells_after = sorted(
        (c.ix, c.iy, round(c.effort_km, 9)) for c in session.scalars(sa.select(EffortCell))
    )
    assert cells_after == cells_before


def wait_for_job(client, world, location: str) -> dict:
    """Poll a recompute job until it ends (a bounded number of polls, not a timed assert)."""
    for _ in range(2000):
        job = client.get(location, headers=world.auth("coord")).get_json()
        if job["state"] != "running":
            assert job["state"] == "done", job
            return job
        time.sleep(0.01)
    raise AssertionError(f"job still running: {job}")


def _post(client, world, report, who="ranger1"):
    r = client.post(
        "/api/v1/patrols", data=json.dumps(report), content_type=GEOJSON, headers=world.auth(who)
    )
    assert r.status_code == 201, r.get_json()
    return r


def _zone_effort(session) -> dict[str, float]:
    session.rollback()
    codes = dict(session.execute(sa.select(Zone.id, Zone.code)).all())
    effort: dict[str, float] = {}
    for e in session.scalars(sa.select(EffortZone)):
        effort[codes[e.zone_id]] = effort.get(codes[e.zone_id], 0.0) + e.effort_km
    return effort


def test_zone_stats_say_while_figures_are_recomputed(app, client, world, session):
    """The replacement commits at once; until the job has measured every patrol, zone
    statistics say so; submissions meanwhile are measured against the new zones."""
    for k in range(3):
        _post(client, world, make_report(xy_m=((-4000, 1000 + k), (4000, 1000 + k)), finds=()))
    from patrol.services import areas
    from patrol.store.models import ConservationArea

    with app.app_context():
        from patrol.db import get_session

        s = get_session()
        replaced = areas.replace_zones(s, s.get(ConservationArea, world.area_id), halves())
        job_id = replaced.job.id
    stats = client.get("/api/v1/zones/stats", headers=world.auth("coord")).get_json()
    assert stats["recomputing"]["id"] == job_id and stats["recomputing"]["done"] == 0
    # Reported during the job: measured against W and E at once.
    _post(client, world, make_report(xy_m=((-3000, 3000), (3000, 3000)), finds=()))
    latest = session.scalar(sa.select(Patrol.id).order_by(Patrol.id.desc()).limit(1))
    codes = dict(session.execute(sa.select(Zone.id, Zone.code)).all())
    mine = session.scalars(sa.select(EffortZone).where(EffortZone.patrol_id == latest)).all()
    assert sorted(codes[e.zone_id] for e in mine) == ["E", "W"]
    # The runner died before it began: the job is stale, and asking for it takes it up.
    session.execute(sa.update(RecomputeJob).values(heartbeat_at=datetime(2020, 1, 1, tzinfo=UTC)))
    session.commit()
    job = wait_for_job(client, world, f"/api/v1/jobs/{job_id}")
    assert job["done"] == job["total"] == 4
    effort = _zone_effort(session)
    assert effort["W"] == pytest.approx(3 * 4.0 + 3.0, rel=2e-3)
    assert effort["E"] == pytest.approx(3 * 4.0 + 3.0, rel=2e-3)
    stats = client.get("/api/v1/zones/stats", headers=world.auth("coord")).get_json()
    assert "recomputing" not in stats


def test_a_report_measured_before_a_replacement_is_measured_again(app, world, session):
    """Measured against the old zones, stored after the new ones: it is measured against the
    new ones (on PostgreSQL the old zone ids would break a foreign key)."""
    from patrol.geo.geojson_report import parse_geojson_report
    from patrol.services import areas
    from patrol.services.measure import AreaContext
    from patrol.services.patrols import ingest_report
    from patrol.store.models import ConservationArea

    area = session.get(ConservationArea, world.area_id)
    contexts = {area.id: AreaContext.load(session, area)}
    areas.replace_zones(session, area, halves())
    report = parse_geojson_report(make_report(xy_m=((-4000, 1000), (4000, 1000)), finds=()))
    result = ingest_report(session, None, report, contexts=contexts)
    assert result.created
    assert contexts[area.id].zones_version == area.zones_version
    assert set(_zone_effort(session)) == {"W", "E"}


def test_jobs_run_in_batches_with_progress_and_a_newer_one_supersedes(app, client, world, session):
    from patrol.services import areas, recompute
    from patrol.store.models import ConservationArea

    for k in range(3):
        _post(client, world, make_report(xy_m=((-4000, 1000 + k), (4000, 1000 + k)), finds=()))
    area = session.get(ConservationArea, world.area_id)
    first = areas.replace_zones(session, area, halves()).job.id
    second = areas.replace_zones(session, area, quadrant_zones()).job.id
    stopped = recompute.run_job(session, first)
    assert stopped.state == "failed" and "superseded" in stopped.error
    seen = []
    job = recompute.run_job(session, second, batch_size=1, progress=lambda j: seen.append(j.done))
    assert seen == [1, 2, 3] and job.state == "done"
    assert set(_zone_effort(session)) == {"NE", "NW"}  # the routes run north of the centre


def test_a_runner_whose_job_is_deleted_meanwhile_stops_quietly(
    app, client, world, session, monkeypatch
):
    """A job deleted between a runner's read of a batch and its write (its area deleted, or a
    test's database wiped under a runner thread) ends the runner without writing or raising
    (it raised AttributeError in the runner's thread)."""
    from patrol.services import areas, recompute
    from patrol.store.models import ConservationArea

    _post(client, world, make_report(xy_m=((-4000, 1000), (4000, 1000)), finds=()))
    area = session.get(ConservationArea, world.area_id)
    job_id = areas.replace_zones(session, area, halves()).job.id
    before = sorted(
        (e.patrol_id, e.zone_id, e.effort_km) for e in session.scalars(sa.select(EffortZone))
    )
    read = recompute._read_batch

    def read_then_delete(session_, *args, **kwargs):
        batch = read(session_, *args, **kwargs)
        with app.app_context():
            from patrol.db import get_session

            other = get_session()
            other.execute(sa.delete(RecomputeJob).where(RecomputeJob.id == job_id))
            other.commit()
        return batch

    monkeypatch.setattr(recompute, "_read_batch", read_then_delete)
    assert recompute.run_job(session, job_id) is None
    recompute.fail_job(session, job_id, "a runner raised")  # nothing to mark: no error
    session.rollback()
    after = sorted(
        (e.patrol_id, e.zone_id, e.effort_km) for e in session.scalars(sa.select(EffortZone))
    )
    assert after == before


def _bad(doc_fn):
    doc = quadrant_zones()
    doc_fn(doc)
    return doc


BAD_ZONES = [
    ("not a collection", lambda d: d.update(type="Feature"), "/type"),
    ("no features", lambda d: d.update(features=[]), "/features"),
    (
        "duplicate code",
        lambda d: d["features"][1]["properties"].update(code="SW"),
        "/features/1/properties/code",
    ),
    (
        "missing code",
        lambda d: d["features"][2]["properties"].pop("code"),
        "/features/2/properties/code",
    ),
    (
        "a line",
        lambda d: d["features"][0].update(
            geometry={"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
        ),
        "/features/0/geometry",
    ),
    (
        "open ring",
        lambda d: d["features"][0]["geometry"]["coordinates"][0].pop(),
        "/features/0/geometry/coordinates/0",
    ),
    (
        "bow tie",
        lambda d: d["features"][0].update(
            geometry={
                "type": "Polygon",
                "coordinates": [
                    [[131.3, 43.2], [131.31, 43.21], [131.31, 43.2], [131.3, 43.21], [131.3, 43.2]]
                ],
            }
        ),
        "/features/0/geometry",
    ),
    (
        "overlap",
        lambda d: d["features"].append(
            copy.deepcopy(d["features"][0]) | {"properties": {"code": "X", "name": "X"}}
        ),
        "/features/4/geometry",
    ),
    (
        "latitude out of range",
        lambda d: d["features"][0]["geometry"]["coordinates"][0][1].__setitem__(1, 99.0),
        "/features/0/geometry/coordinates/0/1/1",
    ),
]


@pytest.mark.parametrize("case", BAD_ZONES, ids=[c[0] for c in BAD_ZONES])
def test_bad_zone_files(client, world, app, runner, tmp_path, case):
    name, mutate, pointer = case
    doc = _bad(mutate)
    before = row_counts(app)
    r = client.put(
        "/api/v1/zones?area=test-area",
        data=json.dumps(doc),
        content_type=GEOJSON,
        headers=world.auth("coord"),
    )
    assert r.status_code == 422, (name, r.get_json())
    assert pointer in [e["pointer"] for e in r.get_json()["errors"]], r.get_json()
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(doc))
    result = runner.invoke(args=["zones", "import", "--area", "test-area", str(path)])
    assert result.exit_code == 1
    assert pointer in result.output
    assert row_counts(app) == before


def test_cli_zones_import(runner, world, tmp_path, session):
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(halves()))
    result = runner.invoke(args=["zones", "import", "--area", "test-area", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 zones stored" in result.output
    assert "0 patrols recomputed" in result.output
    assert sorted(session.scalars(sa.select(Zone.code))) == ["E", "W"]
