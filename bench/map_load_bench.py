"""How long the coordinator's map takes to open on a year of the demo area, in a real browser.

Loads the demo park-year into a temporary SQLite database, serves it, signs in as the demo
coordinator in Debian's chromium (Playwright), and times `/map` from navigation until its data
layers are drawn (zones, 2,734 hotspot cells, dispatch), five times.

    python bench/map_load_bench.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from patrol import create_app
from patrol.demo.load import load_demo
from patrol.store import upgrade


def main() -> None:
    url = f"sqlite:///{tempfile.mkdtemp()}/map.sqlite3"
    upgrade(url)
    app = create_app({"ENV": "development", "SECRET_KEY": "bench", "DATABASE_URL": url})
    with app.app_context():
        from patrol.db import get_session

        load_demo(get_session())
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_port}"
    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{base}/login")
        page.fill("#username", "coordinator")
        page.fill("#password", "demo-coordinator")
        page.click("form.stack button[type=submit]")
        page.wait_for_selector("#map[data-ready='1']")
        for _ in range(5):
            t = time.perf_counter()
            page.goto(f"{base}/map")
            page.wait_for_selector("#map[data-ready='1']", timeout=30000)
            times.append(time.perf_counter() - t)
        cells = page.locator("path.cell").count()
        browser.close()
    srv.shutdown()
    print(
        f"/map with the demo year: {cells} cells drawn; ready in "
        f"{statistics.median(times):.2f} s (median of 5; min {min(times):.2f}, "
        f"max {max(times):.2f})"
    )


if __name__ == "__main__":
    main()
