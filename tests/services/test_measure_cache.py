"""The area context is projected once per version of the area's geometry, never reused
for another (patrol/services/measure.py)."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from patrol.services.measure import AreaContext
from patrol.store.models import ConservationArea, Zone
from tests.conftest import CX, CY, square


def test_same_geometry_same_context_changed_zone_new_one(app, world):
    from patrol.db import get_session

    with app.app_context():
        s = get_session()
        area = s.get(ConservationArea, world.area_id)
        first = AreaContext.load(s, area)
        assert AreaContext.load(s, area) is first
        # The same ids with another polygon (as another test database, or an edit, would
        # have): a point the old zone held is now in none.
        zone = s.scalars(sa.select(Zone).where(Zone.area_id == area.id).order_by(Zone.id)).first()
        old = first.zone_of(*_inside(first, zone.id))
        assert old == [zone.id]
        zone.geometry = square(CX + 100_000, CY, 10.0)
        s.flush()
        second = AreaContext.load(s, area)
        assert second is not first
        assert second.zone_of(*_inside(first, zone.id)) == [None]
        s.rollback()


def _inside(context: AreaContext, zone_id: int) -> tuple[np.ndarray, np.ndarray]:
    """A metric point inside the zone ``zone_id`` of ``context``."""
    k = int(np.flatnonzero(context.zone_ids == zone_id)[0])
    point = context.zones_m[k].representative_point()
    return np.array([point.x]), np.array([point.y])
