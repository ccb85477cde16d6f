"""The `patrol` command (also `flask --app patrol ...`): database, demo, imports, users, tokens."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext

from patrol.cli_basemap import basemap_group
from patrol.cli_db import db_group
from patrol.config import ConfigurationError
from patrol.errors import PatrolError
from patrol.vocabulary import ExportFormat, LayerKind, Role, SmartFormat, Transport, values

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
    from patrol.store.engine import begin_write

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

    session = _session()
    try:
        replaced = replace_zones(session, _area(slug), Path(file).read_bytes())
    except PatrolError as error:
        _fail(error)
    click.echo(f"{len(replaced.zones)} zones stored")
    _run_job(session, replaced.job.id, replaced.job.total)


def _run_job(session, job_id: int, total: int) -> None:
    """Run a recompute job here, with a progress bar over its patrols."""
    from patrol.services.recompute import run_job

    with click.progressbar(length=total, label="measuring patrols", show_pos=True) as bar:
        done = 0

        def advance(job) -> None:
            nonlocal done
            bar.length = max(bar.length or 0, job.total)
            bar.update(job.done - done)
            done = job.done

        job = run_job(session, job_id, progress=advance)
    if job.state != "done":
        raise click.ClickException(f"recompute job {job_id} {job.state}: {job.error}")
    click.echo(f"{job.done} patrols recomputed")


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
@click.option("--kind", type=click.Choice(values(LayerKind)), required=True, help="Layer.")
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
@click.option("--role", type=click.Choice(values(Role)), required=True)
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
@click.option("--transport", type=click.Choice(values(Transport)))
@click.option("--started-at", help="ISO time, for GPX tracks without times.")
@click.option("--ended-at", help="ISO time, for GPX tracks without times.")
@click.option(
    "--jobs",
    type=click.IntRange(1),
    default=None,
    help="Processes that parse and measure (default: the CPUs; 1: this process only).",
)
@click.option("--batch", type=click.IntRange(1), default=200, help="Patrols per transaction.")
@click.option("--quiet", is_flag=True, help="Only rejections and the summary; no progress bar.")
def patrols_import(files, unit, transport, started_at, ended_at, jobs, batch, quiet) -> None:
    """Import report files (GeoJSON or GPX) with the API's validation and idempotency."""
    from patrol.cli_import import run_import
    from patrol.geo.report import ReportDefaults, parse_time

    try:
        defaults = ReportDefaults(
            unit=unit,
            transport=transport,
            started_at=parse_time(started_at) if started_at else None,
            ended_at=parse_time(ended_at) if ended_at else None,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if run_import(_session(), list(files), defaults, jobs=jobs, batch=batch, quiet=quiet):
        sys.exit(1)


@click.command("recompute")
@with_appcontext
@click.option("--area", "slug", help="Area slug (default: every area).")
def recompute_command(slug: str | None) -> None:
    """Measure every stored patrol again (effort per cell and zone, finds' cells and zones)."""
    from patrol.services.recompute import open_job
    from patrol.store import begin_write
    from patrol.store.models import ConservationArea

    session = _session()
    query = sa.select(ConservationArea.id)
    if slug:
        query = query.where(ConservationArea.slug == slug)
    for area_id in session.scalars(query).all():
        begin_write(session)
        area = session.get(ConservationArea, area_id)
        job = open_job(session, area, "all")
        job_id, total = job.id, job.total
        session.commit()
        click.echo(f"{area.slug}:")
        _run_job(session, job_id, total)


@click.command("dispatch")
@with_appcontext
@click.option("--area", "slug", help="Area slug (needed when there are several).")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (included).")
@click.option("--capacity", default=3, show_default=True, help="Targets per unit.")
def dispatch_command(slug, start, end, capacity) -> None:
    """Print each active unit's targets: significant hot cells, nearest bases first."""
    from datetime import timedelta

    from patrol.services import cell_figures
    from patrol.services import dispatch as dispatching

    session = _session()
    try:
        area = _area(slug)
        window = cell_figures.resolve_window(
            session,
            area,
            start.date() if start else None,
            end.date() + timedelta(days=1) if end else None,
        )
        targets, units = dispatching.dispatch(
            session, area, window, cell_figures.AnalysisSettings(capacity=capacity)
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
    type=click.Choice(values(ExportFormat)),
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
    from patrol.services.exports import annual_export, attach_cells
    from patrol.services.formats import formatter_for

    if fmt in ("xlsx", "gpkg") and not output:
        raise click.UsageError(f"{fmt} is binary: give --output FILE")
    try:
        formatter = formatter_for(fmt)
        session = _session()
        export = annual_export(session, _area(slug), year, to_year)
        if formatter.with_cells:
            attach_cells(session, export, None)  # the operator sees every cell
        data = formatter.write(export)
    except PatrolError as error:
        _fail(error)
    if output:
        Path(output).write_bytes(data)
        click.echo(f"{output}: {len(data):,} bytes", err=True)
    else:
        click.echo(data.decode("utf-8"), nl=False)


smart_group = AppGroup("smart", help="SMART exchange: patrol XML in and out, the area's map.")


def _smart_files(paths) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() == ".xml")
        else:
            files.append(path)
    return files


def _echo_problem(error: PatrolError, indent: str = "    ") -> None:
    click.echo(f"{indent}{error.detail or error.title}", err=True)
    for item in error.errors:
        click.echo(f"{indent}{item.pointer or '/'}: {item.detail}", err=True)


@smart_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--area", "slug", help="Area slug (default: the area the tracks lie in).")
@click.option("--unit", help="Unit code for every patrol (default: the area's team map).")
@click.option("--update", is_flag=True, help="Replace stored patrols whose content changed.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def smart_import(paths, slug, unit, update, quiet) -> None:
    """Import SMART patrol XML files (or folders of them): each patrol stored, replayed or
    rejected with its reasons; the import never stops at a bad file."""
    from patrol.geo.report import Limits
    from patrol.services import smart

    files = _smart_files(paths)
    opts = smart.ImportOptions(
        area=slug,
        unit=unit,
        update=update,
        area_margin_km=current_app.config["AREA_MARGIN_KM"],
        limits=Limits(
            current_app.config["MAX_ROUTE_VERTICES"], current_app.config["MAX_FINDS_PER_PATROL"]
        ),
    )
    session = _session()
    cache = smart.new_cache()
    outcomes = []
    seen = {"patrols": 0}

    def count(_outcome) -> None:
        seen["patrols"] += 1

    with click.progressbar(
        files,
        label="SMART files",
        hidden=quiet,
        show_pos=True,
        item_show_func=lambda p: f"{p.name if p else ''} ({seen['patrols']} patrols)",
    ) as bar:
        for path in bar:
            outcomes.append(
                smart.import_smart_file(
                    session, None, str(path), path.read_bytes(), opts, cache, on_patrol=count
                )
            )
    for f in outcomes:
        if f.problem is not None:
            click.echo(f"{f.name}: rejected", err=True)
            _echo_problem(f.problem)
        for p in f.patrols:
            if p.status == "rejected":
                click.echo(f"{f.name} {p.pointer} ({p.smart_id or '?'}): rejected", err=True)
                _echo_problem(p.problem)
            else:
                legs = ", ".join(f"{x['transport']} {x['distance_km']:.2f} km" for x in p.patrols)
                click.echo(
                    f"{f.name} {p.smart_id}: {p.status} ({p.area}, {p.unit}; {legs}; "
                    f"{p.snare_finds} finds, {p.observations} observations)"
                )
                for w in p.warnings:
                    click.echo(f"    warning {w.pointer}: {w.detail}")
    counts = smart.totals(outcomes)
    click.echo(
        f"{len(files)} files: {counts['stored']} stored, {counts['updated']} updated, "
        f"{counts['replayed']} replayed, {counts['rejected']} patrols and "
        f"{counts['files_rejected']} files rejected"
    )
    if counts["rejected"] or counts["files_rejected"]:
        sys.exit(1)


@smart_group.command("export")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--area", "slug", help="Area slug (needed when there are several).")
@click.option(
    "--format", "fmt", type=click.Choice(values(SmartFormat)), default="zip", show_default=True
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
def smart_export(start, end, slug, fmt, output) -> None:
    """Write the area's patrols of [from, to] (local days) as SMART patrol XML."""
    from patrol.services import smart

    try:
        area = _area(slug)
        data, _, _ = smart.export_smart(_session(), None, area, start.date(), end.date(), fmt)
    except PatrolError as error:
        _fail(error)
    Path(output).write_bytes(data)
    click.echo(f"wrote {output} ({len(data)} bytes)")


datamodel_group = AppGroup("datamodel", help="A park's SMART data model.")


@datamodel_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--area", "slug", help="Area slug (needed when there are several).")
def datamodel_import(file: str, slug: str | None) -> None:
    """Map the area's snare categories from its SMART data model XML (names in any language)."""
    from patrol.services import smart

    try:
        doc = smart.import_datamodel(_session(), None, _area(slug), Path(file).read_bytes())
    except PatrolError as error:
        _fail(error)
    click.echo(f"{len(doc.get('names', {}))} categories read")
    for entry in doc.get("snare_categories", []):
        fields = ", ".join(k for k in ("type", "count", "state", "action", "species") if k in entry)
        click.echo(f"snare category {entry['key']} ({entry.get('name', '')}): {fields or '-'}")


smart_group.add_command(datamodel_group)

map_group = AppGroup("map", help="The area's SMART map: snare categories, teams, transports.")


@map_group.command("show")
@click.option("--area", "slug", help="Area slug (needed when there are several).")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml")
def map_show(slug: str | None, fmt: str) -> None:
    """Print the area's SMART map (the defaults when none was loaded)."""
    import json

    import yaml

    from patrol.services import smart

    try:
        doc = smart.area_map(_session(), _area(slug)).doc
    except PatrolError as error:
        _fail(error)
    if fmt == "json":
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        click.echo(yaml.safe_dump(doc, allow_unicode=True, sort_keys=True), nl=False)


@map_group.command("set")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--area", "slug", help="Area slug (needed when there are several).")
def map_set(file: str, slug: str | None) -> None:
    """Replace the area's SMART map with a YAML or JSON file (validated; audited)."""
    import yaml

    from patrol.errors import MalformedInput
    from patrol.services import smart

    try:
        try:
            doc = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise MalformedInput(f"{file} is not YAML or JSON: {str(exc)[:200]}") from None
        doc = smart.set_area_map(_session(), None, _area(slug), doc)
    except PatrolError as error:
        _fail(error)
    click.echo(
        f"map saved: {len(doc.get('snare_categories', []))} snare categories, "
        f"{len(doc.get('teams', {}))} teams"
    )


smart_group.add_command(map_group)


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
    smart_group,
    basemap_group,
    db_group,
]


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app() -> Flask:
    from patrol.app import create_app

    try:
        return create_app()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None


class PatrolGroup(AppGroup):
    """The `patrol` command: its commands are known without building the app.

    Flask's own group builds the app to list its commands, so every ``--help`` would need
    PATROL_SECRET_KEY; here a command builds the app only when it runs.
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: object,
    ) -> click.Context:
        extra.setdefault("obj", ScriptInfo(create_app=_create_app))
        return super().make_context(info_name, args, parent=parent, **extra)


cli = PatrolGroup("patrol", help="patrol: the anti-poaching patrol and snare log.")
for _command in COMMANDS:
    cli.add_command(_command)
