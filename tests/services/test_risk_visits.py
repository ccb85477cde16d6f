"""The prediction's visits when a patrol comes back between the three statements that read them.

``risk_visits`` reads patrols, effort rows and finds in separate statements; on PostgreSQL
(read committed) each sees the commits made before it. The race is made deterministic here:
the effort statement is preceded by a restore (an UPDATE in the reading session, which the
following statements see, as they would see another request's commit)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from patrol.services import month_figures, risk_visits
from patrol.services.area_grid import area_cells, area_grid
from patrol.services.risk_visits import load_visits
from patrol.store.models import ConservationArea, EffortCell, Patrol
from tests.conftest import T0, make_report

FROM, UNTIL = date(2025, 12, 1), date(2026, 5, 31)


@pytest.fixture
def patrols(client, world):
    """Six patrols on foot (their uuids), twenty days apart (one or two a month), ids rising
    with the day; the second (the next id starts in another month) and the last (the highest
    id) deleted."""
    ids = []
    for k in range(6):
        day = date(2026, 1, 5) + timedelta(days=20 * k)
        report = make_report(start=T0.replace(year=day.year, month=day.month, day=day.day))
        r = client.post(
            "/api/v1/patrols",
            data=json.dumps(report),
            content_type="application/geo+json",
            headers=world.auth("coord"),
        )
        assert r.status_code == 201, r.get_json()
        ids.append(r.get_json()["id"])
    for pid in (ids[1], ids[-1]):
        r = client.delete(f"/api/v1/patrols/{pid}?revision=1", headers=world.auth("coord"))
        assert r.status_code == 200, r.get_json()
    return ids


def _load(session, area):
    ix, iy, *_ = area_cells(area, area_grid(area))
    return load_visits(session, area, FROM, UNTIL, ix, iy)


def _stored_days(session) -> dict[int, int]:
    """Each patrol's local start day (days since 1970) and its effort rows' patrols, read
    straight from the tables."""
    rows = session.execute(sa.select(Patrol.id, Patrol.start_date)).all()
    return {pid: int(np.datetime64(day, "D").astype(np.int64)) for pid, day in rows}


def _with_effort(session) -> set[int]:
    live = sa.select(EffortCell.patrol_id).join(Patrol, Patrol.id == EffortCell.patrol_id)
    return set(session.scalars(live.where(Patrol.deleted_at.is_(None))))


@pytest.mark.parametrize("which", [1, -1], ids=["restored-old-id", "restored-highest-id"])
def test_a_patrol_restored_between_the_statements_is_never_another_patrols(
    session, world, patrols, monkeypatch, which
):
    area = session.get(ConservationArea, world.area_id)
    month_figures.clear()
    before = _load(session, area)  # what the patrols statement sees: the patrol deleted
    by_uuid = {u: i for u, i in session.execute(sa.select(Patrol.uuid, Patrol.id))}
    ids = [by_uuid[u] for u in patrols]
    assert ids == sorted(ids)
    restored = ids[which]
    assert set(before.patrol_id.tolist()) == _with_effort(session) != set()
    assert before.visits.snares.sum() > 0
    effort_query = risk_visits._effort_query

    def restore_first(*args):  # the restore commits after the patrols were read
        session.execute(sa.update(Patrol).where(Patrol.id == restored).values(deleted_at=None))
        return effort_query(*args)

    month_figures.clear()
    with monkeypatch.context() as m:
        m.setattr(risk_visits, "_effort_query", restore_first)
        raced = _load(session, area)  # before the fix: IndexError, or its visits misfiled
    # Its rows are left out, not given to the patrol with the next id (nor its month).
    assert restored not in raced.patrol_id.tolist()
    days = _stored_days(session)
    assert raced.start_day.tolist() == [days[p] for p in raced.patrol_id.tolist()]
    for name in ("cell", "t_days", "effort_km", "snares"):
        assert np.array_equal(getattr(raced.visits, name), getattr(before.visits, name)), name
    assert np.array_equal(raced.patrol_id, before.patrol_id)

    # Next answer: the restored patrol's month moved and is read again; the other months,
    # kept under unchanged fingerprints, do not count its visits a second time.
    kept = _load(session, area)
    month_figures.clear()
    fresh = _load(session, area)
    assert restored in fresh.patrol_id.tolist()
    assert set(fresh.patrol_id.tolist()) == _with_effort(session)
    assert np.array_equal(kept.patrol_id, fresh.patrol_id)
    assert np.array_equal(kept.start_day, fresh.start_day)
    for name in ("cell", "t_days", "effort_km", "snares"):
        assert np.array_equal(getattr(kept.visits, name), getattr(fresh.visits, name)), name
    session.rollback()


def test_rows_of_a_patrol_not_read_or_read_in_another_month_are_left_out():
    """Two months; patrol 10 read in January, 20 in February. Rows of patrol 15 (not read),
    30 (past every id read) and 20 with its own month March (moved after the patrols were
    read) are left out; the others go to their own patrol's month."""
    jan, feb = (int(np.datetime64(d, "D").astype(np.int64)) for d in ("2026-01-03", "2026-02-07"))
    rows = {
        "s_pid": np.array([20, 10]),
        "s_t": np.array([feb + 0.25, jan + 0.25]),
        "s_day": np.array([feb, jan]),
        "e_pid": np.array([10, 15, 20, 30, 20, 10]),
        "e_pos": np.array([0, 1, 2, 3, 4, -1]),
        "e_km": np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
        "f_pid": np.array([15, 20, 30]),
        "f_pos": np.array([1, 2, 3]),
        "f_snares": np.array([1.0, 2.0, 3.0]),
        "f_sq": np.array([1.0, 4.0, 9.0]),
    }
    own = {"e": np.array([202601, 202601, 202603, 202602, 202602, 202601])}
    own["f"] = np.array([202601, 202602, 202602])
    out = risk_visits._by_month(rows, own, date(2026, 1, 1), date(2026, 3, 1))
    assert len(out) == 2
    assert out[0]["s_pid"].tolist() == [10] and out[1]["s_pid"].tolist() == [20]
    assert out[0]["e_pid"].tolist() == [10] and out[0]["e_km"].tolist() == [1.0]
    assert out[1]["e_pid"].tolist() == [20] and out[1]["e_km"].tolist() == [5.0]
    assert out[0]["f_pid"].tolist() == []
    assert out[1]["f_pid"].tolist() == [20] and out[1]["f_snares"].tolist() == [2.0]
