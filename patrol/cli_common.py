"""What every `patrol` command shares: the session, the area named, and how a failure is told."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import click

from patrol.cli_i18n import CliError, echo, say
from patrol.config import ConfigurationError
from patrol.errors import PatrolError
from patrol.texts import N_

if TYPE_CHECKING:
    import sqlalchemy.orm as so

    from patrol.store.models import ConservationArea

__all__ = ["area_named", "db_session", "echo_problem", "reports_errors", "run_job"]

P = ParamSpec("P")
R = TypeVar("R")


def db_session() -> so.Session:
    """The app context's session (the one routes use)."""
    from patrol.db import get_session

    return get_session()


def area_named(slug: str | None) -> ConservationArea:
    """The area ``slug``, or the only one when ``slug`` is None (a PatrolError otherwise)."""
    from patrol.services.areas import area_for

    return area_for(db_session(), None, slug)


def echo_problem(error: PatrolError, indent: str = "    ") -> None:
    """A problem's detail and each field error with its pointer, on standard error, in the
    command's language (pointers stay as they are, for finding the place in the file)."""
    click.echo(f"{indent}{say(error.detail or error.title)}", err=True)
    for item in error.errors:
        click.echo(f"{indent}{item.pointer or '/'}: {say(item.detail)}", err=True)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Tell a command's PatrolError (or ConfigurationError) in plain words and exit with 1 for
    the input's fault, 2 for the server's: the one place every command's failures are printed.
    """

    @wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except PatrolError as error:
            echo(N_("error: {detail}", detail=say(error.detail or error.title)), err=True)
            for item in error.errors:
                click.echo(f"  {item.pointer or '/'}: {say(item.detail)}", err=True)
            sys.exit(1 if error.status < 500 else 2)
        except ConfigurationError as error:
            raise CliError(str(error)) from None

    return run


def run_job(db: so.Session, job_id: int, total: int) -> None:
    """Run a recompute job here, with a progress bar over its patrols."""
    from patrol.services.recompute import run_job as run
    from patrol.store.models import RecomputeJob
    from patrol.vocabulary import JobState

    with click.progressbar(length=total, label=say(N_("measuring patrols")), show_pos=True) as bar:
        done = 0

        def advance(job: RecomputeJob) -> None:
            nonlocal done
            bar.length = max(bar.length or 0, job.total)
            bar.update(job.done - done)
            done = job.done

        job = run(db, job_id, progress=advance)
    if job.state != JobState.DONE:
        raise CliError(
            N_(
                "recompute job {job} {state}: {error}",
                job=job_id,
                state=job.state,
                error=job.error,
            )
        )
    echo(N_("{count} patrols recomputed", count=job.done))
