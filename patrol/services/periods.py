"""The days the map's complete periods are counted from: an area's local today and its data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.store.models import ConservationArea, Patrol

__all__ = ["area_days"]


def area_days(
    session: so.Session, area: ConservationArea, now: datetime | None = None
) -> dict[str, date | None]:
    """``today`` in the area's time zone (a period is complete only when it ended before it),
    and the local days of the area's first and latest patrol (None without patrols), so the
    page can say a period has no patrols and bound its month slider without asking the API."""
    first, latest = session.execute(
        sa.select(sa.func.min(Patrol.start_date), sa.func.max(Patrol.start_date)).where(
            Patrol.area_id == area.id, Patrol.deleted_at.is_(None)
        )
    ).one()
    today = (now or datetime.now(UTC)).astimezone(ZoneInfo(area.timezone)).date()
    return {"today": today, "first": first, "latest": latest}
