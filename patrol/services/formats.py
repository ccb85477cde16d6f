"""Output formats of the annual export: small registered classes, one per format."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, ClassVar

from patrol.errors import FieldError, ValidationFailed
from patrol.services.exports import COLUMNS, AnnualExport, zones_geojson

__all__ = ["FORMATS", "Formatter", "formatter_for"]

FORMATS: dict[str, type[Formatter]] = {}


class Formatter:
    name: ClassVar[str]
    media_type: ClassVar[str]
    suffix: ClassVar[str]

    @staticmethod
    def write(export: AnnualExport) -> bytes:
        raise NotImplementedError


def register(cls: type[Formatter]) -> type[Formatter]:
    FORMATS[cls.name] = cls
    return cls


def formatter_for(name: str) -> type[Formatter]:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValidationFailed(
            "Unknown format.",
            errors=[FieldError("/format", f"'{name[:20]}' is not one of {', '.join(FORMATS)}")],
        ) from None


def _cells(row: dict[str, Any]) -> list[Any]:
    return ["" if row.get(c) is None else row.get(c) for c in COLUMNS]


@register
class CSVFormatter(Formatter):
    """RFC 4180: UTF-8, a header row, CRLF line ends, ISO months; zone-months then totals."""

    name = "csv"
    media_type = "text/csv"
    suffix = ".csv"

    @staticmethod
    def write(export: AnnualExport) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for row in export.rows + export.totals:
            writer.writerow(
                ["true" if v is True else "false" if v is False else v for v in _cells(row)]
            )
        return out.getvalue().encode("utf-8")


@register
class JSONFormatter(Formatter):
    name = "json"
    media_type = "application/json"
    suffix = ".json"

    @staticmethod
    def write(export: AnnualExport) -> bytes:
        doc = {
            **export.meta(),
            "definitions": COLUMNS,
            "rows": export.rows,
            "totals": export.totals,
        }
        return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


@register
class GeoJSONFormatter(Formatter):
    """The zones (polygons: no patrol route or find point) with their totals."""

    name = "geojson"
    media_type = "application/geo+json"
    suffix = ".geojson"

    @staticmethod
    def write(export: AnnualExport) -> bytes:
        return json.dumps(zones_geojson(export), ensure_ascii=False).encode("utf-8")


@register
class XLSXFormatter(Formatter):
    """Three sheets: the zone-month rows, the totals, and what every column means."""

    name = "xlsx"
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    suffix = ".xlsx"

    @staticmethod
    def write(export: AnnualExport) -> bytes:
        from openpyxl import Workbook
        from openpyxl.styles import Font

        book = Workbook()
        rows = book.active
        rows.title = "rows"
        totals = book.create_sheet("totals")
        for sheet, data in ((rows, export.rows), (totals, export.totals)):
            sheet.append(list(COLUMNS))
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for row in data:
                sheet.append(_cells(row))
            sheet.freeze_panes = "A2"
        about = book.create_sheet("about")
        meta = export.meta()
        about.append(["patrol annual export"])
        about["A1"].font = Font(bold=True)
        for key in (
            "area_name",
            "area",
            "period",
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
        about.append(["column", "definition"])
        for name, definition in COLUMNS.items():
            about.append([name, definition])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
