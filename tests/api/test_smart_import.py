"""SMART patrol XML through POST /api/v1/patrols: legs as patrols, observations, snare finds,
idempotency by SMART id, team to unit, bulk uploads, and bad input storing nothing."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import sqlalchemy as sa

from patrol.geo.packed_route import unpack_route, unpack_times
from patrol.geo.projection import GEOD
from patrol.store.models import (
    AuditEvent,
    EffortCell,
    Observation,
    ObservationAttribute,
    Patrol,
    SmartLeg,
    SmartPatrol,
    SnareFind,
)
from tests.conftest import row_counts
from tests.smart_files import read_independently, standard_patrol

VLAD = ZoneInfo("Asia/Vladivostok")


def post_xml(client, world, data: bytes, who: str = "coord", query: str = "?unit=T-01"):
    return client.post(
        f"/api/v1/patrols{query}",
        data=data,
        content_type="application/xml",
        headers=world.auth(who),
    )


def set_teams(app, teams: dict[str, str]) -> None:
    from patrol.db import get_session
    from patrol.services import smart
    from patrol.store.models import ConservationArea

    with app.app_context():
        s = get_session()
        area = s.scalar(sa.select(ConservationArea).where(ConservationArea.slug == "test-area"))
        smart.set_area_map(s, None, area, {"teams": teams})


def test_standard_file_item_by_item(client, world, session):
    data = standard_patrol()
    r = post_xml(client, world, data)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "stored" and body["smart_id"] == "SMART_000101-001"
    assert [p["transport"] for p in body["patrols"]] == ["foot", "vehicle", "ski"]
    assert r.headers["Location"].endswith(body["patrols"][0]["id"])

    truth = read_independently(data)
    links = session.scalars(sa.select(SmartLeg).order_by(SmartLeg.leg_index)).all()
    assert len(links) == len(truth["legs"]) == 3
    for link, leg in zip(links, truth["legs"], strict=True):
        patrol = link.patrol
        assert patrol.source_format == "smart"
        leader = next(f"{g} {f}" for g, f, lead in leg["members"] if lead == "true")
        assert patrol.leader == leader
        assert patrol.members == [f"{g} {f}" for g, f, lead in leg["members"] if lead != "true"]
        # Every track point, in order: coordinates to 7 decimals, times from the Z values
        # (the park's wall clock) in the area's time zone.
        route = [p.tolist() for p in unpack_route(patrol.route_packed)]
        times = [t.tolist() for t in unpack_times(patrol.times_packed)]
        lines = [t for d in leg["days"] for t in d["tracks"]]
        assert len(route) == len(lines)
        for part, part_times, line in zip(route, times, lines, strict=True):
            np.testing.assert_allclose(np.array(part), line[:, :2], atol=5e-8)
            expected = [
                datetime.fromtimestamp(z / 1000, UTC).replace(tzinfo=VLAD).timestamp()
                for z in line[:, 2]
            ]
            np.testing.assert_allclose(part_times, expected, atol=1e-3)
        length_km = sum(GEOD.line_length(ln[:, 0], ln[:, 1]) for ln in lines) / 1000
        # Measured on coordinates stored to 7 decimals (about 1 cm).
        assert patrol.distance_km == pytest.approx(length_km, abs=1e-4)
        # Every waypoint's observations and attributes, typed.
        stored = session.scalars(
            sa.select(Observation)
            .where(Observation.patrol_id == patrol.id)
            .order_by(Observation.day_index, Observation.waypoint_index, Observation.position)
        ).all()
        expected_obs = [
            (d_i, w, o)
            for d_i, d in enumerate(leg["days"])
            for w in d["waypoints"]
            for o in w["observations"]
        ]
        assert len(stored) == len(expected_obs)
        for obs, (d_i, w, (group, key, attrs)) in zip(stored, expected_obs, strict=True):
            assert obs.category_key == key
            assert obs.group_index == group and obs.waypoint_id == w["id"]
            assert (obs.lon, obs.lat) == (w["x"], w["y"])
            clock = datetime.fromisoformat(f"{leg['days'][d_i]['date']}T{w['time']}")
            assert obs.observed_at == clock.replace(tzinfo=VLAD).astimezone(UTC)
            rows = session.scalars(
                sa.select(ObservationAttribute)
                .where(ObservationAttribute.observation_id == obs.id)
                .order_by(ObservationAttribute.position)
            ).all()
            assert [a.key for a in rows] == [k for k, _ in attrs]
            for row, (_, values) in zip(rows, attrs, strict=True):
                tags = {t for t, _ in values}
                if tags == {"itemKey"}:
                    assert row.items == [v for _, v in values]
                    assert row.kind == ("item" if len(values) == 1 else "items")
                elif tags == {"dValue"}:
                    assert row.kind == "number" and row.number_value == float(values[0][1])
                elif tags == {"bValue"}:
                    assert row.kind == "boolean" and row.bool_value == (values[0][1] == "true")
                else:
                    assert row.kind == "text" and row.text_value == values[0][1]
    # The trap observation became a snare find too (by the default map), linked both ways.
    find = session.scalar(sa.select(SnareFind))
    assert (find.type, find.count, find.state, find.action) == ("wire", 3, "active", "destroyed")
    trap = session.scalar(sa.select(Observation).where(Observation.snare_find_uuid == find.uuid))
    assert trap.category_key == "humanactivity.weaponsequipment.trap."
    assert session.scalar(sa.select(sa.func.count()).select_from(SnareFind)) == 1
    # The default rule is stated as a warning naming the category.
    assert any("humanactivity.weaponsequipment.trap" in w["detail"] for w in body["warnings"])


def test_effort_by_transport(client, world, session):
    """Foot and ski legs are search effort; the vehicle leg is stored but not counted."""
    r = post_xml(client, world, standard_patrol())
    assert r.status_code == 201, r.get_json()
    by_transport = dict(
        session.execute(
            sa.select(Patrol.transport, sa.func.sum(Patrol.distance_km)).group_by(Patrol.transport)
        ).all()
    )
    assert set(by_transport) == {"foot", "vehicle", "ski"}
    z = client.get(
        "/api/v1/zones/stats?from=2026-03-01&to=2026-03-31", headers=world.auth("coord")
    ).get_json()
    effort = sum(f["properties"]["effort_km"] for f in z["features"])
    cells = session.scalar(
        sa.select(sa.func.sum(EffortCell.effort_km))
        .join(Patrol)
        .where(Patrol.transport.in_(["foot", "ski"]))
    )
    assert effort == pytest.approx(cells, rel=1e-3)
    assert effort < sum(by_transport.values()) - by_transport["vehicle"] * 0.5


def test_replay_conflict_and_update(client, world, session):
    data = standard_patrol()
    assert post_xml(client, world, data).status_code == 201
    counts = row_counts(client.application)
    again = post_xml(client, world, data)
    assert again.status_code == 200 and again.get_json()["status"] == "replayed"
    assert row_counts(client.application) == counts
    changed = data.replace(b"<ns2:comment>ok</ns2:comment>", b"<ns2:comment>fixed</ns2:comment>")
    conflict = post_xml(client, world, changed)
    assert conflict.status_code == 409
    assert conflict.mimetype == "application/problem+json"
    assert "--update" in conflict.get_json()["detail"]
    assert row_counts(client.application) == counts
    # A ranger may not replace; a coordinator may, and it is audited with a new revision.
    assert post_xml(client, world, changed, "ranger1", "?unit=T-01&update=true").status_code == 403
    updated = post_xml(client, world, changed, "coord", "?unit=T-01&update=true")
    assert updated.status_code == 201 and updated.get_json()["status"] == "updated"
    session.rollback()
    row = session.scalar(sa.select(SmartPatrol))
    assert row.revision == 2 and row.doc["comment"] == "fixed"
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 3
    assert {p.revision for p in session.scalars(sa.select(Patrol))} == {2}
    event = session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.entity == "smart_patrol", AuditEvent.action == "update"
        )
    )
    assert event.before["revision"] == 1
    assert event.after["revision"] == 2


def test_team_map_and_unmapped_team(client, world, app, session):
    data = standard_patrol(team="Team East")
    r = post_xml(client, world, data, query="")
    assert r.status_code == 422
    error = r.get_json()["errors"][0]
    assert error["pointer"] == "/patrol/team" and "Team East" in error["detail"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Patrol)) == 0
    set_teams(app, {"Team East": "T-02"})
    r = post_xml(client, world, data, query="")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["unit"] == "T-02"
    session.rollback()
    assert {p.unit.code for p in session.scalars(sa.select(Patrol))} == {"T-02"}


def test_rangers_import_for_their_unit_only(client, world):
    assert post_xml(client, world, standard_patrol(), "ranger2").status_code == 403
    assert post_xml(client, world, standard_patrol(), "ngo").status_code == 403
    assert post_xml(client, world, standard_patrol(), "ranger1").status_code == 201


def test_bulk_multipart_reports_each_file(client, world, session):
    good = standard_patrol("SMART_A")
    other = standard_patrol("SMART_B", shift=500)
    bad = standard_patrol("SMART_C").replace(b'x="', b'x="east', 1)
    broken = b"<ns2:patrol"
    r = client.post(
        "/api/v1/patrols",
        data={
            "unit": "T-01",
            "file": [
                (io.BytesIO(good), "a.xml"),
                (io.BytesIO(bad), "c.xml"),
                (io.BytesIO(broken), "d.xml"),
                (io.BytesIO(other), "b.xml"),
            ],
        },
        content_type="multipart/form-data",
        headers=world.auth("coord"),
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["totals"] == {
        "stored": 2,
        "replayed": 0,
        "updated": 0,
        "rejected": 1,
        "files_rejected": 1,
    }
    by_file = {f["file"]: f for f in body["files"]}
    assert by_file["c.xml"]["patrols"][0]["status"] == "rejected"
    pointers = [e["pointer"] for e in by_file["c.xml"]["patrols"][0]["problem"]["errors"]]
    assert pointers == ["/patrol/legs/leg[1]/days/day[1]/waypoints/waypoint[1]/@x"]
    assert by_file["d.xml"]["problem"]["status"] == 400
    assert [p["status"] for p in by_file["b.xml"]["patrols"]] == ["stored"]
    smart_ids = set(session.scalars(sa.select(SmartPatrol.smart_id)))
    assert smart_ids == {"SMART_A", "SMART_B"}


def test_bulk_all_rejected_is_a_problem(client, world, app):
    before = row_counts(app)
    r = client.post(
        "/api/v1/patrols?unit=T-01",
        data={"file": [(io.BytesIO(b"<x/>"), "a.xml"), (io.BytesIO(b"<y"), "b.xml")]},
        content_type="multipart/form-data",
        headers=world.auth("coord"),
    )
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert r.get_json()["totals"]["files_rejected"] == 2
    assert row_counts(app) == before


@pytest.mark.parametrize(
    ("mutate", "pointer"),
    [
        (
            lambda d: d.replace(b'geom="00', b'geom="zz', 1),
            "/patrol/legs/leg[1]/days/day[1]/track/@geom",
        ),
        (
            lambda d: d.replace(b'date="2026-03-03"', b'date="3 March"', 1),
            "/patrol/legs/leg[1]/days/day[2]/@date",
        ),
        (
            lambda d: d.replace(b"<ns2:dValue>3.0</ns2:dValue>", b"<ns2:dValue>three</ns2:dValue>"),
            "/patrol/legs/leg[1]/days/day[1]/waypoints/waypoint[1]/groups/group[1]"
            "/observations/observation[1]/attributes/attribute[2]/dValue",
        ),
        (
            lambda d: d.replace(b'time="09:20:00"', b'time="23:59:00"'),
            "/patrol/legs/leg[2]/days/day[1]/waypoints/waypoint[1]/@time",
        ),
        (lambda d: d.replace(b' id="SMART_000101-001"', b""), "/patrol/@id"),
    ],
)
def test_bad_input_names_the_place_and_stores_nothing(client, world, app, mutate, pointer):
    before = row_counts(app)
    r = post_xml(client, world, mutate(standard_patrol()))
    assert r.status_code == 422, r.get_json()
    assert r.mimetype == "application/problem+json"
    assert pointer in [e["pointer"] for e in r.get_json()["errors"]]
    assert row_counts(app) == before


def test_a_patrol_outside_every_area(client, world, app):
    before = row_counts(app)
    far = standard_patrol(shift=400_000)
    r = post_xml(client, world, far, query="")
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["pointer"] == "/patrol/legs"
    r = post_xml(client, world, far)
    assert r.status_code == 422
    assert "outside" in r.get_json()["errors"][0]["detail"]
    assert row_counts(app) == before


def test_patrol_answer_carries_observations(client, world):
    body = post_xml(client, world, standard_patrol()).get_json()
    foot = body["patrols"][0]["id"]
    doc = client.get(f"/api/v1/patrols/{foot}", headers=world.auth("coord")).get_json()
    assert doc["features"][0]["properties"]["source_format"] == "smart"
    assert doc["smart"] == {"id": "SMART_000101-001", "revision": 1, "leg": 1}
    categories = [o["properties"]["category"] for o in doc["observations"]]
    assert categories == [
        "humanactivity.weaponsequipment.trap.",
        "animals.liveanimals.",
        "humanactivity.people.",
        "nashi.kat7.",
        "animals.carcass.",
    ]
    people = doc["observations"][2]["properties"]["attributes"]
    assert people[0] == {
        "key": "actiontakenpeople",
        "type": "items",
        "value": ["warned", "confiscated"],
    }
    assert people[2] == {"key": "peoplearmed", "type": "boolean", "value": False}


def test_hostile_xml_is_refused_over_http(client, world, app):
    before = row_counts(app)
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol9 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<ns2:patrol xmlns:ns2="http://www.smartconservationsoftware.org/xml/1.3/patrol" '
        b'id="x">&lol9;</ns2:patrol>'
    )
    r = post_xml(client, world, bomb)
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    assert "DTD" in r.get_json()["detail"]
    assert row_counts(app) == before
