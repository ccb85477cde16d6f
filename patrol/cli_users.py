"""`patrol users|tokens`: people, their roles, and their API tokens."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from patrol.cli_common import db_session, reports_errors
from patrol.cli_i18n import CliError, echo, say
from patrol.texts import N_
from patrol.vocabulary import Role, values

__all__ = ["tokens_group", "users_group"]

users_group = AppGroup("users", help="People and their roles.")


@users_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(values(Role)), required=True)
@click.option("--unit", help="Unit code (rangers).")
@click.option("--area", "areas", multiple=True, help="Area slug; repeat for several.")
@click.option("--password", help="Asked for (twice, hidden) when not given.")
@reports_errors
def users_create(
    username: str, role: str, unit: str | None, areas: tuple[str, ...], password: str | None
) -> None:
    """Create a user with a role (and a unit for rangers)."""
    from patrol.services.auth import create_user
    from patrol.store.engine import write

    if password is None:
        # Asked here, not by the option's own prompt: its words are the command's language.
        password = click.prompt(
            say(N_("Password")),
            hide_input=True,
            confirmation_prompt=say(N_("Repeat for confirmation")),
        )

    with write(db_session()) as session:
        create_user(session, username, role, password, unit, list(areas))
    echo(N_("user {username} ({role}) created", username=username, role=role))


tokens_group = AppGroup("tokens", help="API tokens.")


@tokens_group.command("create")
@click.argument("username")
@click.option("--name", default="", help="What the token is for.")
@reports_errors
def tokens_create(username: str, name: str) -> None:
    """Create an API token; it is shown this once and stored hashed."""
    from patrol.services.auth import create_token
    from patrol.store.engine import write

    with write(db_session()) as session:
        _, token = create_token(session, username, name)
    click.echo(token)


@tokens_group.command("revoke")
@click.argument("token_or_prefix")
@reports_errors
def tokens_revoke(token_or_prefix: str) -> None:
    """Revoke a token, by the token itself or its shown prefix."""
    from patrol.services.auth import revoke_token
    from patrol.store.engine import write

    with write(db_session()) as session:
        count = revoke_token(session, token_or_prefix)
    if not count:
        raise CliError(N_("no active token matches"))
    echo(N_("{count} token(s) revoked", count=count))
