"""Real GPX recordings (../shared/samples), translated into the test area, through the API.

Skipped in a standalone clone; tests/api/test_gpx_upload.py covers the same paths with the
project's own fixtures.
"""

from __future__ import annotations

import io

import gpxpy
import numpy as np
import pytest
import sqlalchemy as sa

from patrol.geo.projection import GEOD
from patrol.store.models import EffortCell, Patrol, SnareFind
from tests.conftest import AREA_CENTER
from tests.samples import SHARED_SAMPLES, needs_shared_corpus

pytestmark = needs_shared_corpus

SAMPLES = SHARED_SAMPLES / "gpx"


def translated(name: str) -> tuple[bytes, gpxpy.gpx.GPX]:
    """The sample moved so that its first track point sits at the test area's centre.

    The samples were recorded in Slovenia; a shift in degrees keeps their shape and times.
    """
    gpx = gpxpy.parse((SAMPLES / name).read_bytes().decode("utf-8-sig"))
    first = next(p for t in gpx.tracks for s in t.segments for p in s.points)
    dlon, dlat = AREA_CENTER[0] - first.longitude, AREA_CENTER[1] - first.latitude
    for point in [p for t in gpx.tracks for s in t.segments for p in s.points] + gpx.waypoints:
        point.longitude += dlon
        point.latitude += dlat
    return gpx.to_xml().encode(), gpx


def test_handheld_recording_via_multipart(client, world, session):
    data, gpx = translated("cerknicko-jezero.gpx")
    r = client.post(
        "/api/v1/patrols",
        headers=world.auth("ranger1"),
        data={"file": (io.BytesIO(data), "cerknica.gpx"), "unit": "T-01"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert len(body["features"]) == 1 + len(gpx.waypoints) == 8
    expected_km = (
        sum(
            GEOD.line_length([p.longitude for p in s.points], [p.latitude for p in s.points])
            for t in gpx.tracks
            for s in t.segments
            if len(s.points) >= 2
        )
        / 1000
    )
    assert body["figures"]["distance_km"] == pytest.approx(expected_km, abs=1e-4)  # 4 decimals
    patrol = session.scalar(sa.select(Patrol))
    assert patrol.source_format == "gpx" and patrol.times_packed
    cell_km = session.scalar(sa.select(sa.func.sum(EffortCell.effort_km)))
    assert cell_km == pytest.approx(expected_km, rel=5e-3)
    assert session.scalar(sa.select(sa.func.count()).select_from(SnareFind)) == 7
    # The same file again is a replay (its id comes from its bytes), not a second patrol.
    again = client.post(
        "/api/v1/patrols?unit=T-01",
        data=data,
        content_type="application/gpx+xml",
        headers=world.auth("ranger1"),
    )
    assert again.status_code == 200
    assert again.get_json()["id"] == body["id"]


def test_recording_with_an_empty_segment(client, world):
    data, _ = translated("track-with-empty-segment.gpx")
    r = client.post(
        "/api/v1/patrols?unit=T-01&transport=vehicle",
        data=data,
        content_type="application/gpx+xml",
        headers=world.auth("ranger1"),
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["features"][0]["properties"]["transport"] == "vehicle"


def test_untimed_recording_needs_times(client, world):
    data, _ = translated("cerknicko-without-times.gpx")
    r = client.post(
        "/api/v1/patrols?unit=T-01",
        data=data,
        content_type="application/gpx+xml",
        headers=world.auth("ranger1"),
    )
    assert r.status_code == 422
    assert "/started_at" in [e["pointer"] for e in r.get_json()["errors"]]
    r = client.post(
        "/api/v1/patrols?unit=T-01&started_at=2026-03-02T06:00:00Z&ended_at=2026-03-02T11:00:00Z",
        data=data,
        content_type="application/gpx+xml",
        headers=world.auth("ranger1"),
    )
    assert r.status_code == 201, r.get_json()
    hours = [z["effort_h"] for z in r.get_json()["figures"]["zones"]]
    assert sum(hours) == pytest.approx(5.0, abs=1e-3)  # rows rounded to 4 decimals
    assert np.isfinite(hours).all()
