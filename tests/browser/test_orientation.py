"""A ranger knows where they are: the form's map at phone size shows the area's outline,
zones, roads, rivers, the unit's base, the phone's position with its accuracy and the offline
basemap, and still does after going offline and reloading. The coordinator's map shows the
basemap too."""

from __future__ import annotations

import pytest

from patrol.db import get_session
from patrol.services import areas, basemaps, layers
from tests.basemap_files import make_mbtiles
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_pages import assert_no_console_errors
from tests.conftest import AREA_CENTER, lonlat

pytestmark = pytest.mark.browser


@pytest.fixture
def field(app, world, tmp_path):
    """The test area with a road, a river, a settlement and a raster basemap loaded."""
    app.config["BASEMAP_DIR"] = str(tmp_path / "basemaps")
    path = tmp_path / "park.mbtiles"
    make_mbtiles(path, zooms=range(8, 13))

    def collection(geometry_type, coords):
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": geometry_type},
                    "geometry": {"type": geometry_type, "coordinates": coords},
                }
            ],
        }

    with app.app_context():
        s = get_session()
        area = areas.area_for(s, None, "test-area")
        layers.import_layer(
            s,
            area,
            "roads",
            collection("LineString", lonlat([-9000, 0, 9000], [-8000, -1000, 2000])),
        )
        layers.import_layer(
            s,
            area,
            "rivers",
            collection("LineString", lonlat([-9000, -2000, 9000], [6000, 3000, 7000])),
        )
        layers.import_layer(s, area, "settlements", collection("Point", lonlat([5000], [-6000])[0]))
        basemaps.load_basemap(s, area, path, tmp_path / "basemaps")
    return world


def _wait_for_orientation(page, zones: int = 4):
    page.wait_for_selector("#route-map[data-orientation='1']")
    page.wait_for_function(
        f"() => document.querySelectorAll('#route-map path.orientation-zone').length === {zones}"
    )
    for selector in (
        "#route-map path.orientation-outline",
        "#route-map path.orientation-roads",
        "#route-map path.orientation-rivers",
        "#route-map path.orientation-settlements",
        "#route-map .orientation-base",
        "#route-map path.orientation-accuracy",
        "#route-map path.orientation-position",
        "#route-map .basemap-tiles img.leaflet-tile-loaded",
    ):
        page.wait_for_selector(selector, state="attached")


def test_the_form_shows_where_the_ranger_is_online_and_offline(open_session, field, server):
    s = open_session(PHONE)
    s.context.grant_permissions(["geolocation"], origin=server)
    lon, lat = AREA_CENTER
    s.context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 300})
    s.login("ranger1")
    s.page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    s.page.reload()  # now controlled by the service worker
    s.page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    _wait_for_orientation(s.page)
    # The position and its accuracy, followed as the phone moves.
    status = s.page.locator(".orientation-status")
    assert "to within 300 m" in status.inner_text()
    assert s.page.get_attribute("#route-map", "data-position") == f"{lat:.6f},{lon:.6f},300"
    s.context.set_geolocation({"latitude": lat + 0.01, "longitude": lon, "accuracy": 40})
    s.page.wait_for_function(
        "() => document.querySelector('#route-map').dataset.position.endsWith(',40')"
    )
    assert "to within 40 m" in status.inner_text()
    # The unit's base, named.
    assert "Base T-01" in s.page.inner_text("#route-map")
    # The basemap's tiles of the area kept for offline use, and said so.
    s.page.wait_for_selector("#route-map[data-basemap-kept]", timeout=30000)
    kept = int(s.page.get_attribute("#route-map", "data-basemap-kept"))
    assert kept > 0
    assert f"Offline map kept: {kept} tiles" in status.inner_text()
    assert s.page.locator(".orientation-centre").is_visible()
    s.page.locator("#route-map").scroll_into_view_if_needed()
    s.shot("report-orientation-phone")

    s.context.set_offline(True)
    s.page.reload()  # offline: the page, the area's answers and the tiles from the caches
    _wait_for_orientation(s.page)
    tiles = s.page.locator("#route-map .basemap-tiles img.leaflet-tile-loaded")
    assert tiles.count() >= 1
    assert "Base T-01" in s.page.inner_text("#route-map")
    assert_no_console_errors(s, expected="ERR_INTERNET_DISCONNECTED")


def test_a_denied_location_says_so(open_session, field):
    s = open_session(PHONE)  # no geolocation permission granted: the browser denies it
    s.login("ranger1")
    s.page.wait_for_selector("#route-map[data-position='denied']")
    assert "Location is blocked" in s.page.inner_text(".orientation-status")
    s.page.wait_for_selector("#route-map path.orientation-zone", state="attached")
    assert s.page.locator("#route-map path.orientation-accuracy").count() == 0
    assert_no_console_errors(s)


def test_without_a_basemap_the_area_layers_still_orient(open_session, world):
    s = open_session(PHONE)
    s.login("ranger1")
    s.page.wait_for_function(
        "() => document.querySelectorAll('#route-map path.orientation-zone').length === 4"
    )
    s.page.wait_for_selector(".orientation-basemap")
    assert "No offline map for this area" in s.page.inner_text(".orientation-status")
    assert s.page.locator("#route-map .basemap-tiles").count() == 0
    assert_no_console_errors(s)


def test_the_coordinators_map_shows_the_basemap(open_session, field):
    s = open_session(DESKTOP)
    s.login("coord")
    s.page.wait_for_selector("#map .basemap-tiles img.leaflet-tile-loaded", state="attached")
    assert s.page.get_attribute("#map", "data-basemap") == "png"
    s.page.wait_for_selector("#map[data-ready='1']")
    s.shot("map-basemap-desktop")
    assert_no_console_errors(s)


# Pixels of the vector basemap's land cover (green over the beige background) drawn in the
# map's canvas tiles.
GREEN_PIXELS = """(selector) => {
    let green = 0;
    for (const canvas of document.querySelectorAll(selector)) {
        if (!canvas.width) continue;
        const ctx = canvas.getContext('2d');
        const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < data.length; i += 4 * 97) {
            if (data[i + 3] > 200 && data[i + 1] > data[i] + 8) green += 1;
        }
    }
    return green;
}"""


def test_a_vector_basemap_is_drawn_and_kept(open_session, app, world, server, tmp_path):
    from patrol.web import VENDOR
    from tests.basemap_files import make_pmtiles

    if "protomaps-leaflet" not in VENDOR:
        pytest.fail("protomaps-leaflet is not installed: run make vendor-js (needs npm)")
    app.config["BASEMAP_DIR"] = str(tmp_path / "basemaps")
    path = tmp_path / "park.pmtiles"
    make_pmtiles(path, zooms=range(8, 13), vector=True)
    with app.app_context():
        s = get_session()
        basemaps.load_basemap(s, areas.area_for(s, None, "test-area"), path, tmp_path / "basemaps")
    s = open_session(PHONE)
    s.login("ranger1")
    s.page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    s.page.reload()
    s.page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    s.page.wait_for_selector("#route-map[data-basemap='pbf']")
    canvases = "#route-map .basemap-tiles canvas"
    s.page.wait_for_function(
        "(sel) => document.querySelectorAll(sel).length > 0", arg=canvases, timeout=15000
    )
    s.page.wait_for_function(f"(sel) => ({GREEN_PIXELS})(sel) > 0", arg=canvases)
    s.shot("report-orientation-vector-phone")
    s.page.wait_for_selector("#route-map[data-basemap-kept]", timeout=30000)
    assert_no_console_errors(s)
    s.context.set_offline(True)
    s.page.reload()
    s.page.wait_for_selector("#route-map[data-basemap='pbf']")
    s.page.wait_for_function(f"(sel) => ({GREEN_PIXELS})(sel) > 0", arg=canvases)
    # Offline, the renderer's fetches of tiles beyond the kept ones fail (how they fail
    # depends on timing: disconnected, or a failed fetch in protomaps-leaflet); nothing else may.
    offline = ("ERR_INTERNET_DISCONNECTED", "ERR_FAILED", "Failed to fetch")
    assert [e for e in s.errors if not any(k in e for k in offline)] == []
