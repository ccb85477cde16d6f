"""Small MBTiles and PMTiles files the basemap tests build themselves: PNG tiles written with
zlib (no imaging library), the tile grid of the test area computed here from the Web Mercator
formulas, independently of patrol's own."""

from __future__ import annotations

import functools
import gzip
import json
import math
import sqlite3
import struct
import zlib
from pathlib import Path

from tests.conftest import AREA_CENTER

# The test area's box grown a little (it is a 20 km square around AREA_CENTER).
BOUNDS = (AREA_CENTER[0] - 0.2, AREA_CENTER[1] - 0.15, AREA_CENTER[0] + 0.2, AREA_CENTER[1] + 0.15)


def png(rgb: tuple[int, int, int], size: int = 256, line: tuple[int, int, int] = (90, 90, 90)):
    """A size x size RGB PNG of one colour with a grid line every 64 px (so tiles show)."""
    rows = []
    for y in range(size):
        if y % 64 == 0:
            row = bytes(line) * size
        else:
            row = b"".join(bytes(line) if x % 64 == 0 else bytes(rgb) for x in range(size))
        rows.append(b"\x00" + row)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + chunk(b"IEND", b"")
    )


def tiles_of(bounds, z: int):
    """XYZ (x, y) of every tile covering bounds at zoom z (textbook slippy-map formulas)."""
    west, south, east, north = bounds
    n = 2**z

    def xt(lon):
        return int((lon + 180.0) / 360.0 * n)

    def yt(lat):
        r = math.radians(lat)
        return int((1.0 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2.0 * n)

    return [(x, y) for x in range(xt(west), xt(east) + 1) for y in range(yt(north), yt(south) + 1)]


COLOURS = {8: (238, 232, 205), 9: (225, 240, 215), 10: (215, 232, 245), 11: (245, 225, 215)}


@functools.cache
def tile_png(z: int, x: int = 0, y: int = 0) -> bytes:
    return png(COLOURS.get(z, (230, 230, 230)))


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes | int) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _geometry(kind: int, points: list[tuple[int, int]]) -> bytes:
    """Mapbox Vector Tile geometry commands (spec 2.1, section 4.3) for one line or ring."""

    def zigzag(v: int) -> int:
        return (v << 1) ^ (v >> 31)

    ints, (cx, cy) = [], (0, 0)
    for i, (x, y) in enumerate(points):
        if i == 0:
            ints.append(1 | 1 << 3)  # MoveTo, once
        elif i == 1:
            ints.append(2 | (len(points) - 1) << 3)  # LineTo, for the rest
        ints += [zigzag(x - cx), zigzag(y - cy)]
        cx, cy = x, y
    if kind == 3:
        ints.append(7 | 1 << 3)  # ClosePath
    return b"".join(_varint(v) for v in ints)


def vector_tile(z: int = 0, x: int = 0, y: int = 0) -> bytes:
    """A gzipped MVT: a 'landcover' polygon over the whole tile and a 'roads' diagonal, each
    layer named in the file's vector_layers (written by hand from the MVT 2.1 protobuf)."""
    square = [(0, 0), (4096, 0), (4096, 4096), (0, 4096)]  # clockwise, y down: an outer ring
    layers = [("landcover", 3, square), ("roads", 2, [(0, 0), (4096, 4096)])]
    tile = b""
    for name, kind, points in layers:
        feature = _field(1, 1) + _field(3, kind) + _field(4, _geometry(kind, points))
        layer = _field(15, 2) + _field(1, name.encode()) + _field(2, feature) + _field(5, 4096)
        tile += _field(3, layer)
    return gzip.compress(tile, mtime=0)


VECTOR_LAYERS = [{"id": "landcover"}, {"id": "roads"}]


def make_mbtiles(
    path: Path,
    zooms=range(8, 12),
    bounds=BOUNDS,
    fmt: str | None = "png",
    metadata: dict | None = None,
    tile=tile_png,
) -> dict[tuple[int, int, int], bytes]:
    """An MBTiles file (TMS rows, as the spec says); returns its tiles by XYZ address."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    conn.execute(
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
        "tile_data BLOB)"
    )
    meta = {
        "name": "Test basemap",
        "bounds": ",".join(str(v) for v in bounds),
        "minzoom": str(min(zooms, default=0)),
        "maxzoom": str(max(zooms, default=0)),
        "attribution": "Synthetic test tiles",
    }
    if fmt:
        meta["format"] = fmt
    meta.update(metadata or {})
    conn.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
    written = {}
    for z in zooms:
        for x, y in tiles_of(bounds, z):
            data = tile(z, x, y)
            conn.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (1 << z) - 1 - y, data))
            written[(z, x, y)] = data
    conn.commit()
    conn.close()
    return written


def make_pmtiles(
    path: Path, zooms=range(8, 12), bounds=BOUNDS, vector: bool = False, tile=tile_png
) -> dict[tuple[int, int, int], bytes]:
    """A PMTiles v3 file written with the format authors' writer (vector: gzipped MVT)."""
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    tiles = {}
    for z in zooms:
        for x, y in tiles_of(bounds, z):
            tiles[(z, x, y)] = vector_tile(z, x, y) if vector else tile(z, x, y)
    with path.open("wb") as f:
        writer = Writer(f)
        for (z, x, y), data in sorted(tiles.items(), key=lambda kv: zxy_to_tileid(*kv[0])):
            writer.write_tile(zxy_to_tileid(z, x, y), data)
        writer.finalize(
            {
                "tile_type": TileType.MVT if vector else TileType.PNG,
                "tile_compression": Compression.GZIP if vector else Compression.NONE,
                "min_lon_e7": int(bounds[0] * 1e7),
                "min_lat_e7": int(bounds[1] * 1e7),
                "max_lon_e7": int(bounds[2] * 1e7),
                "max_lat_e7": int(bounds[3] * 1e7),
                "center_zoom": min(zooms),
                "center_lon_e7": int((bounds[0] + bounds[2]) / 2 * 1e7),
                "center_lat_e7": int((bounds[1] + bounds[3]) / 2 * 1e7),
            },
            {"name": "Test PMTiles", "attribution": "Synthetic", "vector_layers": VECTOR_LAYERS}
            if vector
            else {"name": "Test PMTiles", "attribution": "Synthetic"},
        )
    return tiles


def write_json(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))
    return path
