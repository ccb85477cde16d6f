"""Every page, as each role sees it, checked by axe-core (WCAG 2.1 A and AA rules) in
chromium, with one h1 each (issue 9, item 14). axe-core comes from the npm registry at install
time (`make vendor-js`, served under /vendor/axe-core/ like the other front-end packages)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from patrol.store.models import Patrol
from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import sweep_month

pytestmark = pytest.mark.browser

WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE = "/vendor/axe-core/axe.min.js"


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it stands, one line each."""
    page.add_script_tag(url=AXE)
    result = page.evaluate("(tags) => axe.run(document, {runOnly: tags})", WCAG)
    assert len(result["passes"]) >= 10  # the rules ran on this page: a check, not a no-op
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
    ]


def settle(page) -> None:
    page.wait_for_load_state("networkidle")
    if page.locator("#map").count():
        page.wait_for_selector("#map[data-ready='1']")


@pytest.fixture
def pages(client, world, session):
    """What each role opens: its pages, filled with a month of patrols."""
    sweep_month(client, world)
    patrol = session.scalar(sa.select(Patrol.uuid).order_by(Patrol.id))
    return {
        "ranger1": ["/report"],
        "coord": [
            "/map?from=2026-03-01&to=2026-03-31",
            f"/patrols/{patrol}",
            "/exports",
            "/reports/annual/2026?area=test-area",
            "/units/T-01/briefing?date=2026-03-21",
            "/methods",
        ],
        "ngo": ["/exports", "/reports/annual/2026?area=test-area"],
    }


def test_axe_finds_nothing_on_any_page(open_session, server, pages):
    s = open_session(DESKTOP)
    assert s.page.request.get(f"{server}{AXE}").ok, "axe-core is missing: run make install"
    s.page.goto("/login")
    found = {"/login": axe_violations(s.page)}
    assert s.page.locator("h1").count() == 1
    for who, paths in pages.items():
        s.login(who)
        for path in paths:
            response = s.page.goto(path)
            assert response.ok, (who, path, response.status)
            settle(s.page)
            assert s.page.locator("h1").count() == 1, (who, path)
            found[f"{who} {path}"] = axe_violations(s.page)
        s.logout()
    assert {page: v for page, v in found.items() if v} == {}


def test_axe_finds_nothing_on_a_phone(open_session, pages):
    s = open_session(PHONE)
    for who, path in (("ranger1", "/report"), ("coord", pages["coord"][0])):
        s.login(who)
        s.page.goto(path)
        settle(s.page)
        assert axe_violations(s.page) == [], (who, path)
        s.logout()


def test_zones_and_hot_cells_open_with_the_keyboard(open_session, client, world):
    """A zone and a hot cell are reached by focus, named for screen readers, and Enter
    opens their figures; plain cells stay out of the Tab order."""
    sweep_month(client, world)
    s = open_session(DESKTOP)
    s.login("coord")
    s.page.goto("/map?from=2026-03-01&to=2026-03-31")
    s.page.wait_for_selector("#map[data-ready='1']")
    zone = s.page.locator("path.zone-NW")
    assert zone.get_attribute("tabindex") == "0" and zone.get_attribute("role") == "button"
    assert zone.get_attribute("aria-label").startswith("Zone NW")
    s.page.get_by_role("checkbox", name="Hotspot cells").uncheck()  # cells lie over the zones
    s.page.get_by_role("checkbox", name="Dispatch targets").uncheck()
    zone.focus()
    s.page.keyboard.press("Enter")
    assert "NW" in s.page.wait_for_selector("[data-testid=zone-popup]").inner_text()
    s.page.keyboard.press("Escape")
    s.page.get_by_role("checkbox", name="Hotspot cells").check()
    hot = s.page.locator("path.cell-hot_99, path.cell-hot_95").first
    label = hot.get_attribute("aria-label")
    assert label.startswith("Cell ") and "Hot" in label
    hot.focus()
    s.page.keyboard.press(" ")
    popup = s.page.wait_for_selector("[data-testid=cell-popup]").inner_text()
    assert popup.startswith(label.split(":")[0])  # the cell the name promised
    assert s.page.locator("path.cell-not_significant[tabindex]").count() == 0
