"""The vectorised type check of GeoJSON positions validates exactly as the loop it replaced:
the same problems at the same pointers, the same array, on random good and bad coordinates."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patrol.geo import checks
from patrol.geo.problems import Problems


def fast_positions_before(coords: list) -> np.ndarray | None:
    """checks._fast_positions as it was (commit 04d53b4), the reference."""
    try:
        arr = np.array(coords)
    except (ValueError, TypeError):
        return None
    if arr.ndim != 2 or arr.shape[1] not in (2, 3) or arr.dtype.kind not in "fi":
        return None
    if any(v is True or v is False for p in coords for v in p):
        return None
    return arr[:, :2].astype(float)


def outcome(fn, coords, fast) -> tuple:
    """``fn``'s array and problems with ``fast`` as the fast path of check_positions."""
    saved = checks._fast_positions
    checks._fast_positions = fast
    try:
        problems = Problems()
        arr = fn(coords, "/c", problems)
    finally:
        checks._fast_positions = saved
    items = [(i.pointer, str(i.detail)) for i in problems.items]
    if isinstance(arr, np.ndarray):
        arr = (arr.shape, arr.tobytes())
    return arr, items


number = st.one_of(
    st.floats(-200, 200, allow_nan=False),
    st.integers(-200, 200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 0.0, 1.0, -180.0, 180.0, 90.0, -90.0, 2**70]),
)
odd = st.one_of(st.booleans(), st.none(), st.text(max_size=3), st.just({"x": 1}), st.just([]))
value = st.one_of(number, number, number, odd)
position = st.one_of(
    st.lists(number, min_size=2, max_size=3),  # mostly well formed
    st.lists(number, min_size=2, max_size=3),
    st.lists(value, min_size=0, max_size=4),
    value,
)
positions = st.one_of(st.lists(position, max_size=12), value)


@settings(max_examples=1500, deadline=None)
@given(positions)
def test_check_positions_as_before(coords):
    new = outcome(checks.check_positions, coords, checks._fast_positions)
    old = outcome(checks.check_positions, coords, fast_positions_before)
    assert new == old


@settings(max_examples=500, deadline=None)
@given(position)
def test_check_point_as_before(coords):
    new = outcome(checks.check_point, coords, checks._fast_positions)
    old = outcome(checks.check_point, coords, fast_positions_before)
    assert new == old


def test_a_boolean_among_numbers_is_named():
    problems = Problems()
    assert checks.check_positions([[131.0, 43.0], [131.1, True]], "/c", problems) is None
    assert [(i.pointer, i.detail) for i in problems.items] == [
        ("/c/1", "coordinates must be numbers")
    ]


def test_an_integer_no_float_holds_is_a_problem_not_a_crash():
    """JSON allows an integer of any length and the standard parser (the way a text orjson
    refuses goes) reads it exactly: numpy's float conversion raised OverflowError (a 500)."""
    from patrol.errors import ValidationFailed
    from patrol.geo.geojson_report import parse_geojson_report

    problems = Problems()
    assert checks.check_positions([[10**400, 43.0], [131.1, 43.1]], "/c", problems) is None
    assert [(i.pointer, i.detail) for i in problems.items] == [
        ("/c/0", "coordinates must be finite numbers")
    ]
    # A lone surrogate makes orjson refuse the text, so json.loads reads the 400 digits.
    body = (
        '{"name":"\\ud800","type":"FeatureCollection","features":[{"type":"Feature",'
        '"id":"8d3e4c1a-9f0b-4b5e-8c1d-2a3b4c5d6e7f","geometry":{"type":"LineString",'
        '"coordinates":[[1' + "0" * 400 + ',43.0],[131.1,43.1]]},"properties":{"kind":"route",'
        '"unit":"U1","started_at":"2025-01-01T00:00:00Z","ended_at":"2025-01-01T01:00:00Z"}}]}'
    ).encode()
    with pytest.raises(ValidationFailed) as caught:
        parse_geojson_report(body)
    assert "/features/0/geometry/coordinates/0" in [e.pointer for e in caught.value.errors]
