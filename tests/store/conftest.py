"""The migration tests' database: a fresh SQLite file, or a fresh PostgreSQL database dropped
afterwards, so each test walks the migrations from nothing on every backend the suite runs."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import BACKENDS, _pg_database, _pg_drop


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    """A database URL of its own for one test (a module may define its own ``url``)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"patrol_mig_{uuid.uuid4().hex[:12]}"
    try:
        yield _pg_database(name)
    finally:
        _pg_drop(name)
