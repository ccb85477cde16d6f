"""The layers import one way (docs/decisions.md): routes -> services -> store, geo, analytics.

Read from the source with ``ast``, not by importing: an import inside a function, under
``TYPE_CHECKING`` or spread over several lines counts as much as one at the top.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATROL = ROOT / "patrol"

# Routes parse a request, call a service and answer: no models, no SQL of their own.
ROUTE_PACKAGES = ("api", "web", "ogc")
NOT_IN_ROUTES = ("patrol.store", "sqlalchemy")
# Pure packages: arrays and geometries in and out, testable without the web or the store.
PURE_PACKAGES = ("geo", "analytics")
NOT_IN_PURE = (
    "flask",
    "werkzeug",
    "sqlalchemy",
    "alembic",
    "patrol.store",
    "patrol.services",
    "patrol.api",
    "patrol.web",
    "patrol.ogc",
    "patrol.db",
    "patrol.app",
)
# Services take plain values and a session: never the request (werkzeug.security's password
# hashing is a library like any other, not the request).
NOT_IN_SERVICES = ("flask", "patrol.api", "patrol.web", "patrol.ogc", "patrol.db")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, with its line: ``from a import b`` names both ``a`` and
    ``a.b`` (``b`` may be a module, as in ``from patrol.store import models``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this file's package
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def offences(packages: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    out = []
    for package in packages:
        for path in sorted((PATROL / package).rglob("*.py")):
            for line, module in imported_modules(path):
                if any(module == f or module.startswith(f + ".") for f in forbidden):
                    out.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return out


def test_routes_never_touch_the_store():
    assert offences(ROUTE_PACKAGES, NOT_IN_ROUTES) == []


def test_pure_packages_import_neither_the_web_nor_the_store():
    assert offences(PURE_PACKAGES, NOT_IN_PURE) == []


def test_services_never_import_the_web():
    assert offences(("services",), NOT_IN_SERVICES) == []


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("from patrol.store.models import Unit\n", True),
        ("from patrol.store import models\n", True),
        ("import patrol.store.models as m\n", True),
        ("def f():\n    from patrol.store.models import Unit\n", True),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sqlalchemy\n", True),
        ("from ..store import models\n", True),
        ("from patrol.services import units\n", False),
        ("from patrol.storefront import x\n", False),
    ],
)
def test_the_check_sees_every_way_of_importing(tmp_path, monkeypatch, source, caught):
    # The check itself, on a module written in each way (a relative one from patrol/api).
    root = tmp_path / "repo"
    (root / "patrol" / "api").mkdir(parents=True)
    (root / "patrol" / "api" / "bad.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", root)
    monkeypatch.setattr(sys.modules[__name__], "PATROL", root / "patrol")
    assert bool(offences(("api",), NOT_IN_ROUTES)) is caught
