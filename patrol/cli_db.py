"""`patrol db partition|partitions|add-partitions`: PostgreSQL partitioning by area and year."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from patrol.cli_common import reports_errors
from patrol.cli_i18n import CliError, echo
from patrol.texts import N_

__all__ = ["db_group"]

db_group = AppGroup("db", help="Database layout (PostgreSQL partitioning, docs/scaling.md).")


def _engine() -> sa.Engine:
    engine = current_app.extensions["patrol.engine"]
    if engine.dialect.name != "postgresql":
        raise CliError(N_("partitioning is for PostgreSQL; this database is SQLite"))
    return engine


@db_group.command("partition")
@reports_errors
def partition_command() -> None:
    """Partition routes and effort rows by area and year (a migrated database, once)."""
    from patrol.store import partitioning

    with _engine().begin() as conn:
        already = partitioning.is_partitioned(conn)
        partitioning.partition(conn)
    tables = ", ".join(partitioning.PARTITIONED_TABLES)
    echo(N_("already partitioned") if already else N_("partitioned: {tables}", tables=tables))


@db_group.command("add-partitions")
@click.argument("area")
@click.argument("years", nargs=-1, type=int, required=True)
@reports_errors
def add_partitions_command(area: str, years: tuple[int, ...]) -> None:
    """Create AREA's partitions for YEARS ahead of their patrols (e.g. 2026 2027)."""
    from patrol.store import partitioning
    from patrol.store.models import ConservationArea

    with _engine().begin() as conn:
        area_id = conn.scalar(sa.select(ConservationArea.id).where(ConservationArea.slug == area))
        if area_id is None:
            raise CliError(N_("no area {area}", area=repr(area)))
        try:
            made = [partitioning.create_partition(conn, area_id, y) for y in years]
        except (RuntimeError, ValueError) as exc:
            raise CliError(str(exc)) from None
    for m in made:
        values = {"area": area, "year": m["year"], "first_id": m["first_id"]}
        echo(
            N_("{area} {year}: created (patrol ids from {first_id})", **values)
            if m["created"]
            else N_("{area} {year}: exists (patrol ids from {first_id})", **values)
        )


@db_group.command("partitions")
@reports_errors
def partitions_command() -> None:
    """List the partitions and the rows in each."""
    from patrol.store import partitioning

    with _engine().connect() as conn:
        if not partitioning.is_partitioned(conn):
            echo(N_("not partitioned"))
            return
        for p in partitioning.list_partitions(conn):
            click.echo(f"{p['table']:<14} {p['partition']:<32} {p['rows']:>12,}")
