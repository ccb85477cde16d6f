"""`patrol basemap load|list|remove`: an area's offline basemap (MBTiles or PMTiles)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import AppGroup

from patrol.cli_common import reports_errors
from patrol.cli_i18n import echo, figure, say
from patrol.texts import N_
from patrol.vocabulary import TileFormat

if TYPE_CHECKING:
    import sqlalchemy.orm as so

__all__ = ["basemap_group"]

basemap_group = AppGroup("basemap", help="Offline basemaps of areas (MBTiles or PMTiles files).")


def _context() -> tuple[so.Session, Path]:
    from patrol.db import get_session
    from patrol.services.basemaps import basemap_folder

    folder = basemap_folder(current_app.config.get("BASEMAP_DIR"), current_app.instance_path)
    return get_session(), folder


def _size(n: int) -> str:
    if n >= 100_000:
        return say(N_("{size} MB", size=figure(n / 1e6, ".1f")))
    return say(N_("{size} kB", size=figure(n / 1e3, ".1f")))


@basemap_group.command("load")
@click.argument("area")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--by", "loaded_by", help="Who loads it (default: this system user).")
@reports_errors
def basemap_load(area: str, file: str, loaded_by: str | None) -> None:
    """Check an MBTiles or PMTiles file and make it AREA's offline basemap (replacing one)."""
    from patrol.services.areas import area_for
    from patrol.services.basemaps import load_basemap

    session, folder = _context()
    row = load_basemap(
        session, area_for(session, None, area), file, folder, loaded_by or getpass.getuser()
    )
    kind = N_("vector") if row.tile_format == TileFormat.PBF else N_("raster")
    echo(
        N_(
            "basemap loaded for {area}: {container} {kind} {format}, zoom {zooms}, "
            "bounds {bounds}, {size}, kept as {path}",
            area=area,
            container=row.container,
            kind=kind,
            format=row.tile_format,
            zooms=f"{row.min_zoom}-{row.max_zoom}",
            bounds=f"{row.min_lon:.4f},{row.min_lat:.4f},{row.max_lon:.4f},{row.max_lat:.4f}",
            size=_size(row.bytes),
            path=folder / row.file_path,
        )
    )


@basemap_group.command("list")
@reports_errors
def basemap_list() -> None:
    """Every area's basemap: format, zooms, bounds, size, when and by whom it was loaded."""
    from patrol.services.basemaps import list_basemaps

    session, folder = _context()
    rows = list_basemaps(session)
    if not rows:
        echo(N_("no basemap loaded"))
        return
    for slug, row in rows:
        missing = "" if (folder / row.file_path).is_file() else say(N_("  FILE MISSING"))
        click.echo(
            f"{slug:<20} {row.container:<8} {row.tile_format:<5} z{row.min_zoom}-{row.max_zoom}  "
            f"{row.min_lon:.3f},{row.min_lat:.3f},{row.max_lon:.3f},{row.max_lat:.3f}  "
            f"{_size(row.bytes):>9}  "
            + say(
                N_(
                    "{time}Z by {who}",
                    time=f"{row.loaded_at:%Y-%m-%d %H:%M}",
                    who=row.loaded_by or "?",
                )
            )
            + missing
        )


@basemap_group.command("remove")
@click.argument("area")
@reports_errors
def basemap_remove(area: str) -> None:
    """Remove AREA's basemap and delete its file (phones keep their copy until they reload)."""
    from patrol.services.areas import area_for
    from patrol.services.basemaps import remove_basemap

    session, folder = _context()
    row = remove_basemap(session, area_for(session, None, area), folder)
    echo(N_("basemap of {area} removed ({path})", area=area, path=row.file_path))
