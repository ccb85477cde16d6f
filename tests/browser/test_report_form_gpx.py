"""One reading of a GPX file (issue 9, item 4): the same files go through the report form in
chromium and through the API's reader, and the two reports are compared field by field.

The form's report is caught on its way to the server and read with the API's GeoJSON reader;
the API's is what ``POST /patrols`` makes of the GPX (patrol/geo/gpx.py). Ids differ by design
(the form's are random, docs/decisions.md); everything else must be equal.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import sqlalchemy as sa

from patrol.geo.geojson_report import parse_geojson_report
from patrol.geo.gpx import parse_gpx_report
from patrol.geo.report import PatrolReport, ReportDefaults
from patrol.store.models import Patrol, SnareFind
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_report_form import FieldSession
from tests.geo.test_gpx import READ, fixture

pytestmark = pytest.mark.browser

AREA_ZONE = ZoneInfo("Asia/Vladivostok")

# Waypoint names and what the API makes of them: the "cable snare x3" first.
VECTORS = [
    ("<name>cable snare x3</name>", ("cable", 3, "active", "removed")),
    ("<name>CAMP</name><cmt>lunch at the old hut</cmt>", ("other", 1, "active", "removed")),
    ("<name>3x wire</name>", ("wire", 3, "active", "removed")),
    ("<name>Петля трос x2</name><desc>у ручья</desc>", ("other", 2, "active", "removed")),
    ("<name>snare, inactive</name>", ("other", 1, "inactive", "removed")),
    ("<name>wire snare left in place</name>", ("wire", 1, "active", "left_in_place")),
    ("<name>ROPE 2 snares</name><cmt>destroyed</cmt>", ("rope", 2, "active", "destroyed")),
    ("<name>leghold trap, triggered, marked</name>", ("leghold", 1, "triggered", "marked")),
    ("<name>snare5</name><type>pit</type><sym>Flag, Red</sym>", ("pit", 1, "active", "removed")),
    ("<name>x 12 wires</name>", ("wire", 12, "active", "removed")),
    ("<name>wire x٣</name>", ("wire", 3, "active", "removed")),  # Arabic-Indic 3
    ("<name>wireрозетка cable</name>", ("cable", 1, "active", "removed")),  # no word boundary
    ("<name>  spaced  </name><desc>\n cable \n</desc>", ("cable", 1, "active", "removed")),
    ("<name>removed destroyed</name>", ("other", 1, "active", "destroyed")),
]


def vectors_gpx() -> bytes:
    """A timed track in the test area and one waypoint per vector (every other one untimed:
    its time is the nearest track point's)."""
    start = datetime(2025, 10, 14, 0, 30, tzinfo=UTC)
    points = [
        (131.28 + 0.001 * i, 43.20 + 0.0004 * (i % 5), start + timedelta(minutes=2 * i))
        for i in range(60)
    ]
    wpts = []
    for k, (inner, _) in enumerate(VECTORS):
        lon, lat, t = points[4 * k + 2]
        when = f"<time>{t:%Y-%m-%dT%H:%M:%S}.250Z</time>" if k % 2 == 0 else ""
        wpts.append(f'<wpt lat="{lat + 0.0002:.6f}" lon="{lon:.6f}">{when}{inner}</wpt>')
    trkpts = "".join(
        f'<trkpt lat="{lat:.6f}" lon="{lon:.6f}"><time>{t:%Y-%m-%dT%H:%M:%SZ}</time></trkpt>'
        for lon, lat, t in points
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="patrol tests" xmlns="http://www.topografix.com/GPX/1/1">'
        f"{''.join(wpts)}<trk><trkseg>{trkpts}</trkseg></trk></gpx>"
    ).encode()


# File -> the times a ranger (or the request) supplies where the file has none.
GIVEN = {
    "phone-no-times.gpx": (
        datetime(2025, 10, 14, 6, tzinfo=UTC),
        datetime(2025, 10, 14, 11, tzinfo=UTC),
    ),
}
FILES = sorted(READ) + sorted(GIVEN) + ["vectors.gpx"]


def file_bytes(name: str) -> bytes:
    return vectors_gpx() if name == "vectors.gpx" else fixture(name)


def through_the_form(s, path, given) -> dict:
    """Load a file in the form, save it, and catch the report the form sends."""
    caught: list[dict] = []

    def catch(route):
        doc = json.loads(route.request.post_data)
        caught.append(doc)
        route.fulfill(
            status=201,
            content_type="application/json",
            body=json.dumps({"id": doc["features"][0]["id"]}),
        )

    s.page.route("**/api/v1/patrols", catch)
    s.page.set_input_files("#route-file", str(path))
    s.page.wait_for_function(
        "() => document.querySelector('#route-summary').textContent.startsWith('Route:')"
    )
    if given:
        for field, when in zip(("#started_at", "#ended_at"), given, strict=True):
            s.page.fill(field, when.astimezone(AREA_ZONE).strftime("%Y-%m-%dT%H:%M:%S"))
    s.page.evaluate("() => window.scrollTo(0, 0)")
    s.page.click("#save")
    s.page.wait_for_function(
        "() => document.querySelector('#form-status').textContent.startsWith('Sent and stored')"
    )
    s.page.unroute("**/api/v1/patrols")
    assert len(caught) == 1
    return caught[0]


def assert_same_report(api: PatrolReport, form: PatrolReport) -> None:
    """Every field but the ids."""
    for name in ("unit", "transport", "leader", "members", "started_at", "ended_at"):
        assert getattr(form, name) == getattr(api, name), name
    assert [p.shape for p in form.parts] == [p.shape for p in api.parts]
    for a, b in zip(api.parts, form.parts, strict=True):
        np.testing.assert_array_equal(a, b)
    assert (form.times is None) == (api.times is None)
    for a, b in zip(api.times or [], form.times or [], strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert len(form.snares) == len(api.snares)
    for k, (a, b) in enumerate(zip(api.snares, form.snares, strict=True)):
        for name in ("lon", "lat", "type", "count", "state", "action", "species", "notes"):
            assert getattr(b, name) == getattr(a, name), (k, name, getattr(b, name))
        assert abs((b.found_at - a.found_at).total_seconds()) < 1e-6, (k, b.found_at, a.found_at)


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_form_and_the_api_read_the_same_gpx_the_same_way(browser, server, tmp_path, size):
    s = FieldSession(browser, server, size, service_workers="block")  # page.route sees all
    try:
        _compare_every_file(s, tmp_path)
    finally:
        s.close()
    # The case, spelled out.
    api = parse_gpx_report(vectors_gpx(), ReportDefaults(unit="T-01"))
    first = api.snares[0]
    assert (first.type, first.count) == ("cable", 3)
    assert [(f.type, f.count, f.state, f.action) for f in api.snares] == [v for _, v in VECTORS]


def _compare_every_file(s, tmp_path) -> None:
    s.login("ranger1")
    s.page.wait_for_selector("#route-map[data-area='1']")
    for name in FILES:
        data = file_bytes(name)
        given = GIVEN.get(name)
        defaults = ReportDefaults(unit="T-01")
        if given:
            defaults = ReportDefaults(unit="T-01", started_at=given[0], ended_at=given[1])
        api = parse_gpx_report(data, defaults)
        path = tmp_path / name
        path.write_bytes(data)
        form = parse_geojson_report(through_the_form(s, path, given))
        assert_same_report(api, form)


def test_a_waypoint_that_is_no_snare_can_be_dropped(open_session, tmp_path, session, client, world):
    """The Garmin file's "CAMP" is a find to the API (every waypoint is); the form marks it as
    naming no snare, and the ranger drops it."""
    s = open_session(PHONE)
    s.login("ranger1")
    s.page.wait_for_selector("#route-map[data-area='1']")
    path = tmp_path / "etrex.gpx"
    path.write_bytes(fixture("etrex-gpx11-garmin-extensions.gpx"))
    s.page.set_input_files("#route-file", str(path))
    s.page.wait_for_selector("#snares .snare >> nth=3")
    strays = s.page.locator("#snares .snare .stray:not([hidden])")
    assert strays.count() == 1 and "CAMP" in strays.inner_text()
    assert s.page.inner_text("#drop-strays") == "Drop the 1 waypoint that names no snare"
    s.shot("report-form-gpx-phone")
    s.page.click("#drop-strays")
    assert s.page.locator("#snares .snare").count() == 3
    assert s.page.is_hidden("#drop-strays")
    s.page.evaluate("() => window.scrollTo(0, 0)")
    s.page.click("#save")
    s.page.wait_for_selector("#outbox li[data-state=sent]")
    session.rollback()
    finds = session.scalars(sa.select(SnareFind).order_by(SnareFind.found_at)).all()
    assert [(f.type, f.count) for f in finds] == [("wire", 3), ("cable", 1), ("rope", 2)]
    assert not any("CAMP" in (f.notes or "") for f in finds)
    # The API keeps it: the same file posted there stores the 3 finds and the camp.
    r = client.post(
        "/api/v1/patrols?unit=T-01",
        data=fixture("etrex-gpx11-garmin-extensions.gpx"),
        content_type="application/gpx+xml",
        headers=world.auth("ranger1"),
    )
    assert r.status_code == 201, r.get_json()
    session.rollback()
    api_patrol = session.scalar(sa.select(Patrol).where(Patrol.uuid == r.get_json()["id"]))
    api_finds = session.scalars(
        sa.select(SnareFind)
        .where(SnareFind.patrol_id == api_patrol.id)
        .order_by(SnareFind.found_at)
    ).all()
    assert len(api_finds) == 4
    snares = [f for f in api_finds if "CAMP" not in (f.notes or "")]
    same = ("type", "count", "state", "action", "lon", "lat", "notes", "found_at")
    assert [[getattr(f, k) for k in same] for f in snares] == [
        [getattr(f, k) for k in same] for f in finds
    ]
