"""Restoring a deleted patrol is the exact inverse of deleting it: every figure (zone stats,
hotspots, the annual export, lists) after delete + restore equals the figure before; audited,
and the audit trail reads as sentences."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from patrol.store.models import AuditEvent, EffortZone, Patrol, Zone
from tests.api.test_exports import two_years  # noqa: F401  (the fixture)
from tests.api.test_zones import halves, wait_for_job

GEOJSON = "application/geo+json"


def _figures(client, world) -> dict:
    """What coordinators and NGOs see of 2026, with the moment of production left out."""
    h, ngo = world.auth("coord"), world.auth("ngo")
    export = client.get(
        "/api/v1/exports/annual?year=2026&format=json&area=test-area", headers=ngo
    ).get_json()
    export.pop("produced_at")
    stats = client.get("/api/v1/zones/stats?from=2026-01-01&to=2026-12-31", headers=h).get_json()
    hot = client.get("/api/v1/hotspots?from=2026-01-01&to=2026-12-31", headers=h).get_json()
    patrols = client.get("/api/v1/patrols?from=2026-01-01&to=2026-12-31", headers=h).get_json()
    snares = client.get("/api/v1/snares?from=2026-01-01&to=2026-12-31", headers=h).get_json()
    for doc in (stats, hot):
        doc.pop("produced_at", None)
    return {
        "export": export,
        "zones": [f["properties"] for f in stats["features"]],
        "cells": sorted(
            (json.dumps(f["properties"], sort_keys=True) for f in hot["features"]),
        ),
        "patrols": sorted(f["id"] for f in patrols["features"]),
        "snares": sorted(f["id"] for f in snares["features"]),
    }


def _one_2026_patrol(session) -> Patrol:
    return session.scalars(
        sa.select(Patrol).where(Patrol.transport == "foot").order_by(Patrol.started_at.desc())
    ).first()


def test_restore_brings_back_every_figure_exactly(client, world, two_years, session):  # noqa: F811
    patrol = _one_2026_patrol(session)
    pid, revision = patrol.uuid, patrol.revision
    before = _figures(client, world)
    h = world.auth("coord")
    r = client.delete(f"/api/v1/patrols/{pid}?revision={revision}", headers=h)
    assert r.status_code == 200
    deleted = _figures(client, world)
    assert deleted != before and pid not in deleted["patrols"]
    r = client.post(f"/api/v1/patrols/{pid}/restore?revision={revision + 1}", headers=h)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["features"][0]["properties"]["deleted_at"] is None
    assert r.headers["ETag"] == f'"{revision + 2}"'
    assert _figures(client, world) == before
    session.rollback()
    actions = session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.entity_id == pid).order_by(AuditEvent.id)
    ).all()
    assert actions == ["create", "delete", "restore"]
    trail = client.get(f"/api/v1/patrols/{pid}", headers=h).get_json()["audit"]
    assert trail[-1]["sentence"].startswith("Coordinator coord restored the patrol on ")
    assert trail[-2]["sentence"].startswith("Coordinator coord deleted the patrol on ")


def test_restore_after_the_zones_changed_measures_against_the_new_zones(
    client,
    world,
    two_years,  # noqa: F811
    session,
):
    """Zones replaced while the patrol was deleted: the recompute measured it too, so the
    restored patrol counts in the new zones exactly as one never deleted."""
    patrol = _one_2026_patrol(session)
    pid, revision, patrol_id = patrol.uuid, patrol.revision, patrol.id
    h = world.auth("coord")
    assert client.delete(f"/api/v1/patrols/{pid}?revision={revision}", headers=h).status_code == 200
    r = client.put(
        "/api/v1/zones?area=test-area", data=json.dumps(halves()), content_type=GEOJSON, headers=h
    )
    assert r.status_code == 202
    wait_for_job(client, world, r.headers["Location"])
    r = client.post(f"/api/v1/patrols/{pid}/restore?revision={revision + 1}", headers=h)
    assert r.status_code == 200
    session.rollback()
    codes = dict(session.execute(sa.select(Zone.id, Zone.code)).all())
    rows = session.scalars(sa.select(EffortZone).where(EffortZone.patrol_id == patrol_id)).all()
    assert rows and {codes[e.zone_id] for e in rows} <= {"E", "W"}
    stored = session.get(Patrol, patrol_id)
    assert sum(e.effort_km for e in rows) == pytest.approx(stored.distance_km, rel=1e-6)


@pytest.mark.parametrize(
    ("who", "delete_first", "revision", "status", "code"),
    [
        ("coord", False, 1, 409, "patrol-not-deleted"),
        ("coord", True, 1, 409, "stale-revision"),
        ("coord", True, None, 422, None),
        ("ranger1", True, 2, 403, None),
        ("ngo", True, 2, 403, None),
    ],
)
def test_restore_refusals_change_nothing(
    client,
    world,
    two_years,  # noqa: F811
    session,
    who,
    delete_first,
    revision,
    status,
    code,
):
    patrol = _one_2026_patrol(session)
    pid = patrol.uuid
    if delete_first:
        client.delete(f"/api/v1/patrols/{pid}?revision=1", headers=world.auth("coord"))
    query = "" if revision is None else f"?revision={revision}"
    r = client.post(f"/api/v1/patrols/{pid}/restore{query}", headers=world.auth(who))
    assert r.status_code == status and r.mimetype == "application/problem+json"
    if code:
        assert r.get_json()["type"].endswith(code)
    session.rollback()
    stored = session.scalar(sa.select(Patrol).where(Patrol.uuid == pid))
    assert (stored.deleted_at is not None) == delete_first
    assert stored.revision == (2 if delete_first else 1)


def test_restore_of_an_unknown_or_foreign_patrol_is_404(client, world):
    r = client.post(
        "/api/v1/patrols/00000000-0000-0000-0000-000000000000/restore?revision=1",
        headers=world.auth("coord"),
    )
    assert r.status_code == 404


def test_the_audit_trail_reads_as_sentences(client, world, two_years, session):  # noqa: F811
    patrol = next(p for p in session.scalars(sa.select(Patrol)) if p.finds)
    pid = patrol.uuid
    find_id = patrol.finds[0].uuid
    count = patrol.finds[0].count
    h = world.auth("coord")
    r = client.patch(
        f"/api/v1/patrols/{pid}",
        json={"revision": 1, "leader": "Petrov", "finds": {find_id: {"count": 7}}},
        headers=h,
    )
    assert r.status_code == 200, r.get_json()
    r = client.patch(f"/api/v1/patrols/{pid}", json={"revision": 2, "leader": "Sidorov"}, headers=h)
    assert r.status_code == 200
    trail = client.get(f"/api/v1/patrols/{pid}", headers=h).get_json()["audit"]
    created, first, second = (e["sentence"] for e in trail)
    assert created.startswith(f"Coordinator coord submitted the patrol (unit {patrol.unit.code}, ")
    assert "changed the count of find 1 (found " in first and f"from {count} to 7" in first
    assert "set the leader to Petrov" in first or "changed the leader from" in first
    assert second.startswith("Coordinator coord changed the leader from Petrov to Sidorov on ")
    # The time is the area's local time (Asia/Vladivostok is UTC+10), as "30 Nov 2026 16:20".
    at = trail[-1]["at"]
    assert second.endswith(".") and "{" not in second
    from datetime import datetime
    from zoneinfo import ZoneInfo

    local = datetime.fromisoformat(at).replace(tzinfo=ZoneInfo("UTC"))
    local = local.astimezone(ZoneInfo("Asia/Vladivostok"))
    assert second.endswith(f"on {local.day} {local:%b %Y %H:%M}.")
