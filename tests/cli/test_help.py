"""`patrol --help` and every command's help work without PATROL_SECRET_KEY; running asks for it."""

from __future__ import annotations

import os

import click
import pytest
from click.testing import CliRunner
from flask import Config

from patrol import cli as cli_module
from patrol.cli import cli


def _commands(commands: list[click.Command], path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for command in sorted(commands, key=lambda c: c.name):
        found.append((*path, command.name))
        if isinstance(command, click.Group):
            found.extend(_commands(list(command.commands.values()), (*path, command.name)))
    return found


# Every command the app registers (what `flask --app patrol` lists), sub-commands included.
COMMANDS = _commands(cli_module.COMMANDS)


@pytest.fixture
def bare_env(monkeypatch):
    """A production shell with no PATROL_* settings and no instance/config.py."""
    for name in list(os.environ):
        if name.startswith(("PATROL_", "FLASK_")):
            monkeypatch.delenv(name)
    monkeypatch.setattr(Config, "from_pyfile", lambda self, *a, **k: False)
    return CliRunner()


def test_every_command_is_listed(bare_env):
    result = bare_env.invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "PATROL_SECRET_KEY" not in result.output
    listed = result.output.split("Commands:")[1].split()
    top = {path[0] for path in COMMANDS}
    assert {"init", "demo", "serve", "areas", "patrols", "export"} <= top
    assert top <= set(listed)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_needs_no_secret_key(bare_env, path):
    result = bare_env.invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: patrol {' '.join(path)} ")
    assert "Traceback" not in result.output and "PATROL_SECRET_KEY" not in result.output


@pytest.mark.parametrize(
    "args", [["init"], ["recompute"], ["tokens", "revoke", "ptl_x"]], ids=" ".join
)
def test_commands_that_build_the_app_ask_for_the_key(bare_env, args):
    result = bare_env.invoke(cli, args)
    assert result.exit_code == 1
    assert result.output.startswith("Error: PATROL_SECRET_KEY is not set. Set it to a long random")
    assert "Traceback" not in result.output


def test_development_needs_no_key(bare_env, monkeypatch, tmp_path):
    monkeypatch.setenv("PATROL_ENV", "development")
    monkeypatch.setenv("PATROL_DATABASE_URL", f"sqlite:///{tmp_path / 'dev.sqlite3'}")
    result = bare_env.invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    assert "latest schema" in result.output
    assert (tmp_path / "dev.sqlite3").stat().st_size > 0
