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


def test_threads_share_a_context_and_agree(app, world):
    """Requests of one area measure with one shared context at once. GEOS builds a prepared
    geometry's indexes lazily and not thread-safely, so a fresh context used by many threads
    crashed the process; under the context's lock every thread gets the figures one thread
    alone gets."""
    import threading

    from patrol.db import get_session
    from patrol.geo.effort import Segments
    from patrol.services import measure

    rng = np.random.default_rng(7)
    with app.app_context():
        s = get_session()
        area = s.get(ConservationArea, world.area_id)
        reference = AreaContext.load(s, area)
        minx, miny, maxx, maxy = shapely_bounds(reference)
        n = 400
        x = rng.uniform(minx, maxx, (n, 2))
        y = rng.uniform(miny, maxy, (n, 2))
        segments = Segments(x[:, 0], y[:, 0], x[:, 1], y[:, 1], np.ones(n), np.ones(n))
        expected = measure.measure_segments(segments, 1.0, 1.0, reference).zones
        px, py = x[:, 0], y[:, 0]
        expected_zones = reference.zone_of(px, py)
        for _ in range(5):
            with measure._CACHE_LOCK:
                measure._CACHE.clear()
            shared = AreaContext.load(s, area)  # fresh: its prepared indexes not built yet
            start = threading.Barrier(8)
            results: list = []

            def work(
                context: AreaContext = shared,
                barrier: threading.Barrier = start,
                out: list = results,
            ) -> None:
                barrier.wait()
                zones = measure.measure_segments(segments, 1.0, 1.0, context).zones
                out.append((zones, context.zone_of(px, py)))

            threads = [threading.Thread(target=work) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert len(results) == 8
            for zones, zone_ids in results:
                np.testing.assert_array_equal(zones.zone, expected.zone)
                np.testing.assert_allclose(zones.km, expected.km)
                assert zone_ids == expected_zones


def shapely_bounds(context: AreaContext) -> tuple[float, float, float, float]:
    import shapely

    return tuple(shapely.total_bounds(context.zones_m))
