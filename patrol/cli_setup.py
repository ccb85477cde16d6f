"""`patrol init|demo|serve`: the database's schema, the demo data, the development server."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from patrol.cli_common import db_session, reports_errors
from patrol.config import demo_allowed

__all__ = ["demo_command", "init_command", "serve_command"]


@click.command("init")
@with_appcontext
@reports_errors
def init_command() -> None:
    """Create or migrate the database to the latest schema."""
    from patrol.store import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is at the latest schema")


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
        raise click.ClickException("the demo has fixed logins: run it with PATROL_ENV=development")
    upgrade(current_app.config["DATABASE_URL"])
    settings = SimulationSettings(year=year, seed=seed, patrols_per_unit_week=patrols_per_week)
    summary = load_demo(
        db_session(), settings, progress=lambda k, n: click.echo(f"  {k}/{n} patrols", err=True)
    )
    if summary.patrols_present < 0:
        click.echo("demo data present (this simulation was loaded before)")
    else:
        click.echo(
            f"demo area {'created' if summary.created_area else 'present'}; "
            f"{summary.patrols_created} patrols stored, "
            f"{summary.patrols_present} present already"
        )
    click.echo("\nDemo logins (synthetic data; development only):")
    for username, role, unit, password, token in DEMO_USERS:
        click.echo(
            f"  {role:<12} {username:<12} password {password:<17} token {token}"
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

    # app.run() refuses to start from inside the flask CLI; run_simple is what it would call.
    run_simple(host, port, current_app._get_current_object(), threaded=True)
