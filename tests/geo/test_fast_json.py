"""A report read by simdjson (geojson_report.fast) is the report read by load_json: the same
report to the bit, or the same problems (pointer and message), or the same refusal, on
generated report texts, hostile ones included (repeated keys, escaped keys, ragged and
nested positions, booleans, odd numbers and times, other layouts of the text)."""

from __future__ import annotations

import json
import math

import numpy as np
import orjson
import simdjson
from hypothesis import example, given, settings
from hypothesis import strategies as st

from patrol.geo.documents import load_json
from patrol.geo.geojson_report import parse_geojson_report
from patrol.geo.geojson_report.fast import load_report


def outcome(read) -> tuple:
    try:
        report = read()
    except Exception as exc:  # ValidationFailed, MalformedInput: the same, worded the same
        errors = [(e.pointer, str(e.detail)) for e in getattr(exc, "errors", None) or []]
        return type(exc).__name__, str(exc), errors
    return (
        report.canonical(),
        [p.tobytes() for p in report.parts],
        None if report.times is None else [t.tobytes() for t in report.times],
        [(s.id, s.lon, s.lat) for s in report.snares],
    )


def same_as_load_json(text: bytes) -> None:
    fast = outcome(lambda: parse_geojson_report(text))
    before = outcome(lambda: parse_geojson_report(load_json(text)))
    assert fast == before


def number_text(x) -> str:
    return x if isinstance(x, str) else json.dumps(x)


numbers = st.one_of(
    st.floats(-200, 200, allow_nan=False),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-200, 200),
    st.integers(-(2**64), 2**64),
    st.sampled_from(["-0", "-0.0", "0e0", "1E2", "131.0000000000000000001", "1e400", "4.9e-324"]),
    st.from_regex(r"-?(0|[1-9][0-9]{0,20})(\.[0-9]{1,25})?([eE][-+]?[0-9]{1,3})?", fullmatch=True),
)
odd = st.sampled_from(["true", "false", "null", '"131"', "{}", "[]", "[1]", "[[1,2]]", "NaN"])
value = st.one_of(numbers.map(number_text), numbers.map(number_text), odd)
position = st.one_of(
    st.lists(st.floats(-180, 180).map(number_text), min_size=2, max_size=2),
    st.lists(st.floats(-180, 180).map(number_text), min_size=2, max_size=2),
    st.lists(value, min_size=0, max_size=4),
)
separator = st.sampled_from([",", ", ", " ,\n  ", ",\t"])


@st.composite
def positions_text(draw) -> tuple[str, int]:
    """A route's positions written as text: mostly regular, sometimes not; and how many."""
    base = draw(st.lists(st.floats(130, 132).map(number_text), min_size=4, max_size=4))
    n = draw(st.integers(2, 8))
    rows = [[base[k % 2], base[2 + k % 2]] for k in range(n)]
    if draw(st.booleans()):
        rows[draw(st.integers(0, n - 1))] = draw(position)
    if draw(st.booleans()):
        rows = [[*r, draw(value)] if len(r) == 2 else r for r in rows]
    sep = draw(separator)
    return "[" + sep.join("[" + sep.join(r) + "]" for r in rows) + "]", n


times_values = st.sampled_from(
    [
        "2025-01-01T00:00:{:02d}Z",
        "2025-01-01T00:00:{:02d}+00:00",
        "2025-01-01T10:00:{:02d}+10:00",
        "2025-01-01T00:00:{:02d}.500Z",
        "2025-02-30T00:00:{:02d}Z",
        "2025-01-01T00:00:{:02d}z",
        "2025-01-01 00:00:{:02d}Z",
        "2025-01-01T00:00:\\u003{}Z",
    ]
)


@st.composite
def report_text(draw) -> bytes:
    coordinates, n = draw(positions_text())
    layout = draw(times_values)
    k = draw(st.integers(n - 1, n + 1))
    times = [layout.format(i) if "\\u" not in layout else layout.format(i % 10) for i in range(k)]
    if draw(st.booleans()):
        times[draw(st.integers(0, k - 1))] = draw(
            st.sampled_from([None, 5, "", "2025-13-01T00:00:00Z"])
        )
    props = {
        "kind": "route",
        "unit": "R1",
        "leader": draw(st.sampled_from(["Ivanov", "Иванов", 'A "B"', "\x00"])),
    }
    props_text = json.dumps(props, ensure_ascii=draw(st.booleans()))[:-1]
    props_text += (
        ', "coordTimes": ['
        + ", ".join('"' + t + '"' if isinstance(t, str) else json.dumps(t) for t in times)
        + "]}"
    )
    geometry = '{"type": "LineString", "coordinates": ' + coordinates + "}"
    key = draw(st.sampled_from(["coordinates", "coordin\\u0061tes"]))
    geometry = geometry.replace('"coordinates"', '"' + key + '"')
    route_members = [
        '"type": "Feature"',
        '"id": "16af103b-18bd-632b-0000-000000000000"',
        '"geometry": ' + geometry,
        '"properties": ' + props_text,
    ]
    extra = draw(
        st.sampled_from(
            [
                None,
                '"geometry": {"type": "LineString", "coordinates": [[131, 43], [131.1, 43]]}',
                '"bbox": [130, 42, 132, 44]',
                '"properties": {"kind": "snare"}',
                '"x\\"coordinates": [[1, 2], [3, 4]]',
            ]
        )
    )
    if extra is not None:
        route_members.insert(draw(st.integers(0, len(route_members))), extra)
    route = "{" + ", ".join(route_members) + "}"
    snare = (
        '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [131.05, 43.0]},'
        ' "properties": {"kind": "snare", "found_at": "2025-01-01T00:00:01Z", "type": "wire",'
        ' "count": 1, "state": "active", "action": "removed"}}'
    )
    features = [route] + ([snare] if draw(st.booleans()) else [])
    if draw(st.booleans()):
        features.reverse()
    root = [
        '"type": "FeatureCollection"',
        '"features": [' + ", ".join(features) + "]",
    ]
    head = draw(st.sampled_from([None, '"name": "r"', '"crs": {"type": "name"}', '"type": "X"']))
    if head is not None:
        root.insert(draw(st.integers(0, 2)), head)
    text = "{" + ", ".join(root) + "}"
    if draw(st.booleans()):
        text = json.dumps(json.loads(text), indent=2) if _valid(text) else text
    return text.encode()


def _valid(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(report_text())
@example(
    b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type":'
    b' "LineString", "coordinates": [[131.0, 43.0, 1], [131.1]]}, "properties": {"kind":'
    b' "route", "unit": "R1", "started_at": "2025-01-01T00:00:00Z", "ended_at":'
    b' "2025-01-01T01:00:00Z"}}]}'
)
@example(
    b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type":'
    b' "LineString", "coordinates": [[[131.0], [43.0]], [131.1, 43]]}, "properties": {"kind":'
    b' "route", "unit": "R1", "started_at": "2025-01-01T00:00:00Z", "ended_at":'
    b' "2025-01-01T01:00:00Z"}}]}'
)
@example(  # an escaped key: the first "coordinates" in the text is another feature's
    b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type":'
    b' "LineString", "coordin\\u0061tes": [[131.0, 43.0, 1], [131.1]]}, "properties": {"kind":'
    b' "route", "unit": "R1", "started_at": "2025-01-01T00:00:00Z", "ended_at":'
    b' "2025-01-01T01:00:00Z"}}, {"type": "Feature", "geometry": {"type": "LineString",'
    b' "coordinates": [[131.0, 43.0], [131.1, 43.0]]}, "properties": {"kind": "snare"}}]}'
)
def test_a_report_reads_as_with_load_json(text):
    same_as_load_json(text)


@settings(max_examples=800, deadline=None, derandomize=True)
@given(report_text(), st.data())
def test_a_mangled_report_reads_as_with_load_json(text, data):
    """Bytes cut, doubled or replaced: simdjson refuses what orjson refuses, or reads alike."""
    at = data.draw(st.integers(0, len(text)))
    change = data.draw(st.sampled_from([b"", b"\xff", b"\\", b'"', b"[", b"]", b",", b"\xe2\x80"]))
    cut = data.draw(st.integers(0, 3))
    same_as_load_json(text[:at] + change + text[at + cut :])


@settings(max_examples=3000, deadline=None, derandomize=True)
@given(numbers.map(number_text))
@example("-0")
@example("18446744073709551615")
@example("9007199254740993")
def test_simdjson_reads_a_number_as_orjson(text):
    try:
        expected = orjson.loads(text)
    except orjson.JSONDecodeError:
        expected = None
    try:
        got = simdjson.Parser().parse(("[" + text + "]").encode())[0]
    except (ValueError, RuntimeError):
        got = None
    if got is None:
        return  # refused: load_json reads it
    assert type(got) is type(expected)
    assert math.copysign(1, got) == math.copysign(1, expected) and got == expected
    # As a position (the buffer simdjson copies them to) it is float(the orjson number).
    buf = np.frombuffer(simdjson.Parser().parse(f"[[{text}]]".encode()).as_buffer(of_type="d"))
    assert buf.tobytes() == np.array([float(expected)]).tobytes()


def test_a_repeated_key_keeps_its_last_value():
    text = b'{"a": 1, "features": [{"geometry": 1, "geometry": {"type": "Point"}}], "a": 2}'
    assert load_report(text) == orjson.loads(text)


def test_text_simdjson_refuses_goes_the_load_json_way():
    for text in (b'{"a": NaN}', b'{"a": "\\ud800"}', b'{"a": 1e400}', b'{"a": "\xff"}', b"[1]"):
        assert load_report(text) is None


def test_a_large_text_gets_a_parser_of_its_own_and_reads_alike(monkeypatch):
    """Above ``KEEP_PARSER_UP_TO`` a parser is made for the one text (and freed with it), so a
    32 MiB upload does not leave ~100 MiB in the thread's kept parser: the same reading."""
    from patrol.geo.geojson_report import fast

    text = (
        b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type":'
        b' "LineString", "coordinates": [[131.0, 43.0], [131.1, 43.0]]}, "properties": {"kind":'
        b' "route", "unit": "R1", "started_at": "2025-01-01T00:00:00Z", "ended_at":'
        b' "2025-01-01T01:00:00Z", "coordTimes": ["2025-01-01T00:00:00Z",'
        b' "2025-01-01T01:00:00Z"]}}]}'
    )
    same_as_load_json(text)  # the kept parser, made if need be
    kept = fast._LOCAL.parser
    made = []
    real = simdjson.Parser

    def parser() -> simdjson.Parser:
        made.append(real())
        return made[-1]

    monkeypatch.setattr(simdjson, "Parser", parser)
    monkeypatch.setattr(fast, "KEEP_PARSER_UP_TO", len(text) - 1)
    same_as_load_json(text)
    assert len(made) == 1 and fast._LOCAL.parser is kept
    monkeypatch.setattr(fast, "KEEP_PARSER_UP_TO", len(text))
    same_as_load_json(text)
    assert len(made) == 1  # at the limit the kept one reads it
