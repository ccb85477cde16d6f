"""The pages in a real browser: sign-in, the coordinator's map, the ranger's report form
(offline too), the patrol page. Screenshots go to screenshots/ for people to look at."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from patrol.store.models import AuditEvent, Patrol, SnareFind
from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import sweep_month
from tests.geo.test_gpx import fixture

pytestmark = pytest.mark.browser


def assert_no_console_errors(s, expected: str | None = None) -> None:
    """No script errors; ``expected`` names the one failed request a test provokes on purpose
    (the browser logs every 4xx answer as a console error)."""
    unexpected = [e for e in s.errors if not (expected and expected in e)]
    assert unexpected == [], unexpected


@pytest.mark.parametrize(
    ("who", "landing"),
    [("ranger1", "/report"), ("coord", "/map"), ("admin", "/map"), ("ngo", "/exports")],
)
def test_each_role_lands_on_its_page(open_session, who, landing):
    s = open_session()
    s.login(who)
    assert s.page.url.split("?")[0].endswith(landing)  # the map writes its view in the query
    assert who in s.page.inner_text("[data-testid=who]")
    assert_no_console_errors(s)


def test_wrong_password_and_forbidden_page_are_plain(open_session):
    s = open_session()
    s.login("coord", "not the password")
    assert "Wrong username or password" in s.page.inner_text("[role=alert]")
    assert s.page.url.endswith("/login")
    s.login("ngo")
    response = s.page.goto("/map")
    assert response.status == 403
    assert "for the coordinator, admin, ranger role" in s.page.inner_text("main")
    assert "Traceback" not in s.page.content()


def test_signed_out_pages_ask_to_sign_in(open_session):
    s = open_session()
    s.page.goto("/report")
    assert "/login" in s.page.url
    s.page.fill("#username", "ranger1")
    s.page.fill("#password", "correct horse battery")
    s.page.click("form.stack button[type=submit]")
    s.page.wait_for_url("**/report")


def test_map_cells_zones_dispatch(open_session, client, world):
    sweep_month(client, world)
    api = client.get(
        "/api/v1/hotspots?from=2026-03-01&to=2026-03-31", headers=world.auth("coord")
    ).get_json()
    hot = {
        (f["properties"]["ix"], f["properties"]["iy"]): f["properties"]
        for f in api["features"]
        if f["properties"]["hotspot_class"] in ("hot_95", "hot_99")
    }
    assert hot
    s = open_session()
    s.login("coord")
    s.page.goto("/map?from=2026-03-01&to=2026-03-31")  # the view of the API's answer above
    s.page.wait_for_selector("#map[data-ready='1']")
    s.page.get_by_role("checkbox", name="Hotspot cells").uncheck()  # cells lie over the zones
    s.page.get_by_role("checkbox", name="Dispatch targets").uncheck()  # and targets over NW
    s.page.locator("path.zone-NW").first.click(force=True)
    zone = s.page.wait_for_selector("[data-testid=zone-popup]").inner_text()
    assert "NW" in zone and "Patrol-days" in zone
    # The zone's popup panned the map (and the URL keeps where it looks): open the view again.
    s.page.goto("/map?from=2026-03-01&to=2026-03-31")
    s.page.wait_for_selector("#map[data-ready='1']")
    cell = s.page.locator("path.cell-hot_99, path.cell-hot_95").first
    cell.click(force=True)
    popup = s.page.wait_for_selector("[data-testid=cell-popup]").inner_text()
    ix, iy = (int(v) for v in popup.split(":")[0].replace("Cell", "").split(","))
    props = hot[(ix, iy)]
    assert f"Snares\t{props['snares']}" in popup
    assert "Effort km" in popup and "Smoothed rate per 100 km" in popup and "Gi* z" in popup
    assert "Last patrolled" in popup
    legend = s.page.inner_text("[data-testid=legend]")
    for label in ("Hot, 99 %", "Hot, 95 %", "Cold, 99 %", "Under-patrolled", "Not significant"):
        assert label in legend  # each class has words, not colour alone
    units = s.page.locator("#dispatch section.unit")
    assert units.count() >= 1
    gpx_link = units.first.get_by_role("link", name="GPX").get_attribute("href")
    assert "format=gpx" in gpx_link
    assert "<wpt" in client.get(gpx_link, headers=world.auth("coord")).get_data(as_text=True)
    s.page.select_option("#preset", "year")  # the last full year: complete, never partial
    s.page.wait_for_function("() => document.querySelector('#from').value.endsWith('-01-01')")
    assert s.page.input_value("#to").endswith("-12-31")
    assert_no_console_errors(s)


def test_map_predicted_setting_layer(open_session, client, world):
    sweep_month(client, world)
    api = client.get("/api/v1/risk?until=2026-03-21", headers=world.auth("coord")).get_json()
    cells = {
        (f["properties"]["ix"], f["properties"]["iy"]): f["properties"] for f in api["features"]
    }
    s = open_session()
    s.login("coord")
    s.page.goto("/map?from=2026-03-01&to=2026-03-21")  # the view up to the latest patrol
    s.page.wait_for_selector("#map[data-ready='1']")
    s.page.get_by_role("checkbox", name="Hotspot cells").uncheck()
    s.page.get_by_role("checkbox", name="Predicted setting (next 30 days)").check()
    s.page.wait_for_selector("path.risk-known")
    legend = s.page.inner_text("[data-testid=legend]")
    assert "Predicted setting per km² per 30 days" in legend and "unknown" in legend
    s.page.locator("path.risk-known").first.click(force=True)
    popup = s.page.wait_for_selector("[data-testid=risk-popup]").inner_text()
    ix, iy = (int(v) for v in popup.split(":")[0].replace("Cell", "").split(","))
    props = cells[(ix, iy)]
    assert props["walked"] and "90 % interval" in popup
    assert f"{props['standing_stock']:.2g}".lstrip("0") in popup
    s.shot("map-predicted-setting")
    assert_no_console_errors(s)


def test_unit_briefing_prints_on_one_page(open_session, client, world, tmp_path):
    sweep_month(client, world)
    s = open_session()
    s.login("ranger1")
    s.page.goto("/units/T-01/briefing?date=2026-04-01")
    s.page.wait_for_selector("[data-testid=briefing] svg")
    s.page.emulate_media(media="print")
    pdf = s.page.pdf(format="A4", print_background=True)
    (tmp_path / "briefing.pdf").write_bytes(pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf)
    assert len(boxes) == 1  # one A4 page
    s.page.emulate_media(media="screen")
    s.shot("unit-briefing")
    assert_no_console_errors(s)


def test_map_on_a_phone(open_session, client, world):
    sweep_month(client, world)
    s = open_session(PHONE)
    s.login("coord")
    s.page.wait_for_selector("#map[data-ready='1']")
    box = s.page.locator("#map").bounding_box()
    assert box["width"] <= PHONE["width"] and box["height"] >= 300
    assert_no_console_errors(s)


def _compose_from_gpx(s, tmp_path, snare_taps: int = 1) -> None:
    path = tmp_path / "track.gpx"
    path.write_bytes(fixture("etrex-gpx11-garmin-extensions.gpx"))
    s.page.set_input_files("#route-file", str(path))
    s.page.wait_for_function(
        "() => document.querySelector('#route-summary').textContent.includes('150 points')"
    )
    s.page.click("#tap-snare")
    for k in range(snare_taps):
        s.page.locator("#route-map").click(position={"x": 100 + 20 * k, "y": 120})


def test_gpx_through_the_form_then_on_the_map(open_session, tmp_path, session):
    s = open_session(PHONE)
    s.login("ranger1")
    _compose_from_gpx(s, tmp_path)
    cards = s.page.locator("#snares .snare")
    assert cards.count() == 5  # the file's 4 waypoints and the one tapped
    cards.last.locator("[data-name=count]").fill("3")
    s.shot("report-phone")
    # A full-page shot of a long, scrolled page leaves Chromium's input coordinates out of step
    # with the layout (the click lands beside the button): start again from the top.
    s.page.evaluate("() => window.scrollTo(0, 0)")
    s.page.click("#save")
    s.page.wait_for_selector("#outbox li[data-state=sent]")
    assert "Sent and stored" in s.page.inner_text("#form-status")
    stored = session.scalar(sa.select(Patrol))
    assert stored.source_format == "geojson" and stored.vertex_count == 150
    finds = session.scalars(sa.select(SnareFind)).all()
    assert len(finds) == 5 and sorted(f.count for f in finds)[-1] == 3
    s.page.goto("/map")
    s.page.wait_for_selector("#map[data-ready='1']")
    s.page.fill("#from", "2025-01-01")
    s.page.fill("#to", "2025-12-31")
    s.page.click("#filters button[type=submit]")
    s.page.wait_for_function(
        "() => document.querySelector('#status').textContent.startsWith('2025')"
    )
    s.page.locator(".leaflet-control-layers").hover()  # folded on a phone: it opens
    s.page.get_by_role("checkbox", name="Patrol routes").check()
    s.page.wait_for_selector("path.route")
    assert_no_console_errors(s)


def test_server_problems_show_next_to_their_fields(open_session, tmp_path, session):
    s = open_session()
    s.login("ranger1")
    _compose_from_gpx(s, tmp_path, snare_taps=0)
    s.page.fill("#ended_at", "2001-01-01T10:00")
    s.page.locator("#snares .snare").first.locator("[data-name=count]").fill("0")
    s.page.click("#save")
    s.page.wait_for_selector("#outbox li[data-state=rejected]")
    assert s.page.inner_text("[data-error-for=ended_at]")
    assert s.page.get_attribute("#ended_at", "aria-invalid") == "true"
    first = s.page.locator("#snares .snare").first
    assert "at least 1" in first.locator("[data-error-for=count]").inner_text()
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 0
    assert_no_console_errors(s, expected="status of 422")


def test_offline_report_waits_survives_reload_and_is_stored_once(open_session, session):
    s = open_session(PHONE)
    s.login("ranger1")
    s.page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    s.page.reload()  # now controlled by the service worker
    s.page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    s.page.wait_for_selector("#route-map[data-area='1']")  # opened on the ranger's area
    s.context.set_offline(True)
    s.page.click("#draw")
    for x, y in ((60, 80), (160, 140), (260, 90)):
        s.page.locator("#route-map").click(position={"x": x, "y": y})
    s.page.fill("#ended_at", "2099-01-01T10:00")  # fixed below: the start is now
    s.page.evaluate("""() => {
        // Four hours: the route drawn with three taps is ~15 km, a day's walk, not an hour's.
        // The inputs are the area's wall-clock time: four hours after the start's.
        const start = document.querySelector('#started_at').value.slice(0, 16);
        const end = new Date(Date.parse(start + 'Z') + 4 * 3600000);
        document.querySelector('#ended_at').value = end.toISOString().slice(0, 16);
    }""")
    s.page.click("#save")
    s.page.wait_for_selector("#outbox li[data-state=waiting]")
    report_id = s.page.get_attribute("#outbox li[data-state=waiting]", "data-id")
    s.page.reload()  # offline: the page comes from the service worker's cache
    s.page.wait_for_selector(f"#outbox li[data-id='{report_id}'][data-state=waiting]")
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 0
    s.context.set_offline(False)
    s.page.wait_for_selector(f"#outbox li[data-id='{report_id}'][data-state=sent]", timeout=30000)
    session.rollback()
    assert session.scalars(sa.select(Patrol.uuid)).all() == [report_id]
    # Sending again (a retry after a lost answer) must not duplicate it.
    s.page.evaluate(f"""async () => {{
        const all = await outbox.all();
        const e = all.find((x) => x.id === '{report_id}');
        await outbox.put({{...e, state: 'waiting'}});
        await outbox.flush();
    }}""")
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 1
    assert_no_console_errors(s, expected="ERR_INTERNET_DISCONNECTED")  # while offline


def test_unsent_reports_stay_with_their_author(open_session, session, tmp_path):
    s = open_session()
    s.login("ranger1")
    # The report cannot reach the server (the connection drops for the API only).
    s.page.route("**/api/v1/patrols", lambda route: route.abort())
    _compose_from_gpx(s, tmp_path, snare_taps=0)
    s.page.click("#save")
    s.page.wait_for_selector("#outbox li[data-state=waiting]")
    s.page.unroute("**/api/v1/patrols")
    s.logout()
    s.login("ranger2")
    s.page.wait_for_selector("#outbox li[data-state=waiting]")
    assert "sent when ranger1 signs in" in s.page.inner_text("#outbox")
    s.page.evaluate("() => outbox.flush()")
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 0
    s.logout()
    s.login("ranger1")
    s.page.wait_for_selector("#outbox li[data-state=sent]", timeout=30000)
    session.rollback()
    stored = session.scalar(sa.select(Patrol))
    assert stored.submitted_by.username == "ranger1"


def test_patrol_page_correct_and_delete(open_session, client, world, session):
    from tests.conftest import make_report

    report = make_report()
    client.post(
        "/api/v1/patrols",
        data=json.dumps(report),
        content_type="application/geo+json",
        headers=world.auth("ranger1"),
    )
    pid = report["features"][0]["id"]
    s = open_session()
    s.login("coord")
    s.page.goto(f"/patrols/{pid}")
    s.page.wait_for_selector("form.card[data-find]")
    s.page.fill("form.card [name=count]", "4")
    s.page.click("form.card button[type=submit]")
    s.page.wait_for_function(
        "() => document.querySelector('#patrol-status').textContent.includes('revision 2')"
    )
    assert "changed the count of find 1" in s.page.inner_text("[data-testid=audit]")
    s.page.on("dialog", lambda d: d.accept())
    s.page.click("#delete")
    s.page.wait_for_function(
        "() => document.querySelector('#patrol-status').textContent.startsWith('Deleted')"
    )
    session.rollback()
    assert session.scalar(sa.select(Patrol.deleted_at)) is not None
    assert session.scalar(sa.select(SnareFind.count)) == 4
    actions = session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity_id == pid))
    assert sorted(actions) == ["correct", "create", "delete"]
    s.shot("patrol-desktop")
    assert_no_console_errors(s)


@pytest.mark.parametrize("path", ["/report", "/map", "/login", "/exports"])
def test_every_field_has_a_label_and_controls_take_the_keyboard(open_session, path):
    s = open_session(DESKTOP)
    if path != "/login":
        s.login("coord")
    s.page.goto(path)
    unlabeled = s.page.evaluate("""() => [...document.querySelectorAll(
        'main input:not([type=hidden]), main select, main textarea')]
      .filter((el) => !el.closest('template') && !el.closest('.leaflet-control-layers'))
      .filter((el) => !(el.id && document.querySelector(`label[for="${el.id}"]`))
                      && !el.getAttribute('aria-label') && !el.closest('label'))
      .map((el) => el.outerHTML.slice(0, 80))""")
    assert unlabeled == []
    # Keyboard: the first control takes focus with Tab, and buttons are real buttons.
    s.page.keyboard.press("Tab")
    assert s.page.evaluate("() => document.activeElement !== document.body")
    clickable = s.page.evaluate(
        """() => [...document.querySelectorAll('main [onclick], main div[role=button]')].length"""
    )
    assert clickable == 0
