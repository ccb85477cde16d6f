"""GPX in the dialects handhelds and phones write (tests/fixtures/gpx): read, or refused why.

Each file is read a second time here with the standard library's XML parser, independently of
gpxpy, and the report is compared with that reading.
"""

from __future__ import annotations

import hashlib
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import gpxpy
import numpy as np
import pytest

from patrol.errors import MalformedInput, PatrolError
from patrol.geo import gpx as gpx_module
from patrol.geo.gpx import GPX_NAMESPACE, parse_gpx_report, waypoint_properties
from patrol.geo.importers import GPXImporter, importer_for
from patrol.geo.projection import GEOD
from patrol.geo.report import Limits, ReportDefaults
from tests.samples import GPX_FIXTURES

UNIT = ReportDefaults(unit="T-01")


def fixture(name: str) -> bytes:
    return (GPX_FIXTURES / name).read_bytes()


def _time(element: ET.Element) -> datetime | None:
    found = element.find("{*}time")
    if found is None:
        return None
    value = datetime.fromisoformat(found.text.strip())
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass
class Reading:
    """What a GPX file holds, read with ElementTree: segments of >= 2 points, waypoints."""

    parts: list[np.ndarray]
    times: list[list[datetime | None]]
    waypoints: list[tuple[float, float, datetime | None]]

    @property
    def length_km(self) -> float:
        return sum(GEOD.line_length(p[:, 0], p[:, 1]) for p in self.parts) / 1000


def read_independently(name: str) -> Reading:
    root = ET.fromstring(fixture(name).decode("utf-8-sig"))
    parts, times = [], []
    for seg in root.findall("{*}trk/{*}trkseg"):
        points = seg.findall("{*}trkpt")
        if len(points) >= 2:
            parts.append(np.array([[float(p.get("lon")), float(p.get("lat"))] for p in points]))
            times.append([_time(p) for p in points])
    waypoints = [
        (float(w.get("lon")), float(w.get("lat")), _time(w)) for w in root.findall("{*}wpt")
    ]
    return Reading(parts, times, waypoints)


# File -> vertices per part and each find's (type, count, state, action), in file order.
READ = {
    "etrex-gpx11-garmin-extensions.gpx": (
        [150],
        [
            ("wire", 3, "active", "removed"),
            ("cable", 1, "triggered", "left_in_place"),
            ("rope", 2, "active", "destroyed"),
            ("other", 1, "active", "removed"),  # "CAMP": every waypoint is a find
        ],
    ),
    "track-with-empty-segments.gpx": ([40], []),
    "bom-cyrillic.gpx": (
        [30],
        [("cable", 2, "active", "removed"), ("other", 1, "active", "removed")],
    ),
    "gpx10-vehicle.gpx": ([25], [("wire", 1, "active", "removed")]),
    "several-tracks.gpx": (
        [20, 35, 30],
        [("cable", 4, "inactive", "removed"), ("pit", 1, "active", "removed")],
    ),
    "times-without-z-and-local-offset.gpx": ([12], []),
}

# File -> (status, the pointers of its problems, words of its detail).
REFUSED = {
    "route-without-track.gpx": (422, {"/gpx/trk"}, "planned route (<rte>)"),
    "waypoints-only.gpx": (422, {"/gpx/trk"}, "no track with at least 2 points"),
    "phone-no-times.gpx": (422, {"/started_at", "/ended_at"}, "2 problem(s)"),
    "first-point-without-time.gpx": (422, {"/started_at"}, "1 problem(s)"),
    "last-point-without-time.gpx": (422, {"/ended_at"}, "1 problem(s)"),
    "bad-latin1.gpx": (400, set(), "not UTF-8 text (byte 75)"),
    "bad-truncated.gpx": (400, set(), "not well-formed XML"),
    "bad-coordinate-text.gpx": (400, set(), "could not convert string to float: 'n/a'"),
    "bad-utc-offset.gpx": (400, set(), "UTC offset of 24 hours or more"),
    "bad-times-backwards.gpx": (422, {"/gpx/trk/0/trkseg/0/trkpt/5/time"}, "1 problem(s)"),
    "bad-out-of-range.gpx": (422, {"/gpx/trk/0/trkseg/0/trkpt/2/1", "/gpx/wpt/0"}, "2 problem"),
    "bad-standing-still.gpx": (422, {"/gpx/trk/0/trkseg/0"}, "1 problem(s)"),
    "bad-find-outside-patrol.gpx": (422, {"/gpx/wpt/0/properties/found_at"}, "1 problem(s)"),
    "bad-snare-count.gpx": (422, {"/gpx/wpt/0/properties/count"}, "1 problem(s)"),
}


def test_every_fixture_is_known():
    assert {p.name for p in GPX_FIXTURES.glob("*.gpx")} == set(READ) | set(REFUSED)


@pytest.mark.parametrize("name", sorted(READ))
def test_fixture_is_read(name):
    sizes, finds = READ[name]
    report = parse_gpx_report(fixture(name), UNIT)
    expected = read_independently(name)
    assert [len(p) for p in report.parts] == sizes
    for part, other in zip(report.parts, expected.parts, strict=True):
        assert np.array_equal(part, other)
    # Every point has a time in these files: per-vertex times, the window from the ends.
    stamps = [[t.timestamp() for t in ts] for ts in expected.times]
    assert [t.tolist() for t in report.times] == stamps
    assert report.started_at == expected.times[0][0]
    assert report.ended_at == expected.times[-1][-1]
    assert report.unit == "T-01" and report.transport == "foot" and report.source_format == "gpx"
    assert [(s.type, s.count, s.state, s.action) for s in report.snares] == finds
    for snare, (lon, lat, when) in zip(report.snares, expected.waypoints, strict=True):
        assert (snare.lon, snare.lat) == (lon, lat)
        if when is not None:
            assert snare.found_at == when


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_fixture_is_refused(name):
    status, pointers, words = REFUSED[name]
    with pytest.raises(PatrolError) as info:
        parse_gpx_report(fixture(name), UNIT)
    error = info.value
    assert error.status == status
    assert {e.pointer for e in error.errors} == pointers
    assert all(e.detail for e in error.errors)
    assert words in error.detail + " ".join(e.detail for e in error.errors)


def test_garmin_extensions_keep_the_waypoint_texts_as_notes():
    report = parse_gpx_report(fixture("etrex-gpx11-garmin-extensions.gpx"), UNIT)
    assert [s.notes for s in report.snares] == [
        "SNARE x3",
        "002 / cable snare, triggered, left in place",
        "ROPE 2 snares / destroyed on site",
        "CAMP / lunch at the old hut",
    ]
    assert report.vertex_count == 150 and len(report.times[0]) == 150


def test_a_bom_changes_nothing_but_the_bytes():
    data = fixture("bom-cyrillic.gpx")
    assert data.startswith(b"\xef\xbb\xbf")
    with_bom = parse_gpx_report(data, UNIT)
    without = parse_gpx_report(data[3:], UNIT)
    assert with_bom.canonical() | {"id": None, "snares": None} == without.canonical() | {
        "id": None,
        "snares": None,
    }
    assert [s.notes for s in with_bom.snares] == [
        "Петли, 2 snares / тросовые (cable), сняты",
        "Петля",
    ]


def test_times_without_z_are_utc_and_offsets_are_converted():
    report = parse_gpx_report(fixture("times-without-z-and-local-offset.gpx"), UNIT)
    start = datetime(2025, 7, 1, 1, 0, tzinfo=UTC)
    # Six points written without a zone, six at +10:00: one clock, two minutes apart.
    assert report.times[0].tolist() == [
        (start + timedelta(minutes=2 * i)).timestamp() for i in range(12)
    ]


@pytest.mark.parametrize(
    ("name", "waypoint"), [("gpx10-vehicle.gpx", 0), ("several-tracks.gpx", 1)]
)
def test_untimed_waypoint_takes_the_time_the_track_passed_closest(name, waypoint):
    report = parse_gpx_report(fixture(name), UNIT)
    reading = read_independently(name)
    lon, lat, when = reading.waypoints[waypoint]
    assert when is None
    xy = np.concatenate(reading.parts)
    times = [t for part in reading.times for t in part]
    _, _, metres = GEOD.inv(np.full(len(xy), lon), np.full(len(xy), lat), xy[:, 0], xy[:, 1])
    assert report.snares[waypoint].found_at == times[int(np.argmin(metres))]


def test_untimed_track_takes_the_window_from_the_request():
    start = datetime(2025, 10, 14, 1, 0, tzinfo=UTC)
    end = datetime(2025, 10, 14, 5, 30, tzinfo=UTC)
    report = parse_gpx_report(
        fixture("phone-no-times.gpx"), ReportDefaults(unit="T-01", started_at=start, ended_at=end)
    )
    assert report.times is None
    assert (report.started_at, report.ended_at) == (start, end)
    assert [(s.type, s.count, s.state, s.action) for s in report.snares] == [
        ("wire", 1, "active", "removed"),
        ("leghold", 2, "active", "marked"),
    ]
    assert all(s.found_at == start for s in report.snares)
    assert report.vertex_count == len(read_independently("phone-no-times.gpx").parts[0]) == 60


@pytest.mark.parametrize(
    ("name", "given"),
    [
        ("first-point-without-time.gpx", "started_at"),
        ("last-point-without-time.gpx", "ended_at"),
    ],
)
def test_partly_timed_track_needs_the_missing_end_only(name, given):
    reading = read_independently(name)
    timed = [t for t in reading.times[0] if t is not None]
    value = timed[0] - timedelta(minutes=5) if given == "started_at" else timed[-1]
    report = parse_gpx_report(fixture(name), ReportDefaults(unit="T-01", **{given: value}))
    assert report.times is None  # not every point has a time: effort hours go by distance
    assert getattr(report, given) == value
    other = "ended_at" if given == "started_at" else "started_at"
    assert getattr(report, other) == (timed[-1] if other == "ended_at" else timed[0])
    # An untimed waypoint on an untimed route is found at the patrol's start.
    assert all(s.found_at == report.started_at for s in report.snares)


def test_without_started_at_untimed_waypoints_add_no_problems_and_unit_is_asked_for():
    with pytest.raises(PatrolError) as info:
        parse_gpx_report(fixture("phone-no-times.gpx"), ReportDefaults())
    assert [e.pointer for e in info.value.errors] == ["/started_at", "/ended_at", "/unit"]


@pytest.mark.parametrize(
    ("limits", "words"),
    [
        (
            Limits(max_vertices=149),
            "the route has 150 vertices; at most 149 are accepted in one report",
        ),
        (Limits(max_finds=3), "4 finds; at most 3 in one report"),
    ],
)
def test_limits(limits, words):
    name = "etrex-gpx11-garmin-extensions.gpx"
    assert parse_gpx_report(fixture(name), UNIT, Limits(150, 4)).vertex_count == 150
    with pytest.raises(PatrolError) as info:
        parse_gpx_report(fixture(name), UNIT, limits)
    assert [e.detail for e in info.value.errors] == [words]


def test_ids_come_from_the_bytes_and_the_unit_unless_given():
    data = fixture("several-tracks.gpx")
    a = parse_gpx_report(data, UNIT)
    b = parse_gpx_report(data, UNIT)
    other_unit = parse_gpx_report(data, ReportDefaults(unit="T-02"))
    assert a.id == b.id != other_unit.id
    assert a.content_hash() == b.content_hash()
    assert [s.id for s in a.snares] == [s.id for s in b.snares]
    assert a.id == str(uuid.uuid5(GPX_NAMESPACE, hashlib.sha256(data).hexdigest() + "T-01"))
    given = "0b6f3c4e-9a57-4a11-8f62-5d1e2b3c4d5e"
    named = parse_gpx_report(
        data, ReportDefaults(id=given, unit=" T-01 ", transport="vehicle", leader="Pavlov")
    )
    assert named.id == given and named.unit == "T-01"
    assert (named.transport, named.leader) == ("vehicle", "Pavlov")


def test_a_value_gpxpy_cannot_read_is_a_400(monkeypatch):
    # gpxpy 1.6 turns bad numbers into GPXException; older releases raised ValueError.
    def broken(text):
        raise ValueError("could not convert string to float: 'x'")

    monkeypatch.setattr(gpx_module.gpxpy, "parse", broken)
    with pytest.raises(MalformedInput, match="a value that cannot be read"):
        parse_gpx_report(fixture("gpx10-vehicle.gpx"), UNIT)


@pytest.mark.parametrize(
    ("media_type", "filename", "name"),
    [
        ("application/gpx+xml", None, "gpx10-vehicle.gpx"),
        ("application/octet-stream", "track.GPX", "several-tracks.gpx"),
        (None, None, "bom-cyrillic.gpx"),  # sniffed behind the BOM and the XML declaration
        ("application/octet-stream", None, "etrex-gpx11-garmin-extensions.gpx"),
    ],
)
def test_gpx_importer_is_chosen(media_type, filename, name):
    assert importer_for(media_type, filename, fixture(name)[:4096]) is GPXImporter


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Snare x3 removed", {"type": "other", "count": 3, "action": "removed"}),
        ("wire snares 2 snares destroyed", {"type": "wire", "count": 2, "action": "destroyed"}),
        (
            "Cable, triggered, left in place",
            {"type": "cable", "state": "triggered", "action": "left_in_place"},
        ),
        ("3x pit, marked", {"type": "pit", "count": 3, "action": "marked"}),
        ("", {"type": "other", "count": 1, "state": "active", "action": "removed"}),
    ],
)
def test_waypoint_keywords(text, expected):
    wpt = gpxpy.gpx.GPXWaypoint(43.0, 131.0, name=text or None)
    props = waypoint_properties(wpt)
    for key, value in expected.items():
        assert props[key] == value
    assert ("notes" in props) == bool(text)
