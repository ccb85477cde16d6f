"""The patrol page in the real browser: an unknown id is a 404 page, a coordinator deletes and
restores a patrol (the figures come back), and the audit trail reads as sentences."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from patrol.store.models import AuditEvent, Patrol
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_pages import assert_no_console_errors
from tests.conftest import make_report

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_unknown_patrol_is_a_404_page(open_session, viewport):
    s = open_session(viewport)
    s.login("coord")
    response = s.page.goto("/patrols/00000000-0000-0000-0000-000000000000")
    assert response.status == 404
    assert s.page.locator("h1").count() == 1
    assert "No patrol 00000000-0000-0000-0000-000000000000" in s.page.inner_text("main")
    assert s.page.locator("#delete").count() == 0  # nothing to delete on a page of nothing
    response = s.page.goto("/patrols/not-a-uuid")
    assert response.status == 404
    assert_no_console_errors(s, "404")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_coordinator_deletes_and_restores_a_patrol(open_session, client, world, session, viewport):
    report = make_report(finds=((0, -2000), (2000, 0)))
    r = client.post(
        "/api/v1/patrols",
        data=json.dumps(report),
        content_type="application/geo+json",
        headers=world.auth("ranger1"),
    )
    assert r.status_code == 201
    pid = report["features"][0]["id"]
    window = "from=2026-03-01&to=2026-03-03"  # the test report starts on 2 March 2026
    figures = client.get(f"/api/v1/zones/stats?{window}", headers=world.auth("coord")).get_json()
    s = open_session(viewport)
    s.login("coord")
    s.page.goto(f"/patrols/{pid}")
    s.page.wait_for_selector("form.card[data-find]")
    assert s.page.locator("h1").count() == 1
    assert s.page.locator("#deleted-notice").is_hidden()
    s.page.fill("form.card [name=count]", "4")
    s.page.click("form.card button[type=submit]")
    s.page.wait_for_function(
        "() => document.querySelector('#patrol-status').textContent.includes('revision 2')"
    )
    s.page.on("dialog", lambda d: d.accept())
    s.page.click("#delete")
    s.page.wait_for_selector("#deleted-notice:not([hidden])")
    assert "Coordinator coord deleted the patrol on " in s.page.inner_text("#deleted-notice")
    assert s.page.locator("#delete-section").is_hidden()
    # A deleted patrol is restored before it is corrected.
    assert s.page.locator("form.card [name=count]").first.is_disabled()
    session.rollback()
    assert session.scalar(sa.select(Patrol.deleted_at).where(Patrol.uuid == pid)) is not None
    gone = client.get(f"/api/v1/zones/stats?{window}", headers=world.auth("coord")).get_json()
    assert sum(f["properties"]["snares_found"] for f in gone["features"]) == 0
    if viewport is PHONE:
        s.shot("patrol-page-deleted-phone")
    s.page.click("#restore")
    s.page.wait_for_function(
        "() => document.querySelector('#patrol-status').textContent.startsWith('Restored')"
    )
    assert s.page.locator("#deleted-notice").is_hidden()
    assert s.page.locator("#delete").is_enabled()
    session.rollback()
    stored = session.scalar(sa.select(Patrol).where(Patrol.uuid == pid))
    assert stored.deleted_at is None and stored.revision == 4
    back = client.get(f"/api/v1/zones/stats?{window}", headers=world.auth("coord")).get_json()
    # Back in every figure: as before the delete, with the correction to 4 snares kept.
    want = {f["id"]: f["properties"]["effort_km"] for f in figures["features"]}
    assert {f["id"]: f["properties"]["effort_km"] for f in back["features"]} == want
    others = sum(f["properties"]["count"] for f in report["features"][2:])
    assert sum(f["properties"]["snares_found"] for f in back["features"]) == 4 + others
    actions = session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.entity_id == pid).order_by(AuditEvent.id)
    ).all()
    assert actions == ["create", "correct", "delete", "restore"]
    items = s.page.locator("[data-testid=audit] li").all_inner_texts()
    assert len(items) == 4
    assert items[0].startswith("Ranger ranger1 submitted the patrol (unit ")
    assert items[1].startswith("Coordinator coord changed the count of find 1 (found ")
    assert f"from {report['features'][1]['properties']['count']} to 4 on " in items[1]
    assert items[2].startswith("Coordinator coord deleted the patrol on ")
    assert items[3].startswith("Coordinator coord restored the patrol on ")
    assert not any("{" in item for item in items)  # sentences, never raw JSON
    s.shot("patrol-page" if viewport is DESKTOP else "patrol-page-phone")
    assert_no_console_errors(s)
