"""Fixtures for /ogc: a month of patrols, and the test app served on a real port for GDAL."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from tests.conftest import sweep_month


@pytest.fixture
def month(client, world):
    """March 2026: 20 patrols sweeping the test area, snares crowding its NW quarter."""
    sweep_month(client, world)


@pytest.fixture
def live_url(app) -> Iterator[str]:
    """The test app on a free port of 127.0.0.1 (werkzeug in a thread): GDAL's OAPIF driver
    is a real HTTP client and cannot use Flask's test client."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
