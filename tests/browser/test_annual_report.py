"""The printable annual report and the exports page, in the real browser (and as a PDF)."""

from __future__ import annotations

import re

import pytest

from tests.api.test_exports import two_years  # noqa: F401  (the fixture)
from tests.browser.test_pages import assert_no_console_errors

pytestmark = pytest.mark.browser


def test_annual_report_prints_to_a4(open_session, client, world, two_years, tmp_path):  # noqa: F811
    totals = client.get(
        "/api/v1/exports/annual?year=2026&format=json&area=test-area", headers=world.auth("ngo")
    ).get_json()["totals"]
    area = next(t for t in totals if t["year"] == 2026 and not t["zone"])
    before = next(t for t in totals if t["year"] == 2025 and not t["zone"])
    s = open_session()
    s.login("ngo")
    s.page.goto("/reports/annual/2026?area=test-area")
    headline = s.page.inner_text("[data-testid=headline]")
    assert f"{area['snares_removed']:,}\nsnares removed" in headline
    assert f"{area['cpue_per_100km']:,.2f}\nsnares per 100 km" in headline
    change = 100 * (area["cpue_per_100km"] - before["cpue_per_100km"]) / before["cpue_per_100km"]
    assert f"{change:+.1f} % on 2025" in headline
    for title in (
        "Month by month",
        "Catch per unit effort by zone",
        "Zones by effort-corrected",
        "Flagged hotspots",
        "Methods",
    ):
        assert title in s.page.inner_text("main")
    assert s.page.locator("svg.chart").count() == 4  # with the setting-rate map
    assert s.page.locator("svg.cellmap rect").count() >= 16
    assert s.page.locator("svg.zonemap path.zone").count() == 4
    s.shot("annual-report-desktop")
    s.page.emulate_media(media="print")
    pdf = s.page.pdf(format="A4", print_background=True)
    (tmp_path / "report.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf)
    assert boxes and all(
        abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes
    )  # A4 in points
    assert s.page.locator("header.top").is_hidden()  # the print stylesheet hides the chrome
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
        s.page.fill("#year", "2026")
        s.page.click("main form button[type=submit]")
    assert info.value.suggested_filename == "test-area-snares-2026.csv"
    s.shot("exports-desktop")
    assert_no_console_errors(s)
