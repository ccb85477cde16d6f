"""SMART patrol XML read without a database: structure, pointers, hostile XML, tracks as WKB,
and the category map's defaults (English and Russian)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from patrol.errors import MalformedInput, ValidationFailed
from patrol.geo.importers import importer_for
from patrol.geo.report import Limits
from patrol.geo.smart import (
    parse_smart_patrols,
    plain_document,
    to_reports,
    track_from_wkb,
    track_to_wkb,
    write_smart_patrol,
)
from patrol.geo.smart import parse_xml as safe_parse
from patrol.geo.smart.category_map import CategoryMap, SnareMatch, transport_of, validate_map
from tests.smart_files import ewkb_hex, patrol_xml, read_independently, standard_patrol


def only(data: bytes, limits: Limits | None = None):
    (result,) = parse_smart_patrols(data, limits)
    if isinstance(result, Exception):
        raise result
    return result


def test_structure_matches_an_independent_reading():
    data = standard_patrol()
    patrol = only(data)
    truth = read_independently(data)
    assert patrol.id == truth["id"] and patrol.team == truth["team"]
    assert (patrol.patrol_type, patrol.armed, patrol.objective, patrol.comment) == (
        "GROUND",
        True,
        "Snare sweep",
        "ok",
    )
    assert [leg.transport for leg in patrol.legs] == [leg["transport"] for leg in truth["legs"]]
    for leg, tleg in zip(patrol.legs, truth["legs"], strict=True):
        assert [(m.given_name, m.family_name, m.leader) for m in leg.members] == [
            (g, f, lead == "true") for g, f, lead in tleg["members"]
        ]
        for day, tday in zip(leg.days, tleg["days"], strict=True):
            assert day.date.isoformat() == tday["date"]
            for part, tpart in zip(day.track, tday["tracks"], strict=True):
                np.testing.assert_array_equal(part, tpart)
            for wp, twp in zip(day.waypoints, tday["waypoints"], strict=True):
                assert (wp.id, wp.lon, wp.lat) == (twp["id"], twp["x"], twp["y"])
                got = [
                    (o.group, o.category_key, [a.key for a in o.attributes])
                    for o in wp.observations
                ]
                assert got == [(g, k, [a for a, _ in attrs]) for g, k, attrs in twp["observations"]]
    assert patrol.legs[0].days[0].rest_minutes == 15.0
    assert patrol.legs[0].mandate == "Law enforcement"


def test_reports_per_leg_with_local_times():
    patrol = only(standard_patrol())
    out = to_reports(
        patrol, unit="T-01", timezone="Asia/Vladivostok", category_map=CategoryMap(), scope="s"
    )
    foot, vehicle, ski = (leg.report for leg in out.legs)
    assert (foot.transport, vehicle.transport, ski.transport) == ("foot", "vehicle", "ski")
    # 08:00 in Vladivostok (UTC+10) on the 2nd; the foot leg spans two days, two + one lines.
    assert foot.started_at.isoformat() == "2026-03-01T22:00:00+00:00"
    assert foot.ended_at.isoformat() == "2026-03-03T02:00:00+00:00"
    assert len(foot.parts) == 3 and out.legs[0].parts_per_day == [[0, 1], [2]]
    assert foot.leader == "Ivan Petrov" and foot.members == ["Anna Sokolova"]
    assert len(foot.snares) == 1 and foot.snares[0].count == 3
    assert len({leg.report.id for leg in out.legs}) == 3
    # The same patrol in another area gets other ids; the same in the same area the same.
    again = to_reports(
        patrol, unit="T-01", timezone="Asia/Vladivostok", category_map=CategoryMap(), scope="s"
    )
    other = to_reports(patrol, unit="T-01", timezone="UTC", category_map=CategoryMap(), scope="t")
    assert again.legs[0].report.id == foot.id != other.legs[0].report.id


def test_content_hash_tells_changes():
    a = only(standard_patrol()).content_hash()
    assert only(standard_patrol()).content_hash() == a
    assert only(standard_patrol(shift=1)).content_hash() != a
    assert only(standard_patrol().replace(b">ok<", b">ok!<")).content_hash() != a


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><patrol>&lol2;</patrol>',
            "DTD",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<patrol>&x;</patrol>",
            "DTD",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE p SYSTEM "http://example.org/p.dtd"><patrol/>',
            "DTD",
        ),
        (b"<a>" * 100 + b"</a>" * 100, "nests"),
        (b"<patrol>" + b"x" * 20_000 + b"</patrol>", "characters"),
        (b'<patrol id="' + b"x" * 20_000 + b'"/>', "characters"),
        (b"<patrol", "well-formed"),
        (b"   ", "empty"),
    ],
)
def test_hostile_or_broken_xml_is_refused(data, reason):
    with pytest.raises(MalformedInput) as info:
        parse_smart_patrols(data)
    assert reason in info.value.detail


def test_parse_xml_keeps_a_long_geometry():
    geom = ewkb_hex([[(131.0 + k * 1e-4, 43.0, 0.0) for k in range(1000)]])
    assert len(geom) > 10_000
    root = safe_parse(f'<t geom="{geom}"/>'.encode())
    assert root.get("geom") == geom


@pytest.mark.parametrize(
    ("data", "pointer"),
    [
        (b"<gpx/>", "/gpx"),
        (b'<patrol xmlns="urn:other" id="x"/>', "/patrol"),
        (patrol_xml("P", []), "/patrol/legs"),
        (
            patrol_xml("P", ['<ns2:legs id="1"><ns2:transportType value="Foot"/></ns2:legs>']),
            "/patrol/legs/leg[1]/days",
        ),
    ],
)
def test_not_a_patrol_names_the_place(data, pointer):
    with pytest.raises(ValidationFailed) as info:
        only(data)
    assert [e.pointer for e in info.value.errors] == [pointer]


def test_every_problem_at_once_with_xpath_pointers():
    data = (
        standard_patrol()
        .replace(b'y="', b'y="north', 1)
        .replace(b"<ns2:bValue>true</ns2:bValue>", b"<ns2:bValue>yes</ns2:bValue>")
        .replace(b'startTime="07:30:00"', b'startTime="7h30"')
    )
    with pytest.raises(ValidationFailed) as info:
        only(data)
    assert [e.pointer for e in info.value.errors] == [
        "/patrol/legs/leg[1]/days/day[1]/waypoints/waypoint[1]/@y",
        "/patrol/legs/leg[1]/days/day[1]/waypoints/waypoint[1]/groups/group[1]"
        "/observations/observation[2]/attributes/attribute[3]/bValue",
        "/patrol/legs/leg[1]/days/day[2]/@startTime",
    ]


def test_a_wrapper_of_patrols_reports_each():
    good = standard_patrol("A").split(b"?>", 1)[1]
    bad = standard_patrol("B").replace(b'x="', b'x="w', 1).split(b"?>", 1)[1]
    ns = b'xmlns:ns2="http://www.smartconservationsoftware.org/xml/1.3/patrol"'
    data = b"<ns2:patrols " + ns + b">" + good + bad + b"</ns2:patrols>"
    first, second = parse_smart_patrols(data)
    assert first.id == "A" and first.pointer == "/patrols/patrol[1]"
    assert isinstance(second, ValidationFailed)
    assert second.errors[0].pointer.startswith("/patrols/patrol[2]/legs/leg[1]")


def test_limits_bound_a_patrol():
    with pytest.raises(ValidationFailed) as info:
        only(standard_patrol(), Limits(max_vertices=10))
    assert "vertices" in info.value.errors[0].detail
    with pytest.raises(ValidationFailed) as info:
        only(standard_patrol(), Limits(max_finds=3))
    assert "observations" in info.value.errors[0].detail


def test_track_times_must_not_go_backwards():
    backwards = [(131.3, 43.2, 2000.0), (131.31, 43.2, 1000.0)]
    day = f'<ns2:days date="2026-03-02"><ns2:track geom="{ewkb_hex([backwards])}"/></ns2:days>'
    data = patrol_xml("P", [f'<ns2:legs id="1">{day}</ns2:legs>'])
    with pytest.raises(ValidationFailed) as info:
        only(data)
    assert info.value.errors[0].pointer == "/patrol/legs/leg[1]/days/day[1]/track/line[1]/point[2]"


@pytest.mark.parametrize(
    ("geometry", "error"),
    [
        (shapely.Point(1, 2, 3), "LineString or MultiLineString"),
        (None, "not valid WKB"),
    ],
)
def test_track_geometry_errors(geometry, error):
    raw = b"\x00\x01" if geometry is None else shapely.to_wkb(geometry, hex=False)
    with pytest.raises(ValueError, match=error):
        track_from_wkb(raw.hex())


def test_wkb_round_trip_and_2d_tracks():
    parts = [np.array([[131.3, 43.2, 1.5e12], [131.31, 43.21, 1.5e12 + 1000]])]
    back = track_from_wkb(track_to_wkb(parts))
    np.testing.assert_array_equal(back[0], parts[0])
    flat = shapely.to_wkb(shapely.LineString([(131.3, 43.2), (131.4, 43.2)]), hex=True)
    (line,) = track_from_wkb(flat)
    assert np.isnan(line[:, 2]).all()


def test_a_2d_track_gives_a_route_without_times():
    flat = shapely.to_wkb(shapely.LineString([(131.3, 43.2), (131.31, 43.2)]), hex=True)
    day = (
        '<ns2:days date="2026-03-02" startTime="08:00:00" endTime="09:00:00">'
        f'<ns2:track geom="{flat}"/></ns2:days>'
    )
    data = patrol_xml(
        "P", [f'<ns2:legs id="1"><ns2:transportType value="Пешком"/>{day}</ns2:legs>']
    )
    out = to_reports(only(data), unit="U", timezone="UTC", category_map=CategoryMap(), scope="s")
    report = out.legs[0].report
    assert report.times is None and report.transport == "foot"
    assert report.started_at.isoformat() == "2026-03-02T08:00:00+00:00"


def test_importer_registry_tells_smart_from_gpx():
    smart = standard_patrol()[:4096]
    assert importer_for("application/xml", None, smart).name == "smart"
    assert importer_for("application/xml", None, b"<gpx version='1.1'>").name == "gpx"
    assert importer_for(None, "p.xml", b"").name == "smart"
    assert importer_for("application/vnd.smart.patrol+xml").name == "smart"


class A:
    def __init__(self, key, kind, items=(), number=None, text=None):
        self.key, self.kind, self.items, self.number, self.text = (
            key,
            kind,
            list(items),
            number,
            text,
        )
        self.boolean = None


@pytest.mark.parametrize(
    ("key", "attrs", "expected"),
    [
        (
            "humanactivity.weaponsequipment.trap.",
            [
                A("traptype", "item", ["cablesnare"]),
                A("numberoftraps", "number", number=4.0),
                A("actiontaken", "item", ["leftinplace"]),
                A("trapstate", "item", ["triggered"]),
            ],
            ("cable", 4, "triggered", "left_in_place"),
        ),
        (
            "park.snares.",
            [
                A("vid", "item", ["kapkan"]),
                A("kolichestvo", "number", number=2.0),
                A("deistvie", "item", ["snyata"]),
            ],
            ("leghold", 2, "active", "removed"),
        ),
        (
            "park.petli.",
            [
                A("тип", "item", ["проволочная"]),
                A("состояние", "item", ["неактивная"]),
                A("действие", "item", ["уничтожена"]),
            ],
            ("wire", 1, "inactive", "destroyed"),
        ),
        (
            "humanactivity.trap.",
            [A("number", "number", number=5000.0)],
            ("other", 1000, "active", "removed"),
        ),
    ],
)
def test_default_map_recognises_snares(key, attrs, expected):
    match = CategoryMap().match(key, attrs)
    assert isinstance(match, SnareMatch)
    assert (match.type, match.count, match.state, match.action) == expected


def test_default_map_leaves_other_categories_alone():
    assert CategoryMap().match("animals.carcass.", [A("species", "item", ["x"])]) is None
    assert (
        CategoryMap({"not_snares": ["humanactivity.trap"]}).match("humanactivity.trap.x", [])
        is None
    )


def test_an_explicit_map_reports_unmapped_snare_categories():
    cmap = CategoryMap({"snare_categories": [{"key": "park.kat7"}], "recognise_snares": False})
    assert isinstance(cmap.match("park.kat7.sub.", []), SnareMatch)
    warning = cmap.match("humanactivity.weaponsequipment.trap.", [])
    assert isinstance(warning, str) and "snare_categories" in warning


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Foot", ("foot", True)),
        ("Лыжи", ("ski", True)),
        ("Vehicle", ("vehicle", True)),
        ("Boat", ("boat", True)),
        ("Motorbike", ("motorbike", True)),
        ("Horse", ("vehicle", False)),
        (None, ("vehicle", False)),
    ],
)
def test_transports(value, expected):
    assert transport_of(value, CategoryMap()) == expected
    assert transport_of("Horse", CategoryMap({"transports": {"horse": "foot"}})) == ("foot", True)


def test_validate_map_names_each_problem():
    with pytest.raises(ValidationFailed) as info:
        validate_map(
            {
                "snare_categories": [{"key": "k", "type": {"items": {"a": "net"}}}, {"x": 1}],
                "not_snares": "k",
            }
        )
    assert [e.pointer for e in info.value.errors] == [
        "/snare_categories/0/type/items/a",
        "/snare_categories/1",
        "/not_snares",
    ]


# -- writing and reading back, for any patrol ---------------------------------------------------

_text = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"
    ),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() == s)
_key = st.from_regex(r"[a-z][a-z0-9_]{0,8}(\.[a-z0-9_]{1,8}){0,3}\.?", fullmatch=True)


@st.composite
def _attribute(draw):
    kind = draw(st.sampled_from(["item", "items", "number", "boolean", "text"]))
    doc = {
        "key": draw(_key),
        "kind": kind,
        "items": [],
        "number": None,
        "boolean": None,
        "text": None,
    }
    if kind == "item":
        doc["items"] = [draw(_key)]
    elif kind == "items":
        doc["items"] = draw(st.lists(_key, min_size=2, max_size=3))
    elif kind == "number":
        doc["number"] = draw(st.floats(-1e6, 1e6, allow_nan=False))
    elif kind == "boolean":
        doc["boolean"] = draw(st.booleans())
    else:
        doc["text"] = draw(_text)
    return doc


@st.composite
def _day(draw, k):
    lines = []
    for _ in range(draw(st.integers(1, 2))):
        n = draw(st.integers(2, 4))
        lon = draw(st.lists(st.floats(-180, 180), min_size=n, max_size=n))
        lat = draw(st.lists(st.floats(-90, 90), min_size=n, max_size=n))
        t = np.cumsum(draw(st.lists(st.floats(0, 1e6), min_size=n, max_size=n))) + 1.7e12
        lines.append(np.column_stack([lon, lat, t]))
    waypoints = []
    for w in range(draw(st.integers(0, 2))):
        groups = draw(st.integers(1, 2))
        waypoints.append(
            {
                "id": str(w + 1),
                "lon": draw(st.floats(-180, 180)),
                "lat": draw(st.floats(-90, 90)),
                "time": f"0{w}:1{k}:00",
                "groups": groups,
                "observations": [
                    {
                        "category_key": draw(_key),
                        "group": draw(st.integers(0, groups - 1)),
                        "attributes": draw(st.lists(_attribute(), max_size=3)),
                        "extra": [],
                    }
                    for _ in range(draw(st.integers(0, 2)))
                ],
                "extra": [],
            }
        )
    # Observations come back grouped: order them as the groups will be read.
    for wp in waypoints:
        wp["observations"].sort(key=lambda o: o["group"])
    return {
        "date": f"2026-03-0{k + 1}",
        "start_time": "08:00:00",
        "end_time": "17:00:00",
        "rest_minutes": 0.0,
        "track": lines,
        "distance": "1.5",
        "waypoints": waypoints,
        "extra": [],
    }


@st.composite
def _patrol(draw):
    legs = []
    for i in range(draw(st.integers(1, 3))):
        legs.append(
            {
                "id": str(i + 1),
                "start_date": "2026-03-01",
                "end_date": "2026-03-02",
                "transport": draw(st.sampled_from(["Foot", "Vehicle", "Лыжи"])),
                "transport_language": "en",
                "members": [
                    {
                        "given_name": draw(_text),
                        "family_name": None,
                        "employee_id": "E1",
                        "leader": True,
                        "pilot": False,
                    }
                ],
                "mandate": None,
                "mandate_language": None,
                "days": [draw(_day(k)) for k in range(draw(st.integers(1, 2)))],
                "extra": [],
            }
        )
    return {
        "id": draw(_text),
        "patrol_type": "GROUND",
        "start_date": "2026-03-01",
        "end_date": "2026-03-02",
        "armed": draw(st.booleans()),
        "objective": draw(_text),
        "team": draw(_text),
        "team_language": "en",
        "comment": None,
        "legs": legs,
        "extra": [],
        "attributes": {},
    }


@settings(max_examples=25, deadline=None)
@given(_patrol())
def test_written_patrols_read_back_the_same(doc):
    elem = write_smart_patrol(doc)
    data = ET.tostring(elem, encoding="utf-8", xml_declaration=True)
    patrol = only(data)
    back = plain_document(patrol)
    for leg_doc, leg in zip(doc["legs"], patrol.legs, strict=True):
        for day_doc, day in zip(leg_doc["days"], leg.days, strict=True):
            for a, b in zip(day_doc["track"], day.track, strict=True):
                np.testing.assert_array_equal(a, b)
    expected = json.loads(json.dumps(doc, default=lambda _: None))  # tracks compared above
    for leg in expected["legs"]:
        for day in leg["days"]:
            day["track"] = None
    for leg in back["legs"]:
        for day in leg["days"]:
            day["track"] = None
            day["date"] = day["date"].isoformat()
            day["start_time"] = day["start_time"].isoformat()
            day["end_time"] = day["end_time"].isoformat()
            for wp in day["waypoints"]:
                wp["time"] = wp["time"].isoformat()
        leg["start_date"] = leg["start_date"].isoformat()
        leg["end_date"] = leg["end_date"].isoformat()
    back["start_date"] = back["start_date"].isoformat()
    back["end_date"] = back["end_date"].isoformat()
    back.pop("namespace")
    assert back == expected
