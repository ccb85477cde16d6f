"""Give a bench database's routes of one year the density of real tracks (issue 15, item 4).

The demo simulates a GPS fix a minute (~215 vertices a patrol); a real park-year is ~2,000 a
patrol (a fix every few seconds), and a page of 1,000 such routes is ~47 MB of GeoJSON. This
rewrites the stored routes (and vertex times) of the patrols that started in ``year`` with
``factor`` times the vertices: each recorded segment cut into ``factor`` pieces, the new
fixes moved by up to ~1 m (seeded) so that simplifying them keeps some, as it would real
ones. Figures (effort rows, distances) are left as they are: this is for the memory and
size of map answers (``hotspot_bench.py --worker``), not for figures.

    python bench/dense_routes.py sqlite:///…/bench.sqlite3 [year] [factor]
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import numpy as np
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patrol.geo import packed_route
from patrol.store.engine import make_engine
from patrol.store.models import Patrol, PatrolTrack


def densify(part: np.ndarray, factor: int, rng: np.random.Generator) -> np.ndarray:
    """``part`` (n × k) with ``factor - 1`` fixes between each two, the new ones jittered."""
    if len(part) < 2:
        return part
    t = np.arange(factor) / factor
    a, b = part[:-1, None, :], part[1:, None, :]
    inner = (a + (b - a) * t[None, :, None]).reshape(-1, part.shape[1])
    jitter = rng.uniform(-1e-5, 1e-5, size=inner.shape)
    jitter[::factor] = 0.0  # the recorded fixes stay where they were
    return np.vstack([np.round(inner + jitter, 7), part[-1:]])


def main() -> None:
    url = sys.argv[1]
    year = int(sys.argv[2]) if len(sys.argv) > 2 else 2025
    factor = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    rng = np.random.default_rng(15)
    engine = make_engine(url)
    with engine.begin() as conn:
        rows = conn.execute(
            sa.select(PatrolTrack.patrol_id, PatrolTrack.route_packed, PatrolTrack.times_packed)
            .join(Patrol, Patrol.id == PatrolTrack.patrol_id)
            .where(Patrol.start_date >= date(year, 1, 1), Patrol.start_date < date(year + 1, 1, 1))
        ).all()
        vertices = 0
        for patrol_id, route, times in rows:
            parts = [densify(p, factor, rng) for p in packed_route.unpack_route(route)]
            n = sum(len(p) for p in parts)
            vertices += n
            new_times = None
            if times is not None:
                new_times = [
                    np.interp(np.linspace(0, len(t) - 1, len(p)), np.arange(len(t)), t).tolist()
                    for t, p in zip(packed_route.unpack_times(times), parts, strict=True)
                ]
            conn.execute(
                sa.update(PatrolTrack)
                .where(PatrolTrack.patrol_id == patrol_id)
                .values(
                    route_packed=packed_route.pack_route(parts),
                    times_packed=packed_route.pack_times(new_times),
                )
            )
            conn.execute(sa.update(Patrol).where(Patrol.id == patrol_id).values(vertex_count=n))
    print(f"{len(rows):,} routes of {year} rewritten: {vertices:,} vertices")


if __name__ == "__main__":
    main()
