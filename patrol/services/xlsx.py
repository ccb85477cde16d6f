"""The annual export as a workbook for donors: the totals sheet first, headers in words with
their units (in the language asked: services/export_words.py), month names, number formats,
column widths and a frozen header."""

from __future__ import annotations

import io
from datetime import date
from typing import TYPE_CHECKING, Any

from patrol.services.export_words import ALL, ENGLISH_WORDS, HEADERS, Words
from patrol.services.exports import COLUMNS, AnnualExport
from patrol.texts import N_, Message

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["HEADERS", "write_workbook"]

TOTALS_COLUMNS = [c for c in COLUMNS if c != "month"]
MONTH_COLUMNS = list(COLUMNS)


def _value(key: str, row: dict[str, Any], words: Words) -> Any:
    v = row.get(key)
    if key == "month":
        # A real date shown as the month's name: it sorts and filters as a month.
        return date(int(v[:4]), int(v[5:7]), 1) if v else None
    if key in ("comparison", "complete"):
        return words.yes_no(v, partial=key == "complete") if not words.keys else bool(v)
    if key == "zone" and not v:
        return "all" if words.keys else words.text(ALL)
    return v


def _sheet(
    book: Workbook,
    name: str,
    heading: tuple[str, str],
    columns: list[str],
    rows: list[dict],
    words: Words,
) -> Worksheet:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    title, subtitle = heading
    sheet = book.create_sheet(name)
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([subtitle])
    sheet["A2"].font = Font(italic=True)
    headers = [words.header(c) for c in columns]
    sheet.append(headers)
    header_row = 3
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [min(max(len(h) // 2 + 2, 9), 30) for h in headers]
    for row in rows:
        values = [_value(c, row, words) for c in columns]
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


def write_workbook(export: AnnualExport, words: Words = ENGLISH_WORDS) -> bytes:
    """Sheets ``Totals`` (zone and area totals per year), ``Zone months`` and ``About`` (what
    the file holds, the period's status, and every column defined), in ``words``' language:
    headers, sheet names, title, status and definitions (``keys``: the column keys and sheet
    names ``totals``, ``zone_months``, ``about``)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    heading = (_title(export, words), _subtitle(export, words))
    names = {z.code: words.zone_name(z) for z in export.zones}

    def named(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "zone_name": names.get(row["zone"], row["zone_name"])}

    # People read from the top: the period before the year given for comparison, and each
    # year's area total before its zones (sorted() is stable: zones keep their order).
    totals = sorted(export.totals, key=lambda t: (t["comparison"], t["year"], bool(t["zone"])))
    rows = sorted(export.rows, key=lambda r: r["comparison"])
    _sheet(book, words.sheet("totals"), heading, TOTALS_COLUMNS, [*map(named, totals)], words)
    _sheet(book, words.sheet("zone_months"), heading, MONTH_COLUMNS, [*map(named, rows)], words)
    _about(book.create_sheet(words.sheet("about")), export, words, heading[0])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _title(export: AnnualExport, words: Words) -> str:
    """``Snares and patrol effort, <area>, 2026 (partial year, to 30 November 2026)``."""
    first, last = (
        words.year_label(export.status(y)) for y in (export.first_year, export.last_year)
    )
    period = (
        first
        if export.first_year == export.last_year
        else N_("{first} to {last}", first=first, last=last)
    )
    return words.text(
        N_("Snares and patrol effort, {area}, {period}", area=export.area.name, period=period)
    )


def _status(export: AnnualExport, words: Words) -> str:
    """The period's status: complete, or which years are partial."""
    if not export.partial_years:
        return words.text(N_("complete"))
    years = ", ".join(words.year_label(export.status(y)) for y in export.partial_years)
    return words.text(N_("partial: figures to date for {years}", years=years))


def _subtitle(export: AnnualExport, words: Words) -> str:
    status = _status(export, words)
    parts = [f"{status[0].upper()}{status[1:]}."]
    if export.partial_years:
        parts.insert(0, words.text(N_("PARTIAL YEAR")) + " —")
    parts.append(
        words.text(
            N_(
                "Year {year} is given for comparison. Aggregates only.",
                year=export.first_year - 1,
            )
        )
    )
    if export.area.synthetic:
        parts.append(words.text(N_("Synthetic demo data.")))
    return " ".join(parts)


def _note(text: Message, export: AnnualExport, words: Words) -> str:
    """A note of the export in the workbook's language, the year it names as well."""
    if "year_number" in text.params:
        year = words.year_label(export.status(text.params["year_number"]))
        text = Message(text.template, {**text.params, "year": year})
    return words.text(text)


# The About sheet's rows: the key (the same in every language, as the JSON's), its words.
ABOUT = {
    "area_name": N_("Area"),
    "area": N_("Area code"),
    "period": N_("Period"),
    "period_status": N_("Period status"),
    "figures_to": N_("Figures to"),
    "comparison_year": N_("Year given for comparison"),
    "time_zone": N_("Time zone"),
    "effort": N_("Effort"),
    "aggregation": N_("Aggregation"),
    "produced_at": N_("Produced at"),
}


def _about(about: Worksheet, export: AnnualExport, words: Words, title: str) -> None:
    """Key, value and what it is, in the workbook's language; then every column's key,
    header and definition."""
    from openpyxl.styles import Font

    meta = export.meta()
    meta["period_status"] = _status(export, words)
    about.append([title])
    about["A1"].font = Font(bold=True, size=13)
    for key, label in ABOUT.items():
        value = meta[key]
        shown = words.text(value) if isinstance(value, Message) else str(value)
        about.append([key, shown, *([] if words.keys else [words.text(label)])])
    note = words.text(N_("note"))
    if meta["synthetic"]:
        about.append(["note", words.text(N_("synthetic demo data")), note])
    for text in meta["notes"]:
        about.append(["note", _note(text, export, words), note])
    about.append([])
    about.append([words.text(w) for w in (N_("column"), N_("header"), N_("definition"))])
    for cell in about[about.max_row]:
        cell.font = Font(bold=True)
    for name, definition in COLUMNS.items():
        about.append(
            [
                name,
                words.header(name) if not words.keys else HEADERS[name][0],
                words.text(definition),
            ]
        )
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 30
    about.column_dimensions["C"].width = 90
