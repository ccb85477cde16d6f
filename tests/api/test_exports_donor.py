"""Donor-grade files and honest periods: the workbook read back with openpyxl (headers in
words, number formats, widths, month names, frozen header, totals first) against figures
computed here from the stored rows; partial years labelled in every file."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from patrol.services import periods
from patrol.services.exports import COLUMNS, annual_export
from patrol.services.formats import CSVFormatter, JSONFormatter
from patrol.services.xlsx import HEADERS, TOTALS_COLUMNS, write_workbook
from patrol.store.models import ConservationArea, Patrol, SnareFind
from tests.api.test_exports import fetch, stored_figures, two_years  # noqa: F401

MACHINE_KEYS = [
    "year",
    "month",
    "zone",
    "zone_name",
    "comparison",
    "snares_found",
    "snares_removed",
    "finds",
    "patrols",
    "patrol_days",
    "effort_km",
    "effort_h",
    "cpue_per_100km",
    "cpue_per_10h",
    "density_per_km2",
    "area_km2",
]


def _today() -> date:
    return datetime.now(ZoneInfo("Asia/Vladivostok")).date()


def test_workbook_reads_well_and_matches_the_stored_figures(client, world, two_years, session):  # noqa: F811
    book = load_workbook(io.BytesIO(fetch(client, world, "year=2026&format=xlsx").data))
    assert book.sheetnames == ["Totals", "Zone months", "About"]  # the totals first
    totals, months = book["Totals"], book["Zone months"]
    for sheet in (totals, months):
        assert "Test area" in sheet["A1"].value and "2026" in sheet["A1"].value
        assert sheet.freeze_panes == "A4"  # title, status line and header stay in view
    header = [c.value for c in months[3]]
    assert "Snares found" in header and "Effort (km walked)" in header
    assert "Snares per 100 km walked" in header and "Zone area (km²)" in header
    assert not set(header) & set(COLUMNS)  # words, never the machine keys
    col = {h: k for k, h in enumerate(header)}
    expected = stored_figures(session)
    rows = list(months.iter_rows(min_row=4))
    assert len(rows) == 4 * 12 * 2
    for row in rows:
        month = row[col["Month"]]
        assert isinstance(month.value, datetime) and month.number_format == "mmmm yyyy"
        key = (row[col["Zone code"]].value, f"{month.value:%Y-%m}")
        want = expected.get(key, {})
        assert row[col["Snares found"]].value == int(want.get("snares_found", 0)), key
        assert row[col["Snares found"]].number_format == "#,##0"
        km = row[col["Effort (km walked)"]]
        assert km.value == pytest.approx(want.get("effort_km", 0), abs=1e-3)
        assert km.number_format == "#,##0.0"
        cpue = row[col["Snares per 100 km walked"]]
        if want.get("effort_km"):
            assert cpue.value == pytest.approx(
                100 * want.get("snares_found", 0) / want["effort_km"], abs=1e-3
            )
            assert cpue.number_format == "0.00"
        else:
            assert cpue.value is None  # no effort: no rate, not zero
    # Columns are wide enough for their headers' words (wrapped on two lines at most).
    for letter, dim in months.column_dimensions.items():
        assert dim.width >= 9, letter
    # The area's total for 2026 against the stored finds of 2026's foot patrols.
    theader = [c.value for c in totals[3]]
    assert theader == [HEADERS[c][0] for c in TOTALS_COLUMNS]
    area_row = next(
        r for r in totals.iter_rows(min_row=4, values_only=True) if r[0] == 2026 and r[1] == "all"
    )
    found = session.scalar(
        sa.select(sa.func.sum(SnareFind.count))
        .join(Patrol)
        .where(Patrol.transport == "foot", Patrol.start_date >= date(2026, 1, 1))
    )
    assert area_row[theader.index("Snares found")] == found
    status = "no (partial)" if _today().year == 2026 else "yes"
    assert area_row[theader.index("Period complete")] == status


def test_csv_keeps_the_machine_keys(client, world, two_years):  # noqa: F811
    text = fetch(client, world, "year=2026&format=csv").data.decode()
    header = next(csv.reader(io.StringIO(text)))
    assert header[: len(MACHINE_KEYS)] == MACHINE_KEYS  # unchanged, in order
    assert header[len(MACHINE_KEYS) :] == ["complete"]  # one key appended


@pytest.mark.parametrize(
    ("today", "partial"), [(date(2026, 6, 15), True), (date(2027, 1, 5), False)]
)
def test_a_partial_year_is_labelled_in_every_file(session, world, two_years, today, partial):  # noqa: F811
    area = session.get(ConservationArea, world.area_id)
    export = annual_export(session, area, 2026, today=today)
    book = load_workbook(io.BytesIO(write_workbook(export)))
    title = book["Totals"]["A1"].value
    status_line = book["Totals"]["A2"].value
    about = {r[0]: r[1] for r in book["About"].iter_rows(values_only=True) if r and r[0]}
    rows = list(csv.DictReader(io.StringIO(CSVFormatter.write(export).decode())))
    doc = __import__("json").loads(JSONFormatter.write(export))
    if partial:
        assert "2026 (partial year, to 15 June 2026)" in title
        assert status_line.startswith("PARTIAL YEAR")
        assert about["period_status"].startswith("partial")
        assert doc["partial_years"] == [2026] and doc["figures_to"] == "2026-06-15"
        done = {r["month"] for r in rows if r["month"] and r["complete"] == "true"}
        assert {m for m in done if m.startswith("2026")} == {f"2026-{m:02d}" for m in range(1, 6)}
        assert all(r["complete"] == "true" for r in rows if r["year"] == "2025")
    else:
        assert "partial" not in title.lower() and about["period_status"] == "complete"
        assert doc["partial_years"] == []
        assert all(r["complete"] == "true" for r in rows)


def test_default_year_is_the_last_complete_one(session, world, two_years):  # noqa: F811
    area = session.get(ConservationArea, world.area_id)
    assert periods.default_year(session, area, date(2026, 11, 30)) == 2025
    assert periods.default_year(session, area, date(2027, 1, 1)) == 2026
    # A new deployment with no complete year yet: its running year, labelled partial.
    assert periods.default_year(session, area, date(2025, 12, 1)) == 2025
    assert periods.year_status(area, 2025, date(2025, 12, 1)).partial


def test_the_period_comes_before_its_comparison_year(client, world, two_years):  # noqa: F811
    book = load_workbook(io.BytesIO(fetch(client, world, "year=2026&format=xlsx").data))
    totals = list(book["Totals"].iter_rows(min_row=4, values_only=True))
    assert [r[0] for r in totals] == sorted((r[0] for r in totals), reverse=True)  # 2026 first
    assert totals[0][1] == "all"  # the year's area total leads its zones
    months = list(book["Zone months"].iter_rows(min_row=4, values_only=True))
    assert months[0][0] == 2026 and months[-1][0] == 2025
