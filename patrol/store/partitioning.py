"""PostgreSQL declarative partitioning of a patrol's bulky rows by area and year (docs/scaling.md).

The patrol table stays one table: it holds the globally unique report UUID (idempotency), is
the target of every foreign key, and is small (a few hundred bytes a patrol, ~3 M rows for 50
parks x 10 years). The rows that grow with GPS vertices and cells hang off it by
``patrol_id``: ``patrol_track`` (the routes, most of the bytes), ``effort_cell`` and
``effort_zone``. They are range-partitioned on ``patrol_id``, and a patrol's id is drawn from
a block of ids reserved for its area and start year, so each partition holds one area-year:

- ids below ``BLOCK_BASE`` come from the ordinary sequence and live in the ``_default``
  partition (rows stored before partitioning, and area-years without a block);
- ``create_partition(area, year)`` reserves the next block of ``BLOCK_SIZE`` ids (a sequence
  of its own) and a partition of each table for it; a trigger on ``patrol`` gives a new
  patrol, inserted without an id, the next id of its area-year's block.

Every primary key keeps its columns (each contains ``patrol_id``, the partition key), the
foreign keys and their ON DELETE CASCADE stay, and the models and queries do not change.
SQLite never sees any of this.
"""

from __future__ import annotations

import logging
import os

import sqlalchemy as sa

__all__ = [
    "BLOCK_BASE",
    "BLOCK_SIZE",
    "PARTITIONED_TABLES",
    "create_partition",
    "is_partitioned",
    "list_partitions",
    "partition",
    "unpartition",
    "wanted",
    "window_hint",
]

log = logging.getLogger(__name__)

# Children of a patrol keyed by patrol_id, in the order they are converted.
PARTITIONED_TABLES = ("patrol_track", "effort_cell", "effort_zone")
# Ids from 2^30 up are reserved in blocks; patrol.id is a 32-bit integer, so 4,096 blocks of
# 262,144 patrols (46 times a park-year of Land of the Leopard) fit.
BLOCK_BASE = 1 << 30
BLOCK_SIZE = 1 << 18
MAX_BLOCKS = ((1 << 31) - BLOCK_BASE) // BLOCK_SIZE
REGISTRY = "patrol_partition"


def wanted(x_arguments: dict[str, str] | None = None) -> bool:
    """Whether migrating should partition: ``-x partitioned=1`` or PATROL_PG_PARTITIONED=1."""
    value = (x_arguments or {}).get("partitioned") or os.environ.get("PATROL_PG_PARTITIONED", "")
    return value.strip().lower() in ("1", "true", "yes", "on")


def is_partitioned(conn: sa.Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    return bool(
        conn.exec_driver_sql(
            "SELECT count(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid"
            " WHERE c.relname = 'effort_cell' AND c.relnamespace = current_schema()::regnamespace"
        ).scalar_one()
    )


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rebuild(conn: sa.Connection, table: str, partition_by: str | None) -> None:
    """Recreate ``table`` with the same columns, keys, indexes and foreign keys, partitioned
    by ``partition_by`` (or plain when None), and move its rows over."""
    insp = sa.inspect(conn)
    pk = insp.get_pk_constraint(table)
    indexes = [i for i in insp.get_indexes(table) if not i.get("duplicates_constraint")]
    fks = insp.get_foreign_keys(table)
    old = f"{table}__old"
    conn.exec_driver_sql(f"ALTER TABLE {_q(table)} RENAME TO {_q(old)}")
    # Index and key names live in the schema's namespace: free them for the new table.
    conn.exec_driver_sql(f"ALTER TABLE {_q(old)} DROP CONSTRAINT {_q(pk['name'])}")
    for index in indexes:
        conn.exec_driver_sql(f"DROP INDEX {_q(index['name'])}")
    clause = f" PARTITION BY {partition_by}" if partition_by else ""
    conn.exec_driver_sql(
        f"CREATE TABLE {_q(table)} (LIKE {_q(old)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS"
        f" INCLUDING STORAGE INCLUDING COMMENTS){clause}"
    )
    cols = ", ".join(_q(c) for c in pk["constrained_columns"])
    conn.exec_driver_sql(
        f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(pk['name'])} PRIMARY KEY ({cols})"
    )
    for index in indexes:
        unique = "UNIQUE " if index["unique"] else ""
        cols = ", ".join(_q(c) for c in index["column_names"])
        conn.exec_driver_sql(f"CREATE {unique}INDEX {_q(index['name'])} ON {_q(table)} ({cols})")
    for fk in fks:
        ondelete = (fk.get("options") or {}).get("ondelete")
        conn.exec_driver_sql(
            f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(fk['name'])} FOREIGN KEY ("
            + ", ".join(_q(c) for c in fk["constrained_columns"])
            + f") REFERENCES {_q(fk['referred_table'])} ("
            + ", ".join(_q(c) for c in fk["referred_columns"])
            + ")"
            + (f" ON DELETE {ondelete}" if ondelete else "")
        )
    if partition_by:
        default = f"{table}_default"
        conn.exec_driver_sql(f"CREATE TABLE {_q(default)} PARTITION OF {_q(table)} DEFAULT")
        # Proves to PostgreSQL that no block's ids are here, so a new block's partition is
        # attached without scanning the default partition.
        conn.exec_driver_sql(
            f"ALTER TABLE {_q(default)} ADD CONSTRAINT {_q(default + '_below_blocks')}"
            f" CHECK (patrol_id < {BLOCK_BASE})"
        )
    conn.exec_driver_sql(f"INSERT INTO {_q(table)} SELECT * FROM {_q(old)}")
    conn.exec_driver_sql(f"DROP TABLE {_q(old)}")


# The trigger: a patrol inserted without an id gets the next one of its area-year's block,
# else of the ordinary sequence. An id given explicitly (a restore, a copy) is kept.
_TRIGGER_FUNCTION = f"""
CREATE FUNCTION patrol_assign_id() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  seq text;
BEGIN
  IF NEW.id IS NULL THEN
    SELECT sequence_name INTO seq FROM {REGISTRY}
     WHERE area_id = NEW.area_id AND year = EXTRACT(YEAR FROM NEW.start_date)::int;
    NEW.id := nextval(coalesce(seq, '%s'));
  END IF;
  RETURN NEW;
END $$
"""


def partition(conn: sa.Connection) -> None:
    """Convert a database at the current schema to the partitioned one (PostgreSQL only;
    in the caller's transaction, so a failure leaves it as it was)."""
    if conn.dialect.name != "postgresql":
        raise RuntimeError("partitioning is for PostgreSQL; SQLite keeps its one file")
    if is_partitioned(conn):
        return
    seq = conn.exec_driver_sql("SELECT pg_get_serial_sequence('patrol', 'id')").scalar_one()
    top = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM patrol").scalar_one()
    if top >= BLOCK_BASE:
        raise RuntimeError(f"patrol ids reach {top}: the block id space is in use")
    # The ordinary sequence stays below the blocks; the trigger, not a default, draws from it.
    conn.exec_driver_sql(f"ALTER SEQUENCE {seq} MAXVALUE {BLOCK_BASE - 1}")
    conn.exec_driver_sql("ALTER TABLE patrol ALTER COLUMN id DROP DEFAULT")
    conn.exec_driver_sql(
        f"CREATE TABLE {REGISTRY} ("
        " area_id integer NOT NULL REFERENCES conservation_area (id) ON DELETE CASCADE,"
        " year integer NOT NULL,"
        " block integer NOT NULL UNIQUE,"
        " first_id integer NOT NULL,"
        " sequence_name text NOT NULL,"
        " created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),"
        f" CONSTRAINT pk_{REGISTRY} PRIMARY KEY (area_id, year))"
    )
    conn.exec_driver_sql(_TRIGGER_FUNCTION.replace("%s", seq.replace("'", "''")))
    conn.exec_driver_sql(
        "CREATE TRIGGER patrol_assign_id BEFORE INSERT ON patrol"
        " FOR EACH ROW EXECUTE FUNCTION patrol_assign_id()"
    )
    for table in PARTITIONED_TABLES:
        _rebuild(conn, table, "RANGE (patrol_id)")
    log.info("partitioned %s by area-year blocks of patrol ids", ", ".join(PARTITIONED_TABLES))


def unpartition(conn: sa.Connection) -> None:
    """Back to plain tables (rows kept, patrol ids kept), the inverse of ``partition``."""
    if not is_partitioned(conn):
        return
    for table in PARTITIONED_TABLES:
        _rebuild(conn, table, None)
    seq = conn.exec_driver_sql("SELECT pg_get_serial_sequence('patrol', 'id')").scalar_one()
    conn.exec_driver_sql("DROP TRIGGER patrol_assign_id ON patrol")
    conn.exec_driver_sql("DROP FUNCTION patrol_assign_id()")
    for (name,) in conn.exec_driver_sql(f"SELECT sequence_name FROM {REGISTRY}").all():
        conn.exec_driver_sql(f"DROP SEQUENCE IF EXISTS {_q(name)}")
    conn.exec_driver_sql(f"DROP TABLE {REGISTRY}")
    top = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM patrol").scalar_one()
    conn.exec_driver_sql(f"ALTER SEQUENCE {seq} NO MAXVALUE")
    conn.exec_driver_sql(f"SELECT setval('{seq}', greatest({top}, 1))")
    conn.exec_driver_sql(f"ALTER TABLE patrol ALTER COLUMN id SET DEFAULT nextval('{seq}')")


def create_partition(conn: sa.Connection, area_id: int, year: int) -> dict:
    """Reserve a block of patrol ids for ``area_id``'s patrols starting in ``year`` and a
    partition of each table for it (nothing when it exists). Run it ahead of the year:
    creating a partition takes a brief exclusive lock on the partitioned tables."""
    if not is_partitioned(conn):
        raise RuntimeError("this database is not partitioned (see docs/scaling.md)")
    row = conn.exec_driver_sql(
        f"SELECT block, first_id, sequence_name FROM {REGISTRY}"
        " WHERE area_id = %(a)s AND year = %(y)s",
        {"a": area_id, "y": year},
    ).first()
    if row is not None:
        return dict(area_id=area_id, year=year, block=row[0], first_id=row[1], created=False)
    if not 1900 <= year <= 2999:
        raise ValueError(f"year {year} is out of range")
    # One reservation at a time: two would otherwise take the same block number.
    conn.exec_driver_sql(f"LOCK TABLE {REGISTRY} IN EXCLUSIVE MODE")
    block = conn.exec_driver_sql(f"SELECT coalesce(max(block) + 1, 0) FROM {REGISTRY}").scalar_one()
    if block >= MAX_BLOCKS:
        raise RuntimeError("every block of patrol ids is reserved: move ids to bigint first")
    first, end = BLOCK_BASE + block * BLOCK_SIZE, BLOCK_BASE + (block + 1) * BLOCK_SIZE
    suffix = f"a{int(area_id)}_y{int(year)}"
    seq = f"patrol_id_{suffix}"
    conn.exec_driver_sql(
        f"CREATE SEQUENCE {_q(seq)} AS integer MINVALUE {first} MAXVALUE {end - 1} START {first}"
    )
    for table in PARTITIONED_TABLES:
        conn.exec_driver_sql(
            f"CREATE TABLE {_q(f'{table}_{suffix}')} PARTITION OF {_q(table)}"
            f" FOR VALUES FROM ({first}) TO ({end})"
        )
    conn.exec_driver_sql(
        f"INSERT INTO {REGISTRY} (area_id, year, block, first_id, sequence_name)"
        " VALUES (%(a)s, %(y)s, %(b)s, %(f)s, %(s)s)",
        {"a": area_id, "y": year, "b": block, "f": first, "s": seq},
    )
    return dict(area_id=area_id, year=year, block=block, first_id=first, created=True)


def list_partitions(conn: sa.Connection) -> list[dict]:
    """Each partition of the partitioned tables with its rows (estimated from statistics
    when large, counted when small)."""
    rows = conn.exec_driver_sql(
        "SELECT parent.relname, child.relname FROM pg_inherits i"
        " JOIN pg_class parent ON parent.oid = i.inhparent"
        " JOIN pg_class child ON child.oid = i.inhrelid"
        " WHERE parent.relname IN ('patrol_track', 'effort_cell', 'effort_zone')"
        " ORDER BY parent.relname, child.relname"
    ).all()
    out = []
    for parent, child in rows:
        n = conn.exec_driver_sql(f"SELECT count(*) FROM {_q(child)}").scalar_one()
        out.append({"table": parent, "partition": child, "rows": n})
    return out


def window_hint(engine: sa.Engine, patrol_id: sa.ColumnElement, conditions: list) -> list:
    """Conditions to add to a query joining a partitioned table to the patrols selected by
    ``conditions`` (none on a plain database): ``patrol_id`` between the least and the
    greatest id of those patrols.

    PostgreSQL does not count run-time partition pruning when it costs a join, so a join of a
    window's patrols with ``effort_cell`` is planned as a scan of every partition. The bounds
    are sub-selects, known when the query starts: the partitions outside them are skipped
    (``never executed``), and the window's own partition is read in one sequential pass.
    """
    if engine.dialect.name != "postgresql" or not _partitioned_engine(engine):
        return []
    from patrol.store.models import Patrol

    # OFFSET 0 keeps min() and max() over the window's patrols as found by their own index:
    # without it, PostgreSQL walks the primary key from one end (measured: 26,000 pages).
    ids = sa.select(Patrol.id).where(*conditions).offset(0).subquery()
    lo = sa.select(sa.func.min(ids.c.id)).scalar_subquery()
    hi = sa.select(sa.func.max(ids.c.id)).scalar_subquery()
    return [patrol_id.between(lo, hi)]


_known: dict[str, bool] = {}


def _partitioned_engine(engine: sa.Engine) -> bool:
    # Once per engine URL and process: a database is partitioned by a migration or by
    # `patrol db partition`, and a server restarts after either.
    key = engine.url.render_as_string(hide_password=True)
    if key not in _known:
        with engine.connect() as conn:
            _known[key] = is_partitioned(conn)
    return _known[key]
