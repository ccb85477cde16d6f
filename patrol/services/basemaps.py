"""An area's offline basemap: an MBTiles or PMTiles file checked, kept in the basemap folder and
served tile by tile, so a ranger's phone can keep the map of its area for days without signal.

Tiles are addressed as the web does (XYZ, row 0 at the north) and sent as stored: vector tiles
keep their gzip and say so in ``Content-Encoding``. Reading the files: services/tilesets.py.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import NotFound
from patrol.services.tilesets import (
    MEDIA_TYPES,
    RASTER,
    TilesetInfo,
    inspect_file,
    read_file_tile,
    refuse,
    tile_range,
    vector_layers,
)
from patrol.store.engine import write
from patrol.store.models import AreaBasemap, ConservationArea, utcnow
from patrol.texts import N_

__all__ = [
    "Tile",
    "TilesetInfo",
    "area_basemap",
    "basemap_document",
    "basemap_folder",
    "basemaps_index",
    "inspect_file",
    "list_basemaps",
    "load_basemap",
    "prefetch_plan",
    "read_tile",
    "remove_basemap",
]

log = logging.getLogger(__name__)


def basemap_folder(configured: str | None, instance_path: str) -> Path:
    """Where basemap files are kept: PATROL_BASEMAP_DIR, else instance/basemaps."""
    return Path(configured) if configured else Path(instance_path) / "basemaps"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_basemap(
    session: so.Session,
    area: ConservationArea,
    source: str | Path,
    folder: Path,
    loaded_by: str | None = None,
) -> AreaBasemap:
    """Check the file, copy it into the basemap folder and make it the area's basemap.

    A refused file changes nothing: it is checked before anything is copied, the copy is
    written under a temporary name and renamed only when whole, and the row is replaced in
    one transaction; the previous file is removed only after the commit.
    """
    source = Path(source)
    info = inspect_file(source)
    west, south, east, north = info.bounds
    if east < area.min_lon or west > area.max_lon or north < area.min_lat or south > area.max_lat:
        raise refuse(
            N_(
                "its bounds {west},{south},{east},{north} do not overlap the area '{slug}' "
                "({min_lon},{min_lat},{max_lon},{max_lat})",
                west=f"{west:.4f}",
                south=f"{south:.4f}",
                east=f"{east:.4f}",
                north=f"{north:.4f}",
                slug=area.slug,
                min_lon=f"{area.min_lon:.4f}",
                min_lat=f"{area.min_lat:.4f}",
                max_lon=f"{area.max_lon:.4f}",
                max_lat=f"{area.max_lat:.4f}",
            ),
            "/bounds",
        )
    sha = _sha256(source)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{area.slug}-{sha[:16]}.{info.container}"
    target = folder / name
    _copy_whole(source, target, folder, f".{area.slug}-")
    area_id = area.id
    old_path: str | None = None
    try:
        with write(session):
            old = session.scalar(sa.select(AreaBasemap).where(AreaBasemap.area_id == area_id))
            old_path = old.file_path if old is not None else None
            if old is not None:
                session.delete(old)
                session.flush()
            row = _basemap_row(area_id, info, name, target, sha, loaded_by)
            session.add(row)
    except BaseException:
        if old_path != name:
            target.unlink(missing_ok=True)
        raise
    if old_path and old_path != name:
        (folder / old_path).unlink(missing_ok=True)
    log.info("basemap %s loaded for %s (%s bytes)", name, area.slug, row.bytes)
    return row


def _copy_whole(source: Path, target: Path, folder: Path, prefix: str) -> None:
    """Copy ``source`` to ``target`` under a temporary name, renamed only when whole."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _basemap_row(
    area_id: int,
    info: TilesetInfo,
    name: str,
    target: Path,
    sha: str,
    loaded_by: str | None,
) -> AreaBasemap:
    west, south, east, north = info.bounds
    return AreaBasemap(
        area_id=area_id,
        container=info.container,
        tile_format=info.tile_format,
        file_path=name,
        name=info.name,
        attribution=info.attribution,
        min_lon=west,
        min_lat=south,
        max_lon=east,
        max_lat=north,
        min_zoom=info.min_zoom,
        max_zoom=info.max_zoom,
        tile_compression=info.tile_compression,
        bytes=target.stat().st_size,
        sha256=sha,
        loaded_at=utcnow(),
        loaded_by=loaded_by,
    )


def remove_basemap(session: so.Session, area: ConservationArea, folder: Path) -> AreaBasemap:
    """Forget the area's basemap and delete its file (NotFound when it has none)."""
    with write(session):
        row = session.scalar(sa.select(AreaBasemap).where(AreaBasemap.area_id == area.id))
        if row is None:
            raise NotFound(N_("The area '{slug}' has no basemap.", slug=area.slug))
        session.delete(row)
    (folder / row.file_path).unlink(missing_ok=True)
    return row


def list_basemaps(session: so.Session) -> list[tuple[str, AreaBasemap]]:
    """Every area's basemap, with the area's slug."""
    return list(
        session.execute(
            sa.select(ConservationArea.slug, AreaBasemap)
            .join(AreaBasemap, AreaBasemap.area_id == ConservationArea.id)
            .order_by(ConservationArea.slug)
        ).all()
    )


def basemaps_index(session: so.Session, area_ids: Iterable[int], api_root: str) -> dict[str, Any]:
    """The basemaps of these areas, each with where its TileJSON is."""
    rows = session.execute(
        sa.select(ConservationArea.slug, AreaBasemap)
        .join(AreaBasemap, AreaBasemap.area_id == ConservationArea.id)
        .where(ConservationArea.id.in_(area_ids))
        .order_by(ConservationArea.slug)
    ).all()
    return {
        "basemaps": [
            {
                "area": slug,
                "url": f"{api_root}/areas/{slug}/basemap",
                "format": row.tile_format,
                "type": "raster" if row.tile_format in RASTER else "vector",
                "version": row.sha256[:16],
            }
            for slug, row in rows
        ]
    }


def area_basemap(session: so.Session, area: ConservationArea) -> AreaBasemap:
    row = session.scalar(sa.select(AreaBasemap).where(AreaBasemap.area_id == area.id))
    if row is None:
        raise NotFound(N_("No offline basemap is loaded for the area '{slug}'.", slug=area.slug))
    return row


@dataclass(frozen=True)
class Tile:
    data: bytes | None  # None: no tile there (inside the file's zooms: an empty tile)
    media_type: str
    encoding: str | None


def read_tile(row: AreaBasemap, folder: Path, z: int, x: int, y: int) -> Tile:
    """One tile in XYZ addressing; NotFound outside the file's zooms or the world's grid."""
    if not (row.min_zoom <= z <= row.max_zoom):
        raise NotFound(
            N_(
                "The basemap has zoom levels {min_zoom} to {max_zoom}.",
                min_zoom=row.min_zoom,
                max_zoom=row.max_zoom,
            )
        )
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFound(
            N_(
                "No tile {z}/{x}/{y}: columns and rows run from 0 to {value}.",
                z=z,
                x=x,
                y=y,
                value=2**z - 1,
            )
        )
    path = folder / row.file_path
    if not path.is_file():
        log.error("basemap file %s is missing", path)
        raise NotFound(N_("The basemap's file is missing on the server: load it again."))
    media = MEDIA_TYPES[row.tile_format]
    data = read_file_tile(row.container, path, z, x, y)
    encoding = row.tile_compression if data and row.tile_format == "pbf" else None
    if data and row.tile_format == "pbf" and encoding is None and data[:2] == b"\x1f\x8b":
        encoding = "gzip"
    return Tile(data or None, media, encoding)


def prefetch_plan(row: AreaBasemap, area: ConservationArea, limit: int) -> dict[str, Any]:
    """The tiles a phone keeps for offline use: the area's box (clipped to the file's bounds),
    zoom by zoom from the coarsest, as long as the total stays within ``limit``."""
    box = (
        max(area.min_lon, row.min_lon),
        max(area.min_lat, row.min_lat),
        min(area.max_lon, row.max_lon),
        min(area.max_lat, row.max_lat),
    )
    ranges, total, skipped = [], 0, []
    for z in range(row.min_zoom, row.max_zoom + 1):
        x0, x1, y0, y1 = tile_range(box, z)
        n = (x1 - x0 + 1) * (y1 - y0 + 1)
        if skipped or total + n > limit:
            skipped.append(z)
            continue
        total += n
        ranges.append({"z": z, "x": [x0, x1], "y": [y0, y1]})
    return {
        "bbox": list(box),
        "ranges": ranges,
        "tiles": total,
        "limit": limit,
        "skipped_zooms": skipped,
    }


def basemap_document(
    row: AreaBasemap,
    area: ConservationArea,
    tiles_url: str,
    prefetch_limit: int,
    folder: Path | None = None,
) -> dict[str, Any]:
    """TileJSON 3.0.0 with what a map and a phone's offline cache need besides."""
    doc: dict[str, Any] = {
        "tilejson": "3.0.0",
        "name": row.name,
        "tiles": [tiles_url],
        "scheme": "xyz",
        "format": row.tile_format,
        "type": "raster" if row.tile_format in RASTER else "vector",
        "bounds": [row.min_lon, row.min_lat, row.max_lon, row.max_lat],
        "minzoom": row.min_zoom,
        "maxzoom": row.max_zoom,
        "area": area.slug,
        "container": row.container,
        "bytes": row.bytes,
        "version": row.sha256[:16],
        "loaded_at": row.loaded_at.isoformat().replace("+00:00", "Z"),
        "prefetch": prefetch_plan(row, area, prefetch_limit),
    }
    if row.attribution:
        doc["attribution"] = row.attribution
    if row.tile_format == "pbf" and folder is not None:
        doc["vector_layers"] = vector_layers(row.container, folder / row.file_path)
    return doc
