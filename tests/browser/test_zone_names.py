"""Zones named in several languages (name_ru, name_en in the zones file) shown in the page's
language on the map and the patrol page, in a real browser (issue 12 item 5)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from patrol.db import get_session
from patrol.i18n import COOKIE
from patrol.services import areas, recompute
from patrol.store.models import ConservationArea, Patrol
from tests.api.test_exports_language import NAMES, named_zones
from tests.conftest import make_report

GEOJSON = "application/geo+json"

pytestmark = pytest.mark.browser


@pytest.fixture
def named(app, client, world):
    """A patrol across the test area, and its zones named in Russian and English."""
    r = client.post(
        "/api/v1/patrols",
        data=json.dumps(make_report(xy_m=((-6000, -6000), (6000, 6000)), finds=())),
        content_type=GEOJSON,
        headers=world.auth("coord"),
    )
    assert r.status_code == 201, r.get_json()
    with app.app_context():
        session = get_session()
        area = session.get(ConservationArea, world.area_id)
        job = areas.replace_zones(session, area, named_zones()).job
        recompute.run_job(session, job.id)
        return session.scalar(sa.select(Patrol.uuid))


@pytest.mark.parametrize(("lang", "k"), [("ru", 0), ("en", 1)])
def test_the_map_and_the_patrol_page_name_zones_in_the_pages_language(open_session, named, lang, k):
    s = open_session()
    s.login("coord")
    s.context.add_cookies([{"name": COOKIE, "value": lang, "url": s.base}])
    s.page.goto("/map?from=2026-03-01&to=2026-03-31")
    s.page.wait_for_selector("#map[data-ready='1']")
    s.page.wait_for_selector("path.zone[aria-label]")
    labels = s.page.eval_on_selector_all(
        "path.zone[aria-label]", "(ps) => ps.map((p) => p.getAttribute('aria-label'))"
    )
    assert len(labels) == len(NAMES)
    for code, pair in NAMES.items():
        (label,) = [t for t in labels if f" {code} " in f" {t} "]
        assert f"{code} {pair[k]}" in label and pair[1 - k] not in label
    s.page.goto(f"/patrols/{named}")
    s.page.wait_for_selector("#figures table")
    table = s.page.inner_text("#figures table")
    crossed = [code for code in NAMES if f"{code} " in table]
    assert crossed  # the patrol crossed some zones: each named in the page's language
    for code in crossed:
        assert f"{code} {NAMES[code][k]}" in table and NAMES[code][1 - k] not in table
    assert s.errors == []
