"""`patrol patrols|dispatch|export`: reports in, targets and NGO exports out."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from patrol.cli_common import area_named, db_session, reports_errors
from patrol.cli_i18n import cli_language, echo, figure, say
from patrol.i18n import LANGUAGES
from patrol.texts import N_
from patrol.vocabulary import ExportFormat, Transport, values

__all__ = ["dispatch_command", "export_group", "patrols_group"]

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
@reports_errors
def patrols_import(
    files: tuple[str, ...],
    unit: str | None,
    transport: str | None,
    started_at: str | None,
    ended_at: str | None,
    jobs: int | None,
    batch: int,
    quiet: bool,
) -> None:
    """Import report files (GeoJSON or GPX) with the API's validation and idempotency."""
    from patrol.cli_import import run_import
    from patrol.geo.report import ReportDefaults
    from patrol.geo.times import parse_time

    try:
        defaults = ReportDefaults(
            unit=unit,
            transport=transport,
            started_at=parse_time(started_at) if started_at else None,
            ended_at=parse_time(ended_at) if ended_at else None,
        )
    except ValueError as exc:
        # The Message itself (str(exc) would be its English text): said in the locale.
        why = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
        raise click.BadParameter(say(why)) from None
    if run_import(db_session(), list(files), defaults, jobs=jobs, batch=batch, quiet=quiet):
        sys.exit(1)


@click.command("dispatch")
@with_appcontext
@click.option("--area", "slug", help="Area slug (needed when there are several).")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (included).")
@click.option("--capacity", default=3, show_default=True, help="Targets per unit.")
@reports_errors
def dispatch_command(
    slug: str | None, start: datetime | None, end: datetime | None, capacity: int
) -> None:
    """Print each active unit's targets: significant hot cells, nearest bases first."""
    from datetime import timedelta

    from patrol.services import cell_figures
    from patrol.services import dispatch as dispatching

    session = db_session()
    area = area_named(slug)
    window = cell_figures.resolve_window(
        session,
        area,
        start.date() if start else None,
        end.date() + timedelta(days=1) if end else None,
    )
    targets, units = dispatching.dispatch(
        session, area, window, cell_figures.AnalysisSettings(capacity=capacity)
    )
    echo(
        N_(
            "{area}: targets for {window} ({targets} for {units} units)",
            area=area.name,
            window=window.label,
            targets=len(targets),
            units=len(units),
        )
    )
    head = {k: say(v) for k, v in _HEADINGS.items()}
    click.echo(
        f"{head['unit']:<8} {'#':>2} {head['cell']:>9} {head['class']:<16} "
        f"{head['expected']:>8} {head['km']:>6}  {head['lon']:>10} {head['lat']:>9}  "
        f"{head['last']}"
    )
    never = say(N_("never"))
    for t in targets:
        click.echo(
            f"{t.unit:<8} {t.rank:>2} {f'{t.ix},{t.iy}':>9} {t.hotspot_class:<16} "
            f"{t.expected_snares:>8.2f} {t.distance_km:>6.1f}  {t.lon:>10.5f} "
            f"{t.lat:>9.5f}  {t.last_patrolled or never}"
        )


# The languages an export may be written in (``keys``: the column keys, for scripts).
EXPORT_LANGS = ("keys", *LANGUAGES)
# The dispatch table's column headings (its figures and codes are the same in every language).
_HEADINGS = {
    "unit": N_("unit"),
    "cell": N_("cell"),
    "class": N_("class"),
    "expected": N_("expected"),
    "km": N_("km"),
    "lon": N_("lon"),
    "lat": N_("lat"),
    "last": N_("last patrolled"),
}

export_group = AppGroup("export", help="Exports for NGOs and donors.")


@export_group.command("annual")
@click.option("--year", type=int, required=True, help="The year (or the first of several).")
@click.option("--to-year", type=int, help="The last year of a range.")
@click.option(
    "--format",
    "fmt",
    default=ExportFormat.CSV.value,
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
@click.option(
    "--lang",
    type=click.Choice(EXPORT_LANGS),
    help="csv and xlsx: headers and sheet names in this language; keys: the column keys "
    "(default: keys for csv, the locale's language for xlsx).",
)
@reports_errors
def export_annual(
    year: int,
    to_year: int | None,
    fmt: str,
    slug: str | None,
    output: str | None,
    lang: str | None,
) -> None:
    """Zone x month snare counts and effort, with totals and the year before."""
    from patrol.api.export_language import words_for
    from patrol.services.exports import annual_export, attach_cells
    from patrol.services.formats import formatter_for

    formatter = formatter_for(fmt)
    if formatter.binary and not output:
        raise click.UsageError(say(N_("{format} is binary: give --output FILE", format=fmt)))
    session = db_session()
    export = annual_export(session, area_named(slug), year, to_year)
    if formatter.with_cells:
        attach_cells(session, export, None)  # the operator sees every cell
    # As the API: the CSV keeps its keys; the workbook, for people, speaks the command's
    # language (the locale, as its messages: LANG=C is English).
    default = cli_language(os.environ) if fmt == ExportFormat.XLSX else "keys"
    with words_for(lang or default) as words:
        data = formatter.write(export, words)
    if output:
        Path(output).write_bytes(data)
        echo(N_("{path}: {size} bytes", path=output, size=figure(len(data), ",")), err=True)
    else:
        click.echo(data.decode("utf-8"), nl=False)
