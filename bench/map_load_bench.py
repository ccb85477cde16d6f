"""What the coordinator's map costs on the wire and in time, compression off against on.

Loads the demo park-year into a SQLite database (a temporary one, or ``--db PATH`` kept between
runs), serves it twice in this process — one app with ``COMPRESS`` off, one with it on — and:

1. asks the API directly, as the demo coordinator, for the year's hotspots, zone statistics
   and routes (every page of ``GET /patrols``, as stored and simplified with ``tolerance_m``),
   and prints each answer's bytes plain, gzip and Brotli, with the median time of the request
   on each server (the peer: the same request uncompressed, in the same run);
2. signs in to ``/map`` in Debian's chromium (Playwright) and records, per server, the bytes
   received on the wire (Chrome DevTools ``encodedDataLength``: headers and body as sent) and
   the time to interactive (navigation until the map's data layers are drawn) for a cold
   default view (empty cache, no service worker), the "Patrol routes" layer switched on (until
   the routes are drawn), and the same view opened again with the browser's cache (revalidated
   with ``If-None-Match``: 304s), medians of ``--runs``; on the machine's own loopback and on
   a field office's link emulated by chromium (``--link-mbit``, default 8 Mbit/s down, 40 ms),
   the servers interleaved so that the machine's other work falls on both alike.

    python bench/map_load_bench.py [--runs 3] [--db /tmp/map-bench.sqlite3] [--skip-api]

Routes (all pages of the year) are timed once per server; everything else is a median.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from patrol import create_app
from patrol.demo.load import DEMO_USERS, load_demo
from patrol.store import upgrade

TOKEN = next(u[4] for u in DEMO_USERS if u[0] == "coordinator")
HOTSPOT_TARGET_KB = 300
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _serve(url: str, compress: bool):
    app = create_app(
        {"ENV": "development", "SECRET_KEY": "bench", "DATABASE_URL": url, "COMPRESS": compress}
    )
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return app, srv, f"http://127.0.0.1:{srv.server_port}"


def _get(base: str, path: str, encoding: str | None) -> tuple[bytes, dict, float]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/geo+json"}
    if encoding:
        headers["Accept-Encoding"] = encoding
    t = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(base + path, headers=headers)) as r:
        body = r.read()  # urllib does not decode: these are the bytes sent
        took = time.perf_counter() - t
        return body, dict(r.headers), took


def _pages(base: str, path: str, encoding: str | None) -> tuple[int, float]:
    """Bytes and seconds for every page of a paged answer (1,000 routes a page)."""
    import gzip
    import json

    import brotli

    total, seconds, offset = 0, 0.0, 0
    while True:
        sep = "&" if "?" in path else "?"
        body, headers, took = _get(base, f"{path}{sep}limit=1000&offset={offset}", encoding)
        total += len(body)
        seconds += took
        coding = headers.get("Content-Encoding")
        text = gzip.decompress(body) if coding == "gzip" else body
        text = brotli.decompress(body) if coding == "br" else text
        doc = json.loads(text)
        offset += doc["numberReturned"]
        if offset >= doc["numberMatched"] or not doc["numberReturned"]:
            return total, seconds


def api_table(off: str, on: str, runs: int) -> None:
    print("\n## API answers on the wire (demo coordinator, the latest year)\n")
    print("| answer | plain KB | gzip KB | br KB | ms plain (off) | ms br (on) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    cases = [
        ("hotspots (1 km, the year)", "/api/v1/hotspots", False),
        ("zones/stats (the year)", "/api/v1/zones/stats", False),
        ("routes, as stored (all pages)", "/api/v1/patrols", True),
        *(
            (f"routes, tolerance_m={t}", f"/api/v1/patrols?tolerance_m={t}", True)
            for t in (5, 25, 100)
        ),
    ]
    hotspot_br = None
    for label, path, paged in cases:
        sizes, times = {}, {}
        if paged:
            # Routes are heavy to serve: one pass each (the br pass is the one timed).
            for enc in (None, "gzip", "br"):
                sizes[enc], seconds = _pages(on, path, enc)
            times["on"] = seconds * 1000
            times["off"] = _pages(off, path, None)[1] * 1000
        else:
            for enc in (None, "gzip", "br"):
                sizes[enc] = len(_get(on, path, enc)[0])
            for name, base, enc in (("off", off, None), ("on", on, "br")):
                samples = [_get(base, path, enc)[2] for _ in range(runs)]
                times[name] = statistics.median(samples) * 1000
        if path == "/api/v1/hotspots":
            hotspot_br = (sizes["gzip"], sizes["br"])
        print(
            f"| {label} | {sizes[None] / 1024:,.0f} | {sizes['gzip'] / 1024:,.0f} | "
            f"{sizes['br'] / 1024:,.0f} | {times['off']:,.0f} | {times['on']:,.0f} |"
        )
    gz, br = hotspot_br
    verdict = "met" if max(gz, br) < HOTSPOT_TARGET_KB * 1024 else "NOT met"
    print(
        f"\nThe year's hotspot answer on the wire: {gz / 1024:,.0f} KB gzip, {br / 1024:,.0f} KB "
        f"br (target < {HOTSPOT_TARGET_KB} KB: {verdict})."
    )


@dataclass
class Wire:
    """Bytes received on the wire, counted from DevTools' loadingFinished events."""

    bytes: int = 0
    requests: int = 0
    not_modified: int = 0
    statuses: dict = field(default_factory=dict)

    def attach(self, cdp) -> None:
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)

    def _response(self, event) -> None:
        self.statuses[event["requestId"]] = event["response"]["status"]

    def _finished(self, event) -> None:
        self.bytes += int(event["encodedDataLength"])
        self.requests += 1
        if self.statuses.get(event["requestId"]) == 304:
            self.not_modified += 1

    def reset(self) -> None:
        self.bytes = self.requests = self.not_modified = 0


def _routes_on(page) -> None:
    """Tick "Patrol routes" in the layers control (hidden until hovered: a DOM click)."""
    page.evaluate(
        """() => {
          const label = [...document.querySelectorAll('.leaflet-control-layers label')]
            .find((l) => l.textContent.includes('Patrol routes'));
          label.querySelector('input').click();
        }"""
    )
    # The routes are drawn after their last page arrives (a string predicate would need eval,
    # which the pages' CSP refuses).
    page.wait_for_selector("path.route", state="attached", timeout=300_000)


def browser_run(browser, base: str, out: dict[str, list], link_mbit: float) -> None:
    """One sign-in and the three views, into ``out``; ``link_mbit`` > 0 throttles the
    page's downloads (Chrome's network emulation, 40 ms latency) to a field office's link."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#username", "coordinator")
    page.fill("#password", "demo-coordinator")
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("#map[data-ready='1']", timeout=120_000)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if link_mbit:
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": 40,
                "downloadThroughput": link_mbit * 1e6 / 8,
                "uploadThroughput": link_mbit * 1e6 / 8 / 4,
            },
        )
    wire = Wire()
    wire.attach(cdp)
    # Cold: nothing cached (the sign-in above warmed the scripts; drop them).
    cdp.send("Network.clearBrowserCache")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    wire.reset()
    t = time.perf_counter()
    page.goto(f"{base}/map")
    page.wait_for_selector("#map[data-ready='1']", timeout=120_000)
    ready = time.perf_counter() - t
    page.wait_for_load_state("networkidle")  # every byte of the view counted
    out["cold"].append((ready, wire.bytes, wire.requests, 0))
    wire.reset()
    t = time.perf_counter()
    _routes_on(page)
    out["routes"].append((time.perf_counter() - t, wire.bytes, wire.requests, 0))
    # Warm: the same view again with the browser's cache: scripts from the cache,
    # the API's answers revalidated (304 when unchanged).
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    page.goto(f"{base}/map")
    page.wait_for_selector("#map[data-ready='1']", timeout=120_000)
    page.wait_for_load_state("networkidle")
    wire.reset()
    t = time.perf_counter()
    page.goto(f"{base}/map")
    page.wait_for_selector("#map[data-ready='1']", timeout=120_000)
    ready = time.perf_counter() - t
    page.wait_for_load_state("networkidle")
    out["warm"].append((ready, wire.bytes, wire.requests, wire.not_modified))
    context.close()


def _median(samples: list, k: int) -> float:
    return statistics.median(s[k] for s in samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", help="SQLite file to keep the demo year in between runs")
    parser.add_argument("--skip-api", action="store_true", help="only the browser's figures")
    parser.add_argument(
        "--link-mbit",
        type=float,
        default=8.0,
        help="also a link of this many Mbit/s down, 40 ms (0: only unthrottled)",
    )
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    path = Path(args.db) if args.db else Path(tempfile.mkdtemp()) / "map.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    app_on, srv_on, on = _serve(url, compress=True)
    app_off, srv_off, off = _serve(url, compress=False)
    t = time.perf_counter()
    with app_on.app_context():
        from patrol.db import get_session

        summary = load_demo(get_session())
    print(
        f"demo year: {summary.patrols_created} patrols loaded in {time.perf_counter() - t:.0f} s"
        if summary.patrols_created
        else f"demo year: already in {path}"
    )
    if not args.skip_api:
        api_table(off, on, args.runs)
    links = [0.0] + ([args.link_mbit] if args.link_mbit else [])
    results: dict = {
        (link, name): {"cold": [], "routes": [], "warm": []}
        for link in links
        for name in ("off", "on")
    }
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        # Interleaved, so that what else the machine does falls on both alike.
        for _ in range(args.runs):
            for link in links:
                for name, base in (("off", off), ("on", on)):
                    browser_run(browser, base, results[link, name], link)
        browser.close()
    print(f"\n## /map in chromium, 1280x800, medians of {args.runs}\n")
    print("| link | compression | view | time s | KB on the wire | requests | 304s |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for (link, name), views in results.items():
        for view, label in (
            ("cold", "default view, cold"),
            ("routes", "+ Patrol routes on"),
            ("warm", "default view again, cached"),
        ):
            samples = views[view]
            print(
                f"| {f'{link:g} Mbit/s' if link else 'local'} | {name} | {label} | "
                f"{_median(samples, 0):.2f} | {_median(samples, 1) / 1024:,.0f} | "
                f"{_median(samples, 2):.0f} | {_median(samples, 3):.0f} |"
            )
    srv_on.shutdown()
    srv_off.shutdown()
    for app in (app_on, app_off):
        app.extensions["patrol.engine"].dispose()


if __name__ == "__main__":
    main()
