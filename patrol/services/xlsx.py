"""The annual export as a workbook for donors: the totals sheet first, headers in words with
their units, month names, number formats, column widths and a frozen header; the CSV keeps
the machine keys (services/formats.py)."""

from __future__ import annotations

import io
from datetime import date
from typing import TYPE_CHECKING, Any

from patrol.services.exports import COLUMNS, AnnualExport

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["HEADERS", "write_workbook"]

INTEGER = "#,##0"
ONE_DECIMAL = "#,##0.0"
# Column key -> (header in words with the unit, Excel number format or None for text).
HEADERS: dict[str, tuple[str, str | None]] = {
    "year": ("Year", "0"),
    "month": ("Month", "mmmm yyyy"),
    "zone": ("Zone code", None),
    "zone_name": ("Zone", None),
    "comparison": ("Year before (for comparison)", None),
    "snares_found": ("Snares found", INTEGER),
    "snares_removed": ("Snares removed or destroyed", INTEGER),
    "finds": ("Find records", INTEGER),
    "patrols": ("Patrols", INTEGER),
    "patrol_days": ("Patrol-days", INTEGER),
    "effort_km": ("Effort (km walked)", ONE_DECIMAL),
    "effort_h": ("Effort (hours)", ONE_DECIMAL),
    "cpue_per_100km": ("Snares per 100 km walked", "0.00"),
    "cpue_per_10h": ("Snares per 10 hours", "0.00"),
    "density_per_km2": ("Snares per km² of zone", "0.000"),
    "area_km2": ("Zone area (km²)", ONE_DECIMAL),
    "complete": ("Period complete", None),
}
TOTALS_COLUMNS = [c for c in COLUMNS if c != "month"]
MONTH_COLUMNS = list(COLUMNS)


def _value(key: str, row: dict[str, Any]) -> Any:
    v = row.get(key)
    if key == "month":
        # A real date shown as the month's name: it sorts and filters as a month.
        return date(int(v[:4]), int(v[5:7]), 1) if v else None
    if key == "comparison":
        return "yes" if v else "no"
    if key == "complete":
        return "yes" if v else "no (partial)"
    if key == "zone" and not v:
        return "all"
    return v


def _sheet(
    book: Workbook, name: str, title: str, columns: list[str], rows: list[dict], subtitle: str
) -> Worksheet:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(name)
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([subtitle])
    sheet["A2"].font = Font(italic=True)
    sheet.append([HEADERS[c][0] for c in columns])
    header_row = 3
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [min(max(len(HEADERS[c][0]) // 2 + 2, 9), 30) for c in columns]
    for row in rows:
        values = [_value(c, row) for c in columns]
        sheet.append(values)
        r = sheet.max_row
        bold = not row.get("zone")  # the area's total of a year
        for k, (c, v) in enumerate(zip(columns, values, strict=True)):
            cell = sheet.cell(row=r, column=k + 1)
            if HEADERS[c][1] and v is not None:
                cell.number_format = HEADERS[c][1]
            if bold:
                cell.font = Font(bold=True)
            shown = 14 if c == "month" else len(f"{v:,.1f}" if isinstance(v, float) else str(v))
            widths[k] = min(max(widths[k], shown + 2), 40)
    for k, w in enumerate(widths):
        sheet.column_dimensions[get_column_letter(k + 1)].width = w
    sheet.row_dimensions[header_row].height = 30
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1).coordinate
    sheet.auto_filter.ref = (
        f"A{header_row}:{get_column_letter(len(columns))}{max(sheet.max_row, header_row)}"
    )
    return sheet


def write_workbook(export: AnnualExport) -> bytes:
    """Sheets ``Totals`` (zone and area totals per year), ``Zone months`` and ``About`` (what
    the file holds, the period's status, and every column defined)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    meta = export.meta()
    book = Workbook()
    book.remove(book.active)
    status = meta["period_status"]
    subtitle = (
        f"{'PARTIAL YEAR — ' if export.partial_years else ''}{status[0].upper()}{status[1:]}. "
        f"Year {meta['comparison_year']} is given for comparison. Aggregates only."
    )
    if meta["synthetic"]:
        subtitle += " Synthetic demo data."
    # People read from the top: the period before the year given for comparison, and each
    # year's area total before its zones (sorted() is stable: zones keep their order).
    totals = sorted(export.totals, key=lambda t: (t["comparison"], t["year"], bool(t["zone"])))
    rows = sorted(export.rows, key=lambda r: r["comparison"])
    _sheet(book, "Totals", export.title, TOTALS_COLUMNS, totals, subtitle)
    _sheet(book, "Zone months", export.title, MONTH_COLUMNS, rows, subtitle)
    about = book.create_sheet("About")
    about.append([export.title])
    about["A1"].font = Font(bold=True, size=13)
    for key in (
        "area_name",
        "area",
        "period",
        "period_status",
        "figures_to",
        "comparison_year",
        "time_zone",
        "effort",
        "aggregation",
        "produced_at",
    ):
        about.append([key, str(meta[key])])
    if meta["synthetic"]:
        about.append(["note", "synthetic demo data"])
    for note in meta["notes"]:
        about.append(["note", note])
    about.append([])
    about.append(["column", "header", "definition"])
    for cell in about[about.max_row]:
        cell.font = Font(bold=True)
    for name, definition in COLUMNS.items():
        about.append([name, HEADERS[name][0], definition])
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 30
    about.column_dimensions["C"].width = 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
