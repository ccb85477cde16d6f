"""Real GPX files from other tools: each imports or is refused with a clear reason."""

from __future__ import annotations

from pathlib import Path

import gpxpy
import numpy as np
import pytest

from patrol.errors import PatrolError
from patrol.geo.gpx import parse_gpx_report, waypoint_properties
from patrol.geo.projection import GEOD
from patrol.geo.report import ReportDefaults

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "gpx"
if not SAMPLES.is_dir():  # CI clones the repo with shared/ beside it
    SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "gpx"
FILES = sorted(SAMPLES.glob("*.gpx"))

# What each sample should give: "ok" with vertex and waypoint counts, or the reason refused.
EXPECTED = {
    "around-visnjan-with-car.gpx": ("ok", 104, 0),
    "cerknicko-jezero.gpx": ("ok", 296, 7),
    "cerknicko-without-times.gpx": ("refused", "/started_at"),
    "gpx1.0_with_all_fields.gpx": ("refused", "/gpx/trk"),
    "gpx1.1_with_all_fields.gpx": ("refused", "/gpx/trk"),
    "gpx_with_garmin_extension.gpx": ("refused", "/gpx/trk"),
    "korita-zbevnica.gpx": ("refused", "/started_at"),  # its first points have no time
    "route.gpx": ("refused", "/gpx/trk"),
    "track-with-empty-segment.gpx": ("ok", 9, 0),
    "unicode_with_bom.gpx": ("refused", "/gpx/trk"),
}


def test_every_sample_is_known():
    assert FILES, f"no samples under {SAMPLES}"
    assert {f.name for f in FILES} == set(EXPECTED)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_sample(path: Path):
    expected = EXPECTED[path.name]
    defaults = ReportDefaults(unit="T-01")
    if expected[0] == "refused":
        with pytest.raises(PatrolError) as info:
            parse_gpx_report(path.read_bytes(), defaults)
        assert info.value.status in (400, 422)
        assert expected[1] in [e.pointer for e in info.value.errors]
        assert all(e.detail for e in info.value.errors)
        return
    report = parse_gpx_report(path.read_bytes(), defaults)
    assert report.vertex_count == expected[1]
    assert len(report.snares) == expected[2]
    # Independent reading with gpxpy: the same points, in order, per non-trivial segment.
    gpx = gpxpy.parse(path.read_bytes().decode("utf-8-sig"))
    segs = [s for t in gpx.tracks for s in t.segments if len(s.points) >= 2]
    for part, seg in zip(report.parts, segs, strict=True):
        assert np.allclose(part, [[p.longitude, p.latitude] for p in seg.points])
    assert report.ended_at >= report.started_at


def test_samples_without_times_import_with_times_given():
    path = SAMPLES / "cerknicko-without-times.gpx"
    from datetime import UTC, datetime

    start = datetime(2026, 5, 1, 6, tzinfo=UTC)
    end = datetime(2026, 5, 1, 12, tzinfo=UTC)
    report = parse_gpx_report(
        path.read_bytes(), ReportDefaults(unit="T-01", started_at=start, ended_at=end)
    )
    assert report.times is None
    assert report.started_at == start and report.ended_at == end
    assert len(report.snares) == 7
    assert all(s.found_at == start for s in report.snares)


def test_same_file_same_id():
    data = (SAMPLES / "cerknicko-jezero.gpx").read_bytes()
    a = parse_gpx_report(data, ReportDefaults(unit="T-01"))
    b = parse_gpx_report(data, ReportDefaults(unit="T-01"))
    assert a.id == b.id and a.content_hash() == b.content_hash()


def test_track_length_matches_gpxpy_geodesic_within_half_percent():
    path = SAMPLES / "cerknicko-jezero.gpx"
    report = parse_gpx_report(path.read_bytes(), ReportDefaults(unit="T-01"))
    ours = sum(GEOD.line_length(p[:, 0], p[:, 1]) for p in report.parts)
    gpx = gpxpy.parse(path.read_text())
    theirs = sum(s.length_2d() for t in gpx.tracks for s in t.segments)
    assert ours == pytest.approx(theirs, rel=5e-3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Snare x3 removed", {"type": "other", "count": 3, "action": "removed"}),
        ("wire snares 2 snares destroyed", {"type": "wire", "count": 2, "action": "destroyed"}),
        (
            "Cable, triggered, left in place",
            {"type": "cable", "state": "triggered", "action": "left_in_place"},
        ),
        ("", {"type": "other", "count": 1, "state": "active", "action": "removed"}),
    ],
)
def test_waypoint_keywords(text, expected):
    wpt = gpxpy.gpx.GPXWaypoint(43.0, 131.0, name=text or None)
    props = waypoint_properties(wpt)
    for key, value in expected.items():
        assert props[key] == value
