"""The same report sent by 8 clients at once is stored exactly once (a real threaded server)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from patrol.store.models import AuditEvent, Patrol, SnareFind
from tests.conftest import make_report

CLIENTS = 8


@pytest.fixture
def server(app, world):
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(timeout=10)


def _send(url: str, token: str, body: bytes, barrier: threading.Barrier) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{url}/api/v1/patrols",
        data=body,
        method="POST",
        headers={"Content-Type": "application/geo+json", "Authorization": f"Bearer {token}"},
    )
    barrier.wait(timeout=30)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _run(server, world, bodies):
    barrier = threading.Barrier(len(bodies))
    with ThreadPoolExecutor(len(bodies)) as pool:
        futures = [pool.submit(_send, server, world.tokens["ranger1"], b, barrier) for b in bodies]
        return [f.result() for f in futures]


def test_same_report_from_eight_clients_is_stored_once(server, world, session):
    report = make_report()
    body = json.dumps(report).encode()
    results = _run(server, world, [body] * CLIENTS)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (CLIENTS - 1) + [201], results
    pid = report["features"][0]["id"]
    assert all(doc["id"] == pid for _, doc in results)
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(SnareFind)) == 1
    assert (
        session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.entity_id == pid)
        )
        == 1
    )


def test_two_versions_racing_store_one_and_refuse_the_other(server, world, session):
    report = make_report()
    other = json.loads(json.dumps(report))
    other["features"][1]["properties"]["count"] = 7
    bodies = [json.dumps(report).encode(), json.dumps(other).encode()] * (CLIENTS // 2)
    results = _run(server, world, bodies)
    created = [doc for status, doc in results if status == 201]
    assert len(created) == 1
    stored_count = created[0]["features"][1]["properties"]["count"]
    for (status, doc), body in zip(results, bodies, strict=True):
        sent_count = json.loads(body)["features"][1]["properties"]["count"]
        if sent_count == stored_count:
            assert status in (200, 201)
        else:
            assert status == 409 and doc["type"].endswith("/conflict")
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 1


def _call(url, token, method, path, body, barrier) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{url}{path}",
        data=body,
        method=method,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    barrier.wait(timeout=30)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("round_", range(3))
def test_eight_edits_of_one_revision_one_wins(server, world, client, session, round_):
    """PATCH and DELETE of revision 1 at once: exactly one is applied, the others get the
    stale-revision problem, and the audit trail has one event going from 1 to 2."""
    report = make_report()
    pid = report["features"][0]["id"]
    r = client.post(
        "/api/v1/patrols",
        data=json.dumps(report),
        content_type="application/geo+json",
        headers=world.auth("ranger1"),
    )
    assert r.status_code == 201
    calls = []
    for k in range(CLIENTS):
        if k % 4 == 3:
            calls.append(("DELETE", f"/api/v1/patrols/{pid}?revision=1", None))
        else:
            body = json.dumps({"revision": 1, "leader": f"Leader {k}"}).encode()
            calls.append(("PATCH", f"/api/v1/patrols/{pid}", body))
    barrier = threading.Barrier(CLIENTS)
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [
            pool.submit(_call, server, world.tokens["coord"], m, p, b, barrier) for m, p, b in calls
        ]
        results = [f.result() for f in futures]
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * (CLIENTS - 1), results
    assert all(doc["type"].endswith("/stale-revision") for status, doc in results if status == 409)
    session.rollback()
    assert session.scalar(sa.select(Patrol.revision).where(Patrol.uuid == pid)) == 2
    edits = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity_id == pid, AuditEvent.action != "create")
    ).all()
    assert len(edits) == 1
    assert edits[0].before["revision"] == 1
