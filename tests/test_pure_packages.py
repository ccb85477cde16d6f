"""The pure packages import without the web stack; the package under test is this checkout's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import patrol

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str) -> subprocess.CompletedProcess:
    # A fresh interpreter: this one has Flask loaded already (conftest builds apps).
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "modules",
    [
        "patrol.geo, patrol.analytics",
        "patrol.geo.gpx, patrol.geo.importers, patrol.geo.shapes, patrol.geo.effort",
        "patrol.analytics.hotspots, patrol.analytics.dispatch, patrol.analytics.trend",
    ],
)
def test_geo_and_analytics_import_without_flask_or_sqlalchemy(modules):
    done = _python(
        f"import sys, {modules}; "
        "bad = [m for m in ('flask', 'sqlalchemy', 'werkzeug') if m in sys.modules]; "
        "assert not bad, bad"
    )
    assert done.returncode == 0, done.stderr


def test_create_app_is_still_importable_from_patrol():
    done = _python(
        "import sys, patrol; assert 'flask' not in sys.modules; "
        "from patrol import create_app; from patrol.app import create_app as factory; "
        "assert create_app is factory and 'flask' in sys.modules; "
        "print(create_app({'ENV': 'testing', 'DATABASE_URL': 'sqlite://'}).name)"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "patrol"


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        _ = patrol.nonexistent


def test_the_package_under_test_is_this_checkouts():
    # tests/fresh_clone.sh relies on this: a clone's suite tests the clone's own code.
    assert Path(patrol.__file__).resolve().parent == ROOT / "patrol"
