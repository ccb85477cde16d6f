"""`patrol init|demo|serve`: the database's schema, the demo data, the development server."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from patrol.cli_common import db_session, reports_errors
from patrol.cli_i18n import CliError, echo, say
from patrol.config import demo_allowed
from patrol.texts import N_

__all__ = ["demo_command", "init_command", "serve_command"]


@click.command("init")
@with_appcontext
@reports_errors
def init_command() -> None:
    """Create or migrate the database to the latest schema."""
    from patrol.store import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    echo(N_("database is at the latest schema"))


@click.command("demo")
@with_appcontext
@click.option("--year", default=2025, show_default=True, help="Year of simulated patrols.")
@click.option("--seed", default=2025, show_default=True, help="Seed of the simulation.")
@click.option(
    "--patrols-per-week", default=2.5, show_default=True, help="Patrols per unit per week."
)
@reports_errors
def demo_command(year: int, seed: int, patrols_per_week: float) -> None:
    """Load the synthetic demo area, users and a simulated year of patrols (once)."""
    from patrol.demo.load import DEMO_USERS, load_demo
    from patrol.demo.simulate import SimulationSettings
    from patrol.store import upgrade

    if not demo_allowed(current_app.config["ENV"]):
        raise CliError(N_("the demo has fixed logins: run it with PATROL_ENV=development"))
    upgrade(current_app.config["DATABASE_URL"])
    settings = SimulationSettings(year=year, seed=seed, patrols_per_unit_week=patrols_per_week)
    summary = load_demo(
        db_session(),
        settings,
        progress=lambda k, n: echo(N_("  {done}/{total} patrols", done=k, total=n), err=True),
    )
    if summary.patrols_present < 0:
        echo(N_("demo data present (this simulation was loaded before)"))
    else:
        values = {"stored": summary.patrols_created, "present": summary.patrols_present}
        echo(
            N_("demo area created; {stored} patrols stored, {present} present already", **values)
            if summary.created_area
            else N_(
                "demo area present; {stored} patrols stored, {present} present already", **values
            )
        )
    _tell_logins(DEMO_USERS)


def _tell_logins(users: list[tuple[str, str, str | None, str, str]]) -> None:
    """How to sign in to the demo (`make run` prints it): the roles, names, passwords and
    tokens are what a person types, so only the words around them are translated."""
    click.echo()
    echo(N_("Demo logins (synthetic data; development only):"))
    password, token = say(N_("password")), say(N_("token"))
    for username, role, unit, secret, key in users:
        click.echo(
            f"  {role:<12} {username:<12} {password} {secret:<17} {token} {key}"
            + (f"  ({unit})" if unit else "")
        )


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@reports_errors
def serve_command(host: str, port: int) -> None:
    """Serve with Werkzeug's development server (use gunicorn in production)."""
    from werkzeug.serving import run_simple

    from patrol.app import preload

    preload()  # as wsgi.py does: the first statistics answer does not pay scipy's import
    # app.run() refuses to start from inside the flask CLI; run_simple is what it would call.
    run_simple(host, port, current_app._get_current_object(), threaded=True)
