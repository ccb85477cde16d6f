"""Start-up: the app a command builds leaves scipy unloaded, a server loads it before answering.

A bulk import pays the command line's start-up on one core before any file is read; scipy's
statistics were most of it (~0.7 s), and only the statistics' answers use them. So they are
imported where used, and ``wsgi.py`` imports them (``patrol.app.preload``) before a worker's
first answer. Making the app runs with the collector paused, and the process's own app is
frozen out of later collections (those at exit went over it for ~0.13 s).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from patrol.app import ANSWER_MODULES

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str) -> subprocess.CompletedProcess:
    # A fresh interpreter configured as a command's: this one has scipy loaded already.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PATROL_", "FLASK_"))}
    env.update(PATROL_ENV="testing", PATROL_DATABASE_URL="sqlite://", PATROL_SECRET_KEY="t")
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_app_a_command_builds_does_not_load_scipy():
    done = _python(
        "import sys; from patrol.cli import cli; from patrol.app import create_app; "
        "app = create_app(); assert app.name == 'patrol'; "
        f"loaded = [m for m in {ANSWER_MODULES!r} + ('scipy',) if m in sys.modules]; "
        "assert not loaded, loaded; "
        # Nor Babel's data of every language for the pages' switch (~45 ms).
        "from patrol.i18n import _own_name; assert _own_name.cache_info().currsize == 0"
    )
    assert done.returncode == 0, done.stderr


def test_a_server_loads_what_the_answers_import_before_answering():
    done = _python(
        "import sys; import wsgi; "
        f"missing = [m for m in {ANSWER_MODULES!r} if m not in sys.modules]; "
        "assert not missing, missing"
    )
    assert done.returncode == 0, done.stderr


def test_the_development_server_loads_them_before_serving_too():
    """``patrol serve`` (what ``make run`` starts): Werkzeug's server in this process."""
    done = _python(
        "import sys, werkzeug.serving; from click.testing import CliRunner; "
        "from patrol.cli import cli; seen = []; "
        f"werkzeug.serving.run_simple = lambda *a, **k: seen.extend("
        f"m for m in {ANSWER_MODULES!r} if m not in sys.modules) or seen.append('served'); "
        "result = CliRunner().invoke(cli, ['serve']); "
        "assert result.exit_code == 0, result.output; assert seen == ['served'], seen"
    )
    assert done.returncode == 0, done.stderr


def _scipy_imports(tree: ast.Module) -> list[tuple[str, bool]]:
    """Each scipy module a source imports, and whether at its top level (outside functions and
    outside ``if TYPE_CHECKING:``)."""
    found = []
    lazy_nodes: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or (
            isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        ):
            lazy_nodes.update(id(n) for n in ast.walk(node))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module == "scipy":
            names = [f"scipy.{a.name}" for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        else:
            continue
        found += [(n, id(node) not in lazy_nodes) for n in names if n.split(".")[0] == "scipy"]
    return found


def test_scipy_is_imported_where_used_and_preloaded_for_servers():
    eager, not_preloaded = [], []
    for path in sorted((ROOT / "patrol").rglob("*.py")):
        for name, top_level in _scipy_imports(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}: {name}"
            if top_level:
                eager.append(where)
            if not any(name == m or name.startswith(m + ".") for m in ANSWER_MODULES):
                not_preloaded.append(where)
    assert not eager, eager
    assert not not_preloaded, not_preloaded


def test_the_process_own_app_is_frozen_out_of_collections_and_the_collector_runs():
    done = _python(
        "import gc; from patrol.app import create_app; "
        "create_app(); assert gc.isenabled() and gc.get_freeze_count() > 50_000; "
        "gc.unfreeze(); create_app({'ENV': 'testing', 'DATABASE_URL': 'sqlite://'}); "
        "assert gc.isenabled() and gc.get_freeze_count() == 0; "
        "gc.disable(); create_app({'ENV': 'testing', 'DATABASE_URL': 'sqlite://'}); "
        "assert not gc.isenabled()"
    )
    assert done.returncode == 0, done.stderr


def test_an_app_with_a_test_config_is_not_frozen():
    # The suite builds hundreds: none of them may be pinned in memory for the session.
    import gc

    from patrol.app import create_app

    frozen = gc.get_freeze_count()
    create_app({"ENV": "testing", "DATABASE_URL": "sqlite://"})
    assert gc.get_freeze_count() == frozen
    assert gc.isenabled()
