"""The printable annual report, the methods page and the exports page, in the real browser;
the report printed to PDF by chromium and read back with poppler's pdftotext."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.api.test_exports import two_years  # noqa: F401  (the fixture)
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS
from tests.browser.test_pages import assert_no_console_errors
from tests.conftest import make_report

pytestmark = pytest.mark.browser
TZ = ZoneInfo("Asia/Vladivostok")  # the test area's time zone
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _pdf_pages(pdf_path) -> list[str]:
    """The text of each page of a PDF, by poppler's pdftotext (an independent reader)."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils (bash .ci/run does)")
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def _ink_share(pdf_path) -> list[float]:
    """Per page, the share of the printable height down to the last inked row above the
    footer: a near-empty page has little (rendered by poppler's pdftoppm, read as PGM)."""
    import numpy as np

    out = subprocess.run(
        ["pdftoppm", "-gray", "-r", "30", str(pdf_path)], capture_output=True, check=True
    ).stdout
    shares = []
    while out:
        magic, w, h, maxval, rest = out.split(maxsplit=4)
        assert magic == b"P5" and maxval == b"255"
        w, h = int(w), int(h)
        img = np.frombuffer(rest[: w * h], np.uint8).reshape(h, w)
        out = rest[w * h :]
        margin = int(h * 14 / 297)  # the @page margin (14 mm of 297) holds the page number
        body = img[margin : h - margin]
        inked = np.flatnonzero((body < 200).any(axis=1))
        shares.append(float(inked[-1] + 1) / body.shape[0] if inked.size else 0.0)
    return shares


def _print(s, tmp_path, name: str | None = None):
    s.page.emulate_media(media="print")
    pdf = s.page.pdf(format="A4", print_background=True)
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    if name:
        SCREENSHOTS.mkdir(exist_ok=True)
        for old in SCREENSHOTS.glob(f"{name}-page-*.png"):
            old.unlink()
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(path), str(SCREENSHOTS / f"{name}-page")],
            check=True,
        )
        for png in SCREENSHOTS.glob(f"{name}-page-*.png"):  # pdftoppm pads: page-01 -> page-1
            png.rename(png.with_name(re.sub(r"-0+(\d)", r"-\1", png.name)))
    return pdf, _pdf_pages(path)


def test_annual_report_prints_to_a4_with_page_numbers_key_and_scale(
    open_session,
    client,
    world,
    two_years,  # noqa: F811
    tmp_path,
):
    """2025 is a complete year: its report, printed, reads on paper alone."""
    totals = client.get(
        "/api/v1/exports/annual?year=2025&format=json&area=test-area", headers=world.auth("ngo")
    ).get_json()["totals"]
    area = next(t for t in totals if t["year"] == 2025 and not t["zone"])
    s = open_session()
    s.login("ngo")
    s.page.goto("/reports/annual/2025?area=test-area")
    assert s.page.locator("h1").count() == 1
    assert s.page.inner_text("h1") == "Snares and patrol effort, 2025"
    assert s.page.locator("[data-testid=partial]").count() == 0
    headline = s.page.inner_text("[data-testid=headline]")
    assert f"{area['snares_removed']:,}\nsnares removed" in headline
    assert f"{area['cpue_per_100km']:,.2f}\nsnares per 100 km" in headline
    assert s.page.locator("svg.chart").count() == 4  # with the setting-rate map
    assert s.page.locator("svg.zonemap path.zone").count() == 4
    monthly = s.page.text_content("section:has(h2:text('Month by month')) svg")
    assert all(m in monthly for m in MONTHS)  # month names, not 01..12
    assert not re.search(r"\de-\d", monthly)  # round ticks, never 1e-09
    # Methods are a page of the app, not a file of the repository.
    main = s.page.inner_text("main")
    assert "docs/" not in main and ".md" not in main
    s.shot("annual-report-desktop")
    pdf, pages = _print(s, tmp_path, "annual-report")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf)
    assert boxes and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes)
    n = len(pages)
    assert n >= 2
    for k, text in enumerate(pages, start=1):
        assert f"Page {k} of {n}" in text, (k, text[-300:])
    # No near-empty page: every page is inked at least a third of the way down.
    shares = _ink_share(tmp_path / "report.pdf")
    assert len(shares) == n and min(shares) > 0.33, shares
    everything = "\n".join(pages)
    assert "Smoothed snares per 100 km" in everything  # the zone map's key
    assert re.search(r"\b\d+ km\b", everything)  # its scale bar
    assert "Snares set per km² per 30" in everything  # the setting map's key
    assert "/methods" in everything and "docs/analytics" not in everything
    assert s.page.locator("header.top").is_hidden()  # the print stylesheet hides the chrome
    assert_no_console_errors(s)


@pytest.fixture
def flagged_year(client, world):
    """2025: the same effort in each quadrant zone, and a dozen finds in the north-east."""
    routes = {
        "NE": ((1000, 3000), (6000, 3000)),
        "NW": ((-6000, 3000), (-1000, 3000)),
        "SW": ((-6000, -3000), (-1000, -3000)),
        "SE": ((1000, -3000), (6000, -3000)),
    }
    for month in (3, 6, 9):
        for zone, xy in routes.items():
            finds = [(1200 + 400 * k, 3000) for k in range(12)] if zone == "NE" else []
            report = make_report(
                xy_m=xy, finds=finds, start=datetime(2025, month, 10, 1, tzinfo=UTC), hours=3.0
            )
            r = client.post(
                "/api/v1/patrols",
                data=json.dumps(report),
                content_type="application/geo+json",
                headers=world.auth("coord"),
            )
            assert r.status_code == 201, r.get_json()


def test_flags_in_words_with_the_statistics_in_footnotes(
    open_session, client, world, flagged_year, tmp_path
):
    stats = client.get(
        "/api/v1/zones/stats?from=2025-01-01&to=2025-12-31", headers=world.auth("ngo")
    ).get_json()
    flagged = {f["id"] for f in stats["features"] if f["properties"]["hotspot"]}
    assert "NE" in flagged  # the data make a flag; the page must say it in words
    s = open_session()
    s.login("ngo")
    s.page.goto("/reports/annual/2025?area=test-area")
    rows = s.page.locator("[data-testid=zones] tbody tr")
    flags = {
        row.locator("td").first.inner_text().split()[0]: row.locator("td.flag").inner_text()
        for row in rows.all()
    }
    assert {z for z, text in flags.items() if text.startswith("Hotspot")} == flagged
    ne = flags["NE"]
    assert "many more snare finds than its patrol effort predicts (36 where " in ne
    for text in flags.values():
        assert "p=" not in text and "FDR" not in text and "Poisson" not in text  # words only
    notes = s.page.locator("[data-testid=footnotes] li").all_inner_texts()
    assert len(notes) == len(flagged)
    ne_note = next(n for n in notes if n.startswith("NE "))
    assert "36 finds against" in ne_note and "exact Poisson test, p = " in ne_note
    assert "false discovery rate of 5 %" in ne_note
    s.shot("annual-report-flags")
    _, pages = _print(s, tmp_path)
    printed = re.sub(r"\s+", " ", "\n".join(pages))
    assert "Hotspot:" in printed and "exact Poisson test, p = " in printed
    assert_no_console_errors(s)


@pytest.fixture
def recent_years(client, world):
    """Patrols last year (complete) and this year (partial), by the area's calendar."""
    year = datetime.now(TZ).year
    starts = [
        datetime(year - 1, 4, 10, 9, tzinfo=TZ),
        datetime(year - 1, 10, 3, 9, tzinfo=TZ),
        datetime(year, 1, 1, 3, tzinfo=TZ),
    ]
    for k, start in enumerate(starts):
        r = client.post(
            "/api/v1/patrols",
            data=json.dumps(
                make_report(start=start.astimezone(UTC), hours=2.0, finds=((0, -2000),) * k)
            ),
            content_type="application/geo+json",
            headers=world.auth("coord"),
        )
        assert r.status_code == 201, r.get_json()
    return year


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_partial_year_says_so_and_the_default_is_the_last_complete_one(
    open_session, recent_years, viewport
):
    year = recent_years
    today = datetime.now(TZ).date()
    s = open_session(viewport)
    s.login("ngo")
    # The exports page: the default year is last year; this year is labelled partial.
    assert s.page.url.endswith("/exports")
    assert s.page.eval_on_selector("#year", "e => e.value") == str(year - 1)
    options = s.page.locator("#year option").all_inner_texts()
    assert f"{year} (partial year, to {today.day} {today:%B} {year})" in options
    assert str(year - 1) in options
    assert "partial" in s.page.inner_text("[data-testid=trend]")
    s.page.goto("/reports/annual?area=test-area")
    assert s.page.url.split("?")[0].endswith(f"/reports/annual/{year - 1}")
    s.page.goto(f"/reports/annual/{year}?area=test-area")
    assert "partial year" in s.page.inner_text("h1")
    notice = s.page.inner_text("[data-testid=partial]")
    assert f"run to {today.day} {today:%B} {year}" in notice
    headline = s.page.inner_text("[data-testid=headline]")
    assert "so far this year" in headline
    chart = s.page.locator("section:has(h2:text('Month by month')) svg")
    begun = today.month
    assert chart.locator("text.not-begun").count() == 12 - begun
    assert "partial year" in chart.text_content()
    if viewport is DESKTOP:
        s.shot("annual-report-partial-year")
    assert_no_console_errors(s)


def test_a_year_without_patrols_says_so(open_session, two_years):  # noqa: F811
    s = open_session()
    s.login("ngo")
    response = s.page.goto("/reports/annual/2031?area=test-area")
    assert response.status == 404
    text = s.page.inner_text("main")
    assert "No patrols were recorded in 2031" in text and "2025 to 2026" in text
    assert s.page.locator("svg").count() == 0  # no chart of zeros
    assert_no_console_errors(s, "404")


def test_an_area_without_patrols_has_no_empty_files_to_offer(open_session):
    s = open_session()
    s.login("ngo")
    assert "has no patrols yet" in s.page.inner_text("[data-testid=no-patrols]")
    assert s.page.locator("main form button[type=submit]").count() == 0
    assert_no_console_errors(s)


def test_methods_is_a_page_linked_from_the_report(open_session, two_years):  # noqa: F811
    s = open_session()
    s.login("ngo")
    s.page.goto("/reports/annual/2025?area=test-area")
    s.page.click("section.methods a")
    assert s.page.url.endswith("/methods")
    assert s.page.locator("h1").count() == 1
    text = s.page.inner_text("[data-testid=methods]")
    for words in ("Why raw counts mislead", "partial year", "Getis-Ord", "empirical Bayes"):
        assert words in text
    s.shot("methods")
    assert_no_console_errors(s)


def test_exports_page_trend_and_downloads(open_session, client, world, two_years):  # noqa: F811
    s = open_session()
    s.login("ngo")
    assert s.page.url.endswith("/exports")
    trend = s.page.locator("[data-testid=trend] svg")
    assert trend.count() == 1
    assert "2025" in s.page.inner_text("[data-testid=trend]")
    assert "2026" in s.page.inner_text("[data-testid=trend]")
    with s.page.expect_download() as info:
        s.page.select_option("#format", "csv")
        s.page.select_option("#year", "2026")
        s.page.click("main form button[type=submit]")
    assert info.value.suggested_filename == "test-area-snares-2026.csv"
    s.shot("exports-desktop")
    assert_no_console_errors(s)


def test_the_setting_map_keeps_to_aggregates(open_session, two_years):  # noqa: F811
    """The report's setting map for NGOs: 5 km cells, a key and the grey of 'not known'."""
    s = open_session()
    s.login("ngo")
    s.page.goto("/reports/annual/2025?area=test-area")
    cellmap = s.page.locator("svg.cellmap")
    assert cellmap.locator("rect").count() >= 16
    assert "fewer than 3 patrols: not known" in cellmap.text_content()
    assert "5 km cells" in cellmap.get_attribute("aria-label")
