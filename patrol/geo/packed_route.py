"""A patrol's route and vertex times as compact binary (the patrol_track table): one encoder
and one decoder, so that storing, answering, recomputing and exporting agree.

Why binary: as GeoJSON text a 2,000-vertex route was ~50–85 KB (plus ~26 KB of times JSON), which
the bulk import's workers built, pickled to the writer and the writer sent to the database, and
every reader parsed back. Packed, the same route is 16 KB and its times 8 KB, built and read
by numpy without a Python object per vertex.

Exactness is the rule: a decoded route or time is the very float64 that was stored (so the
documents built from it are byte for byte those the text gave). Routes are stored rounded to 7
decimals (``measure_report``), so a coordinate is kept as an int32 count of 1e-7 degrees when
the int32 divided back by 1e7 gives the same float bit for bit (always, for a rounded route), and
as float64 otherwise (older rows, and a -0.0: the text kept its sign, and an int32 has none, so
the check is made after the cast). Times (epoch seconds, whole in every report format we
read, but a GPX time may have a fraction) are kept as an int64 base plus int32 offsets when all
are whole and within 68 years of the first, as float64 otherwise.

Layout, little-endian: one kind byte, one dimension byte (routes: 2, or 3 for an old route with
elevations), a uint32 count of parts, a uint32 vertex count per part, then the values (routes:
vertex after vertex, lon, lat[, z]; times: the int64 base first for the int kind).

Dimensions are the non-empty parts' (an empty part has none: ``[]`` from the text reads as a 1-D
array). Today's reports are stored 2D, but the text storage kept each part as its array was, so
an old row may hold 2D and 3D parts in one route; such a route is kept as it was, not padded
(a NaN elevation would not give the text back): dimension byte 0, float64 values, and after the
parts' lengths one uint8 per part with its dimensions. Only ``unpack_route`` and
``route_geometry`` read it (``route_vertices`` has no single array to give and refuses).

>>> import numpy as np
>>> blob = pack_route([np.array([[131.5, 43.1], [131.6000001, 43.2]])])
>>> len(blob), blob[:1]
(26, b'q')
>>> [p.tolist() for p in unpack_route(blob)]
[[[131.5, 43.1], [131.6000001, 43.2]]]
>>> route_geometry(blob)
{'type': 'MultiLineString', 'coordinates': [[[131.5, 43.1], [131.6000001, 43.2]]]}
>>> blob = pack_route([np.array([[np.round(-1e-9, 7), 43.1], [131.5, 43.2]])])
>>> blob[:1], unpack_route(blob)[0][0].tolist()
(b'd', [-0.0, 43.1])
>>> [t.tolist() for t in unpack_times(pack_times([np.array([1.7e9, 1.7e9 + 10])]))]
[[1700000000.0, 1700000010.0]]
>>> unpack_times(pack_times([np.array([0.0, 10.5])]))[0].tolist()
[0.0, 10.5]
>>> pack_times(None) is None and unpack_times(None) is None
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from patrol.geo.documents import multi_line_string

__all__ = [
    "pack_route",
    "pack_times",
    "route_dims",
    "route_geometry",
    "route_vertices",
    "unpack_route",
    "unpack_times",
]

SCALE = 1e7  # a route's coordinates are stored rounded to 7 decimals
_I32 = np.iinfo(np.int32)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal float64 bit for bit (-0.0 is not 0.0; NaN never occurs in a route)."""
    return bool(np.array_equal(a.view(np.int64), b.view(np.int64)))


def _header(kind: bytes, dims: int, lengths: list[int]) -> bytes:
    return kind + bytes([dims]) + np.array([len(lengths), *lengths], dtype="<u4").tobytes()


def _read_header(blob: bytes) -> tuple[bytes, int, np.ndarray, int]:
    """Kind, dimensions, the parts' lengths and where the values start."""
    kind, dims = blob[:1], blob[1]
    (n,) = np.frombuffer(blob, dtype="<u4", count=1, offset=2)
    lengths = np.frombuffer(blob, dtype="<u4", count=int(n), offset=6).astype(np.int64)
    return kind, dims, lengths, 6 + 4 * int(n)


def _split(values: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    return np.split(values, np.cumsum(lengths)[:-1]) if len(lengths) else []


def _positions(part: Any) -> np.ndarray:
    """A part as an (n, 2|3) float array; an empty one as it is (it has no dimensions)."""
    a = np.asarray(part, dtype=float)
    if a.size and (a.ndim != 2 or a.shape[1] not in (2, 3)):
        raise ValueError(f"a route part must be a list of positions, not shape {a.shape}")
    return a


def pack_route(parts: list[np.ndarray]) -> bytes:
    """The route's parts ((n, 2) lon/lat arrays, or (n, 3) for an old route) as bytes."""
    arrays = [_positions(p) for p in parts]
    kept = sorted({a.shape[1] for a in arrays if a.size})
    if len(kept) > 1:
        part_dims = [a.shape[1] if a.size else 2 for a in arrays]
        flat = np.concatenate([a.reshape(-1) for a in arrays])
        return (
            _header(b"d", 0, [len(a) for a in arrays])
            + np.array(part_dims, dtype="u1").tobytes()
            + flat.astype("<f8").tobytes()
        )
    dims = kept[0] if kept else 2
    arrays = [a.reshape(-1, dims) for a in arrays]
    flat = np.concatenate([a.reshape(-1) for a in arrays]) if arrays else np.zeros(0)
    lengths = [len(a) for a in arrays]
    scaled = np.rint(flat * SCALE)
    if dims == 2 and (len(flat) == 0 or (scaled.min() >= _I32.min and scaled.max() <= _I32.max)):
        ints = scaled.astype("<i4")
        if _same_bits(ints / SCALE, flat):
            return _header(b"q", dims, lengths) + ints.tobytes()
    return _header(b"d", dims, lengths) + flat.astype("<f8").tobytes()


def route_dims(blob: bytes) -> int:
    """The route's dimensions: 2, 3 (an old route with elevations), or 0 (parts differ)."""
    return blob[1]


def route_vertices(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Every vertex of the route as one (n, dims) float64 array, and each part's length."""
    kind, dims, lengths, at = _read_header(blob)
    if dims == 0:
        raise ValueError("the route's parts differ in dimensions: read it with unpack_route")
    if kind == b"q":
        flat = np.frombuffer(blob, dtype="<i4", offset=at) / SCALE
    else:
        flat = np.frombuffer(blob, dtype="<f8", offset=at).astype(float)
    return flat.reshape(-1, dims), lengths


def unpack_route(blob: bytes) -> list[np.ndarray]:
    """The route's parts, as the arrays that were packed (an empty part as (0, dims))."""
    if route_dims(blob):
        vertices, lengths = route_vertices(blob)
        return _split(vertices, lengths)
    _, _, lengths, at = _read_header(blob)
    part_dims = np.frombuffer(blob, dtype="u1", count=len(lengths), offset=at).astype(np.int64)
    flat = np.frombuffer(blob, dtype="<f8", offset=at + len(lengths)).astype(float)
    pieces = _split(flat, lengths * part_dims)
    return [p.reshape(-1, d) for p, d in zip(pieces, part_dims.tolist(), strict=True)]


def route_geometry(blob: bytes) -> dict[str, Any]:
    """The stored route as a GeoJSON MultiLineString geometry object."""
    return multi_line_string([p.tolist() for p in unpack_route(blob)])


def pack_times(parts: list[np.ndarray] | None) -> bytes | None:
    """Per-vertex epoch seconds, one array per part (None: the report had no times)."""
    if parts is None:
        return None
    arrays = [np.asarray(t, dtype=float) for t in parts]
    flat = np.concatenate(arrays) if arrays else np.zeros(0)
    lengths = [len(a) for a in arrays]
    if len(flat) and np.isfinite(flat).all() and abs(flat).max() < 2.0**53:
        base = np.int64(flat[0])
        offsets = flat - float(base)
        fits = offsets.min() >= _I32.min and offsets.max() <= _I32.max
        whole = np.rint(offsets)
        if fits and _same_bits(whole + float(base), flat):
            return (
                _header(b"i", 1, lengths)
                + np.array([base], dtype="<i8").tobytes()
                + whole.astype("<i4").tobytes()
            )
    return _header(b"d", 1, lengths) + flat.astype("<f8").tobytes()


def unpack_times(blob: bytes | None) -> list[np.ndarray] | None:
    """The vertex times ``pack_times`` stored, one float64 array per part, the very floats given
    (None when the report had none). Float64 epoch seconds, not datetimes, because every reader
    (documents, exports, recompute) works on the numbers; the integer layout is only storage.
    """
    if blob is None:
        return None
    kind, _, lengths, at = _read_header(blob)
    if kind == b"i":
        (base,) = np.frombuffer(blob, dtype="<i8", count=1, offset=at)
        flat = np.frombuffer(blob, dtype="<i4", offset=at + 8) + float(base)
    else:
        flat = np.frombuffer(blob, dtype="<f8", offset=at).astype(float)
    return _split(flat, lengths)
