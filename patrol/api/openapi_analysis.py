"""The OpenAPI paths of the figures, the risk model and the exports (``api/analytics.py``,
``api/risk.py``, ``api/smart.py``)."""

from __future__ import annotations

from typing import Any

from patrol.api.openapi_parts import (
    ANALYSIS,
    AREA,
    CSV,
    FILTERS,
    GEOJSON,
    GPKG,
    GPX,
    JSON,
    WINDOW,
    XLSX,
    YEAR,
    enum,
    op,
    path_param,
    query,
)
from patrol.i18n import LANGUAGES
from patrol.services.export_words import KEYS
from patrol.vocabulary import ExportFormat, LayerKind, SmartFormat, values

__all__ = ["ANALYSIS_PATHS"]

ANALYSIS_PATHS: dict[str, Any] = {
    "/zones/stats": {
        "get": op(
            "Per zone: snares, effort, patrol-days, density, CPUE, EB rate, hotspot flag, trend",
            params=AREA
            + WINDOW
            + ANALYSIS
            + [
                query("format", enum(ExportFormat.GEOJSON, ExportFormat.CSV)),
                query(
                    "lang",
                    enum(KEYS, *LANGUAGES),
                    "csv: headers, zone names, hotspot flag and reason and trend in this "
                    "language; keys (the default): the figures' keys and values as computed",
                ),
            ],
            content=GEOJSON | CSV,
        )
    },
    "/hotspots": {
        "get": op(
            "Grid cells with effort, CPUE, EB rate, Gi* z and p, FDR verdict, class and trend",
            params=AREA
            + WINDOW
            + ANALYSIS
            + [
                query(
                    "cell_km",
                    {"type": "number", "minimum": 0.1, "maximum": 100},
                    "a whole multiple of the area's cell (NGOs: of 5 km)",
                )
            ],
        )
    },
    "/dispatch": {
        "get": op("Every active unit's targets (coordinators)", params=AREA + WINDOW + ANALYSIS)
    },
    "/units/{code}/targets": {
        "parameters": path_param("code", {"type": "string"}),
        "get": op(
            "One unit's targets as GeoJSON, GPX waypoints (format=gpx) or CSV (format=csv)",
            params=AREA
            + WINDOW
            + ANALYSIS
            + [
                query("format", enum("geojson", "gpx", "csv")),
                query(
                    "lang",
                    enum(KEYS, *LANGUAGES),
                    "csv: headers and hotspot classes in this language; keys (the default): "
                    "the column keys and class codes",
                ),
            ],
            content=GEOJSON | GPX | CSV,
        ),
    },
    "/risk": {
        "get": op(
            "Per grid cell: predicted setting rate (snares per km2 per 30 days) with its "
            "90 % interval, standing stock, expected finds of a 5 km search, risk rank and "
            "the model's inputs, from data up to 'until' only",
            params=[
                *AREA,
                {
                    "name": "until",
                    "in": "query",
                    "schema": {"type": "string", "format": "date"},
                    "description": "last local day of data used; default: the latest patrol",
                },
                {
                    "name": "horizon_days",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 365},
                    "description": "the period predicted, from the day after 'until' (30)",
                },
                query(
                    "cell_km",
                    {"type": "number", "minimum": 0.1, "maximum": 100},
                    "a whole multiple of the area's cell (NGOs: of 5 km)",
                ),
            ],
        )
    },
    "/layers/{kind}": {
        "parameters": [
            {
                "name": "kind",
                "in": "path",
                "required": True,
                "schema": enum(*values(LayerKind)),
            }
        ],
        "get": op("An area's reference layer as GeoJSON", params=AREA),
    },
    "/units/{code}/route": {
        "parameters": [
            {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "get": op(
            "The unit's day route from its base and back within its walking length, "
            "choosing the cells with the most expected finds: GeoJSON (route and stops "
            "with expected finds and leg lengths) or format=gpx (a GPX <rte>)",
            params=[
                {
                    "name": "date",
                    "in": "query",
                    "schema": {"type": "string", "format": "date"},
                    "description": "the day walked; data up to the day before is used",
                },
                query("format", enum("geojson", "gpx")),
            ],
            content=GEOJSON | GPX,
        ),
    },
    "/exports/annual": {
        "get": op(
            "Zone x month snares and effort for a year or years, with totals and the year "
            "before. Aggregates only.",
            params=[
                *AREA,
                query("year", YEAR, required=True),
                query("to_year", YEAR),
                query("format", enum(*values(ExportFormat))),
                query(
                    "lang",
                    enum(KEYS, *LANGUAGES),
                    "csv and xlsx: column headers, sheet names, yes/no and zone names in this "
                    "language; keys: the column keys (scripts). Default: keys for csv, the "
                    "caller's language (Accept-Language, else saved preference, else en) for "
                    "xlsx. The other formats always carry the keys",
                ),
            ],
            content=CSV | XLSX | JSON | GEOJSON | GPKG,
        )
    },
    "/exports/finds": {
        "get": op(
            "Every find of a year with its location (coordinators)",
            params=[
                *AREA,
                query("year", YEAR, required=True),
                query("format", enum(ExportFormat.CSV, ExportFormat.GEOJSON, ExportFormat.GPKG)),
                query(
                    "lang",
                    enum(KEYS, *LANGUAGES),
                    "csv: headers, find types, states and actions in this language; keys "
                    "(the default): the properties' keys and values as stored",
                ),
            ],
            content=CSV | GEOJSON | GPKG,
        )
    },
    "/exports/routes": {
        "get": op(
            "Every patrol route of a year as GeoJSON, or a GeoPackage (coordinators)",
            params=[
                *AREA,
                query("year", YEAR, required=True),
                query("format", enum(ExportFormat.GEOJSON, ExportFormat.GPKG)),
            ],
            content=GEOJSON | GPKG,
        )
    },
    "/observations": {
        "get": op(
            "Observations (SMART categories with typed attributes) you may see; points and "
            "patrols for rangers, coordinators and admins only",
            params=[*FILTERS, query("category", {"type": "string"}, "a category key or prefix")],
        )
    },
    "/exports/smart": {
        "get": op(
            "The area's patrols of [from, to] (local days) as SMART patrol XML: a zip of one "
            "file per patrol, or format=xml for one document (coordinators)",
            params=[
                *AREA,
                query("from", {"type": "string", "format": "date"}, required=True),
                query("to", {"type": "string", "format": "date"}, required=True),
                query("format", enum(*values(SmartFormat))),
            ],
            content={
                "application/zip": {"schema": {"type": "string", "format": "binary"}},
                "application/xml": {"schema": {"type": "string"}},
            },
        )
    },
}
