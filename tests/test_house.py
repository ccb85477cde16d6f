"""The house's sizes (issue 10): files along their seams, functions one screen long.

A file over ``MAX_FILE_LINES`` holds more than one seam; a function over ``MAX_FUNCTION_LINES``
is several steps that want names. Complexity (C901 at 12) and typed signatures (ANN) are
ruff's, in ``pyproject.toml``, run by ``make test``; this checks what ruff cannot, and that
the ruff rules stay on.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATROL = ROOT / "patrol"
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60

# Migrations are history: each is written once, for one schema change, and never edited.
SOURCES = sorted(p for p in PATROL.rglob("*.py") if "migrations" not in p.parts)


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", SOURCES, ids=_rel)
def test_file_is_one_seam(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_FILE_LINES, f"{_rel(path)} has {lines} lines: split it along its seams"


def long_functions(source: str, limit: int) -> list[tuple[str, int]]:
    """(name, lines) of every function or method longer than ``limit`` lines, from ``def``
    (decorators excluded) to its last line, docstring included.

    >>> long_functions("def f():\\n    pass\\n", 1)
    [('f', 2)]
    >>> long_functions("def f():\\n    pass\\n", 2)
    []
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            if length > limit:
                found.append((node.name, length))
    return found


def test_the_measure_counts_what_it_says() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    assert long_functions(f"def long():\n{body}\n", MAX_FUNCTION_LINES) == [
        ("long", MAX_FUNCTION_LINES + 1)
    ]
    assert long_functions(f"def fits():\n{body}\n", MAX_FUNCTION_LINES + 1) == []


@pytest.mark.parametrize("path", SOURCES, ids=_rel)
def test_functions_fit_a_screen(path: Path) -> None:
    found = long_functions(path.read_text(encoding="utf-8"), MAX_FUNCTION_LINES)
    assert not found, f"{_rel(path)}: functions over {MAX_FUNCTION_LINES} lines: {found}"


def test_ruff_checks_complexity_and_types() -> None:
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    assert {"C901", "ANN"} <= set(lint["select"])
    assert lint["mccabe"]["max-complexity"] <= 12
    # Types are asked of the package; tests, benchmarks and migrations may leave them out.
    ignored_in_patrol = {
        rule
        for pattern, rules in lint.get("per-file-ignores", {}).items()
        if pattern.startswith("patrol/") and "migrations" not in pattern
        for rule in rules
    }
    assert not ignored_in_patrol & {"ANN", "ANN001", "ANN201", "C901"}
