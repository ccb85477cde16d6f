"""The days the map counts complete periods from: local today, first and latest patrol."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from patrol.services import periods
from patrol.store.models import ConservationArea
from tests.conftest import T0, make_report


def test_today_is_the_areas_and_patrol_days_are_local(client, world, session):
    area = session.get(ConservationArea, world.area_id)
    # 20:00 UTC on 31 December is already 1 January in Vladivostok (UTC+10).
    evening = datetime(2025, 12, 31, 20, 0, tzinfo=UTC)
    assert periods.area_days(session, area, evening) == {
        "today": date(2026, 1, 1),
        "first": None,
        "latest": None,
    }
    # 15:00 UTC on 6 March is 01:00 on 7 March there: the latest patrol's local day is the 7th.
    for start in (T0.replace(day=1), datetime(2026, 3, 6, 15, 0, tzinfo=UTC)):
        r = client.post(
            "/api/v1/patrols",
            data=json.dumps(make_report(start=start)),
            content_type="application/geo+json",
            headers=world.auth("coord"),
        )
        assert r.status_code == 201, r.get_json()
    session.rollback()  # a fresh read: the patrols came through another session
    days = periods.area_days(session, area, evening)
    assert (days["first"], days["latest"]) == (date(2026, 3, 1), date(2026, 3, 7))
