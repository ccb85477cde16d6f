"""Every page as each role sees it, in Russian and in English, in chromium: no English word of
the catalog left on a Russian page (proper names aside), no Russian on an English one; the
Russian form (phone) and map (desktop) saved as screenshots, and the Russian annual report
printed to PDF with Cyrillic text (issue 12)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po

from patrol.store.models import ConservationArea, Patrol, Unit, User, Zone
from tests.browser.conftest import DESKTOP, PASSWORD, PHONE, SCREENSHOTS
from tests.browser.test_accessibility import pages, settle  # noqa: F401
from tests.web.test_i18n import ROOT

pytestmark = pytest.mark.browser

# Words a Russian page may show in Latin letters: file formats, programs, standards, the
# statistics' authors, the product's own name; everything else of the English catalog is a
# word left untranslated.
PROPER = {
    "patrol", "gps", "gpx", "geojson", "csv", "json", "xlsx", "excel", "geopackage", "qgis",
    "gdal", "ogc", "api", "features", "openapi", "getis", "ord", "poisson", "mann", "kendall",
    "pysal", "esda", "scipy", "pyproj", "wgs84", "benjamini", "hochberg", "marshall", "cpue",
    "http", "xml", "authorization", "bearer", "token", "leaflet", "wi-fi", "english", "code",
    "v1", "wgs", "pdf", "javascript",
}  # fmt: skip


def english_words() -> set[str]:
    """Every word of three letters or more in the messages (the English catalog's msgids)."""
    with (ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        ids = [m.id for m in read_po(fh) if m.id]
    text = " ".join(i if isinstance(i, str) else " ".join(i) for i in ids)
    text = re.sub(r"%\(\w+\)s|\{\w+\}|<[^>]+>", " ", text)
    return {w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)} - PROPER


def proper_names(session) -> list[str]:
    """The data's own names (areas, zones, units, people): shown as the park gave them."""
    names = [*session.scalars(sa.select(ConservationArea.name))]
    names += [*session.scalars(sa.select(Zone.name)), *session.scalars(sa.select(Zone.code))]
    names += [*session.scalars(sa.select(Unit.name)), *session.scalars(sa.select(Unit.code))]
    names += [
        *session.scalars(sa.select(User.username)),
        *session.scalars(sa.select(Patrol.leader)),
    ]
    return sorted({n for n in names if n}, key=len, reverse=True)


def visible_text(page) -> str:
    """What a reader sees and hears: the text, and the labels of controls and regions."""
    return page.evaluate(
        """() => [document.body.innerText, document.title,
             ...[...document.querySelectorAll('[aria-label], [placeholder], [title], option')]
               .map((e) => [e.getAttribute('aria-label'), e.getAttribute('placeholder'),
                            e.getAttribute('title'), e.tagName === 'OPTION' ? e.textContent : '']
                 .filter(Boolean).join(' '))].join('\\n')"""
    )


def walk(browser, server, pages, locale: str, viewport: dict = DESKTOP):  # noqa: F811
    """(who, path, text) of every page each role opens, in a browser speaking ``locale``."""
    found = []
    every = {
        None: ["/", "/login"],
        **pages,
        "ranger1": [*pages["ranger1"], pages["coord"][0], "/units/T-01/briefing?date=2026-03-21"],
        # (an admin sees two areas: the map and the exports are asked for the test area's)
        "admin": [
            p.replace("/map?", "/map?area=test-area&").replace(
                "/exports", "/exports?area=test-area"
            )
            for p in pages["coord"]
        ],
    }
    for who, paths in every.items():
        context = browser.new_context(viewport=viewport, base_url=server, locale=locale)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        if who:
            page.goto("/login")
            page.fill("#username", who)
            page.fill("#password", PASSWORD)
            page.click("form.stack button[type=submit]")
            page.wait_for_load_state()
        for path in paths:
            assert page.goto(path).ok, (who, path)
            settle(page)
            if path.startswith("/patrols/"):
                page.wait_for_selector("#figures table")
            found.append((who, path, visible_text(page)))
        assert errors == [], (who, errors)
        context.close()
    return found


def leftovers(text: str, names: list[str], words: set[str]) -> set[str]:
    for name in names:
        text = text.replace(name, " ")
    text = re.sub(r"https?://\S+|/[\w./?=&-]*", " ", text)  # addresses are not words
    text = re.sub(r"\b\w+(?:\.\w+)+\b", " ", text)  # nor codes (animals.carcass)
    return {
        f"{w} («{text[max(0, m.start() - 30) : m.end() + 30]}»)".replace("\n", " ")
        for m in re.finditer(r"[A-Za-z][A-Za-z-]{2,}", text)
        if (w := m.group()).lower() in words
    }


def test_every_page_in_russian_has_no_english_left(browser, server, pages, session):  # noqa: F811
    words, names = english_words(), proper_names(session)
    assert {"snare", "patrol", "report"} & words  # the list is real: a check, not a no-op
    found = {}
    for who, path, text in walk(browser, server, pages, "ru-RU"):
        assert re.search("[а-яё]{4}", text), (who, path)
        left = leftovers(text, names, words)
        if left:
            found[f"{who} {path}"] = sorted(left)
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_every_page_in_english_has_no_russian(browser, server, pages, session):  # noqa: F811
    names = proper_names(session)
    found = {}
    for who, path, text in walk(browser, server, pages, "en-GB"):
        text = text.replace("Русский", " ")  # the switch names each language in itself
        for name in names:
            text = text.replace(name, " ")
        cyrillic = re.findall(r"[А-Яа-яЁё]+", text)
        if cyrillic:
            found[f"{who} {path}"] = cyrillic[:10]
        assert "Sign" in text or "Map" in text or "Report" in text, (who, path)
    assert found == {}


def test_russian_form_and_map_screenshots(browser, server, pages):  # noqa: F811
    SCREENSHOTS.mkdir(exist_ok=True)
    for viewport, who, path, name in (
        (PHONE, "ranger1", "/report", "report-form-ru-phone"),
        (DESKTOP, "coord", pages["coord"][0], "map-ru-desktop"),
    ):
        context = browser.new_context(viewport=viewport, base_url=server, locale="ru-RU")
        page = context.new_page()
        page.goto("/login")
        page.fill("#username", who)
        page.fill("#password", PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_load_state()
        page.goto(path)
        settle(page)
        assert page.evaluate("document.documentElement.lang") == "ru"
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=viewport is PHONE)
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000
        context.close()


def test_the_switch_works_in_the_browser_and_offline_form_keeps_it(browser, server):
    context = browser.new_context(viewport=PHONE, base_url=server, locale="en-GB")
    page = context.new_page()
    page.goto("/login")
    assert page.inner_text("h1") == "Sign in"
    page.click("form.language button[value=ru]")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Войти"
    page.fill("#username", "ranger1")
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/report")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the service worker
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_load_state("networkidle")
    context.set_offline(True)
    page.reload()  # offline: the page and the Russian catalog from the caches
    assert page.inner_text("#save") == "Сохранить и отправить"
    assert page.evaluate("() => _('Waiting for a connection')") == "Ждёт связи"
    page.click("#save")  # no route: the problem is said in Russian, offline
    assert "маршрут" in page.inner_text("[data-error-for=route]").lower()
    context.close()


def test_russian_annual_report_pdf_has_cyrillic(browser, server, pages, tmp_path):  # noqa: F811
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils (bash .ci/run does)")
    context = browser.new_context(viewport=DESKTOP, base_url=server, locale="ru-RU")
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", "ngo")
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
    page.goto("/reports/annual/2026?area=test-area")
    settle(page)
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4", display_header_footer=False, prefer_css_page_size=True)
    context.close()
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for heading in ("Петли и усилие рейдов", "По месяцам", "Методика вкратце", "Страница 1 из"):
        assert heading in text, heading
    assert "Month by month" not in text and "Methods in brief" not in text
