"""GPX files (tests/fixtures/gpx, recorded in the test area) submitted through the API."""

from __future__ import annotations

import io

import numpy as np
import pytest
import sqlalchemy as sa

from patrol.store.models import EffortCell, Patrol, SnareFind
from tests.geo.test_gpx import READ, REFUSED, fixture, read_independently

GPX = "application/gpx+xml"


def post(client, world, data: bytes, query: str = "unit=T-01", content_type: str = GPX):
    return client.post(
        f"/api/v1/patrols?{query}",
        data=data,
        content_type=content_type,
        headers=world.auth("ranger1"),
    )


def test_handheld_recording_via_multipart(client, world, session):
    name = "etrex-gpx11-garmin-extensions.gpx"
    data = fixture(name)
    reading = read_independently(name)
    r = client.post(
        "/api/v1/patrols",
        headers=world.auth("ranger1"),
        data={"file": (io.BytesIO(data), "etrex.gpx"), "unit": "T-01"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert len(body["features"]) == 1 + len(reading.waypoints) == 5
    assert body["figures"]["distance_km"] == pytest.approx(reading.length_km, abs=1e-4)
    patrol = session.scalar(sa.select(Patrol))
    assert patrol.source_format == "gpx" and patrol.times_packed
    assert patrol.vertex_count == 150 and patrol.transport == "foot"
    assert patrol.started_at.replace(tzinfo=None) == reading.times[0][0].replace(tzinfo=None)
    cell_km = session.scalar(sa.select(sa.func.sum(EffortCell.effort_km)))
    assert cell_km == pytest.approx(reading.length_km, rel=5e-3)
    finds = session.scalars(sa.select(SnareFind).order_by(SnareFind.found_at)).all()
    assert [(f.type, f.count, f.state, f.action) for f in finds] == READ[name][1]
    assert np.allclose([(f.lon, f.lat) for f in finds], [w[:2] for w in reading.waypoints])
    # The same file again is a replay (its id comes from its bytes), not a second patrol.
    again = post(client, world, data)
    assert again.status_code == 200
    assert again.get_json()["id"] == body["id"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 1


@pytest.mark.parametrize(
    "name",
    [
        "track-with-empty-segments.gpx",
        "bom-cyrillic.gpx",
        "gpx10-vehicle.gpx",
        "several-tracks.gpx",
        "times-without-z-and-local-offset.gpx",
    ],
)
def test_every_dialect_is_stored(client, world, session, name):
    reading = read_independently(name)
    r = post(client, world, fixture(name), "unit=T-01&transport=vehicle&leader=Pavlov")
    assert r.status_code == 201, r.get_json()
    route = r.get_json()["features"][0]["properties"]
    assert route["transport"] == "vehicle"
    assert r.get_json()["figures"]["distance_km"] == pytest.approx(reading.length_km, abs=1e-4)
    patrol = session.scalar(sa.select(Patrol))
    assert patrol.vertex_count == sum(READ[name][0]) == sum(len(p) for p in reading.parts)
    assert patrol.leader == "Pavlov"
    stored = session.scalars(sa.select(SnareFind.type).order_by(SnareFind.found_at)).all()
    assert stored == [find[0] for find in READ[name][1]]


def test_raw_body_without_a_gpx_type_is_sniffed(client, world, session):
    given = "8a0c2d4e-6f81-4b3a-9c5d-7e1f2a3b4c5d"
    r = post(
        client,
        world,
        fixture("gpx10-vehicle.gpx"),
        f"unit=T-01&id={given}",
        content_type="application/octet-stream",
    )
    # Uploaded as a foot patrol (the default), the drive is refused as too fast...
    assert r.status_code == 422
    assert "faster than a foot patrol" in r.get_json()["errors"][0]["detail"]
    r = post(
        client,
        world,
        fixture("gpx10-vehicle.gpx"),
        f"unit=T-01&id={given}&transport=vehicle",
        content_type="application/octet-stream",
    )
    assert r.status_code == 201, r.get_json()  # ... and taken as what it is
    assert r.get_json()["id"] == given
    assert session.scalar(sa.select(Patrol.uuid)) == given


def test_untimed_recording_needs_times(client, world, session):
    data = fixture("phone-no-times.gpx")
    r = post(client, world, data)
    assert r.status_code == 422
    assert [e["pointer"] for e in r.get_json()["errors"]] == ["/started_at", "/ended_at"]
    r = post(client, world, data, "unit=T-01&started_at=2025-10-14T06:00:00Z&ended_at=2025-10-14")
    assert r.status_code == 422  # a date is not a time
    assert [e["pointer"] for e in r.get_json()["errors"]] == ["/ended_at"]
    r = post(
        client,
        world,
        data,
        "unit=T-01&started_at=2025-10-14T06:00:00Z&ended_at=2025-10-14T11:00:00Z",
    )
    assert r.status_code == 201, r.get_json()
    hours = [z["effort_h"] for z in r.get_json()["figures"]["zones"]]
    assert sum(hours) == pytest.approx(5.0, abs=1e-3)  # rows rounded to 4 decimals
    patrol = session.scalar(sa.select(Patrol))
    assert patrol.times_packed is None and patrol.duration_h == pytest.approx(5.0)
    assert session.scalar(sa.select(sa.func.count()).select_from(SnareFind)) == 2


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_files_store_nothing(client, world, session, name):
    status, pointers, _ = REFUSED[name]
    r = post(client, world, fixture(name))
    assert r.status_code == status
    assert r.mimetype == "application/problem+json"
    assert {e["pointer"] for e in r.get_json().get("errors", [])} == pointers
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(SnareFind)) == 0


def test_multipart_without_a_file_is_refused(client, world):
    r = client.post(
        "/api/v1/patrols",
        headers=world.auth("ranger1"),
        data={"unit": "T-01"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert [e["pointer"] for e in r.get_json()["errors"]] == ["/file"]


@pytest.mark.parametrize(
    ("data", "content_type", "status", "words"),
    [
        (b"  \n", GPX, 400, "The body is empty."),
        (fixture("gpx10-vehicle.gpx"), "text/plain", 415, "application/gpx+xml"),
        (b"PK\x03\x04 a zip", "application/octet-stream", 415, "neither GeoJSON, GPX nor SMART"),
    ],
)
def test_unreadable_uploads(client, world, session, data, content_type, status, words):
    r = post(client, world, data, content_type=content_type)
    assert r.status_code == status
    assert words in r.get_json()["detail"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 0
