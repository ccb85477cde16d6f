"""A report's JSON read with simdjson, the route's positions and times straight into numpy.

With orjson a 2,000-vertex route became 2,000 lists, 4,000 floats and 2,000 strings, each
then checked and copied into arrays. simdjson parses the text without building Python
objects, copies a route's numbers into one buffer and writes its times back as one block of
text; the rest of the document (properties, finds) becomes Python objects as with orjson and
is validated by the same code, and the arrays by the same range and order checks.

A fast path only, taken when it reads exactly what ``load_json`` would read:

- any text simdjson refuses (invalid UTF-8, NaN, an integer beyond 64 bits, a lone
  surrogate, nesting deeper than 1,024) goes the ``load_json`` way, which decides and words
  the problem as before; both parsers round every number to the nearest double and both
  read ``-0`` as the integer 0 (tests/geo/test_fast_json.py);
- an object whose keys repeat (or hold a NUL) is built whole by simdjson, which keeps the
  last value of a repeated key as orjson does; only objects with distinct keys are read key
  by key, on the way to the first feature's LineString;
- its positions become an array only when they are all lists of 2 numbers, or all of 3
  (what ``checks._fast_positions`` reads). simdjson flattens nested arrays of numbers (a
  boolean, string, null or object among them raises TypeError), so the nesting is read
  from the JSON text itself (``_regular``);
- its times become an array only when ``times.read_time_block`` reads them all; else they
  are strings as before, read the usual way.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import simdjson

from patrol.geo.times import read_time_block

__all__ = ["load_report"]

_LOCAL = threading.local()
# A parser keeps buffers as large as the largest text it has read (~3 bytes a byte): kept per
# thread for reports up to this size (a 2,000-vertex report is ~120 KB), a parser of its own
# for a larger one, freed with it, so one 32 MiB upload does not pin ~100 MiB in a worker.
KEEP_PARSER_UP_TO = 4 << 20


def _parse(data: bytes) -> Any:
    """``data`` parsed by this thread's parser, which keeps its buffers from one report to the
    next; it refuses to parse while a proxy of its last document lives on (one held by a
    traceback, say), and is then replaced."""
    if len(data) > KEEP_PARSER_UP_TO:
        return simdjson.Parser().parse(data)
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = simdjson.Parser()
    try:
        return parser.parse(data)
    except RuntimeError as exc:
        if "re-use" not in str(exc):
            raise
    parser = _LOCAL.parser = simdjson.Parser()
    return parser.parse(data)


def load_report(data: bytes) -> Any:
    """The JSON document ``data`` as ``load_json`` reads it, but for the first feature's
    LineString positions and times, arrays when regular; None when ``load_json`` must read
    it (simdjson refused it, or it is no object)."""
    try:
        root = _parse(data)
    except (ValueError, TypeError, RuntimeError, MemoryError):  # UnicodeDecodeError too
        return None
    try:
        if not isinstance(root, simdjson.Object):
            return None
        return _members(root, {"features": lambda value, clean: _features(value, data, clean)})
    except (KeyError, IndexError, TypeError, ValueError):  # not foreseen: the usual way decides
        return None
    finally:
        del root  # the parser may parse again only when no proxy of this document is left


Reader = Callable[[Any, bool], Any]


def _keys(obj: simdjson.Object) -> list[str] | None:
    """The object's keys when they can be read one by one: distinct (with a repeated key
    orjson keeps the last value, simdjson's lookup the first) and free of NUL (the lookup
    stops at one)."""
    keys = list(obj)
    if len(set(keys)) != len(keys) or any("\x00" in key for key in keys):
        return None
    return keys


def _members(obj: simdjson.Object, readers: dict[str, Reader]) -> dict:
    """``obj`` as a dict, the members named in ``readers`` read by them. A reader is also told
    whether every value before its member in the text is a scalar (``_regular`` needs it)."""
    keys = _keys(obj)
    if keys is None:
        return obj.as_dict()  # the last of a repeated key wins, as with orjson
    out: dict[str, Any] = {}
    clean = True
    for key in keys:
        value = obj[key]
        reader = readers.get(key)
        out[key] = _plain(value) if reader is None else reader(value, clean)
        clean = clean and not isinstance(value, simdjson.Object | simdjson.Array)
    return out


def _plain(value: Any, clean: bool = False) -> Any:
    if isinstance(value, simdjson.Object):
        return value.as_dict()
    if isinstance(value, simdjson.Array):
        return value.as_list()
    return value


def _features(value: Any, data: bytes, clean: bool) -> Any:
    """The features, the first one's LineString read into arrays (when it has one)."""
    if not isinstance(value, simdjson.Array) or not len(value) or not _is_line(value[0]):
        return _plain(value)
    clean_before = [clean]

    def positions(coordinates: Any, clean_in_geometry: bool) -> Any:
        return _positions(coordinates, data, all(clean_before) and clean_in_geometry)

    def geometry(value: Any, clean_in_feature: bool) -> dict:
        clean_before.append(clean_in_feature)
        return _members(value, {"coordinates": positions})

    first = _members(value[0], {"geometry": geometry, "properties": _properties})
    return [first, *value[1:]]  # a slice is built whole


def _is_line(feature: Any) -> bool:
    """Whether ``feature`` is an object whose geometry is a LineString, keys read one by one."""
    if not isinstance(feature, simdjson.Object) or _keys(feature) is None:
        return False
    geometry = feature.get("geometry")
    return (
        isinstance(geometry, simdjson.Object)
        and _keys(geometry) is not None
        and geometry.get("type") == "LineString"
    )


def _properties(value: Any, clean: bool) -> Any:
    if not isinstance(value, simdjson.Object):
        return _plain(value)
    return _members(value, {"coordTimes": _times})


def _times(value: Any, clean: bool) -> Any:
    """A LineString's times as epoch seconds when ``read_time_block`` reads them all from
    the array written back as compact JSON (``["...","..."]``); else the strings."""
    if not isinstance(value, simdjson.Array) or not len(value):
        return _plain(value)
    seconds = read_time_block(value.mini[1:-1] + b",", len(value), b'"', b'",')
    return value.as_list() if seconds is None else seconds


def _positions(value: Any, data: bytes, clean: bool) -> Any:
    """The positions as an (n, 2) array when every one is a list of 2 numbers, or every one of
    3 (what ``checks._fast_positions`` makes of the lists); else as lists."""
    if not isinstance(value, simdjson.Array) or not len(value) or not clean:
        return _plain(value)
    n = len(value)
    try:
        flat = np.frombuffer(value.as_buffer(of_type="d"), dtype=float)
    except TypeError:  # a boolean, string, null or object: the checks name it
        return value.as_list()
    width, rest = divmod(flat.size, n)
    if rest or width not in (2, 3) or not isinstance(value[0], simdjson.Array):
        return value.as_list()
    if not _regular(data, n, width):
        return value.as_list()
    return flat.reshape(n, 2) if width == 2 else np.ascontiguousarray(flat.reshape(n, 3)[:, :2])


# The first "coordinates" key whose value is an array of arrays; group 1 is its "[".
_FIRST = re.compile(rb'"coordinates"[ \t\r\n]*:[ \t\r\n]*(\[)[ \t\r\n]*\[')
_NOT_STRUCTURE = bytes(range(256)).translate(None, b"[],")


def _regular(data: bytes, n: int, width: int) -> bool:
    """Whether the route's positions are written as n arrays of ``width`` numbers each.

    Where they are in the text: every value before them is a scalar (``_members``), so the
    first key "coordinates" with an array of arrays is theirs, unless a key was written with
    escapes: no backslash may come before it. They hold only numbers, so their brackets and
    commas, the first balanced run of them from there, tell how they nest.
    """
    found = _FIRST.search(data)
    if found is None or data.find(b"\\", 0, found.start()) >= 0:
        return False
    start = found.start(1)
    position = b"[" + b"," * (width - 1) + b"]"
    expected = b"[" + position + (b"," + position) * (n - 1) + b"]"
    # About 12 bytes a number in a compact file; a roomier layout takes the whole rest.
    marks = data[start : start + 16 * n * width].translate(None, _NOT_STRUCTURE)
    if len(marks) < len(expected):
        marks = data[start:].translate(None, _NOT_STRUCTURE)
    return marks.startswith(expected)
