"""The `patrol` command (also `flask --app patrol ...`): its groups, known without the app.

The commands live by what they work on: ``cli_setup`` (init, demo, serve), ``cli_areas``
(areas, zones, units, layers, detection, recompute), ``cli_users`` (users, tokens),
``cli_patrols`` (patrols, dispatch, export), ``cli_smart``, ``cli_basemap`` and ``cli_db``;
``cli_common`` holds what they share, the printer of their failures among it.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, ScriptInfo

from patrol.cli_areas import (
    areas_group,
    detection_command,
    layers_group,
    recompute_command,
    units_group,
    zones_group,
)
from patrol.cli_basemap import basemap_group
from patrol.cli_db import db_group
from patrol.cli_i18n import CliError
from patrol.cli_patrols import dispatch_command, export_group, patrols_group
from patrol.cli_setup import demo_command, init_command, serve_command
from patrol.cli_smart import smart_group
from patrol.cli_users import tokens_group, users_group
from patrol.config import ConfigurationError

__all__ = ["COMMANDS", "PatrolGroup", "cli", "init_app"]

COMMANDS: list[click.Command] = [
    export_group,
    dispatch_command,
    detection_command,
    init_command,
    demo_command,
    serve_command,
    recompute_command,
    areas_group,
    zones_group,
    units_group,
    layers_group,
    users_group,
    tokens_group,
    patrols_group,
    smart_group,
    basemap_group,
    db_group,
]


def init_app(app: Flask) -> None:
    """Register every command on the app's own ``flask`` command group."""
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app() -> Flask:
    from patrol.app import create_app

    try:
        return create_app()
    except ConfigurationError as exc:
        raise CliError(str(exc)) from None


class PatrolGroup(AppGroup):
    """The `patrol` command: its commands are known without building the app.

    Flask's own group builds the app to list its commands, so every ``--help`` would need
    PATROL_SECRET_KEY; here a command builds the app only when it runs.
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: object,
    ) -> click.Context:
        extra.setdefault("obj", ScriptInfo(create_app=_create_app))
        return super().make_context(info_name, args, parent=parent, **extra)


cli = PatrolGroup("patrol", help="patrol: the anti-poaching patrol and snare log.")
for _command in COMMANDS:
    cli.add_command(_command)
