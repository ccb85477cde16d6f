"""An area's offline basemap: an MBTiles or PMTiles file checked, kept in the basemap folder and
served tile by tile, so a ranger's phone can keep the map of its area for days without signal.

MBTiles is SQLite with a ``tiles`` table in TMS order (row 0 at the south); PMTiles v3 is one
file of a header and directories, read with the ``pmtiles`` package of its authors. Tiles are
addressed here as the web does (XYZ, row 0 at the north) and sent as stored: vector tiles keep
their gzip and say so in ``Content-Encoding``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import mmap
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import FieldError, NotFound, ValidationFailed
from patrol.store.db import begin_write
from patrol.store.models import AreaBasemap, ConservationArea, utcnow

__all__ = [
    "MEDIA_TYPES",
    "Tile",
    "TilesetInfo",
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

#: Web Mercator's latitude limit: tiles cover nothing beyond it.
MAX_LAT = 85.0511287798
MAX_ZOOM = 24
RASTER = ("png", "jpg", "webp")
MEDIA_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "pbf": "application/vnd.mapbox-vector-tile",
}
# MBTiles' metadata names formats loosely; these are the spellings found in the wild.
FORMAT_NAMES = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "webp": "webp", "pbf": "pbf"}
FORMAT_NAMES["mvt"] = "pbf"
SQLITE_MAGIC = b"SQLite format 3\x00"
PMTILES_MAGIC = b"PMTiles"


def _refuse(detail: str, pointer: str = "/file") -> ValidationFailed:
    return ValidationFailed(
        "The basemap file cannot be loaded.", errors=[FieldError(pointer, detail)]
    )


@dataclass(frozen=True)
class TilesetInfo:
    """What a tile file holds, read from its metadata (or its tiles where metadata is silent)."""

    container: str  # mbtiles | pmtiles
    tile_format: str  # png | jpg | webp | pbf
    bounds: tuple[float, float, float, float]  # west, south, east, north (degrees)
    min_zoom: int
    max_zoom: int
    name: str
    attribution: str | None
    tile_compression: str | None  # gzip when stored compressed (vector tiles), else None
    tiles: int | None  # how many tiles the file says it holds (None: PMTiles without a count)

    @property
    def kind(self) -> str:
        return "raster" if self.tile_format in RASTER else "vector"


def _sniff(tile: bytes) -> tuple[str | None, str | None]:
    """A tile's format and compression from its first bytes."""
    if tile.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png", None
    if tile.startswith(b"\xff\xd8\xff"):
        return "jpg", None
    if tile[:4] == b"RIFF" and tile[8:12] == b"WEBP":
        return "webp", None
    if tile.startswith(b"\x1f\x8b"):
        return "pbf", "gzip"  # a raster tile is never gzipped: a gzipped tile is a vector one
    return None, None


def _tile_bounds(z: int, x0: int, x1: int, y0: int, y1: int) -> tuple[float, ...]:
    """Degrees covered by XYZ columns x0..x1 and rows y0..y1 at zoom z."""
    n = 2**z

    def lat(y: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))

    return (x0 / n * 360 - 180, lat(y1 + 1), (x1 + 1) / n * 360 - 180, lat(y0))


def _check_bounds(bounds: Any) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise _refuse("its bounds are not four numbers west,south,east,north") from None
    if not (
        all(math.isfinite(v) for v in (west, south, east, north))
        and -180 <= west < east <= 180
        and -90 <= south < north <= 90
    ):
        raise _refuse(
            f"its bounds {west:g},{south:g},{east:g},{north:g} are not west,south,east,north "
            "in degrees (west < east, south < north)"
        )
    return west, max(south, -MAX_LAT), east, min(north, MAX_LAT)


def _check_zooms(lo: Any, hi: Any) -> tuple[int, int]:
    try:
        lo, hi = int(lo), int(hi)
    except (TypeError, ValueError):
        raise _refuse("its zoom levels are not whole numbers") from None
    if not 0 <= lo <= hi <= MAX_ZOOM:
        raise _refuse(f"its zoom levels {lo}..{hi} are not within 0..{MAX_ZOOM}")
    return lo, hi


def _inspect_mbtiles(path: Path) -> TilesetInfo:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise _refuse(f"the SQLite file cannot be opened: {exc}") from None
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if "tiles" not in names:
            raise _refuse("it is a SQLite file but not an MBTiles file: it has no 'tiles' table")
        meta: dict[str, str] = {}
        if "metadata" in names:
            meta = {str(k): str(v) for k, v in conn.execute("SELECT name, value FROM metadata")}
        count, zmin, zmax = conn.execute(
            "SELECT COUNT(*), MIN(zoom_level), MAX(zoom_level) FROM tiles"
        ).fetchone()
        if not count:
            raise _refuse("it holds no tiles")
        first = conn.execute(
            "SELECT tile_data FROM tiles WHERE tile_data IS NOT NULL LIMIT 1"
        ).fetchone()
        sniffed, compression = _sniff(bytes(first[0]) if first and first[0] else b"")
        declared = meta.get("format", "").strip().lower()
        tile_format = FORMAT_NAMES.get(declared) if declared else sniffed
        if tile_format is None:
            raise _refuse(
                f"its tile format '{declared[:20]}' is not one of png, jpg, webp, pbf"
                if declared
                else "its tiles are neither PNG, JPEG, WebP nor gzipped vector tiles"
            )
        if tile_format in RASTER and sniffed not in (None, tile_format):
            raise _refuse(f"its metadata says {tile_format} but its tiles are {sniffed}")
        min_zoom, max_zoom = _check_zooms(
            meta.get("minzoom", zmin) if meta.get("minzoom", "").strip() else zmin,
            meta.get("maxzoom", zmax) if meta.get("maxzoom", "").strip() else zmax,
        )
        if meta.get("bounds", "").strip():
            bounds = _check_bounds(meta["bounds"].split(","))
        else:
            x0, x1, r0, r1 = conn.execute(
                "SELECT MIN(tile_column), MAX(tile_column), MIN(tile_row), MAX(tile_row) "
                "FROM tiles WHERE zoom_level = ?",
                (zmax,),
            ).fetchone()
            top = 2**zmax - 1
            bounds = _check_bounds(_tile_bounds(zmax, x0, x1, top - r1, top - r0))
        return TilesetInfo(
            "mbtiles",
            tile_format,
            bounds,
            min_zoom,
            max_zoom,
            (meta.get("name") or path.stem)[:200],
            (meta.get("attribution") or None) and meta["attribution"][:500],
            compression if tile_format == "pbf" else None,
            int(count),
        )
    except sqlite3.DatabaseError as exc:
        raise _refuse(f"it is not a readable MBTiles file: {exc}") from None
    finally:
        conn.close()


def _pmtiles_reader(mapping: mmap.mmap):
    from pmtiles.reader import Reader

    return Reader(lambda offset, length: mapping[offset : offset + length])


def _inspect_pmtiles(path: Path) -> TilesetInfo:
    from pmtiles.tile import Compression, TileType

    formats = {TileType.PNG: "png", TileType.JPEG: "jpg", TileType.WEBP: "webp"}
    formats[TileType.MVT] = "pbf"
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m:
        try:
            reader = _pmtiles_reader(m)
            header = reader.header()
            metadata = reader.metadata()
        except ValidationFailed:
            raise
        except Exception as exc:  # a file from outside: whatever the reader trips on, refuse
            raise _refuse(f"it is not a readable PMTiles file ({type(exc).__name__})") from None
    tile_format = formats.get(header.get("tile_type"))
    if tile_format is None:
        raise _refuse(f"its tile type {header.get('tile_type')} is not one of png, jpg, webp, mvt")
    count = header.get("addressed_tiles_count") or None
    if count == 0 or header.get("tile_entries_count") == 0:
        raise _refuse("it holds no tiles")
    compression = header.get("tile_compression")
    if compression not in (Compression.NONE, Compression.GZIP, Compression.UNKNOWN):
        raise _refuse(f"its tiles are compressed with {compression}: only gzip can be served")
    bounds = _check_bounds(
        [header[k] / 1e7 for k in ("min_lon_e7", "min_lat_e7", "max_lon_e7", "max_lat_e7")]
    )
    min_zoom, max_zoom = _check_zooms(header.get("min_zoom"), header.get("max_zoom"))
    meta = metadata if isinstance(metadata, dict) else {}
    return TilesetInfo(
        "pmtiles",
        tile_format,
        bounds,
        min_zoom,
        max_zoom,
        str(meta.get("name") or path.stem)[:200],
        (str(meta["attribution"])[:500] if meta.get("attribution") else None),
        "gzip" if compression == Compression.GZIP else None,
        count,
    )


def inspect_file(path: str | Path) -> TilesetInfo:
    """What an MBTiles or PMTiles file holds; ValidationFailed (saying why) for anything else."""
    path = Path(path)
    if not path.is_file():
        raise _refuse(f"'{path}' is not a file")
    with path.open("rb") as handle:
        magic = handle.read(16)
    if magic.startswith(SQLITE_MAGIC):
        return _inspect_mbtiles(path)
    if magic.startswith(PMTILES_MAGIC):
        if magic[7] != 3:
            raise _refuse(f"it is PMTiles version {magic[7]}; only version 3 is read")
        return _inspect_pmtiles(path)
    raise _refuse("it is neither an MBTiles (SQLite) file nor a PMTiles file")


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
        raise _refuse(
            f"its bounds {west:.4f},{south:.4f},{east:.4f},{north:.4f} do not overlap the area "
            f"'{area.slug}' ({area.min_lon:.4f},{area.min_lat:.4f},"
            f"{area.max_lon:.4f},{area.max_lat:.4f})",
            "/bounds",
        )
    sha = _sha256(source)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{area.slug}-{sha[:16]}.{info.container}"
    target = folder / name
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{area.slug}-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    area_id = area.id
    try:
        begin_write(session)
        old = session.scalar(sa.select(AreaBasemap).where(AreaBasemap.area_id == area_id))
        old_path = old.file_path if old is not None else None
        if old is not None:
            session.delete(old)
            session.flush()
        row = AreaBasemap(
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
        session.add(row)
        session.commit()
    except BaseException:
        session.rollback()
        if old_path != name:
            target.unlink(missing_ok=True)
        raise
    if old_path and old_path != name:
        (folder / old_path).unlink(missing_ok=True)
    log.info("basemap %s loaded for %s (%s bytes)", name, area.slug, row.bytes)
    return row


def remove_basemap(session: so.Session, area: ConservationArea, folder: Path) -> AreaBasemap:
    """Forget the area's basemap and delete its file (NotFound when it has none)."""
    begin_write(session)
    row = session.scalar(sa.select(AreaBasemap).where(AreaBasemap.area_id == area.id))
    if row is None:
        session.rollback()
        raise NotFound(f"The area '{area.slug}' has no basemap.")
    session.delete(row)
    session.commit()
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


def basemaps_index(session: so.Session, area_ids, api_root: str) -> dict[str, Any]:
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
        raise NotFound(f"No offline basemap is loaded for the area '{area.slug}'.")
    return row


@dataclass(frozen=True)
class Tile:
    data: bytes | None  # None: no tile there (inside the file's zooms: an empty tile)
    media_type: str
    encoding: str | None


def read_tile(row: AreaBasemap, folder: Path, z: int, x: int, y: int) -> Tile:
    """One tile in XYZ addressing; NotFound outside the file's zooms or the world's grid."""
    if not (row.min_zoom <= z <= row.max_zoom):
        raise NotFound(f"The basemap has zoom levels {row.min_zoom} to {row.max_zoom}.")
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFound(f"No tile {z}/{x}/{y}: columns and rows run from 0 to {2**z - 1}.")
    path = folder / row.file_path
    if not path.is_file():
        log.error("basemap file %s is missing", path)
        raise NotFound("The basemap's file is missing on the server: load it again.")
    media = MEDIA_TYPES[row.tile_format]
    if row.container == "mbtiles":
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            hit = conn.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? "
                "AND tile_row = ?",
                (z, x, 2**z - 1 - y),  # MBTiles rows count from the south (TMS)
            ).fetchone()
        finally:
            conn.close()
        data = bytes(hit[0]) if hit and hit[0] else None
    else:
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m:
            data = _pmtiles_reader(m).get(z, x, y)
    encoding = row.tile_compression if data and row.tile_format == "pbf" else None
    if data and row.tile_format == "pbf" and encoding is None and data[:2] == b"\x1f\x8b":
        encoding = "gzip"
    return Tile(data or None, media, encoding)


def _tile_range(bounds: tuple[float, float, float, float], z: int) -> tuple[int, int, int, int]:
    """XYZ columns x0..x1 and rows y0..y1 covering the bounds at zoom z."""
    west, south, east, north = bounds
    n = 2**z

    def col(lon: float) -> int:
        return min(n - 1, max(0, math.floor((lon + 180) / 360 * n)))

    def row(lat: float) -> int:
        lat = max(-MAX_LAT, min(MAX_LAT, lat))
        r = math.radians(lat)
        return min(n - 1, max(0, math.floor((1 - math.asinh(math.tan(r)) / math.pi) / 2 * n)))

    return col(west), col(east), row(north), row(south)


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
        x0, x1, y0, y1 = _tile_range(box, z)
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
    row: AreaBasemap, area: ConservationArea, tiles_url: str, prefetch_limit: int
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
    return doc
