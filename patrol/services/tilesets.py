"""Tile files read without a database: what an MBTiles or PMTiles file holds (checked, with
the reason when it is refused) and single tiles from it, in XYZ addressing.

MBTiles is SQLite with a ``tiles`` table in TMS order (row 0 at the south); PMTiles v3 is one
file of a header and directories, read with the ``pmtiles`` package of its authors.
"""

from __future__ import annotations

import json
import math
import mmap
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patrol.errors import FieldError, ValidationFailed
from patrol.texts import N_

__all__ = [
    "MEDIA_TYPES",
    "RASTER",
    "TilesetInfo",
    "inspect_file",
    "read_file_tile",
    "refuse",
    "tile_range",
    "vector_layers",
]

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


def refuse(detail: str, pointer: str = "/file") -> ValidationFailed:
    return ValidationFailed(
        N_("The basemap file cannot be loaded."), errors=[FieldError(pointer, detail)]
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
        raise refuse(N_("its bounds are not four numbers west,south,east,north")) from None
    if not (
        all(math.isfinite(v) for v in (west, south, east, north))
        and -180 <= west < east <= 180
        and -90 <= south < north <= 90
    ):
        raise refuse(
            N_(
                "its bounds {west},{south},{east},{north} are not west,south,east,north in "
                "degrees (west < east, south < north)",
                west=f"{west:g}",
                south=f"{south:g}",
                east=f"{east:g}",
                north=f"{north:g}",
            )
        )
    return west, max(south, -MAX_LAT), east, min(north, MAX_LAT)


def _check_zooms(lo: Any, hi: Any) -> tuple[int, int]:
    try:
        lo, hi = int(lo), int(hi)
    except (TypeError, ValueError):
        raise refuse(N_("its zoom levels are not whole numbers")) from None
    if not 0 <= lo <= hi <= MAX_ZOOM:
        raise refuse(
            N_("its zoom levels {lo}..{hi} are not within 0..{limit}", lo=lo, hi=hi, limit=MAX_ZOOM)
        )
    return lo, hi


def _mbtiles_format(meta: dict[str, str], sniffed: str | None) -> str:
    """The tiles' format: the metadata's when it names one (and agrees with a raster tile's
    bytes), else what the first tile's bytes are."""
    declared = meta.get("format", "").strip().lower()
    tile_format = FORMAT_NAMES.get(declared) if declared else sniffed
    if tile_format is None:
        raise refuse(
            N_(
                "its tile format '{declared}' is not one of png, jpg, webp, pbf",
                declared=declared[:20],
            )
            if declared
            else N_("its tiles are neither PNG, JPEG, WebP nor gzipped vector tiles")
        )
    if tile_format in RASTER and sniffed not in (None, tile_format):
        raise refuse(
            N_(
                "its metadata says {tile_format} but its tiles are {sniffed}",
                tile_format=tile_format,
                sniffed=sniffed,
            )
        )
    return tile_format


def _inspect_mbtiles(path: Path) -> TilesetInfo:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise refuse(N_("the SQLite file cannot be opened: {reason}", reason=str(exc))) from None
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if "tiles" not in names:
            raise refuse(N_("it is a SQLite file but not an MBTiles file: it has no 'tiles' table"))
        meta: dict[str, str] = {}
        if "metadata" in names:
            meta = {str(k): str(v) for k, v in conn.execute("SELECT name, value FROM metadata")}
        count, zmin, zmax = conn.execute(
            "SELECT COUNT(*), MIN(zoom_level), MAX(zoom_level) FROM tiles"
        ).fetchone()
        if not count:
            raise refuse(N_("it holds no tiles"))
        first = conn.execute(
            "SELECT tile_data FROM tiles WHERE tile_data IS NOT NULL LIMIT 1"
        ).fetchone()
        sniffed, compression = _sniff(bytes(first[0]) if first and first[0] else b"")
        tile_format = _mbtiles_format(meta, sniffed)
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
        raise refuse(N_("it is not a readable MBTiles file: {reason}", reason=str(exc))) from None
    finally:
        conn.close()


def _pmtiles_reader(mapping: mmap.mmap) -> Any:
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
            raise refuse(
                N_("it is not a readable PMTiles file ({error})", error=type(exc).__name__)
            ) from None
    tile_format = formats.get(header.get("tile_type"))
    if tile_format is None:
        raise refuse(
            N_(
                "its tile type {value} is not one of png, jpg, webp, mvt",
                value=header.get("tile_type"),
            )
        )
    count = header.get("addressed_tiles_count") or None
    if count == 0 or header.get("tile_entries_count") == 0:
        raise refuse(N_("it holds no tiles"))
    compression = header.get("tile_compression")
    if compression not in (Compression.NONE, Compression.GZIP, Compression.UNKNOWN):
        raise refuse(
            N_(
                "its tiles are compressed with {compression}: only gzip can be served",
                compression=compression,
            )
        )
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
        raise refuse(N_("'{path}' is not a file", path=path))
    with path.open("rb") as handle:
        magic = handle.read(16)
    if magic.startswith(SQLITE_MAGIC):
        return _inspect_mbtiles(path)
    if magic.startswith(PMTILES_MAGIC):
        if magic[7] != 3:
            raise refuse(
                N_("it is PMTiles version {magic}; only version 3 is read", magic=magic[7])
            )
        return _inspect_pmtiles(path)
    raise refuse(N_("it is neither an MBTiles (SQLite) file nor a PMTiles file"))


def read_file_tile(container: str, path: Path, z: int, x: int, y: int) -> bytes | None:
    """The stored bytes of tile z/x/y (XYZ), or None where the file has none."""
    if container == "mbtiles":
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            hit = conn.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? "
                "AND tile_row = ?",
                (z, x, 2**z - 1 - y),  # MBTiles rows count from the south (TMS)
            ).fetchone()
        finally:
            conn.close()
        return bytes(hit[0]) if hit and hit[0] else None
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m:
        return _pmtiles_reader(m).get(z, x, y) or None


def tile_range(bounds: tuple[float, float, float, float], z: int) -> tuple[int, int, int, int]:
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


def vector_layers(container: str, path: Path) -> list[dict[str, Any]]:
    """The layers a vector tile file names in its metadata (TileJSON ``vector_layers``): what
    a renderer needs to draw it. Empty when the file names none."""
    try:
        if container == "mbtiles":
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                hit = conn.execute("SELECT value FROM metadata WHERE name = 'json'").fetchone()
            finally:
                conn.close()
            meta = json.loads(hit[0]) if hit else {}
        else:
            with (
                path.open("rb") as handle,
                mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m,
            ):
                meta = _pmtiles_reader(m).metadata()
    except (sqlite3.Error, ValueError, OSError):
        return []
    layers = meta.get("vector_layers") if isinstance(meta, dict) else None
    if not isinstance(layers, list):
        return []
    found = []
    for layer in layers[:200]:
        if isinstance(layer, dict) and isinstance(layer.get("id"), str):
            entry = {"id": layer["id"][:100]}
            for key in ("minzoom", "maxzoom"):
                if isinstance(layer.get(key), int):
                    entry[key] = layer[key]
            found.append(entry)
    return found
