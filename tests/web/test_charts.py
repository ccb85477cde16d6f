"""The printable charts' arithmetic: round ticks, map classes, the scale bar's length."""

from __future__ import annotations

import itertools
import math
import re

import pytest

from patrol.web.charts import bar_line_chart, nice_ticks
from patrol.web.maps import PALETTE, Classes, scale_bar


@pytest.mark.parametrize(
    ("vmax", "integer", "ticks"),
    [
        (37, False, [0, 10, 20, 30, 40]),
        (4, True, [0, 1, 2, 3, 4]),
        (3, True, [0, 1, 2, 3]),
        (0.9, False, [0, 0.25, 0.5, 0.75, 1.0]),
        (1234, False, [0, 500, 1000, 1500]),
        (0, False, [0, 1]),  # no data: an honest 0..1 axis, not 1e-09
        (float("nan"), False, [0, 1]),
    ],
)
def test_nice_ticks(vmax, integer, ticks):
    got = nice_ticks(vmax, integer=integer)
    assert got == pytest.approx(ticks)
    assert got[-1] >= (vmax if vmax == vmax else 0)
    steps = {round(b - a, 9) for a, b in itertools.pairwise(got)}
    assert len(steps) == 1  # evenly spaced
    step = steps.pop()
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 9) in (1, 2, 2.5, 5)  # a round step


def test_an_empty_chart_has_no_tiny_axis():
    svg = str(bar_line_chart(["Jan", "Feb"], [0, 0], [0, 0], "snares", "km", "nothing"))
    assert not re.search(r"\de-\d", svg)


def test_equal_rates_share_one_shade():
    # Four zones, three at the same rate up to the last digits, one far higher.
    c = Classes([2.2222, 2.22229, 2.22231, 473.35])
    assert c.colour(2.2222) == c.colour(2.22231) != c.colour(473.35)
    assert c.colour(None) == c.colour(float("nan")) != c.colour(2.2222)
    many = Classes(list(range(100)))
    assert [many.index(v) for v in (0, 99)] == [0, 4]
    assert {many.colour(v) for v in range(100)} == set(PALETTE)


@pytest.mark.parametrize(("width_m", "text"), [(20_000, "5 km"), (9_000, "2 km"), (700, "100 m")])
def test_scale_bar_is_a_round_length_drawn_to_scale(width_m, text):
    svg = scale_bar(width_m, 0.01, 0, 0)
    assert f">{text}<" in svg
    metres = float(text.split()[0]) * (1000 if text.endswith("km") else 1)
    halves = [float(w) for w in re.findall(r'width="([\d.]+)"', svg)]
    assert sum(halves) == pytest.approx(metres * 0.01, abs=0.1)
