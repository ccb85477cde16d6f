"""The real SMART export in ../shared/samples/smart/: every element accounted for, compared item
by item with an independent reading, and the round trip. Skipped where ../shared is absent."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import sqlalchemy as sa

from patrol.geo.packed_route import unpack_route, unpack_times
from patrol.store.models import (
    Observation,
    ObservationAttribute,
    Patrol,
    SmartLeg,
    SmartPatrol,
    SnareFind,
)
from tests.api.test_smart_export import assert_same, forget_patrols, snapshot
from tests.smart_files import SAMPLE, read_independently

pytestmark = pytest.mark.skipif(
    not SAMPLE.exists(),
    reason=f"the real SMART sample is not here ({SAMPLE}): ../shared exists in CI only",
)

# The sample was recorded in Virginia: a test area is made around it rather than moving it.
EAST = ZoneInfo("America/New_York")


@pytest.fixture
def virginia(app, world):
    from patrol.db import get_session
    from patrol.services import areas, smart

    with app.app_context():
        s = get_session()
        lon, lat, d = -77.1977, 38.7607, 0.05
        ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
        area = areas.create_area(
            s,
            "virginia",
            "Sample area (around the SMART sample)",
            {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            timezone="America/New_York",
        )
        s.commit()
        areas.import_units(
            s,
            area,
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": None,
                        "properties": {"code": "CT-1", "name": "C"},
                    }
                ],
            },
        )
        s.commit()
        smart.set_area_map(s, None, area, {"teams": {"Community Team 1": "CT-1"}})
    return area


def test_sample_imports_and_every_element_is_accounted_for(client, world, virginia, session):
    data = SAMPLE.read_bytes()
    r = client.post(
        "/api/v1/patrols", data=data, content_type="application/xml", headers=world.auth("admin")
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert (body["area"], body["unit"], body["smart_id"]) == (
        "virginia",
        "CT-1",
        "SMART_000006-001",
    )
    truth = read_independently(data)
    row = session.scalar(sa.select(SmartPatrol))
    doc = row.doc
    assert (doc["patrol_type"], doc["armed"], doc["objective"], doc["team"], doc["comment"]) == (
        "GROUND",
        False,
        "Test project",
        "Community Team 1",
        "Test patrol for monitoring project",
    )
    assert (doc["start_date"], doc["end_date"]) == ("2025-12-17", "2026-01-31")
    (leg_doc,) = doc["legs"]
    assert leg_doc["mandate"] == "Research and Monitoring" and leg_doc["transport"] == "Vehicle"
    assert [(m["employee_id"], m["leader"]) for m in leg_doc["members"]] == [
        ("195000015", False),
        ("195000013", True),
        ("195000014", False),
        ("195000012", False),
        ("195000016", False),
    ]
    (day_doc,) = leg_doc["days"]
    assert (day_doc["start_time"], day_doc["end_time"], day_doc["rest_minutes"]) == (
        "20:48:25",
        "20:51:55",
        2.0,
    )
    assert day_doc["distance"] == "0.009733034297823906"
    patrol = session.scalar(sa.select(SmartLeg)).patrol
    assert (patrol.transport, patrol.leader) == ("vehicle", "Tony Wambu")
    assert patrol.members == [
        "John Peter",
        "Tim Obriek",
        "David Aliata",
        "Lilian Wendy",
    ]
    # The track: 7 points, times being the park's wall clock (20:48:25 is the day's start).
    (line,) = truth["legs"][0]["days"][0]["tracks"]
    (route,) = unpack_route(patrol.route_packed)
    np.testing.assert_allclose(route, line[:, :2], atol=5e-8)
    (times,) = [t.tolist() for t in unpack_times(patrol.times_packed)]
    expected = [
        datetime.fromtimestamp(z / 1000, UTC).replace(tzinfo=EAST).timestamp() for z in line[:, 2]
    ]
    np.testing.assert_allclose(times, expected, atol=1e-3)
    assert patrol.started_at == datetime(2025, 12, 17, 20, 48, 25, tzinfo=EAST).astimezone(UTC)
    # Every waypoint, observation and attribute with its typed value.
    observations = session.scalars(
        sa.select(Observation).order_by(Observation.waypoint_index, Observation.position)
    ).all()
    waypoints = truth["legs"][0]["days"][0]["waypoints"]
    flat = [(w, o) for w in waypoints for o in w["observations"]]
    assert len(observations) == len(flat) == 11
    n_attributes = 0
    for obs, (w, (group, key, attrs)) in zip(observations, flat, strict=True):
        assert (obs.waypoint_id, obs.lon, obs.lat, obs.category_key, obs.group_index) == (
            w["id"],
            w["x"],
            w["y"],
            key,
            group,
        )
        assert obs.observed_at == datetime.fromisoformat(f"2025-12-17T{w['time']}").replace(
            tzinfo=EAST
        )
        stored = [
            (a.key, a.kind, a.items, a.number_value, a.bool_value, a.text_value)
            for a in obs.attributes
        ]
        wanted = []
        for k, values in attrs:
            tag, text = values[0]
            wanted.append(
                (
                    k,
                    {"itemKey": "item", "dValue": "number", "bValue": "boolean", "sValue": "text"}[
                        tag
                    ],
                    [text] if tag == "itemKey" else None,
                    float(text) if tag == "dValue" else None,
                    (text == "true") if tag == "bValue" else None,
                    text if tag == "sValue" else None,
                )
            )
        assert stored == wanted
        n_attributes += len(stored)
    assert (
        n_attributes
        == session.scalar(sa.select(sa.func.count()).select_from(ObservationAttribute))
        == 39
    )
    # No snare category in this sample: no finds, nothing hidden.
    assert session.scalar(sa.select(sa.func.count()).select_from(SnareFind)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 1


def test_sample_round_trip(client, world, virginia, app, session):
    data = SAMPLE.read_bytes()
    headers = world.auth("admin")
    assert (
        client.post("/api/v1/patrols", data=data, content_type="application/xml", headers=headers)
    ).status_code == 201
    before = snapshot(session)
    r = client.get(
        "/api/v1/exports/smart?area=virginia&from=2025-12-01&to=2026-01-31", headers=headers
    )
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.data)) as zf:
        (exported,) = [zf.read(n) for n in zf.namelist()]
    a, b = read_independently(data), read_independently(exported)
    ta, tb = a["legs"][0]["days"][0].pop("tracks"), b["legs"][0]["days"][0].pop("tracks")
    np.testing.assert_allclose(ta[0][:, :2], tb[0][:, :2], atol=1e-7)
    np.testing.assert_allclose(ta[0][:, 2], tb[0][:, 2], atol=1)
    assert a == b
    forget_patrols(app)
    r = client.post(
        "/api/v1/patrols", data=exported, content_type="application/xml", headers=headers
    )
    assert r.status_code == 201, r.get_json()
    assert_same(before, snapshot(session))
