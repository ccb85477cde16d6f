"""`patrol areas|zones|units|layers|detection|recompute`: an area and what is measured in it."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from patrol.cli_common import area_named, db_session, reports_errors, run_job
from patrol.cli_i18n import echo, figure, say
from patrol.texts import N_
from patrol.vocabulary import JobKind, LayerKind, values

__all__ = [
    "areas_group",
    "detection_command",
    "layers_group",
    "recompute_command",
    "units_group",
    "zones_group",
]

areas_group = AppGroup("areas", help="Conservation areas.")


@areas_group.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option(
    "--boundary",
    "boundary_file",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="GeoJSON Polygon/MultiPolygon (WGS84).",
)
@click.option("--cell-km", default=1.0, show_default=True)
@click.option("--timezone", default="UTC", show_default=True)
@reports_errors
def areas_create(slug: str, name: str, boundary_file: str, cell_km: float, timezone: str) -> None:
    """Create a conservation area from its boundary file."""
    from patrol.geo.documents import load_json
    from patrol.services.areas import create_area
    from patrol.store.engine import write

    boundary = load_json(Path(boundary_file).read_bytes())
    with write(db_session()) as session:
        area = create_area(session, slug, name, boundary, cell_km=cell_km, timezone=timezone)
    echo(
        N_(
            "area {slug}: {km2} km2, EPSG:{epsg}",
            slug=area.slug,
            km2=figure(area.area_km2, ".1f"),
            epsg=area.epsg,
        )
    )


@areas_group.command("snares")
@click.argument("slug")
@click.option(
    "--detection", type=click.FloatRange(0.01, 0.99), help="Chance per pass of seeing a snare."
)
@click.option(
    "--snare-life-days", type=click.FloatRange(1, 3650), help="Mean life of an unfound snare."
)
@reports_errors
def areas_snares(slug: str, detection: float | None, snare_life_days: float | None) -> None:
    """Set (or show) the area's snare detection and snare life for the setting-rate model."""
    from patrol.store.engine import write

    area = area_named(slug)
    if detection is not None or snare_life_days is not None:
        with write(db_session()):
            area = area_named(slug)
            if detection is not None:
                area.detection_probability = detection
            if snare_life_days is not None:
                area.snare_life_days = snare_life_days
    default = say(N_(" (default)"))
    echo(
        N_(
            "area {slug}: detection per pass {detection}{detection_default}, "
            "snare life {days} days{days_default}",
            slug=area.slug,
            detection=figure(area.detection_probability or 0.3, "g"),
            detection_default="" if area.detection_probability else default,
            days=figure(area.snare_life_days or 90, "g"),
            days_default="" if area.snare_life_days else default,
        )
    )


zones_group = AppGroup("zones", help="Zones of an area.")


@zones_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--area", "slug", help="Area slug (needed when there are several).")
@reports_errors
def zones_import(file: str, slug: str | None) -> None:
    """Replace an area's zones with a GeoJSON file; figures are recomputed."""
    from patrol.services.areas import replace_zones

    session = db_session()
    replaced = replace_zones(session, area_named(slug), Path(file).read_bytes())
    echo(N_("{count} zones stored", count=len(replaced.zones)))
    run_job(session, replaced.job.id, replaced.job.total)


units_group = AppGroup("units", help="Mobile units of an area.")


@units_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--area", "slug", help="Area slug (needed when there are several).")
@reports_errors
def units_import(file: str, slug: str | None) -> None:
    """Add or update units from a GeoJSON file of base Points with code and name."""
    from patrol.services.areas import import_units

    count = import_units(db_session(), area_named(slug), Path(file).read_bytes())
    echo(N_("{count} units stored", count=count))


layers_group = AppGroup("layers", help="Reference layers of an area: roads, settlements, rivers.")


@layers_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", type=click.Choice(values(LayerKind)), required=True, help="Layer.")
@click.option("--area", "slug", help="Area slug (needed when there are several).")
@reports_errors
def layers_import(file: str, kind: str, slug: str | None) -> None:
    """Replace an area's layer of one kind with a GeoJSON file (WGS84)."""
    from patrol.services.layers import import_layer

    count = import_layer(db_session(), area_named(slug), kind, Path(file).read_bytes())
    echo(N_("{count} {kind} features stored", count=count, kind=kind))


@click.command("detection")
@with_appcontext
@click.option("--area", "slug", help="Area slug (needed when there are several).")
@click.option("--until", help="Last local day of data (default: the latest patrol's).")
@click.option("--save", is_flag=True, help="Store it as the area's detection probability.")
@reports_errors
def detection_command(slug: str | None, until: str | None, save: bool) -> None:
    """Estimate the per-pass snare detection probability from repeated visits."""
    from datetime import date

    from patrol.services.risk import estimate_area_detection

    try:
        day = date.fromisoformat(until) if until else None
    except ValueError:
        raise click.BadParameter(say(N_("a date YYYY-MM-DD")), param_hint="--until") from None
    p, cells = estimate_area_detection(db_session(), area_named(slug), day, save)
    told = N_(
        "detection per pass: {p} (from {cells} cells walked again within a snare's life)",
        p=figure(p, ".3f"),
        cells=cells,
    )
    echo(N_("{told}; stored", told=told) if save else told)


@click.command("recompute")
@with_appcontext
@click.option("--area", "slug", help="Area slug (default: every area).")
@reports_errors
def recompute_command(slug: str | None) -> None:
    """Measure every stored patrol again (effort per cell and zone, finds' cells and zones)."""
    from patrol.services.areas import list_areas
    from patrol.services.recompute import open_job
    from patrol.store.engine import write

    session = db_session()
    slugs = [a.slug for a in list_areas(session) if slug in (None, a.slug)]
    for name in slugs:
        with write(session):
            area = area_named(name)
            job = open_job(session, area, JobKind.ALL)
            job_id, total = job.id, job.total
        click.echo(f"{area.slug}:")
        run_job(session, job_id, total)
