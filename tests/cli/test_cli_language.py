"""The command line speaks the locale's language (issue 12 item 3): the POSIX locale chooses,
as in gettext programs; the Russian comes from the pages' catalog (read here independently,
with Babel's .po reader), the English is what the commands always printed, and pointers,
ids and figures' values are the same in both."""

from __future__ import annotations

import doctest
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from patrol import cli_i18n
from patrol.cli_common import reports_errors
from patrol.errors import FieldError, ValidationFailed
from patrol.texts import N_
from tests.conftest import make_report

ROOT = Path(__file__).resolve().parents[2]
RUSSIAN = {"LANG": "ru_RU.UTF-8"}
C = {"LANG": "C"}


@pytest.fixture(scope="module")
def ru():
    """``ru(msgid, **values)``: the Russian catalog's text for ``msgid`` with its values."""
    with (ROOT / "translations/ru/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh)

    def say(msgid: str, **values: object) -> str:
        text = catalog[msgid].string
        assert text and text != msgid and not catalog[msgid].fuzzy, msgid
        return text.format(**values)

    return say


def test_the_pure_functions_examples():
    result = doctest.testmod(cli_i18n)
    assert result.failed == 0 and result.attempted >= 9


@pytest.mark.parametrize(
    ("env", "lang"),
    [
        ({"LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "ru"}, "ru"),
        ({"LANG": "ru_UA.KOI8-U@calendar"}, "ru"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),  # no French catalog
        ({"LC_ALL": "ru_RU.UTF-8", "LANG": "en_GB.UTF-8"}, "ru"),
        ({"LC_ALL": "C", "LC_MESSAGES": "ru_RU.UTF-8"}, "en"),
        ({"LC_MESSAGES": "ru_RU.UTF-8", "LANG": "C"}, "ru"),
        ({"LC_ALL": "", "LANG": "ru_RU.UTF-8"}, "ru"),  # an empty variable is unset
        ({"LANGUAGE": "ru", "LANG": "en_GB.UTF-8"}, "ru"),
        ({"LANGUAGE": "de:ru_RU:en", "LANG": "en_GB.UTF-8"}, "ru"),
        ({"LANGUAGE": "en", "LANG": "ru_RU.UTF-8"}, "en"),
        ({"LANGUAGE": "de:fr", "LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LANGUAGE": "ru"}, "en"),  # LANGUAGE is ignored in the C locale, as gettext does
    ],
)
def test_language_from_the_locale(env, lang):
    assert cli_i18n.cli_language(env) == lang


def test_init_says_it_in_the_locales_language(runner, ru):
    english = runner.invoke(args=["init"], env=C)
    russian = runner.invoke(args=["init"], env=RUSSIAN)
    assert english.exit_code == russian.exit_code == 0
    assert english.output == "database is at the latest schema\n"
    assert russian.output == ru("database is at the latest schema") + "\n"


def _files(tmp_path, good_name: str) -> tuple[Path, Path, str]:
    good = make_report()
    bad = make_report()
    bad["features"][0]["geometry"]["coordinates"][1][1] = 95.0
    (tmp_path / good_name).write_text(json.dumps(good))
    (tmp_path / "bad.geojson").write_text(json.dumps(bad))
    return tmp_path / good_name, tmp_path / "bad.geojson", good["features"][0]["id"]


def test_import_in_russian_and_english(runner, world, tmp_path, ru):
    good, bad, patrol_id = _files(tmp_path, "good.geojson")
    args = ["patrols", "import", "--jobs", "1", str(good), str(bad)]
    russian = runner.invoke(args=args, env=RUSSIAN)
    english = runner.invoke(args=args, env=C)  # the same files again: a replay now
    assert russian.exit_code == english.exit_code == 1
    pointer = "/features/0/geometry/coordinates/1/1"

    assert russian.stderr.splitlines() == [
        ru("{name}: rejected", name=str(bad)),
        "  " + ru("The {what} has {n} problem(s); nothing was stored.", what=ru("report"), n=1),
        f"  {pointer}: " + ru("latitude {value} is outside [-90, 90]", value="95"),
    ]
    assert russian.stdout.splitlines()[0] == ru(
        "{name}: stored as patrol {patrol} ({km} km)", name=str(good), patrol=patrol_id, km="8,00"
    )
    summary = ru(
        "{stored} stored, {replayed} already stored, {rejected} rejected; "
        "{vertices} vertices stored in {seconds} s ({rate} vertices/s)",
        stored=1,
        replayed=0,
        rejected=1,
        vertices=3,
        seconds="<s>",
        rate="<r>",
    ).split("<s>")[0]
    assert russian.stdout.splitlines()[1].startswith(summary)
    assert "rejected" not in russian.output and "stored" not in russian.output

    # English: word for word what the command printed before it spoke Russian.
    assert english.stderr.splitlines() == [
        f"{bad}: rejected",
        "  The report has 1 problem(s); nothing was stored.",
        f"  {pointer}: latitude 95 is outside [-90, 90]",
    ]
    assert english.stdout.splitlines()[0] == (
        f"{good}: already stored as patrol {patrol_id} (8.00 km)"
    )
    assert english.stdout.splitlines()[1].startswith(
        "0 stored, 1 already stored, 1 rejected; 0 vertices stored in "
    )


def test_a_failing_command_tells_its_problem_in_russian(runner, world, tmp_path, ru):
    units = tmp_path / "units.geojson"
    units.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [131.3, 95]},
                        "properties": {"code": "N-01", "name": "North 1"},
                    }
                ],
            }
        )
    )
    args = ["units", "import", "--area", "test-area", str(units)]
    russian = runner.invoke(args=args, env=RUSSIAN)
    english = runner.invoke(args=args, env=C)
    assert russian.exit_code == english.exit_code == 1
    pointer = "/features/0/geometry/coordinates/1"
    detail = ru("The {what} has {n} problem(s); nothing was stored.", what=ru("units file"), n=1)
    assert russian.stderr.splitlines() == [
        ru("error: {detail}", detail=detail),
        f"  {pointer}: " + ru("latitude {value} is outside [-90, 90]", value="95"),
    ]
    assert english.stderr.splitlines() == [
        "error: The units file has 1 problem(s); nothing was stored.",
        f"  {pointer}: latitude 95 is outside [-90, 90]",
    ]


@click.command()
@reports_errors
def failing() -> None:
    raise ValidationFailed(
        N_("The {what} has {n} problem(s); nothing was stored.", what=N_("report"), n=2),
        errors=[
            FieldError("/features/0/id", N_("is required")),
            FieldError("/features/0/properties/unit", "a plain English text"),
        ],
    )


def test_reports_errors_says_messages_and_keeps_pointers(ru):
    result = CliRunner().invoke(failing, env=RUSSIAN)
    assert result.exit_code == 1
    detail = ru("The {what} has {n} problem(s); nothing was stored.", what=ru("report"), n=2)
    assert result.stderr.splitlines() == [
        ru("error: {detail}", detail=detail),
        "  /features/0/id: " + ru("is required"),
        "  /features/0/properties/unit: a plain English text",  # not in the catalog: as is
    ]


def test_click_failures_and_prompts(runner, world, ru):
    russian = runner.invoke(args=["tokens", "revoke", "ptl_nothing"], env=RUSSIAN)
    english = runner.invoke(args=["tokens", "revoke", "ptl_nothing"], env=C)
    assert russian.exit_code == english.exit_code == 1
    assert russian.stderr == (ru("Error: {message}", message=ru("no active token matches")) + "\n")
    assert english.stderr == "Error: no active token matches\n"

    args = ["users", "create", "olga", "--role", "coordinator"]
    asked = runner.invoke(args=args, input="long enough password\n" * 2, env=RUSSIAN)
    assert asked.exit_code == 0, asked.output
    assert asked.stdout.startswith(ru("Password") + ": \n" + ru("Repeat for confirmation") + ": \n")
    created = ru("user {username} ({role}) created", username="olga", role="coordinator")
    assert asked.stdout.endswith(created + "\n")


def test_demo_logins_in_russian(monkeypatch, capsys, ru):
    from patrol.cli_setup import _tell_logins
    from patrol.demo.load import DEMO_USERS

    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    _tell_logins(DEMO_USERS)
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["", ru("Demo logins (synthetic data; development only):")]
    username, role, unit, password, token = DEMO_USERS[-1]
    assert lines[-1].split() == [
        role,
        username,
        ru("password"),
        password,
        ru("token"),
        token,
        f"({unit})",
    ]
    monkeypatch.setenv("LANG", "C")
    _tell_logins(DEMO_USERS)
    english = capsys.readouterr().out.splitlines()
    assert english[1] == "Demo logins (synthetic data; development only):"
    assert english[2].split()[2:5:2] == ["password", "token"]


def test_a_real_patrol_process_in_russian(tmp_path, ru):
    """`.venv/bin/patrol` itself, its locale from its environment (not CliRunner's)."""
    patrol = Path(sys.executable).with_name("patrol")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PATROL_", "FLASK_", "LC_")) and k != "LANGUAGE"
    }
    env.update(
        PATROL_ENV="development",
        PATROL_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        LANG="ru_RU.UTF-8",
    )
    init = subprocess.run(
        [patrol, "init"], env=env, capture_output=True, check=False, encoding="utf-8"
    )
    assert init.returncode == 0, init.stderr
    assert init.stdout == ru("database is at the latest schema") + "\n"
    revoke = subprocess.run(
        [patrol, "tokens", "revoke", "ptl_nothing"],
        env=env,
        capture_output=True,
        check=False,
        encoding="utf-8",
    )
    assert revoke.returncode == 1
    assert revoke.stderr == ru("Error: {message}", message=ru("no active token matches")) + "\n"
    english = subprocess.run(
        [patrol, "init"], env={**env, "LANG": "C"}, capture_output=True, check=False, text=True
    )
    assert english.stdout == "database is at the latest schema\n"


def test_smart_import_in_russian(runner, world, tmp_path, ru):
    from tests.smart_files import standard_patrol

    (tmp_path / "a.xml").write_bytes(standard_patrol("SMART_A"))
    args = ["smart", "import", str(tmp_path / "a.xml"), "--unit", "T-01", "--quiet"]
    russian = runner.invoke(args=args, env=RUSSIAN)
    english = runner.invoke(args=args, env=C)  # a replay now
    assert russian.exit_code == english.exit_code == 0, russian.output
    line = russian.stdout.splitlines()[0]
    assert line.startswith(
        ru("{name} {smart_id}: {status} ({area}, {unit}; {legs}; {finds} finds, {observations} "
           "observations)", name=str(tmp_path / "a.xml"), smart_id="SMART_A", status=ru("stored"),
           area="test-area", unit="T-01", legs="<legs>", finds=0, observations=0)
        .split("<legs>")[0]
    )  # fmt: skip
    # Each leg's distance, from the English line, with a decimal comma.
    legs = re.findall(r"(\w+) (\d+)\.(\d\d) km", english.stdout)
    assert (
        legs
        and "; "
        + ", ".join(
            ru("{transport} {km} km", transport=t, km=f"{whole},{cents}")
            for t, whole, cents in legs
        )
        + "; "
        in line
    )
    assert russian.stdout.splitlines()[-1] == ru(
        "{files} files: {stored} stored, {updated} updated, {replayed} replayed, "
        "{rejected} patrols and {files_rejected} files rejected",
        files=1,
        stored=1,
        updated=0,
        replayed=0,
        rejected=0,
        files_rejected=0,
    )
    assert "a.xml SMART_A: replayed (test-area, T-01; foot " in english.stdout
    assert english.stdout.splitlines()[-1] == (
        "1 files: 0 stored, 0 updated, 1 replayed, 0 patrols and 0 files rejected"
    )
