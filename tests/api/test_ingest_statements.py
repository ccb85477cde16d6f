"""The single-report path's reads folded into fewer statements answer as the separate ones did:
replays before any check of the unit, zones replaced while a report is measured, and the
statements a POST takes (a guard against one coming back unnoticed)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from patrol.store.models import EffortZone, Patrol, Unit, Zone
from tests.api.test_zones import halves
from tests.conftest import T0, make_report, row_counts

GEOJSON = "application/geo+json"


def post(client, world, report, who="ranger1", minimal=False):
    headers = world.auth(who) | ({"Prefer": "return=minimal"} if minimal else {})
    return client.post(
        "/api/v1/patrols", data=json.dumps(report), content_type=GEOJSON, headers=headers
    )


def _statements(app, monkeypatch) -> Counter:
    """The statements the app's engine executes from now on, by first word; a COPY (the
    effort rows on PostgreSQL) counted where it is sent."""
    from patrol.services import patrol_rows

    counts: Counter = Counter()

    def count(conn, cursor, statement, *args) -> None:
        counts[statement.split(None, 1)[0].upper()] += 1

    sa.event.listen(app.extensions["patrol.engine"], "before_cursor_execute", count)
    copy_rows = patrol_rows.copy_rows

    def counted_copy(conn, table, values) -> None:
        counts["COPY"] += 1
        copy_rows(conn, table, values)

    monkeypatch.setattr(patrol_rows, "copy_rows", counted_copy)
    return counts


def test_a_post_takes_nine_statements(app, client, world, monkeypatch):
    """Token, the unit with its area and the id, the zones; inside the write the id and the
    zones version, then patrol, track, cells, zones and the audit event."""
    assert post(client, world, make_report(finds=()), minimal=True).status_code == 201
    counts = _statements(app, monkeypatch)
    report = make_report(finds=(), start=T0 + timedelta(days=2))
    r = post(client, world, report, minimal=True)
    assert r.status_code == 201
    assert counts["SELECT"] == 4
    assert counts["INSERT"] + counts["COPY"] == 5
    assert counts["UPDATE"] == counts["DELETE"] == 0
    counts.clear()
    again = post(client, world, report, minimal=True)
    assert again.status_code == 200 and again.get_json() == r.get_json()
    # A replay: the unit and id in one SELECT, then the stored patrol; nothing written.
    assert counts["INSERT"] + counts["COPY"] == 0


def test_replays_answer_before_the_unit_is_checked(app, client, world, session):
    """A replay is the stored patrol even when its unit was retired or renamed since (the
    folded SELECT finds no unit of that code, or an inactive one); a new report is refused."""
    report = make_report(finds=())
    first = post(client, world, report, minimal=True)
    assert first.status_code == 201
    unit = session.scalar(sa.select(Unit).where(Unit.code == "T-01"))
    unit.active = False
    session.commit()
    again = post(client, world, report, minimal=True)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    fresh = post(client, world, make_report(finds=(), start=T0 + timedelta(days=2)))
    assert fresh.status_code == 422
    assert "retired" in json.dumps(fresh.get_json())
    unit.code, unit.active = "T-09", True
    session.commit()
    again = post(client, world, report, who="coord", minimal=True)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    before = row_counts(app)
    changed = make_report(finds=())
    changed["features"][0]["id"] = report["features"][0]["id"]
    changed["features"][0]["properties"]["leader"] = "someone else"
    assert post(client, world, changed, who="coord").status_code == 409
    assert row_counts(app) == before


def test_zones_replaced_while_measuring(app, world, session, monkeypatch):
    """The zones version read inside the write (with the id, in one SELECT) tells that the
    zones changed after the report was measured: its zone effort is measured again."""
    from patrol.geo.geojson_report import parse_geojson_report
    from patrol.services import areas, patrols
    from patrol.services.patrols import ingest_report
    from patrol.store.models import ConservationArea

    measure_report = patrols.measure_report

    def measure_then_replace(report, context, margin_km):
        measured = measure_report(report, context, margin_km)
        other = app.extensions["patrol.sessions"]()
        try:
            areas.replace_zones(other, other.get(ConservationArea, world.area_id), halves())
        finally:
            other.close()
        return measured

    monkeypatch.setattr(patrols, "measure_report", measure_then_replace)
    report = parse_geojson_report(make_report(xy_m=((-4000, 1000), (4000, 1000)), finds=()))
    result = ingest_report(session, None, report)
    assert result.created
    session.rollback()
    codes = dict(session.execute(sa.select(Zone.id, Zone.code)).all())
    stored = session.execute(
        sa.select(EffortZone.zone_id, EffortZone.effort_km)
        .join(Patrol, Patrol.id == EffortZone.patrol_id)
        .where(Patrol.uuid == report.id)
    ).all()
    assert {codes[z] for z, _ in stored} == {"W", "E"}
    assert abs(sum(km for _, km in stored) - result.patrol.distance_km) < 1e-6


def test_a_copy_error_is_raised_as_sqlalchemy_raises_an_insert_error(app, session):
    """On PostgreSQL the effort rows go by COPY, past SQLAlchemy: a violated constraint must
    still reach the callers as an IntegrityError (ingest answers a racing report from it), and
    the session stay usable. On SQLite the rows go by INSERT; the same error either way."""
    from patrol.services.patrol_rows import copy_rows
    from patrol.store.models import EffortCell

    row = {"patrol_id": 999_999, "ix": 1, "iy": 2, "effort_km": 0.5, "effort_h": 0.1}
    conn = session.connection()
    with pytest.raises(sa.exc.IntegrityError):
        if conn.dialect.name == "postgresql":
            copy_rows(conn, EffortCell.__table__, [row])
        else:
            conn.execute(sa.insert(EffortCell.__table__), [row])
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(EffortCell)) == 0
