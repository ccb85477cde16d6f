"""Effort-corrected figures: zone stats, grid hotspots, dispatch and unit targets."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import Response, request

from patrol import jobs
from patrol.api import bp
from patrol.api.common import (
    FIRST_YEAR,
    LAST_YEAR,
    ascii_int,
    choice_arg,
    current_principal,
    date_arg,
    float_arg,
    geojson_response,
)
from patrol.db import get_session
from patrol.errors import FieldError, ValidationFailed
from patrol.geo.report import printable
from patrol.services import (
    areas,
    cell_figures,
    exports,
    grid_hotspots,
    privacy,
    recompute,
    target_files,
    units,
    zone_stats,
)
from patrol.services import dispatch as dispatching
from patrol.services.auth import Principal
from patrol.services.formats import (
    GeoPackageFormatter,
    finds_csv,
    formatter_for,
    located_geopackage,
    rows_csv,
)


def _context(principal: Principal):
    """Area, window, unit and settings from the query string, validated together."""
    session = get_session()
    area = areas.area_for(session, principal, request.args.get("area"))
    problems: list[FieldError] = []
    start, end_day = date_arg("from", problems), date_arg("to", problems)
    cell_km = float_arg("cell_km", problems, 0.1, 100)
    min_effort = float_arg("min_effort_km", problems, 0.0, 1000)
    bins = request.args.get("bins", "monthly")
    if bins not in ("monthly", "seasonal"):
        problems.append(FieldError("/bins", "must be monthly or seasonal"))
    unit_id = None
    if request.args.get("unit"):
        unit = units.unit_in_area(session, area, request.args["unit"])
        if unit is None:
            problems.append(FieldError("/unit", f"no unit '{request.args['unit']}' here"))
        else:
            unit_id = unit.id
    if problems:
        raise ValidationFailed("The query parameters are not valid.", errors=problems)
    end = end_day + timedelta(days=1) if end_day else None  # 'to' is the last day included
    window = cell_figures.resolve_window(session, area, start, end)
    if principal.role == "ngo" and not (start and end_day):
        window = cell_figures.Window(*privacy.whole_months(window.start, window.end))
    suppression = privacy.check_aggregate_request(
        principal, window.start, window.end, unit_id, cell_km, area.cell_m / 1000
    )
    settings = cell_figures.AnalysisSettings(
        min_effort_km=min_effort if min_effort is not None else 1.0, bins=bins
    )
    return session, area, window, unit_id, cell_km, settings, suppression


def _csv(text: str, filename: str) -> Response:
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/zones/stats")
def zones_stats():
    """Per zone figures for a window: counts, effort, CPUE, EB rate, hotspot flag, trend."""
    principal = current_principal()
    session, area, window, unit_id, _, settings, _ = _context(principal)
    fmt = choice_arg("format", ("geojson", "csv"), "geojson")
    rows, _cells = zone_stats.zone_stats(session, area, window, unit_id, settings)
    if fmt == "csv":
        return _csv(rows_csv([r.figures for r in rows]), f"{area.slug}-zones-{window.start}.csv")
    job = recompute.active_job(session, area.id)
    recomputing = {}
    if job is not None:
        # Zone figures of patrols the job has not reached yet are those of the old zones.
        jobs.resume_if_stale(job)
        recomputing = {"recomputing": recompute.job_document(job)}
    return geojson_response(
        {
            "type": "FeatureCollection",
            "area": area.slug,
            "window": window.label,
            **recomputing,
            "features": [
                {
                    "type": "Feature",
                    "id": r.zone.code,
                    "geometry": json.loads(r.zone.geometry_geojson),
                    "properties": r.figures,
                }
                for r in rows
            ],
        }
    )


@bp.get("/hotspots", endpoint="hotspots")
def hotspot_cells():
    """One feature per grid cell of the area: effort, CPUE, EB rate, Gi*, class, trend."""
    principal = current_principal()
    session, area, window, unit_id, cell_km, settings, _ = _context(principal)
    result, features = grid_hotspots.visible_cells(
        session, principal, area, window, cell_km, unit_id, settings
    )
    return geojson_response(
        {
            "type": "FeatureCollection",
            "area": area.slug,
            "window": window.label,
            **({"aggregation": exports.AGGREGATION_RULE} if principal.role == "ngo" else {}),
            "cell_km": result.grid.cell_m / 1000,
            "min_effort_km": settings.min_effort_km,
            "features": features,
        }
    )


@bp.get("/dispatch")
def dispatch():
    """Every active unit's targets for the window (coordinators)."""
    principal = current_principal()
    principal.require_role("coordinator", "admin")
    session, area, window, _, _, settings, _ = _context(principal)
    targets, _units = dispatching.dispatch(session, area, window, settings)
    return geojson_response(dispatching.targets_geojson(targets, window))


@bp.get("/units/<code>/targets")
def unit_targets(code: str):
    """One unit's prioritised targets, as GeoJSON, (format=gpx) GPX waypoints or (format=csv) a
    table."""
    principal = current_principal()
    principal.require_role("ranger", "coordinator", "admin")
    session = get_session()
    units.visible_unit(session, principal, code, "targets")
    _, area, window, _, _, settings, _ = _context(principal)
    targets, _ = dispatching.dispatch(session, area, window, settings)
    mine = [t for t in targets if t.unit == code]
    fmt = choice_arg("format", ("geojson", "gpx", "csv"), "geojson")
    if fmt == "csv":
        return Response(
            target_files.targets_csv(mine),
            content_type="text/csv; charset=utf-8; header=present",
            headers={"Content-Disposition": f'attachment; filename="{code}-targets.csv"'},
        )
    if fmt == "gpx":
        return Response(
            dispatching.targets_gpx(mine, f"{code} targets {window.label}"),
            mimetype="application/gpx+xml",
            headers={"Content-Disposition": f'attachment; filename="{code}-targets.gpx"'},
        )
    return geojson_response(dispatching.targets_geojson(mine, window))


@bp.get("/exports/annual")
def annual_export():
    """Zone x month snare counts and effort for a year (or years), in csv, xlsx, json or
    geojson: aggregates only, for every role that may see the area."""
    principal = current_principal()
    session = get_session()
    area = areas.area_for(session, principal, request.args.get("area"))
    problems: list[FieldError] = []
    first = _year("year", problems, required=True)
    last = _year("to_year", problems, required=False)
    formatter = formatter_for(request.args.get("format", "csv"))
    if problems:
        raise ValidationFailed("The query parameters are not valid.", errors=problems)
    export = exports.annual_export(session, area, first, last)
    if formatter.with_cells:
        exports.attach_cells(session, export, principal)
    name = f"{area.slug}-snares-{export.period}{formatter.suffix}"
    return Response(
        formatter.write(export),
        mimetype=formatter.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _year(name: str, problems: list[FieldError], required: bool) -> int | None:
    raw = request.args.get(name, "")
    if not raw:
        if required:
            problems.append(FieldError(f"/{name}", "is required: a year like 2025"))
        return None
    try:
        year = ascii_int(raw) if len(raw) == 4 else None
    except ValueError:
        year = None
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        problems.append(
            FieldError(f"/{name}", f"'{printable(raw[:10])}' is not a year from 1900 to 2199")
        )
        return None
    return year


def _gpkg(doc: dict, layer: str, geometry_type: str, area, name: str) -> Response:
    data = located_geopackage(doc, layer, geometry_type, area.epsg)
    return Response(
        data,
        mimetype=GeoPackageFormatter.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}.gpkg"'},
    )


@bp.get("/exports/finds")
def finds_export():
    """Every find of a year with its location (coordinators, admins): csv, geojson or gpkg."""
    fmt = request.args.get("format", "csv")
    session, area, year = _located_export(
        []
        if fmt in ("csv", "geojson", "gpkg")
        else [FieldError("/format", "must be csv, geojson or gpkg")]
    )
    doc = exports.finds_document(session, area, year)
    name = f"{area.slug}-finds-{year}"
    if fmt == "gpkg":
        return _gpkg(doc, "finds", "Point", area, name)
    if fmt == "geojson":
        return geojson_response(
            doc, headers={"Content-Disposition": f'attachment; filename="{name}.geojson"'}
        )
    return _csv(finds_csv(doc), f"{name}.csv")


@bp.get("/exports/routes")
def routes_export():
    """Every patrol route of a year (coordinators, admins), as GeoJSON or (gpkg) GeoPackage."""
    fmt = request.args.get("format", "geojson")
    session, area, year = _located_export(
        [] if fmt in ("geojson", "gpkg") else [FieldError("/format", "must be geojson or gpkg")]
    )
    doc = exports.routes_document(session, area, year)
    if fmt == "gpkg":
        return _gpkg(doc, "routes", "MultiLineString", area, f"{area.slug}-routes-{year}")
    return geojson_response(
        doc,
        headers={
            "Content-Disposition": f'attachment; filename="{area.slug}-routes-{year}.geojson"'
        },
    )


def _located_export(problems: list[FieldError]):
    """Session, area and year of an export with locations: coordinators and admins only."""
    principal = current_principal()
    principal.require_role("coordinator", "admin")
    session = get_session()
    area = areas.area_for(session, principal, request.args.get("area"))
    year = _year("year", problems, required=True)
    if problems:
        raise ValidationFailed("The query parameters are not valid.", errors=problems)
    return session, area, year
