"""Real GPX files from other tools (../shared/samples): each imports or is refused with a reason.

The project's own fixtures (tests/geo/test_gpx.py) cover the same dialects; this corpus is the
check against files nobody here wrote. It runs where ../shared exists (CI) and is skipped in a
standalone clone.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import gpxpy
import numpy as np
import pytest

from patrol.errors import PatrolError
from patrol.geo.gpx import parse_gpx_report
from patrol.geo.projection import GEOD
from patrol.geo.report import ReportDefaults
from tests.samples import GPX_FIXTURES, SHARED_SAMPLES, needs_shared_corpus

pytestmark = needs_shared_corpus

SAMPLES = SHARED_SAMPLES / "gpx"

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
    files = {f.name for f in SAMPLES.glob("*.gpx")}
    assert files, f"no samples under {SAMPLES}"
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample(name: str):
    path = SAMPLES / name
    expected = EXPECTED[name]
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


def test_no_fixture_is_a_copy_of_a_sample():
    # tests/fixtures/gpx is written for this project: a standalone clone owes nothing to shared/.
    digest = lambda path: hashlib.sha256(path.read_bytes()).hexdigest()  # noqa: E731
    samples = {digest(p) for p in SAMPLES.glob("*.gpx")}
    fixtures = {digest(p) for p in GPX_FIXTURES.glob("*.gpx")}
    assert samples and fixtures and not samples & fixtures
