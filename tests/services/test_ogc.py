"""The OGC datetime parameter and its meaning for an area: pure functions, no app."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from patrol.errors import InvalidParameter
from patrol.services.ogc import TimeFilter, bbox_to_crs84, epsg_of, parse_datetime, reproject

TZ = "Asia/Vladivostok"  # UTC+10, no daylight saving


@pytest.mark.parametrize(
    ("raw", "start", "end"),
    [
        ("2026-03-05", date(2026, 3, 5), date(2026, 3, 5)),
        ("2026-03-01/2026-03-31", date(2026, 3, 1), date(2026, 3, 31)),
        ("../2026-03-31", None, date(2026, 3, 31)),
        ("2026-03-01/..", date(2026, 3, 1), None),
        ("2026-03-01/", date(2026, 3, 1), None),
        ("2026-03-05T10:00:00Z/2026-03-05", datetime(2026, 3, 5, 10, tzinfo=UTC), date(2026, 3, 5)),
        (
            "2026-03-05T10:00:00Z",
            datetime(2026, 3, 5, 10, tzinfo=UTC),
            datetime(2026, 3, 5, 10, tzinfo=UTC),
        ),
        (
            "2026-03-05T10:00:00+10:00/2026-03-06T00:00:00z",
            datetime(2026, 3, 5, 0, tzinfo=UTC),
            datetime(2026, 3, 6, 0, tzinfo=UTC),
        ),
    ],
)
def test_parse_datetime(raw, start, end):
    assert parse_datetime(raw) == TimeFilter(start, end)


@pytest.mark.parametrize(
    "raw",
    ["", "..", "../..", "/", "tomorrow", "2026-03-05T10:00:00", "2026-03-10/2026-03-01", "a/b/c"],
)
def test_parse_datetime_refuses(raw):
    with pytest.raises(InvalidParameter) as caught:
        parse_datetime(raw)
    assert caught.value.status == 400
    assert caught.value.errors[0].pointer == "/datetime"


def test_dates_are_local_days_of_the_area():
    when = parse_datetime("2026-03-01/2026-03-31")
    assert when.days(TZ) == (date(2026, 3, 1), date(2026, 4, 1))
    start, end = when.instants(TZ)
    # Local midnight in Vladivostok is 14:00 UTC the day before.
    assert start == datetime(2026, 2, 28, 14, tzinfo=UTC)
    assert end == datetime(2026, 3, 31, 14, tzinfo=UTC)


def test_an_instant_is_the_local_day_it_falls_on():
    # 20:00 UTC on 31 January is 06:00 on 1 February in Vladivostok.
    when = parse_datetime("2026-01-31T20:00:00Z")
    assert when.days(TZ) == (date(2026, 2, 1), date(2026, 2, 2))
    start, end = when.instants(TZ)
    assert start == datetime(2026, 1, 31, 20, tzinfo=UTC) < end


@pytest.mark.parametrize(
    ("uri", "epsg"),
    [
        ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", None),
        ("[OGC:CRS84]", None),
        ("http://www.opengis.net/def/crs/EPSG/0/32652", 32652),
        ("EPSG:32652", 32652),
    ],
)
def test_epsg_of(uri, epsg):
    assert epsg_of(uri) == epsg


@pytest.mark.parametrize("uri", ["EPSG:abc", "urn:ogc:def:crs:EPSG::4326", "nonsense"])
def test_epsg_of_refuses(uri):
    with pytest.raises(InvalidParameter) as caught:
        epsg_of(uri, "bbox-crs")
    assert caught.value.errors[0].pointer == "/bbox-crs"


def test_reproject_and_bbox_back():
    line = {"type": "LineString", "coordinates": [[131.2, 43.1], [131.3, 43.2]]}
    metric = reproject(line, 32652)
    assert metric["type"] == "LineString"
    (x0, y0), (x1, y1) = metric["coordinates"]
    assert 600_000 < x0 < x1 < 800_000 and 4_700_000 < y0 < y1 < 4_900_000
    w, s, e, n = bbox_to_crs84((x0, y0, x1, y1), 32652)
    assert [w, s, e, n] == pytest.approx([131.2, 43.1, 131.3, 43.2], abs=5e-3)
    eps = 1e-8  # the round trip through the projection
    assert w <= 131.2 + eps and s <= 43.1 + eps and e >= 131.3 - eps and n >= 43.2 - eps
    assert reproject(line, None) is line
    assert reproject(None, 32652) is None
