"""`patrol patrols import`: many report files, a progress bar, one line per file."""

from __future__ import annotations

import os
import sys
import time

import click
import sqlalchemy.orm as so
from flask import current_app

from patrol.geo.report import Limits, ReportDefaults
from patrol.services.bulk import import_files

__all__ = ["run_import"]


def run_import(
    session: so.Session,
    files: list[str],
    defaults: ReportDefaults,
    *,
    jobs: int | None,
    batch: int,
    quiet: bool,
) -> int:
    """Import ``files``; returns how many were rejected (each told on stderr with why)."""
    limits = Limits(
        current_app.config["MAX_ROUTE_VERTICES"], current_app.config["MAX_FINDS_PER_PATROL"]
    )
    if jobs is None:
        jobs = max(1, min(len(os.sched_getaffinity(0)), len(files) // 50 or 1))
    counts = {"stored": 0, "already stored": 0, "rejected": 0}
    vertices = 0
    started = time.perf_counter()
    show_bar = not quiet and sys.stderr.isatty()
    outcomes = import_files(
        session,
        files,
        defaults=defaults,
        limits=limits,
        margin_km=current_app.config["AREA_MARGIN_KM"],
        jobs=jobs,
        batch=batch,
    )
    with click.progressbar(
        length=len(files), label="importing", file=sys.stderr, hidden=not show_bar
    ) as bar:
        for outcome in outcomes:
            bar.update(1)
            counts[outcome.state] += 1
            if outcome.state == "rejected":
                click.echo(f"{outcome.name}: rejected", err=True)
                click.echo(f"  {outcome.detail}", err=True)
                for pointer, detail in outcome.errors:
                    click.echo(f"  {pointer or '/'}: {detail}", err=True)
                continue
            if outcome.state == "stored":
                vertices += outcome.vertices
            if not quiet:
                click.echo(
                    f"{outcome.name}: {outcome.state} as patrol {outcome.patrol_id} "
                    f"({outcome.distance_km:.2f} km)"
                )
    seconds = time.perf_counter() - started
    click.echo(
        f"{counts['stored']} stored, {counts['already stored']} already stored, "
        f"{counts['rejected']} rejected; {vertices:,} vertices stored in {seconds:.1f} s "
        f"({vertices / max(seconds, 1e-9):,.0f} vertices/s)",
    )
    return counts["rejected"]
