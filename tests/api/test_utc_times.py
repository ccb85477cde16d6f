"""Every answer writes UTC times one way, ISO 8601 with a Z (geo.times.iso_utc), never
'+00:00': clients parse one form, and a diff of two answers shows no spurious change."""

from __future__ import annotations

import json
import re

from tests.api.test_smart_import import post_xml
from tests.api.test_zones import halves, wait_for_job
from tests.conftest import make_report
from tests.smart_files import standard_patrol

GEOJSON = "application/geo+json"
# An ISO 8601 date and time, and whatever follows it (a zone, or nothing).
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(Z|[+-]\d\d:?\d\d)?")


def test_every_answer_writes_utc_times_with_a_z(client, world):
    h = world.auth("coord")
    bodies: dict[str, bytes] = {}

    report = make_report(times=True)
    pid = report["features"][0]["id"]
    r = client.post("/api/v1/patrols", data=json.dumps(report), content_type=GEOJSON, headers=h)
    assert r.status_code == 201
    bodies["submit"] = r.data
    find_id = report["features"][1]["id"]
    r = client.patch(
        f"/api/v1/patrols/{pid}", headers=h, json={"revision": 1, "finds": {find_id: {"count": 3}}}
    )
    assert r.status_code == 200
    bodies["correct"] = r.data
    r = post_xml(client, world, standard_patrol())
    assert r.status_code == 201
    bodies["smart import"] = r.data
    r = client.put(
        "/api/v1/zones?area=test-area", data=json.dumps(halves()), content_type=GEOJSON, headers=h
    )
    assert r.status_code == 202
    wait_for_job(client, world, r.headers["Location"])
    for name, path in [
        ("job", r.headers["Location"]),
        ("patrols", "/api/v1/patrols"),
        ("snares", "/api/v1/snares"),
        ("observations", "/api/v1/observations"),
        ("session", "/api/v1/session"),
        ("zone stats", "/api/v1/zones/stats?from=2026-01-01&to=2026-12-31"),
        ("annual json", "/api/v1/exports/annual?year=2026&format=json"),
        ("finds export", "/api/v1/exports/finds?year=2026&format=geojson"),
        ("ogc collection", "/ogc/collections/test-area-finds?f=json"),
        ("ogc items", "/ogc/collections/test-area-finds/items?f=json"),
        ("ogc observations", "/ogc/collections/test-area-observations/items?f=json"),
    ]:
        got = client.get(path, headers=h)
        assert got.status_code == 200, (name, got.data[:300])
        bodies[name] = got.data
    r = client.delete(f"/api/v1/patrols/{pid}?revision=2", headers=h)
    assert r.status_code == 200, r.get_json()
    bodies["delete"] = r.data
    bodies["audit"] = client.get(f"/api/v1/patrols/{pid}", headers=h).data

    zones = {}
    for name, body in bodies.items():
        text = body.decode("utf-8")
        assert "+00:00" not in text, name
        zones[name] = {m.group(1) for m in TIME.finditer(text)}
    # The scan saw times in the answers that carry them, and every one of them said Z.
    for name in ("submit", "correct", "job", "patrols", "snares", "observations", "delete"):
        assert zones[name] == {"Z"}, (name, zones[name])
    assert {"Z"} == set().union(*zones.values())
    audit = json.loads(bodies["audit"])["audit"]
    assert [e["action"] for e in audit] == ["create", "correct", "delete"]
    assert all(e["at"].endswith("Z") for e in audit)
    assert audit[2]["after"]["deleted_at"].endswith("Z")
