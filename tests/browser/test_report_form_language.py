"""The report form asks the API in the page's language: a Russian page in an English browser
shows the server's problems in Russian, next to the fields (issue 12 item 3)."""

from __future__ import annotations

import re

import pytest

from patrol.i18n import COOKIE
from tests.browser.conftest import PHONE
from tests.browser.test_report_form import _draw_route

pytestmark = pytest.mark.browser

CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


def test_a_russian_page_in_an_english_browser_gets_russian_problems(open_session):
    s = open_session(PHONE)
    s.context.add_cookies([{"name": COOKIE, "value": "ru", "url": s.base}])
    s.login("ranger1")
    s.page.goto("/report")
    assert s.page.get_attribute("html", "lang") == "ru"
    assert s.page.evaluate("() => navigator.language").startswith("en")
    _draw_route(s)
    s.page.fill("#ended_at", "")
    s.page.click("#save")
    item = s.page.locator("#outbox li[data-state=rejected]")
    item.wait_for()
    beside = s.page.inner_text("[data-error-for=ended_at]")
    assert beside.startswith("обязательно"), beside
    assert "coordTimes" not in beside and "is required" not in beside
    top = s.page.inner_text("[data-error-for=form]")
    assert CYRILLIC.search(top) and "nothing was stored" not in top
    # The outbox keeps the words it was given.
    assert "обязательно" in item.inner_text()
