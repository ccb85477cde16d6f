"""`patrol smart import|export|datamodel|map`: the SMART exchange from the command line."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import AppGroup

from patrol.cli_common import area_named, db_session, echo_problem, reports_errors
from patrol.cli_i18n import echo, figure, say
from patrol.texts import N_
from patrol.vocabulary import SmartFormat, values

if TYPE_CHECKING:
    from patrol.services.smart import FileOutcome

__all__ = ["smart_group"]

smart_group = AppGroup("smart", help="SMART exchange: patrol XML in and out, the area's map.")


def _smart_files(paths: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() == ".xml")
        else:
            files.append(path)
    return files


def _read_files(
    files: list[Path], slug: str | None, unit: str | None, update: bool, quiet: bool
) -> list[FileOutcome]:
    """Each file's outcome, with a progress bar that counts the patrols read so far."""
    from patrol.geo.report import Limits
    from patrol.services import smart

    config = current_app.config
    opts = smart.ImportOptions(
        area=slug,
        unit=unit,
        update=update,
        area_margin_km=config["AREA_MARGIN_KM"],
        limits=Limits(config["MAX_ROUTE_VERTICES"], config["MAX_FINDS_PER_PATROL"]),
    )
    session = db_session()
    cache = smart.new_cache()
    seen = {"patrols": 0}

    def count(_outcome: object) -> None:
        seen["patrols"] += 1

    outcomes = []
    with click.progressbar(
        files,
        label=say(N_("SMART files")),
        hidden=quiet,
        show_pos=True,
        item_show_func=lambda p: say(
            N_("{name} ({count} patrols)", name=p.name if p else "", count=seen["patrols"])
        ),
    ) as bar:
        for path in bar:
            outcomes.append(
                smart.import_smart_file(
                    session, None, str(path), path.read_bytes(), opts, cache, on_patrol=count
                )
            )
    return outcomes


def _tell(outcome: FileOutcome) -> None:
    """One file's outcome: rejected, or a line per patrol with its legs and warnings."""
    if outcome.problem is not None:
        echo(N_("{name}: rejected", name=outcome.name), err=True)
        echo_problem(outcome.problem)
    for p in outcome.patrols:
        if p.status == "rejected":
            where = f"{outcome.name} {p.pointer} ({p.smart_id or '?'})"
            echo(N_("{name}: rejected", name=where), err=True)
            echo_problem(p.problem)
            continue
        legs = ", ".join(
            say(
                N_(
                    "{transport} {km} km",
                    transport=x["transport"],
                    km=figure(x["distance_km"], ".2f"),
                )
            )
            for x in p.patrols
        )
        echo(
            N_(
                "{name} {smart_id}: {status} ({area}, {unit}; {legs}; "
                "{finds} finds, {observations} observations)",
                name=outcome.name,
                smart_id=p.smart_id,
                status=_STATUSES.get(p.status, p.status),
                area=p.area,
                unit=p.unit,
                legs=legs,
                finds=p.snare_finds,
                observations=p.observations,
            )
        )
        for w in p.warnings:
            click.echo(
                "    "
                + say(N_("warning {pointer}: {detail}", pointer=w.pointer, detail=say(w.detail)))
            )


# What became of a SMART patrol, in words (the JSON answers keep the values).
_STATUSES = {"stored": N_("stored"), "replayed": N_("replayed"), "updated": N_("updated")}


@smart_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--area", "slug", help="Area slug (default: the area the tracks lie in).")
@click.option("--unit", help="Unit code for every patrol (default: the area's team map).")
@click.option("--update", is_flag=True, help="Replace stored patrols whose content changed.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@reports_errors
def smart_import(
    paths: tuple[str, ...], slug: str | None, unit: str | None, update: bool, quiet: bool
) -> None:
    """Import SMART patrol XML files (or folders of them): each patrol stored, replayed or
    rejected with its reasons; the import never stops at a bad file."""
    from patrol.services import smart

    files = _smart_files(paths)
    outcomes = _read_files(files, slug, unit, update, quiet)
    for outcome in outcomes:
        _tell(outcome)
    counts = smart.totals(outcomes)
    echo(
        N_(
            "{files} files: {stored} stored, {updated} updated, {replayed} replayed, "
            "{rejected} patrols and {files_rejected} files rejected",
            files=len(files),
            stored=counts["stored"],
            updated=counts["updated"],
            replayed=counts["replayed"],
            rejected=counts["rejected"],
            files_rejected=counts["files_rejected"],
        )
    )
    if counts["rejected"] or counts["files_rejected"]:
        sys.exit(1)


@smart_group.command("export")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--area", "slug", help="Area slug (needed when there are several).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(values(SmartFormat)),
    default=SmartFormat.ZIP.value,
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
@reports_errors
def smart_export(start: datetime, end: datetime, slug: str | None, fmt: str, output: str) -> None:
    """Write the area's patrols of [from, to] (local days) as SMART patrol XML."""
    from patrol.services import smart

    area = area_named(slug)
    data, _, _ = smart.export_smart(db_session(), None, area, start.date(), end.date(), fmt)
    Path(output).write_bytes(data)
    echo(N_("wrote {path} ({size} bytes)", path=output, size=len(data)))


datamodel_group = AppGroup("datamodel", help="A park's SMART data model.")


@datamodel_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--area", "slug", help="Area slug (needed when there are several).")
@reports_errors
def datamodel_import(file: str, slug: str | None) -> None:
    """Map the area's snare categories from its SMART data model XML (names in any language)."""
    from patrol.services import smart

    doc = smart.import_datamodel(db_session(), None, area_named(slug), Path(file).read_bytes())
    echo(N_("{count} categories read", count=len(doc.get("names", {}))))
    for entry in doc.get("snare_categories", []):
        fields = ", ".join(k for k in ("type", "count", "state", "action", "species") if k in entry)
        echo(
            N_(
                "snare category {key} ({name}): {fields}",
                key=entry["key"],
                name=entry.get("name", ""),
                fields=fields or "-",
            )
        )


smart_group.add_command(datamodel_group)

map_group = AppGroup("map", help="The area's SMART map: snare categories, teams, transports.")


@map_group.command("show")
@click.option("--area", "slug", help="Area slug (needed when there are several).")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml")
@reports_errors
def map_show(slug: str | None, fmt: str) -> None:
    """Print the area's SMART map (the defaults when none was loaded)."""
    import json

    import yaml

    from patrol.services import smart

    doc = smart.area_map(db_session(), area_named(slug)).doc
    if fmt == "json":
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        click.echo(yaml.safe_dump(doc, allow_unicode=True, sort_keys=True), nl=False)


@map_group.command("set")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--area", "slug", help="Area slug (needed when there are several).")
@reports_errors
def map_set(file: str, slug: str | None) -> None:
    """Replace the area's SMART map with a YAML or JSON file (validated; audited)."""
    import yaml

    from patrol.errors import MalformedInput
    from patrol.services import smart

    try:
        doc = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MalformedInput(
            N_("{file} is not YAML or JSON: {why}", file=file, why=str(exc)[:200])
        ) from None
    doc = smart.set_area_map(db_session(), None, area_named(slug), doc)
    echo(
        N_(
            "map saved: {categories} snare categories, {teams} teams",
            categories=len(doc.get("snare_categories", [])),
            teams=len(doc.get("teams", {})),
        )
    )


smart_group.add_command(map_group)
