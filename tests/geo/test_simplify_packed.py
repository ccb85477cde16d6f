"""simplify_packed answers what simplify_routes answered for the same routes as text (the way
every route was simplified before routes were packed), route for route in order, whatever mix
of empty routes, empty parts and elevations a page holds."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from patrol.geo.packed_route import pack_route
from patrol.geo.simplify import simplify_packed, simplify_routes

EPSG = 32652


def _route(seed: int, parts: int = 2, n: int = 30) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    steps = rng.normal(0, 1e-4, (parts, n, 2))
    return [np.round(np.array([131.3, 43.2]) + np.cumsum(s, axis=0), 7) for s in steps]


def _as_text(parts: list[np.ndarray]) -> str:
    coordinates = [np.asarray(p).tolist() for p in parts]
    return orjson.dumps({"type": "MultiLineString", "coordinates": coordinates}).decode()


EMPTY: list[np.ndarray] = []
EMPTY_PART = [np.asarray([], dtype=float)]
HIGH = [np.column_stack([_route(9, 1)[0], np.arange(30.0)])]


@pytest.mark.parametrize(
    "routes",
    [
        [EMPTY, _route(1), _route(2)],
        [_route(1), EMPTY, _route(2)],
        [_route(1), _route(2), EMPTY],
        [EMPTY],
        [EMPTY, EMPTY_PART, _route(3, 1), EMPTY],
        [_route(4), HIGH, EMPTY, _route(5, 3)],
        [_route(6), [*_route(7, 1), *HIGH]],
    ],
)
def test_simplify_packed_answers_as_the_text_did_in_order(routes):
    blobs = [pack_route(r) for r in routes]
    expected = simplify_routes([_as_text(r) for r in routes], EPSG, 10.0)
    # (compared as JSON: the text way gives a 2D part of a route with elevations a NaN z)
    assert orjson.dumps(simplify_packed(blobs, EPSG, 10.0)) == orjson.dumps(expected)
    for geometry, route in zip(expected, routes, strict=True):
        if not any(len(p) for p in route):
            assert geometry == {"type": "MultiLineString", "coordinates": []}
        else:
            assert sum(map(len, geometry["coordinates"])) < sum(map(len, route))
