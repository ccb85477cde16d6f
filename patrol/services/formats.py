"""Output formats of the annual export: small registered classes, one per format."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from patrol.errors import FieldError, ValidationFailed
from patrol.geo.precision import round_geojson
from patrol.geo.times import iso_utc
from patrol.services.export_words import (
    ALL,
    ENGLISH_WORDS,
    FIND_HEADERS,
    FIND_VOCABULARIES,
    KEYS_WORDS,
    ZONE_STATS_HEADERS,
    Words,
)
from patrol.services.exports import COLUMNS, AnnualExport, zones_geojson
from patrol.services.geopackage import Layer, write_geopackage
from patrol.texts import N_
from patrol.vocabulary import ExportFormat

if TYPE_CHECKING:
    from patrol.services.zone_stats import ZoneRow

__all__ = ["FORMATS", "Formatter", "formatter_for", "in_words", "zone_stats_csv"]

FORMATS: dict[str, type[Formatter]] = {}


class Formatter:
    name: ClassVar[str]
    media_type: ClassVar[str]
    suffix: ClassVar[str]
    # Whether the format carries a map layer of grid cells (see exports.attach_cells).
    with_cells: ClassVar[bool] = False
    # Whether the file is binary (the CLI writes it to a file, never to a terminal).
    binary: ClassVar[bool] = False

    @staticmethod
    def write(export: AnnualExport, words: Words = KEYS_WORDS) -> bytes:
        raise NotImplementedError


def register(cls: type[Formatter]) -> type[Formatter]:
    FORMATS[cls.name] = cls
    return cls


def formatter_for(name: str) -> type[Formatter]:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValidationFailed(
            N_("Unknown format."),
            errors=[
                FieldError(
                    "/format",
                    N_(
                        "'{name}' is not one of {allowed}",
                        name=name[:20],
                        allowed=", ".join(FORMATS),
                    ),
                )
            ],
        ) from None


def _cell(key: str, value: Any, words: Words) -> Any:
    """A CSV cell: empty for no value, true/false (or the words) for a flag."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return words.yes_no(value, partial=key == "complete")
    if key == "zone" and not value and not words.keys:
        return words.text(ALL)
    return value


@register
class CSVFormatter(Formatter):
    """RFC 4180: UTF-8, a header row, CRLF line ends, ISO months; zone-months then totals.
    Under ``keys`` the header is the column keys and flags are true/false; in a language the
    headers, flags and zone names are words of that language (numbers keep a decimal point)."""

    name = ExportFormat.CSV
    media_type = "text/csv"
    suffix = ".csv"

    @staticmethod
    def write(export: AnnualExport, words: Words = KEYS_WORDS) -> bytes:
        names = {z.code: words.zone_name(z) for z in export.zones}
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([words.header(c) for c in COLUMNS])
        for row in export.rows + export.totals:
            row = {**row, "zone_name": names.get(row["zone"], row["zone_name"])}
            writer.writerow([_cell(c, row.get(c), words) for c in COLUMNS])
        return out.getvalue().encode("utf-8")


@register
class JSONFormatter(Formatter):
    name = ExportFormat.JSON
    media_type = "application/json"
    suffix = ".json"

    @staticmethod
    def write(export: AnnualExport, words: Words = KEYS_WORDS) -> bytes:
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

    name = ExportFormat.GEOJSON
    media_type = "application/geo+json"
    suffix = ".geojson"

    @staticmethod
    def write(export: AnnualExport, words: Words = KEYS_WORDS) -> bytes:
        doc = round_geojson(zones_geojson(export))
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")


@register
class XLSXFormatter(Formatter):
    """For people: totals first, headers in words with units (see services/xlsx.py)."""

    name = ExportFormat.XLSX
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    suffix = ".xlsx"
    binary = True

    @staticmethod
    def write(export: AnnualExport, words: Words = ENGLISH_WORDS) -> bytes:
        from patrol.services.xlsx import write_workbook

        return write_workbook(export, words)


ABOUT_KEYS = (
    "area_name",
    "area",
    "period",
    "comparison_year",
    "time_zone",
    "effort",
    "aggregation",
    "produced_at",
)


def about_layer(items: list[tuple[str, Any]]) -> Layer:
    """The ``about`` table: what the file holds, its CRS and its rules, as key and value."""
    return Layer(
        "about",
        [{"key": key, "value": "" if value is None else str(value)} for key, value in items],
        columns=["key", "value"],
    )


def _feature_layer(name: str, features: list[dict[str, Any]], geometry_type: str) -> Layer:
    return Layer(
        name,
        [{"id": str(f["id"]), **f["properties"]} for f in features],
        [f["geometry"] for f in features],
        geometry_type,
        columns=["id"],
    )


@register
class GeoPackageFormatter(Formatter):
    """Layers ``zones`` (period totals), ``zone_months`` (each zone's polygon with a month's
    figures), ``totals`` (no geometry), ``cells`` (as the caller may see them) and ``about``;
    geometries in the area's metric CRS."""

    name = ExportFormat.GPKG
    media_type = "application/geopackage+sqlite3"
    suffix = ".gpkg"
    with_cells = True
    binary = True

    @staticmethod
    def write(export: AnnualExport, words: Words = KEYS_WORDS) -> bytes:
        meta = export.meta()
        geometry = {z.code: z.geometry for z in export.zones}
        month_rows = [{c: row.get(c) for c in COLUMNS} for row in export.rows]
        layers = [
            _feature_layer("zones", zones_geojson(export)["features"], "MultiPolygon"),
            Layer(
                "zone_months",
                month_rows,
                [geometry[row["zone"]] for row in month_rows],
                "MultiPolygon",
                columns=list(COLUMNS),
            ),
            Layer(
                "totals",
                [{c: t.get(c) for c in COLUMNS} for t in export.totals],
                columns=list(COLUMNS),
            ),
        ]
        if export.cells is not None:
            layers.append(_feature_layer("cells", export.cells, "Polygon"))
        items: list[tuple[str, Any]] = [(key, meta[key]) for key in ABOUT_KEYS]
        items.append(("crs", f"EPSG:{export.area.epsg}"))
        if export.cell_km is not None:
            items.append(("cell_km", export.cell_km))
        if meta["synthetic"]:
            items.append(("note", "synthetic demo data"))
        items += [("note", note) for note in meta["notes"]]
        items += [(f"column {name}", definition) for name, definition in COLUMNS.items()]
        layers.append(about_layer(items))
        return write_geopackage(layers, export.area.epsg)


def located_geopackage(doc: dict[str, Any], layer: str, geometry_type: str, epsg: int) -> bytes:
    """A year's finds or routes (coordinators only) as one layer and an ``about`` table."""
    about = [
        ("area", doc["area"]),
        ("year", doc["year"]),
        ("crs", f"EPSG:{epsg}"),
        (
            "aggregation",
            "None: exact locations, for coordinators and admins only; never shared with the "
            "ngo role.",
        ),
        ("produced_at", iso_utc(datetime.now(UTC))),
    ]
    return write_geopackage(
        [_feature_layer(layer, doc["features"], geometry_type), about_layer(about)], epsg
    )


def rows_csv(rows: list[dict[str, Any]], empty_header: tuple[str, ...] = ("zone",)) -> str:
    """Rows of figures as RFC 4180 CSV (a header row, CRLF line ends); no rows, one header."""
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=list(rows[0]) if rows else list(empty_header), lineterminator="\r\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def finds_csv(doc: dict[str, Any], words: Words = KEYS_WORDS) -> str:
    """A year's finds document (``exports.finds_document``) as CSV: one row per find with its
    id, lon and lat first, the cell as "ix,iy" (coordinators only: exact locations). In a
    language (``words``): headers in words and the find type, state and action as the pages
    say them; under ``keys`` the properties' keys and values as stored."""
    rows = []
    for feature in doc["features"]:
        lon, lat = feature["geometry"]["coordinates"][:2]
        row = {"id": feature["id"], "lon": lon, "lat": lat, **feature["properties"]}
        row.pop("kind", None)
        row["cell"] = ",".join(str(v) for v in row["cell"])
        for key, vocabulary in FIND_VOCABULARIES.items():
            if row.get(key) is not None:
                row[key] = words.value(vocabulary, row[key])
        rows.append(row)
    if words.keys:
        return rows_csv(rows)
    header = tuple(words.text(text) for text in FIND_HEADERS.values())
    return rows_csv(in_words(rows, FIND_HEADERS, words), empty_header=header)


def in_words(
    rows: list[dict[str, Any]], headers: dict[str, Any], words: Words
) -> list[dict[str, Any]]:
    """Rows keyed by column key, keyed by the columns' headers in ``words`` instead."""
    header = {key: words.text(text) for key, text in headers.items()}
    return [{header.get(k, k): v for k, v in row.items()} for row in rows]


def zone_stats_csv(rows: list[ZoneRow], words: Words = KEYS_WORDS) -> str:
    """The zone statistics as CSV: under ``keys`` each zone's figures as computed (keys,
    true/false, the trend's code); in a language the headers, the zone's name, the hotspot
    flag, its reason and the trend in words (numbers keep a decimal point, as in the finds
    CSV, so that a spreadsheet in any locale reads them)."""
    if words.keys:
        return rows_csv([r.figures for r in rows])
    out = []
    for r in rows:
        row = dict(r.figures)
        row["name"] = words.zone_name(r.zone)
        row["hotspot"] = words.yes_no(row["hotspot"])
        row["hotspot_reason"] = words.hotspot_reason(row.get("hotspot_reason"))
        row["trend"] = words.trend(row.get("trend"))
        out.append(row)
    header = tuple(words.text(text) for text in ZONE_STATS_HEADERS.values())
    return rows_csv(in_words(out, ZONE_STATS_HEADERS, words), empty_header=header)
