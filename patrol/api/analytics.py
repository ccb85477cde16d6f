"""Effort-corrected figures: zone stats, grid hotspots, dispatch and unit targets, exports."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from patrol import jobs
from patrol.api import bp
from patrol.api.common import attachment, current_principal, geojson_response
from patrol.api.export_language import export_language, words_for
from patrol.api.params import QueryArgs
from patrol.db import get_session
from patrol.geo.documents import feature_collection
from patrol.services import (
    answer_cache,
    areas,
    cell_figures,
    exports,
    grid_hotspots,
    recompute,
    target_files,
    units,
    zone_stats,
)
from patrol.services import dispatch as dispatching
from patrol.services.analysis import Analysis, analysis_for, zone_stats_document
from patrol.services.auth import Principal
from patrol.services.formats import (
    CSVFormatter as CSV,
)
from patrol.services.formats import (
    GeoPackageFormatter,
    finds_csv,
    formatter_for,
    located_geopackage,
    zone_stats_csv,
)
from patrol.texts import N_
from patrol.vocabulary import ExportFormat, Role, values

__all__ = [
    "BINS",
    "annual_export",
    "dispatch",
    "finds_export",
    "hotspot_cells",
    "routes_export",
    "unit_targets",
    "zones_stats",
]

BINS = ("monthly", "seasonal")


def _analysis(principal: Principal, q: QueryArgs) -> Analysis:
    """Area, window, unit and settings from the query string, validated together (with what
    the route read into ``q`` before)."""
    session = get_session()
    area = areas.area_for(session, principal, q.text("area"))
    first, last = q.day("from"), q.day("to")
    cell_km = q.number("cell_km", 0.1, 100)
    min_effort = q.number("min_effort_km", 0.0, 1000)
    bins = q.choice("bins", BINS, BINS[0])
    unit_id = None
    if q.text("unit"):
        unit = units.unit_in_area(session, area, q.text("unit"))
        if unit is None:
            q.problem("unit", N_("no unit '{value}' here", value=q.text("unit")))
        else:
            unit_id = unit.id
    q.check()
    settings = cell_figures.AnalysisSettings(
        min_effort_km=min_effort if min_effort is not None else 1.0, bins=bins
    )
    return analysis_for(session, principal, area, first, last, unit_id, cell_km, settings)


@bp.get("/zones/stats")
def zones_stats() -> Response:
    """Per zone figures for a window: counts, effort, CPUE, EB rate, hotspot flag, trend; the
    CSV's headers and words in ``lang`` (``keys``, the default: as computed)."""
    principal = current_principal()
    q = QueryArgs()
    fmt = q.choice("format", (ExportFormat.GEOJSON, ExportFormat.CSV), ExportFormat.GEOJSON)
    lang = export_language(q)
    a = _analysis(principal, q)
    session = get_session()
    rows, _cells = zone_stats.zone_stats(session, a.area, a.window, a.unit_id, a.settings)
    if fmt == ExportFormat.CSV:
        name = f"{a.area.slug}-zones-{a.window.start}.csv"
        with words_for(lang) as words:
            return attachment(zone_stats_csv(rows, words), name, mimetype="text/csv")
    job = recompute.active_job(session, a.area.id)
    if job is not None:
        jobs.resume_if_stale(job)  # a job whose runner died is taken up again
    return geojson_response(zone_stats_document(a, rows, job))


@bp.get("/hotspots", endpoint="hotspots")
def hotspot_cells() -> Response:
    """One feature per grid cell of the area: effort, CPUE, EB rate, Gi*, class, trend."""
    principal = current_principal()
    a = _analysis(principal, QueryArgs())

    def build() -> bytes:
        result, features = grid_hotspots.visible_cells(
            get_session(), principal, a.area, a.window, a.cell_km, a.unit_id, a.settings
        )
        doc = feature_collection(
            features,
            area=a.area.slug,
            window=a.window.label,
            **({"aggregation": exports.AGGREGATION_RULE} if principal.role == Role.NGO else {}),
            cell_km=result.grid.cell_m / 1000,
            min_effort_km=a.settings.min_effort_km,
        )
        return geojson_response(doc).get_data()

    # Everything the answer depends on besides the area's patrols (answer_cache reads those).
    key = (
        "hotspots",
        principal.role,
        principal.unit_id,
        a.unit_id,
        a.cell_km,
        a.settings,
        a.area.slug,
        request.headers.get("Accept-Language"),
    )
    body = answer_cache.answer(get_session(), a.area, a.window, key, build)
    return Response(body, mimetype="application/geo+json")


@bp.get("/dispatch")
def dispatch() -> Response:
    """Every active unit's targets for the window (coordinators)."""
    principal = current_principal()
    principal.require_role(Role.COORDINATOR, Role.ADMIN)
    a = _analysis(principal, QueryArgs())
    targets, _units = dispatching.dispatch(get_session(), a.area, a.window, a.settings)
    return geojson_response(dispatching.targets_geojson(targets, a.window))


@bp.get("/units/<code>/targets")
def unit_targets(code: str) -> Response:
    """One unit's prioritised targets, as GeoJSON, (format=gpx) GPX waypoints or (format=csv) a
    table, its headers and classes in ``lang`` (``keys``, the default: the keys and codes)."""
    principal = current_principal()
    principal.require_role(Role.RANGER, Role.COORDINATOR, Role.ADMIN)
    session = get_session()
    units.visible_unit(session, principal, code, N_("targets"))
    q = QueryArgs()
    fmt = q.choice("format", ("geojson", "gpx", "csv"), "geojson")
    lang = export_language(q)
    a = _analysis(principal, q)
    targets, _ = dispatching.dispatch(session, a.area, a.window, a.settings)
    mine = [t for t in targets if t.unit == code]
    if fmt == "csv":
        with words_for(lang) as words:
            return attachment(
                target_files.targets_csv(mine, words),
                f"{code}-targets.csv",
                content_type="text/csv; charset=utf-8; header=present",
            )
    if fmt == "gpx":
        return attachment(
            dispatching.targets_gpx(mine, f"{code} targets {a.window.label}"),
            f"{code}-targets.gpx",
            mimetype="application/gpx+xml",
        )
    return geojson_response(dispatching.targets_geojson(mine, a.window))


@bp.get("/exports/annual")
def annual_export() -> Response:
    """Zone x month snare counts and effort for a year (or years), in csv, xlsx, json,
    geojson or gpkg: aggregates only, for every role that may see the area; CSV and XLSX
    headers in ``lang`` (``keys``: the column keys)."""
    principal = current_principal()
    session = get_session()
    q = QueryArgs()
    area = areas.area_for(session, principal, q.text("area"))
    first, last = q.year("year", required=True), q.year("to_year")
    fmt = q.choice("format", values(ExportFormat), ExportFormat.CSV)
    lang = export_language(q, formatter_for(fmt) if fmt in values(ExportFormat) else CSV)
    q.check()
    formatter = formatter_for(fmt)
    export = exports.annual_export(session, area, first, last)
    if formatter.with_cells:
        exports.attach_cells(session, export, principal)
    name = f"{area.slug}-snares-{export.period}{formatter.suffix}"
    with words_for(lang) as words:
        data = formatter.write(export, words)
    response = attachment(data, name, mimetype=formatter.media_type)
    response.vary.add("Accept-Language")
    return response


def _located_export(formats: tuple[str, ...], q: QueryArgs | None = None) -> tuple[Any, int, str]:
    """Area, year and format of an export with locations: coordinators and admins only."""
    principal = current_principal()
    principal.require_role(Role.COORDINATOR, Role.ADMIN)
    q = QueryArgs() if q is None else q
    fmt = q.choice("format", formats, formats[0])
    area = areas.area_for(get_session(), principal, q.text("area"))
    year = q.year("year", required=True)
    q.check()
    return area, year, fmt


@bp.get("/exports/finds")
def finds_export() -> Response:
    """Every find of a year with its location (coordinators, admins): csv, geojson or gpkg."""
    q = QueryArgs()
    lang = export_language(q)
    area, year, fmt = _located_export(
        (ExportFormat.CSV, ExportFormat.GEOJSON, ExportFormat.GPKG), q
    )
    doc = exports.finds_document(get_session(), area, year)
    name = f"{area.slug}-finds-{year}"
    if fmt == ExportFormat.GPKG:
        data = located_geopackage(doc, "finds", "Point", area.epsg)
        return attachment(data, f"{name}.gpkg", mimetype=GeoPackageFormatter.media_type)
    if fmt == ExportFormat.GEOJSON:
        return geojson_response(
            doc, headers={"Content-Disposition": f'attachment; filename="{name}.geojson"'}
        )
    with words_for(lang) as words:
        return attachment(finds_csv(doc, words), f"{name}.csv", mimetype="text/csv")


@bp.get("/exports/routes")
def routes_export() -> Response:
    """Every patrol route of a year (coordinators, admins), as GeoJSON or (gpkg) GeoPackage."""
    area, year, fmt = _located_export((ExportFormat.GEOJSON, ExportFormat.GPKG))
    doc = exports.routes_document(get_session(), area, year)
    name = f"{area.slug}-routes-{year}"
    if fmt == ExportFormat.GPKG:
        data = located_geopackage(doc, "routes", "MultiLineString", area.epsg)
        return attachment(data, f"{name}.gpkg", mimetype=GeoPackageFormatter.media_type)
    return geojson_response(
        doc, headers={"Content-Disposition": f'attachment; filename="{name}.geojson"'}
    )
