"""The `patrol` command (also `flask --app patrol ...`): database, demo, imports, users, tokens."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from patrol.errors import PatrolError

__all__ = ["cli", "init_app"]


def _session():
    from patrol.db import get_session

    return get_session()


def _fail(error: PatrolError) -> None:
    click.echo(f"error: {error.detail or error.title}", err=True)
    for item in error.errors:
        click.echo(f"  {item.pointer or '/'}: {item.detail}", err=True)
    sys.exit(1 if error.status < 500 else 2)


def _area(slug: str | None):
    from patrol.services.areas import area_for

    return area_for(_session(), None, slug)


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create or migrate the database to the latest schema."""
    from patrol.store import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is at the latest schema")


@click.command("demo")
@with_appcontext
@click.option("--year", default=2025, show_default=True, help="Year of simulated patrols.")
@click.option("--seed", default=2025, show_default=True, help="Seed of the simulation.")
@click.option(
    "--patrols-per-week", default=2.5, show_default=True, help="Patrols per unit per week."
)
def demo_command(year: int, seed: int, patrols_per_week: float) -> None:
    """Load the synthetic demo area, users and a simulated year of patrols (once)."""
    from patrol.demo.load import DEMO_USERS, load_demo
    from patrol.demo.simulate import SimulationSettings
    from patrol.store import upgrade

    if current_app.config["ENV"] not in ("development", "testing"):
        raise click.ClickException("the demo has fixed logins: run it with PATROL_ENV=development")
    upgrade(current_app.config["DATABASE_URL"])
    settings = SimulationSettings(year=year, seed=seed, patrols_per_unit_week=patrols_per_week)
    summary = load_demo(
        _session(), settings, progress=lambda k, n: click.echo(f"  {k}/{n} patrols", err=True)
    )
    if summary.patrols_present < 0:
        click.echo("demo data present (this simulation was loaded before)")
    else:
        click.echo(
            f"demo area {'created' if summary.created_area else 'present'}; "
            f"{summary.patrols_created} patrols stored, "
            f"{summary.patrols_present} present already"
        )
    click.echo("\nDemo logins (synthetic data; development only):")
    for username, role, unit, password, token in DEMO_USERS:
        click.echo(
            f"  {role:<12} {username:<12} password {password:<17} token {token}"
            + (f"  ({unit})" if unit else "")
        )


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def serve_command(host: str, port: int) -> None:
    """Serve with Werkzeug's development server (use gunicorn in production)."""
    from werkzeug.serving import run_simple

    # app.run() refuses to start from inside the flask CLI; run_simple is what it would call.
    run_simple(host, port, current_app._get_current_object(), threaded=True)


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
def areas_create(slug, name, boundary_file, cell_km, timezone) -> None:
    """Create a conservation area from its boundary file."""
    from patrol.geo.report import load_json
    from patrol.services.areas import create_area

    session = _session()
    try:
        area = create_area(
            session,
            slug,
            name,
            load_json(Path(boundary_file).read_bytes()),
            cell_km=cell_km,
            timezone=timezone,
        )
        session.commit()
    except PatrolError as error:
        _fail(error)
    click.echo(f"area {area.slug}: {area.area_km2:.1f} km2, EPSG:{area.epsg}")


@areas_group.command("snares")
@click.argument("slug")
@click.option(
    "--detection", type=click.FloatRange(0.01, 0.99), help="Chance per pass of seeing a snare."
)
@click.option(
    "--snare-life-days", type=click.FloatRange(1, 3650), help="Mean life of an unfound snare."
)
def areas_snares(slug: str, detection: float | None, snare_life_days: float | None) -> None:
    """Set (or show) the area's snare detection and snare life for the setting-rate model."""
    from patrol.store.db import begin_write

    session = _session()
    area = _area(slug)
    if detection is not None or snare_life_days is not None:
        begin_write(session)
        area = _area(slug)
        if detection is not None:
            area.detection_probability = detection
        if snare_life_days is not None:
            area.snare_life_days = snare_life_days
        session.commit()
    click.echo(
        f"area {area.slug}: detection per pass {area.detection_probability or 0.3:g}"
        f"{'' if area.detection_probability else ' (default)'}, snare life "
        f"{area.snare_life_days or 90:g} days{'' if area.snare_life_days else ' (default)'}"
    )


zones_group = AppGroup("zones", help="Zones of an area.")


@zones_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--area", "slug", help="Area slug (needed when there are several).")
def zones_import(file: str, slug: str | None) -> None:
    """Replace an area's zones with a GeoJSON file; figures are recomputed."""
    from patrol.services.areas import replace_zones

    try:
        zones = replace_zones(_session(), _area(slug), Path(file).read_bytes())
    except PatrolError as error:
        _fail(error)
    click.echo(f"{len(zones)} zones stored")


units_group = AppGroup("units", help="Mobile units of an area.")


@units_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--area", "slug", help="Area slug (needed when there are several).")
def units_import(file: str, slug: str | None) -> None:
    """Add or update units from a GeoJSON file of base Points with code and name."""
    from patrol.services.areas import import_units

    try:
        count = import_units(_session(), _area(slug), Path(file).read_bytes())
    except PatrolError as error:
        _fail(error)
    click.echo(f"{count} units stored")


layers_group = AppGroup("layers", help="Reference layers of an area: roads, settlements, rivers.")


@layers_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--kind", type=click.Choice(["roads", "settlements", "rivers"]), required=True, help="Layer."
)
@click.option("--area", "slug", help="Area slug (needed when there are several).")
def layers_import(file: str, kind: str, slug: str | None) -> None:
    """Replace an area's layer of one kind with a GeoJSON file (WGS84)."""
    from patrol.services.layers import import_layer

    try:
        count = import_layer(_session(), _area(slug), kind, Path(file).read_bytes())
    except PatrolError as error:
        _fail(error)
    click.echo(f"{count} {kind} features stored")


@click.command("detection")
@with_appcontext
@click.option("--area", "slug", help="Area slug (needed when there are several).")
@click.option("--until", help="Last local day of data (default: the latest patrol's).")
@click.option("--save", is_flag=True, help="Store it as the area's detection probability.")
def detection_command(slug: str | None, until: str | None, save: bool) -> None:
    """Estimate the per-pass snare detection probability from repeated visits."""
    from datetime import date

    from patrol.services.risk import estimate_area_detection

    try:
        day = date.fromisoformat(until) if until else None
    except ValueError:
        raise click.BadParameter("a date YYYY-MM-DD", param_hint="--until") from None
    try:
        p, cells = estimate_area_detection(_session(), _area(slug), day, save)
    except PatrolError as error:
        _fail(error)
    click.echo(
        f"detection per pass: {p:.3f} (from {cells} cells walked again within a snare's life)"
        + ("; stored" if save else "")
    )


users_group = AppGroup("users", help="People and their roles.")


@users_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["ranger", "coordinator", "ngo", "admin"]), required=True)
@click.option("--unit", help="Unit code (rangers).")
@click.option("--area", "areas", multiple=True, help="Area slug; repeat for several.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_create(username, role, unit, areas, password) -> None:
    """Create a user with a role (and a unit for rangers)."""
    from patrol.services.auth import create_user

    session = _session()
    try:
        create_user(session, username, role, password, unit, list(areas))
        session.commit()
    except PatrolError as error:
        _fail(error)
    click.echo(f"user {username} ({role}) created")


tokens_group = AppGroup("tokens", help="API tokens.")


@tokens_group.command("create")
@click.argument("username")
@click.option("--name", default="", help="What the token is for.")
def tokens_create(username: str, name: str) -> None:
    """Create an API token; it is shown this once and stored hashed."""
    from patrol.services.auth import create_token

    session = _session()
    try:
        _, token = create_token(session, username, name)
        session.commit()
    except PatrolError as error:
        _fail(error)
    click.echo(token)


@tokens_group.command("revoke")
@click.argument("token_or_prefix")
def tokens_revoke(token_or_prefix: str) -> None:
    """Revoke a token, by the token itself or its shown prefix."""
    from patrol.services.auth import revoke_token

    session = _session()
    count = revoke_token(session, token_or_prefix)
    session.commit()
    if not count:
        raise click.ClickException("no active token matches")
    click.echo(f"{count} token(s) revoked")


patrols_group = AppGroup("patrols", help="Patrol reports.")


@patrols_group.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--unit", help="Unit code, for files that do not name one (GPX).")
@click.option("--transport", type=click.Choice(["foot", "vehicle", "motorbike", "boat", "ski"]))
@click.option("--started-at", help="ISO time, for GPX tracks without times.")
@click.option("--ended-at", help="ISO time, for GPX tracks without times.")
def patrols_import(files, unit, transport, started_at, ended_at) -> None:
    """Import report files (GeoJSON or GPX) with the API's validation and idempotency."""
    from patrol.geo.importers import importer_for
    from patrol.geo.report import Limits, ReportDefaults, parse_time
    from patrol.services.patrols import ingest_report

    session = _session()
    limits = Limits(
        current_app.config["MAX_ROUTE_VERTICES"], current_app.config["MAX_FINDS_PER_PATROL"]
    )
    try:
        defaults = ReportDefaults(
            unit=unit,
            transport=transport,
            started_at=parse_time(started_at) if started_at else None,
            ended_at=parse_time(ended_at) if ended_at else None,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    failed = 0
    contexts: dict = {}
    for name in files:
        data = Path(name).read_bytes()
        try:
            report = importer_for(None, name, data[:4096]).parse(data, defaults, limits)
            result = ingest_report(
                session,
                None,
                report,
                area_margin_km=current_app.config["AREA_MARGIN_KM"],
                contexts=contexts,
            )
        except PatrolError as error:
            failed += 1
            click.echo(f"{name}: rejected", err=True)
            click.echo(f"  {error.detail or error.title}", err=True)
            for item in error.errors:
                click.echo(f"  {item.pointer or '/'}: {item.detail}", err=True)
            continue
        state = "stored" if result.created else "already stored"
        click.echo(
            f"{name}: {state} as patrol {result.patrol.uuid} ({result.patrol.distance_km:.2f} km)"
        )
    if failed:
        sys.exit(1)


@click.command("recompute")
@with_appcontext
@click.option("--area", "slug", help="Area slug (default: every area).")
def recompute_command(slug: str | None) -> None:
    """Measure every stored patrol again (effort per cell and zone, finds' cells and zones)."""
    from patrol.services.patrols import recompute_area
    from patrol.store import begin_write
    from patrol.store.models import ConservationArea

    session = _session()
    begin_write(session)
    query = sa.select(ConservationArea)
    if slug:
        query = query.where(ConservationArea.slug == slug)
    total = 0
    for area in session.scalars(query).all():
        total += recompute_area(session, area)
    session.commit()
    click.echo(f"{total} patrols recomputed")


@click.command("dispatch")
@with_appcontext
@click.option("--area", "slug", help="Area slug (needed when there are several).")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (included).")
@click.option("--capacity", default=3, show_default=True, help="Targets per unit.")
def dispatch_command(slug, start, end, capacity) -> None:
    """Print each active unit's targets: significant hot cells, nearest bases first."""
    from datetime import timedelta

    from patrol.services import hotspots

    session = _session()
    try:
        area = _area(slug)
        window = hotspots.resolve_window(
            session,
            area,
            start.date() if start else None,
            end.date() + timedelta(days=1) if end else None,
        )
        targets, units = hotspots.dispatch(
            session, area, window, hotspots.AnalysisSettings(capacity=capacity)
        )
    except PatrolError as error:
        _fail(error)
    click.echo(f"{area.name}: targets for {window.label} ({len(targets)} for {len(units)} units)")
    click.echo(
        f"{'unit':<8} {'#':>2} {'cell':>9} {'class':<16} {'expected':>8} {'km':>6}  "
        f"{'lon':>10} {'lat':>9}  last patrolled"
    )
    for t in targets:
        click.echo(
            f"{t.unit:<8} {t.rank:>2} {f'{t.ix},{t.iy}':>9} {t.hotspot_class:<16} "
            f"{t.expected_snares:>8.2f} {t.distance_km:>6.1f}  {t.lon:>10.5f} "
            f"{t.lat:>9.5f}  {t.last_patrolled or 'never'}"
        )


export_group = AppGroup("export", help="Exports for NGOs and donors.")


@export_group.command("annual")
@click.option("--year", type=int, required=True, help="The year (or the first of several).")
@click.option("--to-year", type=int, help="The last year of a range.")
@click.option(
    "--format",
    "fmt",
    default="csv",
    show_default=True,
    type=click.Choice(["csv", "xlsx", "json", "geojson"]),
)
@click.option("--area", "slug", help="Area slug (needed when there are several).")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="File to write (default: standard output; xlsx needs a file).",
)
def export_annual(year, to_year, fmt, slug, output) -> None:
    """Zone x month snare counts and effort, with totals and the year before."""
    from patrol.services.exports import annual_export
    from patrol.services.formats import formatter_for

    if fmt == "xlsx" and not output:
        raise click.UsageError("xlsx is binary: give --output FILE")
    try:
        data = formatter_for(fmt).write(annual_export(_session(), _area(slug), year, to_year))
    except PatrolError as error:
        _fail(error)
    if output:
        Path(output).write_bytes(data)
        click.echo(f"{output}: {len(data):,} bytes", err=True)
    else:
        click.echo(data.decode("utf-8"), nl=False)


COMMANDS = [
    export_group,
    dispatch_command,
    detection_command,
    init_command,
    demo_command,
    serve_command,
    recompute_command,
    areas_group,
    zones_group,
    units_group,
    layers_group,
    users_group,
    tokens_group,
    patrols_group,
]


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app():
    from patrol import create_app

    return create_app()


cli = FlaskGroup(
    create_app=_create_app,
    add_default_commands=False,
    help="patrol: the anti-poaching patrol and snare log.",
)
