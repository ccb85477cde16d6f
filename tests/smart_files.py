"""SMART patrol XML written by the tests themselves (string templates, not patrol's exporter),
so the importer is checked against files it did not write; and an independent reader.

The standard file has three legs (foot over two days, one day with two track lines; vehicle;
ski), members with a leader, a snare observation in the standard SMART trap category, one in a
park's own category known only by its Russian name, tree and multi-list attributes, numbers,
booleans and text, and waypoints without observations.
"""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from tests.conftest import lonlat

NS = "http://www.smartconservationsoftware.org/xml/1.3/patrol"
SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
SAMPLE = SHARED / "samples" / "smart" / "SMART_000006_001.xml"


def ewkb_hex(lines: list[list[tuple[float, float, float]]]) -> str:
    """Big-endian EWKB of a MultiLineString Z, as SMART writes a day's track."""
    out = struct.pack(">BII", 0, 0x80000005, len(lines))
    for line in lines:
        out += struct.pack(">BII", 0, 0x80000002, len(line))
        for x, y, z in line:
            out += struct.pack(">ddd", x, y, z)
    return out.hex()


def wall_ms(t: datetime) -> float:
    """SMART's track time: the wall-clock time written as if it were UTC, in ms."""
    return (t - datetime(1970, 1, 1)).total_seconds() * 1000.0


def track(points_m, start: datetime, step_s: float = 600.0):
    """A track line through metric offsets of the test area, timed from a local start."""
    coords = lonlat([p[0] for p in points_m], [p[1] for p in points_m])
    return [(lon, lat, wall_ms(start) + k * step_s * 1000.0) for k, (lon, lat) in enumerate(coords)]


def attribute(key: str, kind: str, value) -> str:
    if kind == "item":
        inner = f"<ns2:itemKey>{value}</ns2:itemKey>"
    elif kind == "items":
        inner = "".join(f"<ns2:itemKey>{v}</ns2:itemKey>" for v in value)
    elif kind == "number":
        inner = f"<ns2:dValue>{value!r}</ns2:dValue>"
    elif kind == "boolean":
        inner = f"<ns2:bValue>{'true' if value else 'false'}</ns2:bValue>"
    else:
        inner = f"<ns2:sValue>{value}</ns2:sValue>"
    return f'<ns2:attributes attributeKey="{key}">{inner}</ns2:attributes>'


def observation(category: str, attrs: list[tuple[str, str, object]]) -> str:
    body = "".join(attribute(*a) for a in attrs)
    return f'<ns2:observations categoryKey="{category}">{body}</ns2:observations>'


def waypoint(wid: str, xy_m, clock: str, groups: list[list[str]] | None = None) -> str:
    lon, lat = lonlat([xy_m[0]], [xy_m[1]])[0]
    inner = "".join(f"<ns2:groups>{''.join(g)}</ns2:groups>" for g in groups or [])
    return (
        f'<ns2:waypoints id="{wid}" x="{lon!r}" y="{lat!r}" time="{clock}">{inner}</ns2:waypoints>'
    )


def day(date: str, start: str, end: str, lines, waypoints=(), rest: float = 0.0) -> str:
    track_el = f'<ns2:track geom="{ewkb_hex(lines)}" distance="1.0"/>' if lines else ""
    return (
        f'<ns2:days date="{date}" startTime="{start}" endTime="{end}" restMinutes="{rest!r}">'
        + "".join(waypoints)
        + track_el
        + "</ns2:days>"
    )


def member(given: str, family: str, employee: str, leader: bool = False) -> str:
    return (
        f'<ns2:members givenName="{given}" familyName="{family}" employeeId="{employee}" '
        f'isPilot="false" isLeader="{"true" if leader else "false"}"/>'
    )


def leg(leg_id: str, transport: str, members: list[str], days: list[str], start, end) -> str:
    return (
        f'<ns2:legs startDate="{start}" endDate="{end}" id="{leg_id}">'
        f'<ns2:transportType languageCode="en" value="{transport}"/>'
        + "".join(members)
        + "".join(days)
        + '<ns2:mandate languageCode="en" value="Law enforcement"/></ns2:legs>'
    )


def patrol_xml(patrol_id: str, legs: list[str], team: str = "Team East", comment="ok") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<ns2:patrol xmlns:ns2="{NS}" patrolType="GROUND" startDate="2026-03-02" '
        f'endDate="2026-03-04" isArmed="true" id={quoteattr(patrol_id)}>'
        "<ns2:objective><ns2:description>Snare sweep</ns2:description></ns2:objective>"
        f'<ns2:team languageCode="en" value="{team}"/>'
        + "".join(legs)
        + f"<ns2:comment>{comment}</ns2:comment></ns2:patrol>"
    ).encode()


def standard_patrol(patrol_id: str = "SMART_000101-001", team: str = "Team East", shift=0):
    """The standard three-leg patrol (times local to Asia/Vladivostok, the test area's zone)."""
    s = shift
    foot_day1 = day(
        "2026-03-02",
        "08:00:00",
        "14:00:00",
        [
            track(
                [(-4000 + s, -2000), (-2000 + s, -2000), (0 + s, -2000)], datetime(2026, 3, 2, 8)
            ),
            track([(0 + s, -1000), (2000 + s, -1000), (2000 + s, 1000)], datetime(2026, 3, 2, 11)),
        ],
        [
            waypoint(
                "1",
                (-2000 + s, -2000),
                "08:10:00",
                [
                    [
                        observation(
                            "humanactivity.weaponsequipment.trap.",
                            [
                                ("traptype", "item", "wiresnare"),
                                ("numberoftraps", "number", 3.0),
                                ("actiontakentraps", "item", "destroyed"),
                                ("trapstate", "item", "active"),
                            ],
                        ),
                        observation(
                            "animals.liveanimals.",
                            [
                                (
                                    "species",
                                    "item",
                                    "chordata_rl.mammalia_rl.carnivora_rl.felidae_rl."
                                    "panthera_rl.pantherapardus_rl15954.",
                                ),
                                ("numberofanimals", "number", 2.0),
                                ("seenalive", "boolean", True),
                            ],
                        ),
                    ],
                    [
                        observation(
                            "humanactivity.people.",
                            [
                                ("actiontakenpeople", "items", ["warned", "confiscated"]),
                                ("nameornames", "text", "И. Иванов"),
                                ("peoplearmed", "boolean", False),
                            ],
                        )
                    ],
                ],
            ),
            waypoint("2", (2000 + s, -1000), "12:30:00"),
        ],
        rest=15.0,
    )
    foot_day2 = day(
        "2026-03-03",
        "07:30:00",
        "12:00:00",
        [track([(2000 + s, 1000), (2000 + s, 3000), (0 + s, 3000)], datetime(2026, 3, 3, 7, 30))],
        [
            waypoint(
                "3",
                (2000 + s, 3000),
                "09:00:00",
                [
                    [
                        observation(
                            "nashi.kat7.",
                            [("skolko", "number", 2.0), ("zamet", "text", "петли у тропы")],
                        )
                    ]
                ],
            ),
            waypoint(
                "4",
                (1000 + s, 3000),
                "10:00:00",
                [
                    [
                        observation(
                            "animals.carcass.", [("causeofdeath", "item", "illegal.poisoning")]
                        )
                    ]
                ],
            ),
        ],
    )
    vehicle_day = day(
        "2026-03-04",
        "09:00:00",
        "10:00:00",
        [
            track(
                [(-6000 + s, 4000), (-1000 + s, 4000), (-1000 + s, 6000)],
                datetime(2026, 3, 4, 9),
                1200,
            )
        ],
        [
            waypoint(
                "5",
                (-1000 + s, 4000),
                "09:20:00",
                [[observation("position.", [("positiontype", "item", "stop")])]],
            )
        ],
    )
    ski_day = day(
        "2026-03-04",
        "10:30:00",
        "13:30:00",
        [
            track(
                [(-1000 + s, 6000), (-3000 + s, 6000), (-3000 + s, 8000)],
                datetime(2026, 3, 4, 10, 30),
                3600,
            )
        ],
    )
    legs = [
        leg(
            "1",
            "Foot",
            [member("Ivan", "Petrov", "E1", leader=True), member("Anna", "Sokolova", "E2")],
            [foot_day1, foot_day2],
            "2026-03-02",
            "2026-03-03",
        ),
        leg(
            "2",
            "Vehicle",
            [member("Oleg", "Kim", "E3", leader=True)],
            [vehicle_day],
            "2026-03-04",
            "2026-03-04",
        ),
        leg(
            "3",
            "Ski",
            [member("Oleg", "Kim", "E3", leader=True), member("Anna", "Sokolova", "E2")],
            [ski_day],
            "2026-03-04",
            "2026-03-04",
        ),
    ]
    return patrol_xml(patrol_id, legs, team=team)


DATAMODEL_RU = """<?xml version="1.0" encoding="UTF-8"?>
<DataModel xmlns="http://www.smartconservationsoftware.org/xml/1.1/datamodel">
  <languages><languages code="ru"/><languages code="en"/></languages>
  <attributes>
    <attribute key="skolko" isrequired="false" type="NUMERIC">
      <names language_code="ru" value="Количество"/>
    </attribute>
    <attribute key="sostoyanie" isrequired="false" type="LIST">
      <names language_code="ru" value="Состояние"/>
      <values key="s1"><names language_code="ru" value="Сработала"/></values>
      <values key="s2"><names language_code="ru" value="Активна"/></values>
    </attribute>
    <attribute key="zamet" isrequired="false" type="TEXT">
      <names language_code="ru" value="Заметки"/>
    </attribute>
  </attributes>
  <categories>
    <category key="nashi">
      <names language_code="ru" value="Наши категории"/>
      <category key="kat7">
        <names language_code="ru" value="Петли и капканы"/>
        <attribute attributeKey="skolko"/>
        <attribute attributeKey="sostoyanie"/>
        <attribute attributeKey="zamet"/>
      </category>
    </category>
    <category key="animals">
      <names language_code="en" value="Animals"/>
    </category>
  </categories>
</DataModel>
"""


def read_independently(data: bytes) -> dict:
    """Every patrol, leg, member, day, track point, waypoint, observation and attribute of a
    SMART patrol file, read with ElementTree alone (what the importer is compared against)."""
    root = ET.fromstring(data)

    def loc(tag):
        return tag.rsplit("}", 1)[-1]

    def kids(el, name):
        return [c for c in el if loc(c.tag) == name]

    out = {"id": root.get("id"), "team": kids(root, "team")[0].get("value"), "legs": []}
    for lg in kids(root, "legs"):
        leg_doc = {
            "id": lg.get("id"),
            "transport": kids(lg, "transportType")[0].get("value"),
            "members": [
                (m.get("givenName"), m.get("familyName"), m.get("isLeader"))
                for m in kids(lg, "members")
            ],
            "days": [],
        }
        for d in kids(lg, "days"):
            tracks = []
            for t in kids(d, "track"):
                raw = bytes.fromhex(t.get("geom"))
                (n_lines,) = struct.unpack(">I", raw[5:9])
                off = 9
                for _ in range(n_lines):
                    (n,) = struct.unpack(">I", raw[off + 5 : off + 9])
                    off += 9
                    pts = np.frombuffer(raw[off : off + 24 * n], dtype=">f8").reshape(n, 3)
                    tracks.append(pts.astype(float))
                    off += 24 * n
            waypoints = []
            for w in kids(d, "waypoints"):
                obs = []
                for g_index, g in enumerate(kids(w, "groups")):
                    for o in kids(g, "observations"):
                        attrs = []
                        for a in kids(o, "attributes"):
                            values = [(loc(v.tag), v.text) for v in a]
                            attrs.append((a.get("attributeKey"), values))
                        obs.append((g_index, o.get("categoryKey"), attrs))
                waypoints.append(
                    {
                        "id": w.get("id"),
                        "x": float(w.get("x")),
                        "y": float(w.get("y")),
                        "time": w.get("time"),
                        "observations": obs,
                    }
                )
            leg_doc["days"].append(
                {
                    "date": d.get("date"),
                    "start": d.get("startTime"),
                    "end": d.get("endTime"),
                    "tracks": tracks,
                    "waypoints": waypoints,
                }
            )
        out["legs"].append(leg_doc)
    return out
