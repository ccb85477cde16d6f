"""The patrol page shows a SMART patrol's observations (list and map points)."""

from __future__ import annotations

from tests.api.test_smart_import import post_xml
from tests.browser.test_pages import assert_no_console_errors
from tests.smart_files import standard_patrol


def test_patrol_page_lists_observations(open_session, client, world):
    body = post_xml(client, world, standard_patrol()).get_json()
    foot = body["patrols"][0]["id"]
    s = open_session()
    s.login("coord")
    s.page.goto(f"/patrols/{foot}")
    s.page.wait_for_selector("[data-testid=observations] tr[data-category]")
    rows = s.page.eval_on_selector_all(
        "[data-testid=observations] tr[data-category]", "rows => rows.map(r => r.dataset.category)"
    )
    assert rows == [
        "humanactivity.weaponsequipment.trap.",
        "animals.liveanimals.",
        "humanactivity.people.",
        "nashi.kat7.",
        "animals.carcass.",
    ]
    text = s.page.inner_text("[data-testid=observations]")
    assert "actiontakenpeople: warned, confiscated" in text
    assert "nameornames: И. Иванов" in text
    # Route, 1 find and 5 observation points on the map.
    assert s.page.locator("#patrol-map path.leaflet-interactive").count() == 1 + 1 + 5
    s.shot("patrol-smart-desktop")
    assert_no_console_errors(s)


def test_map_layer_of_observations_filtered_by_category(open_session, client, world):
    assert post_xml(client, world, standard_patrol()).status_code == 201
    s = open_session()
    s.login("coord")
    s.page.goto("/map?from=2026-03-01&to=2026-03-31")  # the patrol's month (default: last year)
    s.page.wait_for_selector("#map[data-ready='1']")
    s.page.get_by_role("checkbox", name="Observations").check()
    s.page.wait_for_function("() => document.querySelectorAll('path.observation').length === 6")
    s.page.fill("#category", "animals")
    s.page.locator("#category").dispatch_event("change")
    s.page.wait_for_function("() => document.querySelectorAll('path.observation').length === 2")
    s.page.locator("path.observation").first.click(force=True)
    popup = s.page.wait_for_selector(".leaflet-popup-content").inner_text()
    assert popup.startswith("animals/")
    s.shot("map-observations-desktop")
    assert_no_console_errors(s)
