"""Real-browser fixtures: a live threaded server on the test database, Debian's chromium
driven by Playwright (never a downloaded browser), and a page that records console errors."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("PATROL_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
PASSWORD = "correct horse battery"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (bash .ci/run does)")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def server(app, world):
    """The app served for real (threads), with a password for every test user."""
    from patrol.db import get_session
    from patrol.services import auth
    from patrol.store.models import User

    with app.app_context():
        s = get_session()
        for user in s.query(User).all():
            auth.set_password(user, PASSWORD)
        s.commit()
    srv = make_server("127.0.0.1", 0, answered_whole(app), threaded=True)
    # Teardown waits for the request threads still in flight (socketserver tracks them even
    # as daemons): otherwise their queries race the wipe of the database (a TRUNCATE
    # deadlocked with one on PostgreSQL in CI).
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(timeout=10)
    for request_thread in list(getattr(srv, "_threads", None) or ()):
        request_thread.join(timeout=10)
    srv.socket.close()


def answered_whole(app):
    """The app with each answer read whole and closed before the server sends it.

    Werkzeug's development server (3.1, ``serving.py``, ``execute``) drains the request in a
    ``finally`` and calls the answer's ``close()`` only after it: when chromium resets a
    connection it dropped (a page left mid-load), the drain raises and the answer is never
    closed, so a static file stays open until garbage collection warns about it in whichever
    test runs then. Closing here, inside the app, makes every file end with its request. The
    price: the pages receive streamed answers (the routes layer) whole, so streaming itself is
    tested through the test client (tests/api), not in the browser."""

    def wsgi(environ, start_response):
        answer = app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            if hasattr(answer, "close"):
                answer.close()

    return wsgi


class Session:
    """A browser context and page, with the console errors the page logged."""

    def __init__(self, browser, base: str, viewport: dict) -> None:
        self.base = base
        self.context = browser.new_context(viewport=viewport, base_url=base)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def login(self, username: str, password: str = PASSWORD) -> None:
        self.page.goto("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("form.stack button[type=submit]")
        self.page.wait_for_load_state()

    def logout(self) -> None:
        self.page.click("form.logout button")
        self.page.wait_for_url("**/login")

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_session(browser, server):
    sessions: list[Session] = []

    def make(viewport: dict = DESKTOP) -> Session:
        s = Session(browser, server, viewport)
        sessions.append(s)
        return s

    yield make
    for s in sessions:
        s.close()
