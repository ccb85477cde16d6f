"""The partitioned PostgreSQL schema (migration 0011 with PATROL_PG_PARTITIONED=1) gives the
same answers as the plain one for the same reports, puts rows in their area-year partitions,
and keeps idempotency, foreign keys and ON DELETE CASCADE."""

from __future__ import annotations

import json
import random
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from patrol import create_app
from patrol.store import partitioning, upgrade
from tests.conftest import PG_URL, _pg_database, _pg_drop, make_report, make_world

pg_only = pytest.mark.skipif(
    not PG_URL,
    reason="partitioning is PostgreSQL's: set PATROL_TEST_DATABASE_URL to run it (CI does)",
)

MODES = ("plain", "partitioned")
YEAR = 2026  # the test area gets partitions for this year; 2025 goes to the default ones


def _reports() -> list[dict]:
    """Patrols in March 2026 (partitions of their own) and in late 2025 (the default
    partitions), two units, times on some, snares crowding the north-west."""
    rng = random.Random(15)
    out = []
    for k in range(24):
        start = (
            datetime(2026, 3, 2, 1, tzinfo=UTC) + timedelta(days=k)
            if k < 16
            else datetime(2025, 10, 1, 1, tzinfo=UTC) + timedelta(days=3 * (k - 16))
        )
        y = -9500 + (k % 19) * 1000
        finds = [(x, y) for x in range(-9000, 9500, 1500) if x < -3000 and y > 3000]
        finds += [(rng.randrange(-9000, 9000, 500), y)] if k % 3 == 0 else []
        out.append(
            make_report(
                xy_m=((-9500, y), (9500, y), (-9500, y + 400)),
                unit="T-01" if k % 2 == 0 else "T-02",
                finds=finds,
                patrol_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                start=start,
                hours=5.0 + k % 3,
                times=k % 4 == 0,
            )
        )
    return out


def _when_stored(body: bytes) -> bytes:
    """The answer without the server's clock (when each copy was submitted or exported)."""
    return re.sub(rb'"(submitted_at|produced_at|at)": ?"[^"]*"', rb'"\1":"-"', body)


def _post(client, world, report, who="coord"):
    return client.post(
        "/api/v1/patrols",
        data=json.dumps(report),
        content_type="application/geo+json",
        headers=world.auth(who),
    )


def _app(url: str):
    return create_app(
        {
            "ENV": "testing",
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": url,
            "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
        }
    )


@pytest.fixture(scope="module")
def reports():
    return _reports()


@pytest.fixture(scope="module")
def stores(reports):
    """The same world and reports in a plain and in a partitioned database."""
    made, names = {}, []
    try:
        for mode in MODES:
            name = f"patrol_part_{mode[:4]}_{uuid.uuid4().hex[:10]}"
            url = _pg_database(name)
            names.append(name)
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("PATROL_PG_PARTITIONED", "1" if mode == "partitioned" else "0")
                upgrade(url)
            app = _app(url)
            world = make_world(app)
            if mode == "partitioned":
                result = app.test_cli_runner().invoke(
                    args=["db", "add-partitions", "test-area", str(YEAR)]
                )
                assert result.exit_code == 0, result.output
                assert f"test-area {YEAR}: created" in result.output
            client = app.test_client()
            for report in reports:
                r = _post(client, world, report)
                assert r.status_code == 201, r.get_json()
            made[mode] = (app, world)
        yield made
    finally:
        for app, _ in made.values():
            app.extensions["patrol.engine"].dispose()
        for name in names:
            _pg_drop(name)


def _conn(stores, mode):
    return stores[mode][0].extensions["patrol.engine"].connect()


ANSWERS = [
    ("coord", "/api/v1/hotspots?from=2026-03-01&to=2026-03-31"),
    ("coord", "/api/v1/hotspots?from=2025-01-01&to=2026-12-31"),
    ("coord", "/api/v1/hotspots?from=2025-01-01&to=2026-12-31&cell_km=2"),
    ("coord", "/api/v1/zones/stats?from=2025-01-01&to=2026-12-31"),
    ("coord", "/api/v1/zones/stats?from=2026-03-01&to=2026-03-31"),
    ("coord", "/api/v1/patrols?from=2025-01-01&to=2026-12-31&limit=100"),
    ("coord", "/api/v1/patrols?from=2026-03-01&to=2026-03-31&zone=NW&limit=100"),
    ("ranger1", "/api/v1/patrols?limit=100"),
    ("coord", "/api/v1/snares?from=2025-01-01&to=2026-12-31&limit=500"),
    ("coord", "/api/v1/dispatch?from=2026-03-01&to=2026-03-31"),
    ("ngo", "/api/v1/exports/annual?year=2026&format=csv&area=test-area"),
    ("ngo", "/api/v1/exports/annual?year=2025&format=json&area=test-area"),
]


@pg_only
@pytest.mark.parametrize(("who", "path"), ANSWERS)
def test_answers_are_the_same_partitioned_or_not(stores, who, path):
    answers = []
    for mode in MODES:
        app, world = stores[mode]
        r = app.test_client().get(path, headers=world.auth(who))
        assert r.status_code == 200, (mode, r.get_data(as_text=True)[:500])
        answers.append(r.get_data())
    plain, partitioned = (_when_stored(a) for a in answers)
    assert len(plain) > 200  # a real answer, not an empty one
    assert partitioned == plain


@pg_only
def test_each_patrol_document_is_the_same(stores, reports):
    for report in reports[::5]:
        docs = []
        for mode in MODES:
            app, world = stores[mode]
            r = app.test_client().get(
                f"/api/v1/patrols/{report['features'][0]['id']}", headers=world.auth("coord")
            )
            assert r.status_code == 200
            docs.append(_when_stored(r.get_data()))
        assert docs[0] == docs[1]


@pg_only
def test_the_partitions_exist_and_hold_their_area_years_rows(stores):
    _, world = stores["partitioned"]
    suffix = f"a{world.area_id}_y{YEAR}"
    with _conn(stores, "partitioned") as conn:
        children = {
            (parent, child)
            for parent, child in conn.exec_driver_sql(
                "SELECT p.relname, c.relname FROM pg_inherits i"
                " JOIN pg_class p ON p.oid = i.inhparent JOIN pg_class c ON c.oid = i.inhrelid"
            )
        }
        kinds = dict(
            conn.exec_driver_sql(
                "SELECT relname, relkind FROM pg_class WHERE relname = ANY(%(n)s)",
                {"n": list(partitioning.PARTITIONED_TABLES)},
            ).all()
        )
        assert kinds == dict.fromkeys(partitioning.PARTITIONED_TABLES, "p")
        for table in partitioning.PARTITIONED_TABLES:
            assert (table, f"{table}_default") in children
            assert (table, f"{table}_{suffix}") in children
            # Every row is where its patrol's area and start year say, counted independently
            # of the partition bounds: through the patrol row.
            in_year = conn.exec_driver_sql(
                f"SELECT count(*) FROM {table} t JOIN patrol p ON p.id = t.patrol_id"
                " WHERE p.area_id = %(a)s AND p.start_date >= '2026-01-01'"
                " AND p.start_date < '2027-01-01'",
                {"a": world.area_id},
            ).scalar_one()
            others = conn.exec_driver_sql(
                f"SELECT count(*) FROM {table} t JOIN patrol p ON p.id = t.patrol_id"
                " WHERE NOT (p.area_id = %(a)s AND p.start_date >= '2026-01-01'"
                " AND p.start_date < '2027-01-01')",
                {"a": world.area_id},
            ).scalar_one()
            here = conn.exec_driver_sql(f"SELECT count(*) FROM {table}_{suffix}").scalar_one()
            default = conn.exec_driver_sql(f"SELECT count(*) FROM {table}_default").scalar_one()
            assert in_year > 0 and others > 0
            assert (here, default) == (in_year, others)
        ids = conn.exec_driver_sql(
            "SELECT min(id), max(id) FROM patrol WHERE start_date >= '2026-01-01'"
        ).one()
        assert (
            partitioning.BLOCK_BASE
            <= ids[0]
            <= ids[1]
            < (partitioning.BLOCK_BASE + partitioning.BLOCK_SIZE)
        )
        assert (
            conn.exec_driver_sql(
                "SELECT max(id) FROM patrol WHERE start_date < '2026-01-01'"
            ).scalar_one()
            < partitioning.BLOCK_BASE
        )
    # The plain database has no partitions at all: default deployments do not change.
    with _conn(stores, "plain") as conn:
        assert not partitioning.is_partitioned(conn)
        assert conn.exec_driver_sql("SELECT count(*) FROM pg_partitioned_table").scalar_one() == 0


@pg_only
def test_year_queries_only_touch_their_partition(stores):
    """A year's effort is read from that year's partition only (run-time pruning on the
    nested loop over the year's patrols)."""
    _, world = stores["partitioned"]
    with _conn(stores, "partitioned") as conn:
        conn.exec_driver_sql("ANALYZE")
        # At this size the planner would scan the few effort rows whole; at a park's size it
        # loops over the window's patrols, which is the plan shown here.
        for setting in ("seqscan", "hashjoin", "mergejoin", "memoize", "bitmapscan"):
            conn.exec_driver_sql(f"SET enable_{setting} = off")
        plan = "\n".join(
            r[0]
            for r in conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)"
                " SELECT sum(e.effort_km) FROM patrol p JOIN effort_cell e ON e.patrol_id = p.id"
                f" WHERE p.area_id = {world.area_id} AND p.start_date >= '2026-03-01'"
                " AND p.start_date < '2026-04-01'"
            )
        )
    assert "effort_cell_default" in plan  # listed in the plan...
    assert "(never executed)" in plan  # ...but pruned at run time


@pg_only
def test_idempotency_holds_partitioned(stores, reports):
    report = reports[3]
    changed = json.loads(json.dumps(report))
    changed["features"][0]["properties"]["leader"] = "Someone else"
    fresh = make_report(patrol_id=str(uuid.uuid4()), start=datetime(2024, 6, 3, 1, tzinfo=UTC))
    for mode in MODES:  # both, so that the databases stay alike for the other tests
        app, world = stores[mode]
        client = app.test_client()
        assert _post(client, world, report).status_code == 200, mode
        r = _post(client, world, changed)
        assert r.status_code == 409, mode
        assert r.content_type.startswith("application/problem+json")
        # A year without partitions of its own: the default partition takes it.
        assert _post(client, world, fresh).status_code == 201
        assert _post(client, world, fresh).status_code == 200
        with _conn(stores, mode) as conn:
            for pid in (report["features"][0]["id"], fresh["features"][0]["id"]):
                n = conn.exec_driver_sql(
                    "SELECT count(*) FROM patrol WHERE uuid = %(u)s", {"u": pid}
                ).scalar_one()
                assert n == 1
            leader = conn.exec_driver_sql(
                "SELECT leader FROM patrol WHERE uuid = %(u)s", {"u": report["features"][0]["id"]}
            ).scalar_one()
            assert leader == "A. Leader"
    with _conn(stores, "partitioned") as conn:
        pid = conn.exec_driver_sql(
            "SELECT id FROM patrol WHERE uuid = %(u)s", {"u": fresh["features"][0]["id"]}
        ).scalar_one()
        assert pid < partitioning.BLOCK_BASE
        n = conn.exec_driver_sql(
            "SELECT count(*) FROM effort_cell_default WHERE patrol_id = %(p)s", {"p": pid}
        ).scalar_one()
        assert n > 0


@pg_only
def test_foreign_keys_and_cascades_hold_partitioned(stores, reports):
    victim = reports[0]["features"][0]["id"]
    with _conn(stores, "partitioned") as conn:
        pid = conn.exec_driver_sql(
            "SELECT id FROM patrol WHERE uuid = %(u)s", {"u": victim}
        ).scalar_one()
        counts = {
            t: conn.exec_driver_sql(
                f"SELECT count(*) FROM {t} WHERE patrol_id = %(p)s", {"p": pid}
            ).scalar_one()
            for t in partitioning.PARTITIONED_TABLES
        }
        assert all(counts.values()), counts
        # No effort row for a patrol that does not exist, in any partition.
        with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
            conn.exec_driver_sql(
                "INSERT INTO effort_cell (patrol_id, ix, iy, effort_km, effort_h)"
                f" VALUES ({partitioning.BLOCK_BASE + 5000}, 1, 1, 1.0, 1.0)"
            )
        # The primary key still holds inside a partition.
        with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
            conn.exec_driver_sql(
                "INSERT INTO effort_cell SELECT * FROM effort_cell WHERE patrol_id = %(p)s",
                {"p": pid},
            )
        conn.exec_driver_sql("DELETE FROM patrol WHERE id = %(p)s", {"p": pid})
        for t in partitioning.PARTITIONED_TABLES:
            left = conn.exec_driver_sql(
                f"SELECT count(*) FROM {t} WHERE patrol_id = %(p)s", {"p": pid}
            ).scalar_one()
            assert left == 0, t
        conn.rollback()


@pg_only
def test_downgrade_and_the_cli_convert_both_ways():
    name = f"patrol_part_round_{uuid.uuid4().hex[:10]}"
    url = _pg_database(name)
    try:
        upgrade(url)  # plain: the setting is not given
        app = _app(url)
        world = make_world(app)
        client = app.test_client()
        runner = app.test_cli_runner()
        assert _post(client, world, make_report()).status_code == 201
        result = runner.invoke(args=["db", "partition"])
        assert result.exit_code == 0, result.output
        assert runner.invoke(args=["db", "add-partitions", "test-area", "2026"]).exit_code == 0
        assert _post(client, world, make_report()).status_code == 201
        listed = runner.invoke(args=["db", "partitions"]).output
        assert f"effort_cell_a{world.area_id}_y2026" in listed
        engine = app.extensions["patrol.engine"]
        with engine.connect() as conn:
            assert partitioning.is_partitioned(conn)
            before = {
                t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()
                for t in (*partitioning.PARTITIONED_TABLES, "patrol", "snare_find")
            }
        engine.dispose()
        from alembic import command

        from patrol.store.engine import alembic_config

        command.downgrade(alembic_config(url), "0010")
        with engine.connect() as conn:
            assert not partitioning.is_partitioned(conn)
            after = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()
                     for t in before}  # fmt: skip
        assert after == before and before["effort_cell"] > 0
        # Back to head, unpartitioned (the revisions after 0011 hold columns the app reads).
        command.upgrade(alembic_config(url), "head")
        engine.dispose()
        assert _post(client, world, make_report()).status_code == 201  # ids from the sequence
        engine.dispose()
    finally:
        _pg_drop(name)


def test_sqlite_ignores_the_setting_and_the_cli_says_why(tmp_path, monkeypatch):
    """Asking for partitions on SQLite changes nothing, and the commands say it is
    PostgreSQL's."""
    url = f"sqlite:///{tmp_path / 'p.sqlite3'}"
    monkeypatch.setenv("PATROL_PG_PARTITIONED", "1")
    upgrade(url)
    app = _app(url)
    engine = app.extensions["patrol.engine"]
    with engine.connect() as conn:
        assert not partitioning.is_partitioned(conn)
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
        names = set(sa.inspect(conn).get_table_names())
    assert "patrol_partition" not in names and "effort_cell" in names
    for args in (["db", "partition"], ["db", "add-partitions", "test-area", "2026"]):
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code != 0
        assert "partitioning is for PostgreSQL" in result.output
    engine.dispose()


@pg_only
def test_the_window_hint_prunes_and_changes_no_figure(stores):
    """``window_hint`` bounds effort rows by the window's patrol ids: the same sums, the other
    partitions skipped when the query runs, and nothing added on a plain database."""
    from patrol.store.models import EffortCell, Patrol

    sums = {}
    for mode in MODES:
        app, world = stores[mode]
        engine = app.extensions["patrol.engine"]
        cond = [
            Patrol.area_id == world.area_id,
            Patrol.start_date >= datetime(2026, 3, 1).date(),
            Patrol.start_date < datetime(2026, 4, 1).date(),
        ]
        hint = partitioning.window_hint(engine, EffortCell.patrol_id, cond)
        assert bool(hint) == (mode == "partitioned")
        query = (
            sa.select(EffortCell.ix, EffortCell.iy, sa.func.sum(EffortCell.effort_km))
            .join(Patrol, Patrol.id == EffortCell.patrol_id)
            .group_by(EffortCell.ix, EffortCell.iy)
            .order_by(EffortCell.ix, EffortCell.iy)
        )
        with engine.connect() as conn:
            plain = conn.execute(query.where(*cond)).all()
            hinted = conn.execute(query.where(*cond, *hint)).all()
            assert hinted == plain and len(plain) > 10
            sums[mode] = plain
            if hint:
                sql = str(
                    query.where(*cond, *hint).compile(
                        engine, compile_kwargs={"literal_binds": True}
                    )
                )
                plan = "\n".join(
                    r[0]
                    for r in conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql
                    )
                )
                default = [line for line in plan.splitlines() if "effort_cell_default" in line]
                assert default and all("never executed" in line for line in default), plan
    assert sums["plain"] == sums["partitioned"]


@pg_only
def test_a_bulk_batch_takes_the_ids_of_its_area_years_block(tmp_path, monkeypatch):
    """A batch of `patrols import` on a partitioned database leaves the ids to the table's
    trigger (services/patrol_rows.py: a plain database's batch takes them from the sequence
    first): each patrol of an area-year with a block gets one of its ids and its rows land in
    that area-year's partitions; a patrol of a year without a block goes to the defaults."""
    name = f"patrol_part_bulk_{uuid.uuid4().hex[:10]}"
    url = _pg_database(name)
    app = None
    try:
        monkeypatch.setenv("PATROL_PG_PARTITIONED", "1")
        upgrade(url)
        app = _app(url)
        world = make_world(app)
        runner = app.test_cli_runner()
        added = runner.invoke(args=["db", "add-partitions", "test-area", str(YEAR)])
        assert added.exit_code == 0, added.output
        starts = [datetime(YEAR, 3, 2 + k, 1, tzinfo=UTC) for k in range(3)]
        starts.append(datetime(YEAR - 1, 11, 3, 1, tzinfo=UTC))
        files = []
        for k, start in enumerate(starts):
            path = tmp_path / f"r{k}.geojson"
            path.write_text(json.dumps(make_report(start=start, patrol_id=str(uuid.uuid4()))))
            files.append(str(path))
        result = runner.invoke(args=["patrols", "import", "--jobs", "1", "--batch", "10", *files])
        assert result.exit_code == 0, result.output
        assert "4 stored" in result.stdout
        block = range(partitioning.BLOCK_BASE, partitioning.BLOCK_BASE + partitioning.BLOCK_SIZE)
        suffix = f"a{world.area_id}_y{YEAR}"
        with app.extensions["patrol.engine"].connect() as conn:
            years = dict(conn.exec_driver_sql("SELECT id, start_date FROM patrol").all())
            assert sorted(d.year for d in years.values()) == [YEAR - 1, YEAR, YEAR, YEAR]
            for patrol_id, day in years.items():
                assert (patrol_id in block) == (day.year == YEAR)
            for table in partitioning.PARTITIONED_TABLES:
                here = conn.exec_driver_sql(
                    f"SELECT count(DISTINCT patrol_id) FROM {table}_{suffix}"
                )
                default = conn.exec_driver_sql(
                    f"SELECT count(DISTINCT patrol_id) FROM {table}_default"
                )
                assert (here.scalar_one(), default.scalar_one()) == (3, 1), table
    finally:
        if app is not None:
            app.extensions["patrol.engine"].dispose()
        _pg_drop(name)
