"""`patrol patrols import`: many report files, a progress bar, one line per file."""

from __future__ import annotations

import os
import sys
import time

import click
import sqlalchemy.orm as so
from flask import current_app

from patrol.cli_i18n import echo, figure, say
from patrol.geo.report import Limits, ReportDefaults
from patrol.services.bulk import import_files
from patrol.services.bulk_measure import Outcome
from patrol.texts import N_

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
        length=len(files), label=say(N_("importing")), file=sys.stderr, hidden=not show_bar
    ) as bar:
        for outcome in outcomes:
            bar.update(1)
            counts[outcome.state] += 1
            if outcome.state == "stored":
                vertices += outcome.vertices
            if outcome.state == "rejected" or not quiet:
                _tell(outcome)
    seconds = time.perf_counter() - started
    echo(
        N_(
            "{stored} stored, {replayed} already stored, {rejected} rejected; "
            "{vertices} vertices stored in {seconds} s ({rate} vertices/s)",
            stored=counts["stored"],
            replayed=counts["already stored"],
            rejected=counts["rejected"],
            vertices=figure(vertices, ","),
            seconds=figure(seconds, ".1f"),
            rate=figure(vertices / max(seconds, 1e-9), ",.0f"),
        )
    )
    return counts["rejected"]


def _tell(outcome: Outcome) -> None:
    """One file's outcome in the command's language: rejected on standard error with its
    problem (the pointers as they are), else the patrol it is stored as."""
    if outcome.state == "rejected":
        echo(N_("{name}: rejected", name=outcome.name), err=True)
        click.echo(f"  {say(outcome.detail)}", err=True)
        for pointer, detail in outcome.errors:
            click.echo(f"  {pointer or '/'}: {say(detail)}", err=True)
        return
    values = {
        "name": outcome.name,
        "patrol": outcome.patrol_id,
        "km": figure(outcome.distance_km, ".2f"),
    }
    echo(
        N_("{name}: stored as patrol {patrol} ({km} km)", **values)
        if outcome.state == "stored"
        else N_("{name}: already stored as patrol {patrol} ({km} km)", **values)
    )
