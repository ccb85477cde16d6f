"""Times of one fixed layout read as a block of bytes (times.read_time_block) decide and read
exactly as the way before it (the vectorised path of any 'Z' or '+00:00' times, else
parse_time one by one): on generated ISO 8601 texts, odd ones included."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from patrol.geo import times as tm
from patrol.geo.problems import Problems


def outcome(texts: list, fixed: bool) -> tuple:
    """check_times' parts (as bytes) and problems, with or without the block reader."""
    saved = tm._fixed_times
    if not fixed:
        tm._fixed_times = lambda times: None
    try:
        problems = Problems()
        with warnings.catch_warnings():  # numpy warns of some odd texts the way before reads
            warnings.simplefilter("ignore")
            parts = tm.check_times(texts, [len(texts)], "/t", problems)
    finally:
        tm._fixed_times = saved
    items = [(i.pointer, str(i.detail)) for i in problems.items]
    return (None if parts is None else [p.tobytes() for p in parts]), items


digit = st.sampled_from("0123456789")
odd_digit = st.sampled_from("0123456789٣１x -:T.Zz+")


def stamp(d: st.SearchStrategy) -> st.SearchStrategy:
    """ "YYYY-MM-DDTHH:MM:SS[.fff[fff]]" with any characters from ``d`` for the digits."""
    fraction = st.sampled_from(["", ".", ".000", ".000000", ".00"])
    return st.tuples(st.lists(d, min_size=14, max_size=14), fraction, st.lists(d, max_size=6)).map(
        lambda t: (
            "{}{}{}{}-{}{}-{}{}T{}{}:{}{}:{}{}".format(*t[0])
            + (t[1][:1] + "".join(t[2])[: max(len(t[1]) - 1, 0)] if t[1] else "")
        )
    )


plausible = st.builds(
    lambda y, mo, d, h, mi, s, frac: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{frac}",
    st.integers(1890, 2210),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 24),
    st.integers(0, 60),
    st.integers(0, 60),
    st.sampled_from(["", ".5", ".500", ".123456", ".1234567"]),
)
suffix = st.sampled_from(["Z", "+00:00", "z", "+0000", "-00:00", " Z", "Z ", "+10:00"])
text = st.one_of(
    st.builds(lambda s, z: s + z, plausible, suffix),
    st.builds(lambda s, z: s + z, stamp(digit), suffix),
    st.builds(lambda s, z: s + z, stamp(odd_digit), suffix),
    st.builds(lambda s: s.replace("T", " ") + "Z", plausible),
    st.sampled_from(
        [
            "2025-01-01T23:59:60Z",
            "2025-02-29T00:00:00Z",
            "2024-02-29T00:00:00Z",
            "2025-02-31T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "-025-01-01T00:00:00Z",
            "+2025-01-01T00:00:0Z",
            "2025-01-01T24:00:00Z",
            "2025-01-01t00:00:00Z",
            "2025-01-01Z",
            "2025Z",
            "２０２５-01-01T00:00:00Z",
            "2025-01-01T00:00:00\nZ",
            "1899-12-31T23:59:59Z",
            "2200-01-01T00:00:00Z",
            "2199-12-31T23:59:59.999999Z",
            "1900-01-01T00:00:00.000+00:00",
        ]
    ),
)
# A route's times: mostly one layout (what the block reader takes), some of mixed widths.
times = st.one_of(
    st.lists(text, min_size=1, max_size=6),
    st.builds(lambda t, k: [t] * k, text, st.integers(1, 4)),
    st.lists(
        st.one_of(text, st.none(), st.integers(), st.just(["2025-01-01T00:00:00Z"])),
        min_size=1,
        max_size=4,
    ),
)


@settings(max_examples=3000, deadline=None, derandomize=True)
@given(times)
@example(["2025-01-01T00:00:00Z2025-01-01T00:00:10Z", ""])
@example(["2025-01-01T00:00:00Z\n2025-01-01T00:00:10", "Z"])
@example(["2025-01-01T00:00:00.500Z", "2025-01-01T00:00:01Z"])
def test_block_reader_decides_as_before(texts):
    assert outcome(texts, fixed=True) == outcome(texts, fixed=False)


@settings(max_examples=2000, deadline=None, derandomize=True)
@given(st.lists(st.one_of(plausible, stamp(digit)), min_size=1, max_size=5), suffix)
def test_block_reader_reads_what_parse_time_reads_or_nothing(stamps, z):
    texts = [s + z for s in stamps]
    fast = tm._fixed_times(texts)
    if fast is None:
        return
    assert fast.tolist() == [tm.parse_time(t).timestamp() for t in texts]


def test_the_layouts_of_gps_converters_and_isoformat_are_read():
    for texts in (
        ["2025-01-01T00:00:00Z", "2025-01-01T00:00:10Z"],
        ["2025-01-01T00:00:00+00:00", "2025-01-01T00:00:10+00:00"],
        ["2025-01-01T00:00:00.250Z", "2025-01-01T00:00:10.500Z"],
        ["2025-01-01T00:00:00.000001+00:00", "2025-01-01T00:00:10.999999+00:00"],
    ):
        fast = tm._fixed_times(texts)
        assert fast is not None
        assert fast.tolist() == [tm.parse_time(t).timestamp() for t in texts]


def test_a_json_array_written_back_is_read_as_a_block():
    block = b'"2025-01-01T00:00:00Z","2025-01-01T00:00:10Z",'
    seconds = tm.read_time_block(block, 2, b'"', b'",')
    assert seconds is not None and np.diff(seconds).tolist() == [10.0]
    assert tm.read_time_block(b'"2025-01-01T00:00:00Z\\"",', 1, b'"', b'",') is None
