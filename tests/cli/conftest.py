"""The commands' tests run in the C locale unless a test says otherwise (env=... of CliRunner):
a developer's Russian shell must not turn the English assertions Russian (docs/i18n.md)."""

from __future__ import annotations

import pytest

from patrol.cli_i18n import LOCALE_VARIABLES


@pytest.fixture(autouse=True)
def c_locale(monkeypatch):
    for name in ("LANGUAGE", *LOCALE_VARIABLES):
        monkeypatch.delenv(name, raising=False)
