"""The coordinator's map as people use it, in a real browser: every layer without a tile server,
a shared URL that reopens the same view, a unit filter that only highlights, one hotspot request
per view, routes simplified to the zoom, a landscape print, printable target lists and the phone
layout. Screenshots go to screenshots/ (map-desktop, map-phone, map-print)."""

from __future__ import annotations

import math
import re
import subprocess
from urllib.parse import parse_qs, urlparse

import pytest

from patrol.db import get_session
from patrol.services import layers
from patrol.store.models import ConservationArea
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS
from tests.conftest import lonlat, sweep_month

pytestmark = pytest.mark.browser

MARCH = "from=2026-03-01&to=2026-03-31"
HOT = ("hot_95", "hot_99")


def assert_no_console_errors(s) -> None:
    assert s.errors == [], s.errors


def api_hot_cells(client, world, query: str) -> set[tuple[int, int]]:
    doc = client.get(f"/api/v1/hotspots?{query}", headers=world.auth("coord")).get_json()
    return {
        (f["properties"]["ix"], f["properties"]["iy"])
        for f in doc["features"]
        if f["properties"]["hotspot_class"] in HOT
    }


def page_hot_cells(s) -> set[tuple[int, int]]:
    """The hot cells drawn on the page, read from their paths' classes (at-IX_IY)."""
    classes = s.page.eval_on_selector_all(
        "path.cell-hot_95, path.cell-hot_99", "(paths) => paths.map((p) => p.getAttribute('class'))"
    )
    cells = set()
    for c in classes:
        ix, iy = re.search(r"at-(-?\d+)_(-?\d+)", c).groups()
        cells.add((int(ix), int(iy)))
    return cells


def open_map(s, query: str = "") -> None:
    s.page.goto(f"/map?{query}" if query else "/map")
    s.page.wait_for_selector("#map[data-ready='1']")


def add_context(app, world) -> None:
    """Roads and settlements for the test area, as the CLI imports them."""
    with app.app_context():
        session = get_session()
        area = session.get(ConservationArea, world.area_id)
        line = [list(p) for p in lonlat([-8000, 0, 8000], [-8000, 0, 8000])]
        town = list(lonlat([3000], [-6000])[0])
        road = {"type": "Feature", "properties": {"name": "Forest road"}}
        road["geometry"] = {"type": "LineString", "coordinates": line}
        village = {"type": "Feature", "properties": {"name": "Village"}}
        village["geometry"] = {"type": "Point", "coordinates": town}
        layers.import_layer(
            session, area, "roads", {"type": "FeatureCollection", "features": [road]}
        )
        layers.import_layer(
            session, area, "settlements", {"type": "FeatureCollection", "features": [village]}
        )


def test_every_layer_loads_without_a_tile_server(app, open_session, client, world):
    sweep_month(client, world)
    add_context(app, world)
    finds = client.get(f"/api/v1/snares?{MARCH}&limit=1000", headers=world.auth("coord"))
    expected = len(finds.get_json()["features"])
    assert expected > 0
    s = open_session(DESKTOP)
    s.login("coord")
    open_map(s, f"preset=custom&{MARCH}")
    assert s.page.get_attribute("#map", "data-tile-url") == ""
    assert s.page.locator(".leaflet-tile").count() == 0
    s.page.get_by_role("checkbox", name="Snare finds").check()
    s.page.wait_for_selector("#map[data-finds]")
    assert int(s.page.get_attribute("#map", "data-finds")) == expected
    s.page.wait_for_selector(".marker-cluster, path.find")
    for name in ("Patrol routes", "Observations", "Predicted setting (next 30 days)"):
        s.page.get_by_role("checkbox", name=name).check()
    s.page.wait_for_selector("path.route")
    s.page.wait_for_selector("path.risk")
    # The area's own layers and the unit bases orient the map.
    s.page.wait_for_selector("path.road")
    s.page.wait_for_selector("path.settlement")
    s.page.wait_for_selector("path.base")
    assert s.page.locator("path.base").count() == 2  # T-01 and T-02
    scale = s.page.inner_text(".leaflet-control-scale-line")
    assert re.fullmatch(r"\d+ k?m", scale.strip()), scale
    assert s.page.locator(".leaflet-control-scale-line").count() == 1  # metric only
    s.page.get_by_role("checkbox", name="Snare finds").uncheck()
    s.page.get_by_role("checkbox", name="Patrol routes").uncheck()
    s.page.get_by_role("checkbox", name="Predicted setting (next 30 days)").uncheck()
    s.page.get_by_role("checkbox", name="Observations").uncheck()
    s.page.select_option("#unit", "T-01")
    s.page.wait_for_selector("path.unit-route")
    s.shot("map-desktop")
    assert_no_console_errors(s)


def test_a_shared_url_reopens_the_same_view(open_session, client, world):
    sweep_month(client, world)
    s = open_session(DESKTOP)
    s.login("coord")
    open_map(s)
    # The default is the last full year, named in words: never a year with one patrol in it.
    today = s.page.get_attribute("#area option:checked", "data-today")
    year = int(today[:4]) - 1
    assert s.page.input_value("#from") == f"{year}-01-01"
    assert s.page.input_value("#to") == f"{year}-12-31"
    assert f"({year})" in s.page.inner_text("#preset option:checked")
    assert "No patrols in this period; the latest was on 2026-03-21" in s.page.inner_text("#status")
    # The month slider starts at the area's first month of patrols: March 2026.
    s.page.locator("#month").fill("0")
    s.page.wait_for_function("() => document.querySelector('#to').value === '2026-03-31'")
    assert s.page.input_value("#from") == "2026-03-01"
    assert s.page.input_value("#preset") == "pick"
    assert s.page.inner_text("#month-label") == "March 2026"
    s.page.wait_for_selector("#map[data-ready='1']")
    s.page.select_option("#cell", "2")
    s.page.wait_for_function("() => document.querySelector('#status').textContent.includes('2 km')")
    s.page.select_option("#unit", "T-02")
    s.page.get_by_role("checkbox", name="Zones (smoothed rate)").uncheck()
    s.page.get_by_role("checkbox", name="Patrol routes").check()
    s.page.wait_for_selector("path.route")
    s.page.locator("#map").evaluate("(m) => m.patrolMap.map.setZoom(12, {animate: false})")
    s.page.wait_for_function("() => location.search.includes('at=12/')")
    shared = s.page.url
    q = parse_qs(urlparse(shared).query)
    assert q["preset"] == ["pick"] and q["month"] == ["2026-03"]
    assert q["unit"] == ["T-02"] and q["cell"] == ["2"]
    assert "routes" in q["layers"][0].split(",") and "zones" not in q["layers"][0].split(",")
    before = {
        "status": s.page.inner_text("#status"),
        "period": s.page.inner_text("[data-testid=map-period]"),
        "hot": page_hot_cells(s),
    }
    other = open_session(DESKTOP)
    other.login("coord")
    other.page.goto(shared)
    other.page.wait_for_selector("#map[data-ready='1']")
    assert other.page.input_value("#preset") == "pick"
    assert other.page.input_value("#from") == "2026-03-01"
    assert other.page.input_value("#to") == "2026-03-31"
    assert other.page.input_value("#unit") == "T-02"
    assert other.page.input_value("#cell") == "2"
    assert other.page.inner_text("#month-label") == "March 2026"
    assert other.page.get_by_role("checkbox", name="Patrol routes").is_checked()
    assert not other.page.get_by_role("checkbox", name="Zones (smoothed rate)").is_checked()
    assert other.page.locator("#map").evaluate("(m) => m.patrolMap.map.getZoom()") == 12
    other.page.wait_for_selector("path.unit-route")
    assert other.page.inner_text("#status") == before["status"]
    assert other.page.inner_text("[data-testid=map-period]") == before["period"]
    assert page_hot_cells(other) == before["hot"]
    # Custom dates survive too.
    other.page.goto(f"/map?{MARCH.replace('31', '20')}")
    other.page.wait_for_selector("#map[data-ready='1']")
    assert other.page.input_value("#preset") == "custom"
    assert other.page.input_value("#to") == "2026-03-20"
    assert "2026-03-01/2026-03-20" in other.page.inner_text("#status")
    assert_no_console_errors(s)
    assert_no_console_errors(other)


def test_the_unit_filter_only_highlights(open_session, client, world):
    sweep_month(client, world)
    park = api_hot_cells(client, world, MARCH)
    assert park
    # What the page used to show: statistics recomputed from one unit's patrols alone.
    assert api_hot_cells(client, world, f"{MARCH}&unit=T-02") != park
    s = open_session(DESKTOP)
    hotspot_requests: list[str] = []
    s.page.on(
        "request",
        lambda r: (
            hotspot_requests.append(r.url)
            if "/api/v1/hotspots" in r.url and "from=2026-03-01" in r.url
            else None
        ),
    )
    s.login("coord")
    open_map(s, f"preset=custom&{MARCH}")
    assert page_hot_cells(s) == park
    legend = s.page.inner_text("[data-testid=legend]")
    zones = s.page.eval_on_selector_all(
        "path.zone", "(ps) => ps.map((p) => p.getAttribute('fill'))"
    )
    dispatch = s.page.inner_text("#dispatch")
    s.page.select_option("#unit", "T-02")
    s.page.wait_for_selector("path.unit-route")
    s.page.wait_for_selector(".target-icon.highlighted")
    assert page_hot_cells(s) == park
    assert s.page.inner_text("[data-testid=legend]") == legend
    assert (
        s.page.eval_on_selector_all("path.zone", "(ps) => ps.map((p) => p.getAttribute('fill'))")
        == zones
    )
    assert s.page.inner_text("#dispatch") == dispatch
    assert s.page.locator("#dispatch section.unit.highlighted").get_attribute("data-unit") == "T-02"
    # Each highlighted target is one of T-02's in the park's dispatch; the others are dimmed.
    api = client.get(f"/api/v1/dispatch?{MARCH}", headers=world.auth("coord")).get_json()
    t02 = [f for f in api["features"] if f["properties"]["unit"] == "T-02"]
    assert s.page.locator(".target-icon.highlighted").count() == len(t02)
    assert s.page.locator(".target-icon.dimmed").count() == len(api["features"]) - len(t02)
    # The unit's patrols are its own: 10 of the 20 sweeps.
    assert s.page.locator("path.unit-route").count() == 10
    assert len(hotspot_requests) == 1, hotspot_requests  # a highlight asks nothing again
    assert "T-02 highlighted" in s.page.inner_text("[data-testid=map-period]")
    assert_no_console_errors(s)


def test_one_hotspot_request_per_view_and_routes_simplified_to_the_zoom(
    open_session, client, world
):
    sweep_month(client, world)
    s = open_session(DESKTOP)
    requests: list[str] = []
    s.login("coord")
    s.page.wait_for_selector("#map[data-ready='1']")  # the landing view, not counted
    s.page.on("request", lambda r: requests.append(r.url) if "/api/v1/" in r.url else None)
    open_map(s, f"preset=custom&{MARCH}&layers=zones,cells,routes")
    s.page.wait_for_selector("path.route")
    s.page.wait_for_load_state("networkidle")

    def count(path: str) -> int:
        return sum(1 for u in requests if urlparse(u).path == path)

    assert count("/api/v1/hotspots") == 1
    assert count("/api/v1/zones/stats") == 1
    assert count("/api/v1/dispatch") == 1
    patrols = [u for u in requests if urlparse(u).path == "/api/v1/patrols"]
    assert len(patrols) == 1
    zoom, lat = s.page.locator("#map").evaluate(
        "(m) => [m.patrolMap.map.getZoom(), m.patrolMap.map.getCenter().lat]"
    )
    pixel_m = 40075016.686 * math.cos(math.radians(lat)) / 2 ** (zoom + 8)
    expected = min(1000, 2 ** math.floor(math.log2(pixel_m)))
    tolerance = float(parse_qs(urlparse(patrols[0]).query)["tolerance_m"][0])
    assert tolerance == expected and 0 < tolerance <= 1000
    assert pixel_m / 2 < tolerance <= pixel_m  # about one screen pixel
    # Another period: one more of each; back to the first: answered from what the page has.
    s.page.select_option("#preset", "year")
    s.page.wait_for_selector("#map[data-ready='1']")
    assert count("/api/v1/hotspots") == 2
    s.page.fill("#from", "2026-03-01")
    s.page.fill("#to", "2026-03-31")
    s.page.click("#filters button[type=submit]")
    s.page.wait_for_selector("#map[data-ready='1']")
    s.page.wait_for_load_state("networkidle")
    assert count("/api/v1/hotspots") == 2
    assert count("/api/v1/zones/stats") == 2
    n = len([u for u in requests if urlparse(u).path == "/api/v1/patrols"])
    # Zooming out keeps the finer routes; zooming in asks for routes one bucket finer.
    s.page.locator("#map").evaluate(
        "(m) => m.patrolMap.map.setZoom(m.patrolMap.map.getZoom() - 1, {animate: false})"
    )
    s.page.wait_for_load_state("networkidle")
    assert len([u for u in requests if urlparse(u).path == "/api/v1/patrols"]) == n
    s.page.locator("#map").evaluate(
        "(m) => m.patrolMap.map.setZoom(m.patrolMap.map.getZoom() + 3, {animate: false})"
    )
    s.page.wait_for_function(
        "(n) => performance.getEntriesByType('resource')"
        ".filter((e) => e.name.includes('/api/v1/patrols?')).length > n",
        arg=n,
    )
    finer = [u for u in requests if urlparse(u).path == "/api/v1/patrols"][-1]
    assert float(parse_qs(urlparse(finer).query)["tolerance_m"][0]) == tolerance / 4
    assert count("/api/v1/hotspots") == 2
    assert_no_console_errors(s)


def test_the_map_prints_landscape_with_title_period_legend_and_scale(
    open_session, client, world, tmp_path
):
    sweep_month(client, world)
    s = open_session(DESKTOP)
    s.login("coord")
    open_map(s, f"preset=custom&{MARCH}")
    s.page.emulate_media(media="print")
    s.page.wait_for_function(
        "() => document.querySelector('#map').getBoundingClientRect().width > 1000"
    )
    pdf = s.page.pdf(prefer_css_page_size=True, print_background=True)
    path = tmp_path / "map.pdf"
    path.write_bytes(pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf)
    assert len(boxes) == 1, boxes  # one page
    width, height = (float(v) for v in boxes[0])
    assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for words in (
        "Hotspot map · Test area",
        "March 2026 · 1 km cells",
        "Smoothed snares per 100 km",
        "Hot, 99 %",
        "Under-patrolled",
        "Unit base",
    ):
        assert words in text, (words, text)
    assert re.search(r"^\s*\d+ k?m\s*$|\s\d+ k?m\s", text, re.M), text  # the scale bar
    for control in ("Show", "Print map", "GPX", "Zones (smoothed rate)", "Highlight unit"):
        assert control not in text, control
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-singlefile", str(path), str(SCREENSHOTS / "map-print")],
        check=True,
    )
    s.page.emulate_media(media="screen")
    assert_no_console_errors(s)


def test_a_units_targets_print_as_a_list(open_session, client, world, tmp_path):
    sweep_month(client, world)
    s = open_session(DESKTOP)
    s.login("coord")
    open_map(s, f"preset=custom&{MARCH}")
    section = s.page.locator("#dispatch section.unit[data-unit='T-01']")
    csv_link = section.get_by_role("link", name="CSV").get_attribute("href")
    r = client.get(csv_link, headers=world.auth("coord"))
    assert r.status_code == 200 and r.mimetype == "text/csv"
    # The link asks for the page's language: headers in words, as the table above them.
    assert "lang=en" in csv_link
    assert r.get_data(as_text=True).startswith("Unit,Rank,Longitude,Latitude,")
    ranks = [line.split(",")[1] for line in r.get_data(as_text=True).splitlines()[1:]]
    assert ranks and ranks == [str(k) for k in range(1, len(ranks) + 1)]
    s.page.evaluate("() => { window.print = () => {}; }")  # no dialog in a test
    section.get_by_role("button", name="Print list").click()
    s.page.emulate_media(media="print")
    pdf = s.page.pdf(prefer_css_page_size=True)
    path = tmp_path / "targets.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "T-01: targets, March 2026" in text
    assert "Expected snares" in text and "Latitude" in text
    rows = [
        line.split() for line in text.splitlines() if re.match(r"^\s*\d+\s+-?\d+,-?\d+\s", line)
    ]
    assert [row[0] for row in rows] == ranks
    assert "T-02" not in text and "Hotspot map" not in text
    s.page.emulate_media(media="screen")
    assert_no_console_errors(s)


def test_on_a_phone_the_map_comes_first(open_session, client, world):
    sweep_month(client, world)
    s = open_session(PHONE)
    s.login("coord")
    open_map(s, f"preset=custom&{MARCH}")
    map_box = s.page.locator("#map").bounding_box()
    panel_box = s.page.locator("aside.panel").bounding_box()
    assert map_box["y"] < panel_box["y"]
    assert map_box["width"] <= PHONE["width"] and map_box["height"] >= 0.6 * PHONE["height"]
    assert map_box["y"] < 0.25 * PHONE["height"]  # right under the header and the title
    # The legend and the dispatch list start folded, and open with one tap.
    legend = s.page.get_by_role("button", name="Legend")
    assert legend.get_attribute("aria-expanded") == "false"
    assert not s.page.locator("#legend-body").is_visible()
    legend.click()
    assert s.page.locator("#legend-body").is_visible()
    assert "Hot, 99 %" in s.page.inner_text("#legend-body")
    legend.click()
    dispatch = s.page.get_by_role("button", name="Dispatch")
    assert dispatch.get_attribute("aria-expanded") == "false"
    assert not s.page.locator("#dispatch").is_visible()
    dispatch.click()
    assert s.page.locator("#dispatch section.unit").first.is_visible()
    s.page.evaluate("() => window.scrollTo(0, 0)")
    s.shot("map-phone")
    assert_no_console_errors(s)
