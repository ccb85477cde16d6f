"""geo/packed_route.py keeps what the text storage kept: a -0.0 stays -0.0, an empty part of any
shape round-trips, and a route whose parts differ in dimensions comes back part by part with
each part's own dimensions (checked against the text the old storage wrote, orjson of the
arrays' lists)."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from patrol.geo import packed_route


def _text(parts: list[np.ndarray]) -> bytes:
    """The route as the text storage wrote it (independent of the packed decoder)."""
    return orjson.dumps(
        {"type": "MultiLineString", "coordinates": [np.asarray(p).tolist() for p in parts]}
    )


def _round_trip(parts: list[np.ndarray]) -> bytes:
    return orjson.dumps(packed_route.route_geometry(packed_route.pack_route(parts)))


def test_negative_zero_is_kept_bit_for_bit():
    parts = [np.array([[np.round(-1e-9, 7), 43.1], [131.5, -0.0]])]
    assert np.signbit(parts[0][0, 0])
    blob = packed_route.pack_route(parts)
    (back,) = packed_route.unpack_route(blob)
    assert np.signbit(back[0, 0]) and np.signbit(back[1, 1])
    assert back.view(np.int64).tolist() == parts[0].view(np.int64).tolist()
    assert _round_trip(parts) == _text(parts)
    assert b"-0.0" in _round_trip(parts)


def test_a_route_without_negative_zero_is_still_packed_as_int32():
    blob = packed_route.pack_route([np.array([[0.0, 43.1], [131.5, 0.0]])])
    assert blob[:1] == b"q"
    assert packed_route.unpack_route(blob)[0].tolist() == [[0.0, 43.1], [131.5, 0.0]]


@pytest.mark.parametrize(
    "parts",
    [
        [np.asarray([], dtype=float)],
        [np.asarray([], dtype=float), np.array([[131.5, 43.1], [131.6, 43.2]])],
        [np.array([[131.5, 43.1], [131.6, 43.2]]), np.zeros((0, 3))],
        [np.zeros((0, 2)), np.array([[131.5, 43.1, 5.5], [131.6, 43.2, 6.0]])],
        [],
    ],
)
def test_empty_parts_of_any_shape_round_trip(parts):
    assert _round_trip(parts) == _text(parts)
    back = packed_route.unpack_route(packed_route.pack_route(parts))
    assert [len(p) for p in back] == [len(p) for p in parts]


def test_parts_with_different_dimensions_keep_their_own():
    flat = np.array([[131.5, 43.1], [131.6, 43.2]])
    high = np.array([[131.7, 43.3, 5.5], [131.8, 43.4, 6.25], [131.9, 43.5, 7.0]])
    for parts in ([flat, high], [high, flat], [flat, high, flat]):
        blob = packed_route.pack_route(parts)
        assert packed_route.route_dims(blob) == 0
        back = packed_route.unpack_route(blob)
        assert [p.shape for p in back] == [p.shape for p in parts]
        assert all(np.array_equal(a, b) for a, b in zip(back, parts, strict=True))
        assert _round_trip(parts) == _text(parts)
        with pytest.raises(ValueError, match="dimensions"):
            packed_route.route_vertices(blob)


def test_a_part_that_is_not_a_list_of_positions_is_refused():
    with pytest.raises(ValueError, match="positions"):
        packed_route.pack_route([np.array([131.5, 43.1])])
    with pytest.raises(ValueError, match="positions"):
        packed_route.pack_route([np.zeros((2, 4))])
