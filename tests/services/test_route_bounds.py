"""The patrol row's bounding box, one reduction per part, is the column-by-column one to the bit
(0.0 and -0.0 included: a stored -0.0 reads back as such)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from patrol.services.patrol_rows import route_bounds


def bounds_before(route: list[np.ndarray]) -> dict[str, float]:
    return {
        "min_lon": min(float(p[:, 0].min()) for p in route),
        "min_lat": min(float(p[:, 1].min()) for p in route),
        "max_lon": max(float(p[:, 0].max()) for p in route),
        "max_lat": max(float(p[:, 1].max()) for p in route),
    }


degree = st.one_of(
    st.sampled_from([0.0, -0.0, 1e-7, -1e-7, 180.0, -180.0, 90.0, -90.0]),
    st.floats(-180, 180),
)
parts = st.lists(
    st.lists(st.tuples(degree, degree), min_size=1, max_size=30), min_size=1, max_size=3
)


@settings(max_examples=500, deadline=None)
@given(parts)
def test_bounds_are_those_column_by_column(route_parts):
    route = [np.array(p, dtype=float) for p in route_parts]
    ours, theirs = route_bounds(route), bounds_before(route)
    assert list(ours) == list(theirs)
    for key in ours:
        assert np.float64(ours[key]).tobytes() == np.float64(theirs[key]).tobytes(), key
        assert type(ours[key]) is float
