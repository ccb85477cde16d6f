"""Bulk import (`patrol patrols import` through services/bulk.py): per-patrol idempotency
inside a batch, rejections alone with their reasons, and the same rows as the API stores."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from patrol.services import bulk
from patrol.store.models import AuditEvent, EffortCell, EffortZone, Patrol, PatrolTrack, SnareFind
from tests.conftest import make_report, row_counts


def _reports() -> list[dict]:
    """Five good reports of different shapes: finds or none, vertex times or none, two units."""
    return [
        make_report(),
        make_report(
            xy_m=((-8000, 6000), (-3000, 6500), (-2500, 1000), (4000, -7000)),
            finds=((-3000, 6400), (-2600, 2000), (4000, -7000)),
            unit="T-02",
            times=True,
        ),
        make_report(xy_m=((500, 500), (9000, 500), (9000, 9000)), finds=()),
        make_report(
            xy_m=((-9000, -9000), (0, -9000), (0, 0), (9000, 9000)),
            finds=((0, 0), (100, 100)),
            hours=8,
        ),
        make_report(xy_m=((-100, 4000), (6000, 4000), (-100, 4000)), times=True, hours=3),
    ]


def _write(tmp_path, name: str, doc: dict) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


def _bad_batch(tmp_path) -> tuple[list[str], list[dict]]:
    """Good reports, then in the same batch a replay, a conflict and a bad report."""
    good = _reports()
    files = [_write(tmp_path, f"good{k}.geojson", doc) for k, doc in enumerate(good)]
    files.append(_write(tmp_path, "replay.geojson", good[1]))
    conflict = json.loads(json.dumps(good[2]))
    conflict["features"][0]["properties"]["leader"] = "Someone else"
    files.append(_write(tmp_path, "conflict.geojson", conflict))
    bad = make_report()
    bad["features"][0]["geometry"]["coordinates"][1][1] = 95.0
    files.append(_write(tmp_path, "bad.geojson", bad))
    files.append(_write(tmp_path, "good_last.geojson", make_report(unit="T-02")))
    return files, good


@pytest.mark.parametrize(("jobs", "batch"), [(1, 200), (1, 3), (2, 200)])
def test_batch_with_replay_conflict_and_bad_report(runner, world, tmp_path, session, jobs, batch):
    files, good = _bad_batch(tmp_path)
    args = ["patrols", "import", "--jobs", str(jobs), "--batch", str(batch), *files]
    result = runner.invoke(args=args)
    assert result.exit_code == 1, result.output
    out, err = result.stdout, result.stderr
    for k, doc in enumerate(good):
        assert f"good{k}.geojson: stored as patrol {doc['features'][0]['id']}" in out
    assert f"replay.geojson: already stored as patrol {good[1]['features'][0]['id']}" in out
    assert "good_last.geojson: stored as patrol" in out
    assert "conflict.geojson: rejected" in err
    assert f"A different report with id {good[2]['features'][0]['id']} is stored" in err
    assert "bad.geojson: rejected" in err
    assert "/features/0/geometry/coordinates/1" in err
    assert "6 stored, 1 already stored, 2 rejected" in out
    stored = session.scalars(sa.select(Patrol.uuid)).all()
    assert sorted(stored) == sorted([d["features"][0]["id"] for d in good] + [_last_id(files)])
    # the conflict stored nothing: the patrol keeps its first content
    leader = session.scalar(
        sa.select(Patrol.leader).where(Patrol.uuid == good[2]["features"][0]["id"])
    )
    assert leader == "A. Leader"
    assert (
        session.scalar(sa.select(sa.func.count()).select_from(SnareFind)) == 1 + 3 + 0 + 2 + 1 + 1
    )
    events = session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.entity == "patrol")
    )
    assert events == 6

    before = row_counts(runner.app)
    again = runner.invoke(args=args)
    assert again.exit_code == 1
    assert "0 stored, 7 already stored, 2 rejected" in again.stdout
    assert row_counts(runner.app) == before


def _last_id(files: list[str]) -> str:
    with open(files[-1]) as f:
        return json.load(f)["features"][0]["id"]


def _snapshot(session) -> dict:
    """Every stored figure keyed by ids a second import keeps (uuids, not row ids)."""
    uuid_of = dict(session.execute(sa.select(Patrol.id, Patrol.uuid)).all())
    skip = {"id", "submitted_at", "submitted_by_id"}
    patrols = {
        p.uuid: {
            c.key: getattr(p, c.key) for c in sa.inspect(Patrol).column_attrs if c.key not in skip
        }
        for p in session.scalars(sa.select(Patrol))
    }
    tracks = {
        uuid_of[t.patrol_id]: (t.route_packed, t.times_packed)
        for t in session.scalars(sa.select(PatrolTrack))
    }
    cells = sorted(
        (uuid_of[c.patrol_id], c.ix, c.iy, c.effort_km, c.effort_h)
        for c in session.scalars(sa.select(EffortCell))
    )
    zones = sorted(
        (uuid_of[z.patrol_id], z.zone_id, z.effort_km, z.effort_h)
        for z in session.scalars(sa.select(EffortZone))
    )
    finds = sorted(
        (
            uuid_of[f.patrol_id],
            f.uuid,
            f.found_at,
            f.lon,
            f.lat,
            f.type,
            f.count,
            f.state,
            f.action,
            f.cell_ix,
            f.cell_iy,
            f.zone_id,
        )
        for f in session.scalars(sa.select(SnareFind))
    )
    audit = sorted(
        (e.entity_id, e.action, e.after)
        for e in session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "patrol"))
    )
    session.rollback()
    return {
        "patrols": patrols,
        "tracks": tracks,
        "cells": cells,
        "zones": zones,
        "finds": finds,
        "audit": audit,
    }


def _post(client, world, doc: dict) -> None:
    """Store a report through the API, as a coordinator."""
    r = client.post(
        "/api/v1/patrols",
        data=json.dumps(doc),
        content_type="application/geo+json",
        headers=world.auth("coord"),
    )
    assert r.status_code == 201, r.get_json()


def _forget_patrols(session) -> None:
    session.execute(sa.delete(AuditEvent).where(AuditEvent.entity == "patrol"))
    for model in (SnareFind, EffortCell, EffortZone, PatrolTrack, Patrol):
        session.execute(sa.delete(model))
    session.commit()


@pytest.mark.parametrize("jobs", [1, 2])
def test_bulk_rows_equal_the_api_rows(runner, client, world, tmp_path, session, jobs):
    good = _reports()
    files = [_write(tmp_path, f"r{k}.geojson", doc) for k, doc in enumerate(good)]
    result = runner.invoke(args=["patrols", "import", "--jobs", str(jobs), "--batch", "2", *files])
    assert result.exit_code == 0, result.output
    bulk_rows = _snapshot(session)
    assert len(bulk_rows["patrols"]) == 5 and bulk_rows["cells"] and bulk_rows["zones"]
    _forget_patrols(session)
    for doc in good:
        _post(client, world, doc)
    api_rows = _snapshot(session)
    assert bulk_rows == api_rows
    # and the figures add up: every patrol's cells sum to its distance
    for uuid, p in bulk_rows["patrols"].items():
        km = sum(c[3] for c in bulk_rows["cells"] if c[0] == uuid)
        assert km == pytest.approx(p["distance_km"], rel=1e-9)


def test_a_refused_batch_is_stored_patrol_by_patrol(runner, world, tmp_path, session, monkeypatch):
    files, _ = _bad_batch(tmp_path)
    real_insert = bulk._insert
    calls = []

    def refuse_once(s, new):
        calls.append(len(new))
        real_insert(s, new)  # half the batch written, then the database says no
        if len(calls) == 1:
            raise sa.exc.IntegrityError("INSERT", {}, Exception("simulated"))

    monkeypatch.setattr(bulk, "_insert", refuse_once)
    result = runner.invoke(args=["patrols", "import", "--jobs", "1", *files])
    assert result.exit_code == 1, result.output
    assert calls == [6]
    assert "6 stored, 1 already stored, 2 rejected" in result.stdout
    assert "conflict.geojson: rejected" in result.stderr
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 6
    patrol_events = sa.select(sa.func.count()).select_from(AuditEvent)
    assert session.scalar(patrol_events.where(AuditEvent.entity == "patrol")) == 6


def test_quiet_keeps_rejections_and_the_summary(runner, world, tmp_path):
    files, _ = _bad_batch(tmp_path)
    result = runner.invoke(args=["patrols", "import", "--quiet", "--jobs", "1", *files])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        line for line in result.stdout.splitlines() if line.startswith("6 stored,")
    ]
    assert len(result.stdout.splitlines()) == 1
    assert "conflict.geojson: rejected" in result.stderr
    assert "importing" not in result.stderr  # no progress bar: --quiet, and not a terminal


def test_a_batch_takes_its_ids_in_order_and_later_patrols_follow(
    runner, client, world, tmp_path, session
):
    """A batch's patrols get consecutive ids in the files' order (on plain PostgreSQL taken from the
    sequence before the rows go in: services/patrol_rows.py), each with its own rows, and a
    patrol sent afterwards through the API gets a later id."""
    good = _reports()
    files = [_write(tmp_path, f"r{k}.geojson", doc) for k, doc in enumerate(good)]
    result = runner.invoke(args=["patrols", "import", "--jobs", "1", "--batch", "5", *files])
    assert result.exit_code == 0, result.output
    id_of = dict(session.execute(sa.select(Patrol.uuid, Patrol.id)).all())
    ids = [id_of[doc["features"][0]["id"]] for doc in good]
    assert ids == list(range(ids[0], ids[0] + len(good)))
    for doc in good:  # each patrol's track and cells are its own, not a neighbour's
        pid = id_of[doc["features"][0]["id"]]
        km = session.scalar(
            sa.select(sa.func.sum(EffortCell.effort_km)).where(EffortCell.patrol_id == pid)
        )
        distance = session.scalar(sa.select(Patrol.distance_km).where(Patrol.id == pid))
        assert km == pytest.approx(distance, rel=1e-9)
        assert session.get(PatrolTrack, pid) is not None
    session.rollback()  # what the API stores next is read in a new transaction
    later = make_report(unit="T-02")
    _post(client, world, later)
    later_id = session.scalar(sa.select(Patrol.id).where(Patrol.uuid == later["features"][0]["id"]))
    assert later_id > ids[-1]
