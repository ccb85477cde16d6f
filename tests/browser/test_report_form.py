"""The ranger's report form in a real browser, at phone and desktop sizes (issue 9, items 1 and
3): the outbox shows every failure as what it is, a draft survives a reload, and the form works
with gloves and in the sun. Screenshots of the phone form go to screenshots/."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from patrol.store.models import Patrol, SnareFind
from tests.browser.conftest import DESKTOP, PHONE, Session
from tests.geo.test_gpx import fixture

pytestmark = pytest.mark.browser

AREA_ZONE = ZoneInfo("Asia/Vladivostok")  # the test area's zone (tests/conftest.py)
SIZES = pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])


class FieldSession(Session):
    """A Session whose browser context takes more options: a time zone, or service workers
    blocked (a request a service worker controls escapes ``page.route``)."""

    def __init__(self, browser, base: str, viewport: dict, **options) -> None:
        self.base = base
        self.context = browser.new_context(viewport=viewport, base_url=base, **options)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))


@pytest.fixture
def field_session(browser, server):
    sessions: list[Session] = []

    def make(viewport: dict = DESKTOP, **options) -> Session:
        s = FieldSession(browser, server, viewport, **options)
        sessions.append(s)
        return s

    yield make
    for s in sessions:
        s.close()


def _draw_route(s) -> None:
    """Three taps on the map in drawing mode, and an end four hours after the start."""
    s.page.wait_for_selector("#route-map[data-area='1']")
    s.page.click("#draw")
    box = s.page.locator("#route-map").bounding_box()
    cx, cy = box["width"] / 2, box["height"] / 2  # the area's middle: the route stays inside
    for dx, dy in ((-100, -40), (0, 20), (100, -30)):
        s.page.locator("#route-map").click(position={"x": cx + dx, "y": cy + dy})
    s.page.click("#draw")
    s.page.evaluate("""() => {
        const start = document.querySelector('#started_at').value.slice(0, 16);
        const end = new Date(Date.parse(start + 'Z') + 4 * 3600000);
        document.querySelector('#ended_at').value = end.toISOString().slice(0, 16);
    }""")


def _count(session, model) -> int:
    session.rollback()
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        x = c / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two CSS rgb() colours (computed styles give rgb/rgba)."""

    def parse(css: str) -> tuple[int, int, int]:
        inner = css[css.index("(") + 1 : css.index(")")]
        return tuple(int(float(v)) for v in inner.replace("/", ",").split(",")[:3])

    la, lb = sorted((_luminance(parse(a)), _luminance(parse(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@SIZES
def test_empty_ended_is_a_field_problem_and_a_discardable_outbox_item(open_session, session, size):
    s = open_session(size)
    s.login("ranger1")
    _draw_route(s)
    s.page.fill("#ended_at", "")
    s.page.evaluate("() => window.scrollTo(0, 0)")
    s.page.click("#save")
    item = s.page.locator("#outbox li[data-state=rejected]")
    item.wait_for()
    # Next to the field, with its label, in plain words; the field has the focus.
    assert s.page.inner_text("[data-error-for=ended_at]").startswith("is required")
    assert s.page.get_attribute("#ended_at", "aria-invalid") == "true"
    assert s.page.evaluate("() => document.activeElement.id") == "ended_at"
    top = s.page.inner_text("[data-error-for=form]")
    assert "Ended: is required" in top and "/features" not in top and "coordTimes" not in top
    assert "Ended: is required" in item.inner_text()
    assert "Refused: needs correcting" in item.inner_text()
    if size == PHONE:
        s.shot("report-form-problem-phone")
    # Discard asks first; "Keep it" keeps it.
    item.locator("[data-action=discard]").click()
    assert "cannot be recovered" in item.inner_text()
    item.locator("[data-action=keep]").click()
    assert s.page.locator("#outbox li[data-state=rejected]").count() == 1
    item.locator("[data-action=discard]").click()
    item.locator("[data-action=confirm-discard]").click()
    s.page.wait_for_selector("#outbox li[data-state=rejected]", state="detached")
    assert s.page.evaluate("async () => (await outbox.all()).length") == 0
    assert "discarded" in s.page.inner_text("#form-status")
    assert _count(session, Patrol) == 0


@SIZES
def test_a_server_error_is_its_own_state_tried_a_few_times_then_resent(open_session, session, size):
    s = open_session(size)
    s.login("ranger1")
    calls = []

    def broken(route):
        calls.append(route.request.method)
        route.fulfill(
            status=503,
            content_type="application/problem+json",
            body=json.dumps({"title": "Unavailable", "status": 503, "detail": "The disk is full."}),
        )

    s.page.route("**/api/v1/patrols", broken)
    _draw_route(s)
    s.page.fill("#leader", "Ivanov")
    s.page.evaluate("() => window.scrollTo(0, 0)")
    s.page.click("#save")
    item = s.page.locator("#outbox li[data-state=failed]")
    item.wait_for()
    text = item.inner_text()
    assert "The server could not take it" in text and "The disk is full." in text
    assert "HTTP 503" in text and "Waiting for a connection" not in text
    assert "server could not take it" in s.page.inner_text("#form-status")
    if size == PHONE:
        s.shot("report-form-server-error-phone")
    # Retried by itself a bounded number of times, each one shown, then only when asked.
    for _ in range(5):
        s.page.evaluate("() => outbox.flush()")
    assert len(calls) == 3
    entry = s.page.evaluate("async () => (await outbox.all())[0]")
    assert entry["state"] == "failed" and entry["tries"] == 3
    s.page.reload()
    item = s.page.locator("#outbox li[data-state=failed]")
    item.wait_for()
    assert "3 times" in item.inner_text() and "until you say so" in item.inner_text()
    # Opened in the form, corrected, and resent once the server is back.
    s.page.unroute("**/api/v1/patrols")
    item.locator("[data-action=open]").click()
    assert s.page.input_value("#leader") == "Ivanov"
    assert "3 points" in s.page.inner_text("#route-summary")
    s.page.fill("#leader", "Petrov")
    s.page.evaluate("() => window.scrollTo(0, 0)")
    s.page.click("#save")
    s.page.wait_for_selector("#outbox li[data-state=sent], #outbox li[data-state=rejected]")
    assert s.page.locator("#outbox li[data-state=sent]").count() == 1, s.page.inner_text("#outbox")
    assert s.page.locator("#outbox > li").count() == 1  # the same report, not a second one
    assert _count(session, Patrol) == 1
    assert session.scalar(sa.select(Patrol.leader)) == "Petrov"


def test_send_now_resends_a_failed_report(field_session, session):
    s = field_session(PHONE, service_workers="block")
    s.login("ranger1")
    s.page.route(
        "**/api/v1/patrols",
        lambda route: route.fulfill(status=502, content_type="text/html", body="<h1>Bad gw</h1>"),
    )
    _draw_route(s)
    s.page.evaluate("() => window.scrollTo(0, 0)")
    s.page.click("#save")
    item = s.page.locator("#outbox li[data-state=failed]")
    item.wait_for()
    assert "HTTP 502" in item.inner_text()
    s.page.unroute("**/api/v1/patrols")
    item.locator("[data-action=send]").click()
    s.page.wait_for_selector("#outbox li[data-state=sent]")
    assert _count(session, Patrol) == 1


@SIZES
def test_a_draft_survives_a_reload(open_session, session, size):
    s = open_session(size)
    s.login("ranger1")
    _draw_route(s)
    s.page.fill("#leader", "Ivanov")
    s.page.fill("#members", "Sidorov, Kuznetsov")
    started = s.page.input_value("#started_at")
    s.page.click("#tap-snare")
    s.page.locator("#route-map").click(position={"x": 200, "y": 200})
    s.page.click("#tap-snare")
    card = s.page.locator("#snares .snare").first
    card.locator("[data-name=count]").fill("4")
    card.locator("[data-name=type]").select_option("cable")
    s.page.reload()
    s.page.wait_for_function(
        "() => document.querySelector('#form-status').textContent.startsWith('Draft restored')"
    )
    assert s.page.input_value("#leader") == "Ivanov"
    assert s.page.input_value("#members") == "Sidorov, Kuznetsov"
    assert s.page.input_value("#started_at") == started
    assert "3 points" in s.page.inner_text("#route-summary")
    card = s.page.locator("#snares .snare")
    assert card.count() == 1
    assert card.first.locator("[data-name=count]").input_value() == "4"
    assert card.first.locator("[data-name=type]").input_value() == "cable"
    # A second reload without a change keeps it too; sending it clears it.
    s.page.reload()
    s.page.wait_for_function("() => document.querySelectorAll('#snares .snare').length === 1")
    s.page.evaluate("() => window.scrollTo(0, 0)")
    s.page.click("#save")
    s.page.wait_for_selector("#outbox li[data-state=sent]")
    assert s.page.evaluate("() => localStorage.getItem('patrol-draft:ranger1')") is None
    s.page.reload()
    s.page.wait_for_selector("#outbox li[data-state=sent]")
    assert s.page.input_value("#leader") == "" and s.page.locator("#snares .snare").count() == 0
    assert _count(session, SnareFind) == 1
    assert session.scalar(sa.select(SnareFind.count)) == 4


def test_times_are_the_areas_local_time_on_a_phone_set_elsewhere(field_session, session, tmp_path):
    """A phone on Berlin time reporting in Primorye: inputs and the outbox in Vladivostok time."""
    s = field_session(PHONE, timezone_id="Europe/Berlin")
    s.login("ranger1")
    s.page.wait_for_selector("#report[data-zone='Asia/Vladivostok']")
    path = tmp_path / "track.gpx"
    path.write_bytes(fixture("etrex-gpx11-garmin-extensions.gpx"))
    s.page.set_input_files("#route-file", str(path))
    s.page.wait_for_selector("#snares .snare >> nth=3")
    stored_start = _first_track_time("etrex-gpx11-garmin-extensions.gpx")
    local = stored_start.astimezone(AREA_ZONE)
    assert s.page.input_value("#started_at") == local.strftime("%Y-%m-%dT%H:%M:%S")
    assert "Asia/Vladivostok" in s.page.inner_text("#zone-note")
    s.page.evaluate("() => window.scrollTo(0, 0)")
    s.page.click("#save")
    item = s.page.locator("#outbox li[data-state=sent]")
    item.wait_for()
    assert f"{local.hour:02d}:{local.minute:02d} GMT+10" in item.inner_text()
    session.rollback()
    assert session.scalar(sa.select(Patrol.started_at)).replace(tzinfo=None) == (
        stored_start.replace(tzinfo=None)
    )


def _first_track_time(name: str) -> datetime:
    from patrol.geo.gpx import parse_gpx_report
    from patrol.geo.report import ReportDefaults

    return parse_gpx_report(fixture(name), ReportDefaults(unit="T-01")).started_at


@SIZES
def test_gloves_and_sun(open_session, size):
    s = open_session(size)
    s.login("ranger1")
    s.page.wait_for_selector("#route-map[data-area='1']")
    _draw_route(s)
    s.page.click("#tap-snare")
    s.page.locator("#route-map").click(position={"x": 120, "y": 220})
    # Touch targets: every visible control, the map's zoom buttons and the snare pins too.
    small = s.page.evaluate("""() => [...document.querySelectorAll(
        '.report-page button, .report-page input, .report-page select, .report-page textarea,'
        + ' #route-map .leaflet-bar a, #route-map .snare-pin')]
      .filter((el) => el.offsetParent !== null && !el.closest('template'))
      .map((el) => [el.id || el.className || el.tagName, el.getBoundingClientRect()])
      .filter(([, r]) => r.height < 48 || r.width < 48)
      .map(([name, r]) => `${name} ${Math.round(r.width)}x${Math.round(r.height)}`)""")
    assert small == []
    zoom = s.page.locator("#route-map .leaflet-control-zoom-in").bounding_box()
    assert zoom["width"] >= 48 and zoom["height"] >= 48
    pin = s.page.locator("#route-map .snare-pin").bounding_box()
    assert pin["width"] >= 48 and pin["height"] >= 48
    # Control borders at 3:1 against the card they sit on.
    for selector in ("#leader", "#unit", "#ended_at", "#undo"):
        border, back = s.page.evaluate(
            """(sel) => [getComputedStyle(document.querySelector(sel)).borderTopColor,
                         getComputedStyle(document.querySelector(sel).closest('.card')).backgroundColor]""",
            selector,
        )
        assert contrast(border, back) >= 3, (selector, border, back)
    # The focus ring: at least 2 px, 3:1 against the page.
    s.page.focus("#leader")
    s.page.keyboard.press("Tab")
    ring = s.page.evaluate("""() => { const st = getComputedStyle(document.activeElement);
        return [st.outlineStyle, parseFloat(st.outlineWidth), st.outlineColor,
                getComputedStyle(document.body).backgroundColor]; }""")
    assert ring[0] == "solid" and ring[1] >= 2 and contrast(ring[2], ring[3]) >= 3, ring
    # "Draw on map" and "Add snares by tapping the map" look pressed when they are.
    styles = """(sel) => { const b = document.querySelector(sel); const st = getComputedStyle(b);
        return [b.getAttribute('aria-pressed'), st.backgroundColor,
                getComputedStyle(b, '::before').content]; }"""
    pressed = s.page.evaluate(styles, "#tap-snare")
    released = s.page.evaluate(styles, "#draw")
    assert pressed[0] == "true" and released[0] == "false"
    assert contrast(pressed[1], released[1]) >= 3 and "✓" in pressed[2]
    assert "Adding snares" in s.page.inner_text("#mode-hint")
    if size == PHONE:
        s.shot("report-form-phone")  # the pressed "Add snares by tapping the map" in view
    s.page.click("#tap-snare")
    assert s.page.inner_text("#mode-hint") == ""
    # Nothing wider than the screen (a fieldset grows to its widest child by default).
    widths = s.page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    sticking_out = s.page.evaluate("""() => [...document.querySelectorAll(
        '.report-page .card input, .report-page .card select, .report-page .card button')]
      .filter((el) => el.offsetParent !== null)
      .filter((el) => el.getBoundingClientRect().right
                      > el.closest('.card').getBoundingClientRect().right + 0.5)
      .map((el) => el.id || el.dataset.name || el.className)""")
    assert sticking_out == []
    # A date and time is shown whole: its box is wide enough for "11/30/2026, 09:22:26 PM".
    narrowest = s.page.evaluate("""() => Math.min(...[...document.querySelectorAll(
        '.report-page input[type="datetime-local"]')].filter((el) => el.offsetParent !== null)
      .map((el) => el.getBoundingClientRect().width))""")
    assert narrowest >= 260


def _position(text: str) -> tuple[float, float]:
    """(lat, lon) from a snare card's "At 43.20224, 131.25784 (drag ...)"."""
    lat, lon = text.removeprefix("At ").split(" (")[0].split(", ")
    return float(lat), float(lon)


@SIZES
def test_a_snare_pin_can_be_dragged_to_the_right_place(open_session, session, size):
    s = open_session(size)
    s.login("ranger1")
    _draw_route(s)
    s.page.click("#tap-snare")
    s.page.locator("#route-map").click(position={"x": 150, "y": 230})
    s.page.click("#tap-snare")
    before = s.page.inner_text("#snares .snare .position")
    box = s.page.locator("#route-map .snare-pin").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    s.page.mouse.move(x, y)
    s.page.mouse.down()
    for k in range(1, 11):
        s.page.mouse.move(x + 6 * k, y + 4 * k)
    s.page.mouse.up()
    s.page.wait_for_function(
        "(before) => document.querySelector('#snares .snare .position').textContent !== before",
        arg=before,
    )
    lat, lon = _position(s.page.inner_text("#snares .snare .position"))
    old_lat, old_lon = _position(before)
    assert lon > old_lon and lat < old_lat  # moved right and down, as dragged
    s.page.evaluate("() => window.scrollTo(0, 0)")
    s.page.click("#save")
    s.page.wait_for_selector("#outbox li[data-state=sent]")
    session.rollback()
    find = session.scalar(sa.select(SnareFind))
    assert find.lon == pytest.approx(lon, abs=1e-5) and find.lat == pytest.approx(lat, abs=1e-5)


@SIZES
def test_a_gps_refusal_says_so_and_resets_the_button(field_session, size):
    s = field_session(size, permissions=[])  # no geolocation permission: the browser refuses
    s.login("ranger1")
    s.page.wait_for_selector("#route-map[data-area='1']")
    s.page.click("#record")
    s.page.wait_for_function(
        "() => document.querySelector('[data-error-for=route]').textContent.includes('refused')"
    )
    assert s.page.get_attribute("#record", "aria-pressed") == "false"
    assert s.page.inner_text("#record") == "Record with GPS"
    assert "No route yet" in s.page.inner_text("#route-summary")
    s.page.click("#here-snare")
    s.page.wait_for_function(
        "() => document.querySelector('[data-error-for=snares]').textContent.includes('refused')"
    )
    assert s.page.locator("#snares .snare").count() == 0
