"""Shared fixtures: an app per test on SQLite (always) and PostgreSQL (when configured).

PATROL_TEST_DATABASE_URL names a PostgreSQL server database to connect through; the suite
creates its own database there with a unique name, migrates it, and drops it at the end.
"""

from __future__ import annotations

import gc
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from patrol import create_app
from patrol.geo.projection import to_metric, to_wgs84, utm_epsg
from patrol.store import upgrade
from patrol.store.models import Base

PG_URL = os.environ.get("PATROL_TEST_DATABASE_URL")


@pytest.fixture(autouse=True)
def _nothing_left_frozen():
    """A test that runs a command in this process (``cli init`` with the environment's
    settings) makes the process's own app, which ``create_app`` freezes out of collections
    (patrol/app.py): unfrozen again after the test, or the suite would keep every cycle
    alive at that moment for the rest of the session."""
    frozen = gc.get_freeze_count()
    yield
    if gc.get_freeze_count() > frozen:
        gc.unfreeze()


BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])

# The test area: a 20 km square in southern Primorsky Krai, four quadrant zones.
AREA_CENTER = (131.30, 43.20)
EPSG = utm_epsg(*AREA_CENTER)
CX, CY = (
    float(v[0]) for v in to_metric(np.array([AREA_CENTER[0]]), np.array([AREA_CENTER[1]]), EPSG)
)
HALF_M = 10_000.0
OTHER_CENTER = (132.60, 44.10)


def _pg_database(name: str) -> str:
    url = make_url(PG_URL).set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _pg_drop(name: str) -> None:
    engine = sa.create_engine(
        make_url(PG_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A migrated database for the session, on each backend in turn."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'patrol.sqlite3'}"
        upgrade(url)
        yield url
        return
    name = f"patrol_test_{uuid.uuid4().hex[:12]}"
    url = _pg_database(name)
    try:
        upgrade(url)
        yield url
    finally:
        _pg_drop(name)


def _wipe(engine: sa.Engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # A connection some thread of the test left behind (a request or a job runner) must
            # not deadlock the TRUNCATE: end them first, this database is the test's own.
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(
        {
            "ENV": "testing",
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
            "MAX_ROUTE_VERTICES": 50_000,
        }
    )
    app.instance_path = str(tmp_path)
    yield app
    engine = app.extensions["patrol.engine"]
    _wipe(engine)
    engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    """A session of the test's own, outside any app context (requests get theirs).

    Its snapshot starts at its first read: roll it back to see what a request committed since.
    """
    s = app.extensions["patrol.sessions"]()
    yield s
    s.close()


def rect(x0: float, y0: float, x1: float, y1: float, epsg: int = EPSG, n: int = 20) -> dict:
    """A metric rectangle as a WGS84 GeoJSON Polygon, edges densified so it stays straight."""
    t = np.linspace(0, 1, n, endpoint=False)
    xs = np.concatenate([x0 + (x1 - x0) * t, np.full(n, x1), x1 - (x1 - x0) * t, np.full(n, x0)])
    ys = np.concatenate([np.full(n, y0), y0 + (y1 - y0) * t, np.full(n, y1), y1 - (y1 - y0) * t])
    lon, lat = to_wgs84(xs, ys, epsg)
    ring = np.column_stack([lon, lat]).tolist()
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def square(cx: float, cy: float, half: float, epsg: int = EPSG, n: int = 20) -> dict:
    return rect(cx - half, cy - half, cx + half, cy + half, epsg, n)


def quadrant_zones() -> dict:
    h = HALF_M / 2
    feats = []
    for code, dx, dy in (("SW", -h, -h), ("SE", h, -h), ("NW", -h, h), ("NE", h, h)):
        feats.append(
            {
                "type": "Feature",
                "properties": {"code": code, "name": f"Zone {code}"},
                "geometry": square(CX + dx, CY + dy, h, n=10),
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def lonlat(x, y, epsg: int = EPSG) -> list[list[float]]:
    """Metric offsets from the test area's centre to WGS84 positions."""
    lon, lat = to_wgs84(CX + np.asarray(x, float), CY + np.asarray(y, float), epsg)
    return np.column_stack([lon, lat]).tolist()


@dataclass
class World:
    """The test world: two areas, units, one user and token per role."""

    area_id: int
    other_area_id: int
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def world(app) -> World:
    return make_world(app)


def make_world(app) -> World:
    """The test world in ``app``'s database (the ``world`` fixture, for tests with own apps)."""
    from patrol.db import get_session
    from patrol.services import areas, auth

    with app.app_context():
        s = get_session()
        area = areas.create_area(
            s, "test-area", "Test area", square(CX, CY, HALF_M), timezone="Asia/Vladivostok"
        )
        ox, oy = (
            float(v[0])
            for v in to_metric(np.array([OTHER_CENTER[0]]), np.array([OTHER_CENTER[1]]), EPSG)
        )
        other = areas.create_area(s, "other-area", "Other area", square(ox, oy, 5000.0))
        s.commit()
        areas.replace_zones(s, area, quadrant_zones())
        base = lonlat([0], [0])[0]
        areas.import_units(
            s,
            area,
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": base},
                        "properties": {"code": code, "name": code},
                    }
                    for code in ("T-01", "T-02")
                ],
            },
        )
        areas.import_units(
            s,
            other,
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": None,
                        "properties": {"code": "O-01", "name": "O"},
                    }
                ],
            },
        )
        w = World(area.id, other.id)
        for username, role, unit, slugs in (
            ("admin", "admin", None, []),
            ("coord", "coordinator", None, ["test-area"]),
            ("ngo", "ngo", None, ["test-area"]),
            ("ranger1", "ranger", "T-01", []),
            ("ranger2", "ranger", "T-02", []),
            ("coord_other", "coordinator", None, ["other-area"]),
            ("ranger_other", "ranger", "O-01", []),
        ):
            auth.create_user(s, username, role, None, unit, slugs)
            _, w.tokens[username] = auth.create_token(s, username)
        s.commit()
    return w


T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def make_report(
    xy_m=((-2000, -2000), (2000, -2000), (2000, 2000)),
    unit: str = "T-01",
    finds=((0, -2000),),
    patrol_id: str | None = None,
    start: datetime = T0,
    hours: float = 4.0,
    times: bool = False,
    **props,
) -> dict:
    """A valid report: a route through metric offsets from the test area's centre."""
    xy = np.asarray(xy_m, float)
    coords = lonlat(xy[:, 0], xy[:, 1])
    route_props = {
        "kind": "route",
        "unit": unit,
        "transport": "foot",
        "started_at": iso(start),
        "ended_at": iso(start + timedelta(hours=hours)),
        "leader": "A. Leader",
        "members": ["B", "C"],
    }
    if times:
        step = hours * 3600 / (len(coords) - 1)
        route_props["coordTimes"] = [
            iso(start + timedelta(seconds=k * step)) for k in range(len(coords))
        ]
    route_props.update(props)
    features = [
        {
            "type": "Feature",
            "id": patrol_id or str(uuid.uuid4()),
            "geometry": {"type": "LineString", "coordinates": coords},
            "properties": route_props,
        }
    ]
    for k, (fx, fy) in enumerate(finds):
        features.append(
            {
                "type": "Feature",
                "id": str(uuid.uuid4()),
                "geometry": {"type": "Point", "coordinates": lonlat([fx], [fy])[0]},
                "properties": {
                    "kind": "snare",
                    "found_at": iso(start + timedelta(hours=1, minutes=k)),
                    "type": "wire",
                    "count": 2,
                    "state": "active",
                    "action": "removed",
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def row_counts(app) -> dict[str, int]:
    """Rows per table: 'the database is unchanged' is these counts staying equal."""
    engine = app.extensions["patrol.engine"]
    with engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


CLUSTER = (-7000, -3000, 3000, 7000)  # x0, x1, y0, y1 (m from the area's centre): many snares


def sweep_month(client, world) -> None:
    """20 patrols in March 2026 sweeping the test area row by row, there and back (about
    2 km in every cell: one pass is just under the 1 km minimum, the UTM scale factor being
    below 1 here); snares crowd the NW cluster."""

    def in_cluster(x, y):
        return CLUSTER[0] <= x <= CLUSTER[1] and CLUSTER[2] <= y <= CLUSTER[3]

    for k in range(20):
        y = -9500 + k * 1000
        finds = [(x, y) for x in range(-9000, 9500, 500) if in_cluster(x, y)]
        finds += [(x, y) for x in (-8000, 2000, 7000) if not in_cluster(x, y)][: k % 2]
        report = make_report(
            xy_m=((-9500, y), (9500, y), (-9500, y)),
            unit="T-01" if k % 2 == 0 else "T-02",
            finds=finds,
            start=T0 + timedelta(days=k),
            hours=6.0,
        )
        r = client.post(
            "/api/v1/patrols",
            data=json.dumps(report),
            content_type="application/geo+json",
            headers=world.auth("coord"),
        )
        assert r.status_code == 201, r.get_json()
