"""Vectorised time handling against the one-at-a-time reference (patrol/geo/times.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from patrol.geo.documents import load_json
from patrol.geo.problems import Problems
from patrol.geo.times import (
    EARLIEST_TIME,
    LATEST_TIME,
    check_times,
    iso_utc,
    iso_utc_seconds,
    parse_time,
)

SECONDS = st.floats(EARLIEST_TIME.timestamp(), LATEST_TIME.timestamp() - 1, allow_nan=False)


@settings(max_examples=300, derandomize=True)
@given(st.lists(SECONDS | SECONDS.map(round), min_size=1, max_size=40))
def test_iso_utc_seconds_writes_what_iso_utc_writes(values):
    expected = [iso_utc(datetime.fromtimestamp(t, UTC)) for t in values]
    assert iso_utc_seconds(np.array(values)) == expected


INSTANTS = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2199, 12, 30), timezones=st.just(UTC)
)


@settings(max_examples=200, derandomize=True)
@given(st.lists(INSTANTS, min_size=2, max_size=30, unique=True), st.sampled_from(["Z", "+00:00"]))
def test_fast_times_read_what_parse_time_reads(instants, suffix):
    instants.sort()
    texts = [t.isoformat().replace("+00:00", suffix) for t in instants]
    problems = Problems()
    (parsed,) = check_times(texts, [len(texts)], "/t", problems)
    assert not problems.items
    assert parsed.tolist() == [parse_time(t).timestamp() for t in texts]


def test_load_json_decides_as_the_standard_parser():
    assert load_json(b'{"a": [1, 2.5, "\\u0411"]}') == {"a": [1, 2.5, "Б"]}
    # Beyond 64 bits an integer reads as the nearest float (documented in load_json).
    assert load_json(b'{"n": 123456789012345678901234567890}') == {
        "n": float(123456789012345678901234567890)
    }
    assert load_json('\ufeff{"b": 1}'.encode()) == {"b": 1}
    for bad in (b'{"v": NaN}', b'{"v": Infinity}', b"[1,", b"[" * 100_000):
        try:
            load_json(bad)
        except Exception as exc:  # MalformedInput, as before
            assert type(exc).__name__ == "MalformedInput", bad[:20]
        else:
            raise AssertionError(f"accepted {bad[:20]!r}")
    assert json.loads('{"k": "\\ud800"}') == load_json(b'{"k": "\\ud800"}')
