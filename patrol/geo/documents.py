"""GeoJSON documents (RFC 7946): read strictly from JSON text, and built one way.

Every module that answers or writes GeoJSON builds its Features and FeatureCollections here,
so members come in one order (``type``, ``id``, ``geometry``, ``properties``; a collection's
foreign members before its ``features``) and an absent id is left out rather than null.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson

from patrol.errors import MalformedInput
from patrol.texts import N_

__all__ = [
    "feature",
    "feature_collection",
    "gc_paused",
    "line_string",
    "load_json",
    "multi_line_string",
    "point",
]


def point(lon: float, lat: float) -> dict[str, Any]:
    """A Point geometry.

    >>> point(131.45, 43.1)
    {'type': 'Point', 'coordinates': [131.45, 43.1]}
    """
    return {"type": "Point", "coordinates": [lon, lat]}


def line_string(coordinates: Sequence[Sequence[float]]) -> dict[str, Any]:
    """A LineString geometry of [lon, lat] positions.

    >>> line_string([[131.0, 43.0], [131.1, 43.0]])
    {'type': 'LineString', 'coordinates': [[131.0, 43.0], [131.1, 43.0]]}
    """
    return {"type": "LineString", "coordinates": coordinates}


def multi_line_string(coordinates: Sequence[Sequence[Sequence[float]]]) -> dict[str, Any]:
    """A MultiLineString geometry: one list of [lon, lat] positions per line.

    >>> multi_line_string([[[131.0, 43.0], [131.1, 43.0]]])["type"]
    'MultiLineString'
    """
    return {"type": "MultiLineString", "coordinates": coordinates}


def feature(
    geometry: dict[str, Any] | None, properties: dict[str, Any] | None, id: Any = None
) -> dict[str, Any]:
    """A Feature; ``id`` (a string or a number) is left out when None.

    >>> doc = feature(point(131.45, 43.1), {"name": "Barabash"}, id="S1")
    >>> list(doc), doc["properties"]
    (['type', 'id', 'geometry', 'properties'], {'name': 'Barabash'})
    >>> feature(None, {})
    {'type': 'Feature', 'geometry': None, 'properties': {}}
    """
    doc: dict[str, Any] = {"type": "Feature"}
    if id is not None:
        doc["id"] = id
    doc["geometry"] = geometry
    doc["properties"] = properties
    return doc


def feature_collection(features: Iterable[dict[str, Any]], **members: Any) -> dict[str, Any]:
    """A FeatureCollection; keyword arguments become its foreign members (``area``,
    ``window``...), written before the features so a reader meets them first.

    >>> feature_collection([], area="demo-primorye")
    {'type': 'FeatureCollection', 'area': 'demo-primorye', 'features': []}
    """
    return {"type": "FeatureCollection", **members, "features": list(features)}


def _reject_constant(name: str) -> Any:
    raise ValueError(N_("{name} is not a JSON number (RFC 8259)", name=name))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic collector while building many small containers that hold no cycles.

    Parsing a large route, or answering a park-year, creates millions of small lists, dicts and
    arrays; the collector rescanning them cost more than building them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_json(data: bytes | str) -> Any:
    """Parse JSON strictly (no NaN or Infinity); MalformedInput with the position otherwise.

    >>> load_json(b'\\xef\\xbb\\xbf{"type": "FeatureCollection"}')
    {'type': 'FeatureCollection'}
    >>> load_json('[NaN]')
    Traceback (most recent call last):
    ...
    patrol.errors.MalformedInput: The body is not valid JSON: NaN is not a JSON number (RFC 8259).
    """
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise MalformedInput(
            N_("The body is not UTF-8 text (byte {start}).", start=exc.start)
        ) from None
    # orjson is strict RFC 8259 and ~5x faster; what it refuses (NaN, lone surrogates, deep
    # nesting) goes the standard way, which decides as before. One difference is left on
    # purpose: an integer beyond 64 bits reads as the nearest float (no field accepts either;
    # checking the text for one first cost more than the whole parse).
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    try:
        with gc_paused():
            return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise MalformedInput(
            N_(
                "The body is not valid JSON: {msg} at line {lineno}, column {colno}.",
                msg=exc.msg,
                lineno=exc.lineno,
                colno=exc.colno,
            )
        ) from None
    except ValueError as exc:
        raise MalformedInput(
            N_(
                "The body is not valid JSON: {reason}.",
                reason=exc.args[0] if exc.args else str(exc),
            )
        ) from None
    except RecursionError:
        raise MalformedInput(N_("The body is nested too deeply.")) from None
