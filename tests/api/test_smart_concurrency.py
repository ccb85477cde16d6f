"""The same SMART file sent by several clients at once is stored once (a real threaded server)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from patrol.store.models import Observation, Patrol, SmartPatrol
from tests.api.test_concurrency import server  # noqa: F401  (the fixture)
from tests.smart_files import standard_patrol

CLIENTS = 6


def _send(url: str, token: str, body: bytes, barrier: threading.Barrier) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{url}/api/v1/patrols?unit=T-01",
        data=body,
        method="POST",
        headers={"Content-Type": "application/xml", "Authorization": f"Bearer {token}"},
    )
    barrier.wait(timeout=30)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_same_smart_file_from_several_clients_is_stored_once(server, world, session):  # noqa: F811
    body = standard_patrol()
    barrier = threading.Barrier(CLIENTS)
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [
            pool.submit(_send, server, world.tokens["ranger1"], body, barrier)
            for _ in range(CLIENTS)
        ]
        results = [f.result() for f in futures]
    assert sorted(status for status, _ in results) == [200] * (CLIENTS - 1) + [201], results
    ids = {tuple(p["id"] for p in doc["patrols"]) for _, doc in results}
    assert len(ids) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(SmartPatrol)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 3
    assert session.scalar(sa.select(sa.func.count()).select_from(Observation)) == 6
