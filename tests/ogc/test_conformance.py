"""The conformance classes /ogc declares, each requirement tested from the standard's text.

OGC's executable test suite (ets-ogcapi-features10) needs Java and the network; these tests
stand in for it. Each names the requirement it checks: OGC API - Features Part 1 (17-069r4:
Core, GeoJSON, HTML, OpenAPI 3.0), Part 2 (18-058r1: CRS by reference) and Part 3
(19-079r2: Queryables, Queryables as query parameters).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

GEOJSON = "application/geo+json"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CELLS = "/ogc/collections/test-area-cells"
FINDS = "/ogc/collections/test-area-finds"
ROUTES = "/ogc/collections/test-area-routes"
ZONES = "/ogc/collections/test-area-zones"
CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"


def get(client, world, path, who="coord", **headers):
    r = client.get(path, headers={**world.auth(who), **headers})
    assert r.status_code == 200, (path, r.get_data(as_text=True)[:500])
    return r


def rels(doc) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for link in doc["links"]:
        out.setdefault(link["rel"], []).append(link)
    return out


# --- Core ------------------------------------------------------------------------------


def test_req_core_root_op_and_success(client):
    """/req/core/root-op, /req/core/root-success: GET / answers 200 with links to the API
    definition (service-desc or service-doc), the conformance declaration and the
    collections (rel data)."""
    r = client.get("/ogc/")
    assert r.status_code == 200 and r.mimetype == "application/json"
    links = rels(r.get_json())
    assert {"service-desc", "service-doc", "conformance", "data"} <= set(links)
    assert links["service-desc"][0]["href"].endswith("/ogc/api")
    assert links["conformance"][0]["href"].endswith("/ogc/conformance")
    assert links["data"][0]["href"].endswith("/ogc/collections")


def test_req_core_conformance_op_and_success(client):
    """/req/core/conformance-op, /req/core/conformance-success: a conformsTo list of URIs,
    naming every class implemented."""
    doc = client.get("/ogc/conformance").get_json()
    assert {CORE + c for c in ("core", "geojson", "html", "oas30")} <= set(doc["conformsTo"])
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in doc["conformsTo"]


def test_req_core_api_definition_op_and_success(client):
    """/req/core/api-definition-op, -success: the service-desc link answers the definition."""
    href = rels(client.get("/ogc/").get_json())["service-desc"][0]["href"]
    r = client.get(href.replace("http://localhost", ""))
    assert r.status_code == 200
    assert r.get_json()["openapi"].startswith("3.0")


@pytest.mark.parametrize(
    "path",
    ["/ogc/?foo=1", "/ogc/collections?bar=2", CELLS + "/items?colour=red", ZONES + "/items?x=1"],
)
def test_req_core_query_param_unknown(client, world, path):
    """/req/core/query-param-unknown: a parameter the API definition does not name is 400."""
    r = client.get(path, headers=world.auth("coord"))
    assert r.status_code == 400
    assert r.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=ten",
        "offset=-1",
        "bbox=1,2,3",
        "bbox=131,44,132,43",
        "bbox=a,b,c,d",
        "datetime=yesterday",
        "datetime=2026-03-10/2026-03-01",
        "datetime=../..",
        "datetime=2026-03-01T10:00:00",
        "f=pdf",
        "crs=http://www.opengis.net/def/crs/EPSG/0/3857",
        "cell_km=1.5",
        "datetime=1990-01-01/2026-01-01",
    ],
)
def test_req_core_query_param_invalid(client, world, query):
    """/req/core/query-param-invalid: a parameter with a value the server cannot use is 400,
    with the parameter named."""
    r = client.get(f"{CELLS}/items?{query}", headers=world.auth("coord"))
    assert r.status_code == 400, query
    assert r.get_json()["errors"][0]["pointer"] == "/" + query.split("=")[0]


def test_a_bbox_across_the_antimeridian_is_refused_plainly(client, world):
    """West greater than east means a box across the antimeridian (/req/core/fc-bbox-definition);
    no conservation area crosses it yet, so patrol refuses it with a 400 that says so rather
    than answer a wrong selection (docs/api.md)."""
    r = client.get(f"{CELLS}/items?bbox=179,43,-179,44", headers=world.auth("coord"))
    assert r.status_code == 400
    assert "west" in r.get_json()["errors"][0]["detail"]


def test_req_core_crs84(client, world, month):
    """/req/core/crs84: geometries are CRS84 longitude, latitude unless asked otherwise."""
    doc = get(client, world, f"{FINDS}/items").get_json()
    for feature in doc["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert 131.0 < lon < 131.6 and 43.0 < lat < 43.4  # lon first: the test area


def test_req_core_fc_md(client, world):
    """/req/core/fc-md-op, -success, -links, -items, -items-links, -extent: the collections
    with a self link, each with id, an items link and a CRS84 spatial extent."""
    doc = get(client, world, "/ogc/collections").get_json()
    assert rels(doc)["self"][0]["type"] == "application/json"
    assert rels(doc)["alternate"][0]["type"] == "text/html"
    assert [c["id"] for c in doc["collections"]] == [
        f"test-area-{k}" for k in ("zones", "cells", "bases", "routes", "finds", "observations")
    ]
    for c in doc["collections"]:
        items = [x for x in c["links"] if x["rel"] == "items" and x["type"] == GEOJSON]
        assert items and items[0]["href"].endswith(f"/ogc/collections/{c['id']}/items")
        w, s, e, n = c["extent"]["spatial"]["bbox"][0]
        assert 131 < w < e < 131.6 and 43 < s < n < 43.4
        assert c["extent"]["spatial"]["crs"] == CRS84


def test_req_core_sfc_md(client, world, month):
    """/req/core/sfc-md-op, -success: one collection, as described in /collections (with its
    temporal extent from the stored patrols)."""
    listed = {c["id"]: c for c in get(client, world, "/ogc/collections").get_json()["collections"]}
    one = get(client, world, CELLS).get_json()
    assert one["id"] == "test-area-cells"
    assert one["extent"] == listed["test-area-cells"]["extent"]
    assert one["extent"]["temporal"]["interval"] == [
        ["2026-03-02T01:00:00Z", "2026-03-21T07:00:00Z"]
    ]


def test_req_core_fc_limit(client, world, month):
    """/req/core/fc-limit-definition, /req/core/fc-limit-response (-1): never more features
    than limit; above the advertised maximum the server answers its maximum."""
    spec = get(client, world, "/ogc/api").get_json()
    params = spec["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
    limit = next(p for p in params if p.get("name") == "limit")
    assert limit["schema"]["minimum"] == 1 and limit["schema"]["maximum"] == 1000
    for n in (1, 7, 50):
        doc = get(client, world, f"{CELLS}/items?limit={n}").get_json()
        assert doc["numberReturned"] == len(doc["features"]) == n
    doc = get(client, world, f"{CELLS}/items?limit=5000").get_json()
    assert len(doc["features"]) == doc["numberMatched"] == 441  # all, fewer than 1000


def test_req_core_fc_bbox(client, world, month):
    """/req/core/fc-bbox-definition, /req/core/fc-bbox-response: only features whose
    geometry intersects the bounding box."""
    everything = get(client, world, f"{FINDS}/items?limit=1000").get_json()
    w, s, e, n = 131.15, 43.15, 131.30, 43.30
    doc = get(client, world, f"{FINDS}/items?limit=1000&bbox={w},{s},{e},{n}").get_json()
    inside = {
        f["id"]
        for f in everything["features"]
        if w <= f["geometry"]["coordinates"][0] <= e and s <= f["geometry"]["coordinates"][1] <= n
    }
    assert 0 < len(inside) < len(everything["features"])
    assert {f["id"] for f in doc["features"]} == inside
    cells = get(client, world, f"{CELLS}/items?limit=1000&bbox={w},{s},{e},{n}").get_json()
    assert 0 < cells["numberMatched"] < 441
    for f in cells["features"]:
        ring = f["geometry"]["coordinates"][0]
        assert min(p[0] for p in ring) <= e and max(p[0] for p in ring) >= w
        assert min(p[1] for p in ring) <= n and max(p[1] for p in ring) >= s


def test_req_core_fc_time(client, world, month):
    """/req/core/fc-time-definition, /req/core/fc-time-response: datetime as an instant, a
    closed and half-open intervals; only features whose time matches."""
    everything = get(client, world, f"{FINDS}/items?limit=1000").get_json()["features"]
    found = {f["id"]: f["properties"]["found_at"] for f in everything}

    def ids(value):
        return {
            f["id"]
            for f in get(client, world, f"{FINDS}/items?limit=1000&datetime={value}").get_json()[
                "features"
            ]
        }

    middle = {k for k, t in found.items() if "2026-03-05T" <= t <= "2026-03-08T00:00:00Z"}
    assert 0 < len(middle) < len(found)
    assert ids("2026-03-05T00:00:00Z/2026-03-08T00:00:00Z") == middle
    assert ids("../2026-03-04T00:00:00Z") == {k for k, t in found.items() if t <= "2026-03-04T"}
    assert ids("2026-03-19T00:00:00Z/..") == {k for k, t in found.items() if t >= "2026-03-19T"}
    instant = sorted(found.values())[0]
    assert ids(instant) == {k for k, t in found.items() if t == instant}
    routes = get(client, world, f"{ROUTES}/items?datetime=2026-03-05T03:00:00Z").get_json()
    assert [f["properties"]["started_at"] for f in routes["features"]] == ["2026-03-05T01:00:00Z"]


def test_req_core_fc_response_and_paging(client, world, month):
    """/req/core/fc-response, -links, -timeStamp, -numberMatched, -numberReturned: a
    FeatureCollection with a self link, and next links that walk every feature once."""
    seen, url, pages = [], f"{FINDS}/items?limit=10", 0
    while url:
        doc = get(client, world, url).get_json()
        pages += 1
        assert doc["type"] == "FeatureCollection"
        assert doc["numberReturned"] == len(doc["features"]) <= 10
        stamp = datetime.fromisoformat(doc["timeStamp"].replace("Z", "+00:00"))
        assert abs((datetime.now(UTC) - stamp).total_seconds()) < 120
        links = rels(doc)
        assert links["self"][0]["type"] == GEOJSON
        assert ("prev" in links) == (pages > 1)
        seen += [f["id"] for f in doc["features"]]
        url = links["next"][0]["href"].replace("http://localhost", "") if "next" in links else None
    assert doc["numberMatched"] == len(seen) == len(set(seen)) > 40
    assert pages == -(-len(seen) // 10)


def test_req_core_f_op_success_links(client, world, month):
    """/req/core/f-op, /req/core/f-success, /req/core/f-links: one feature by id, with self
    and collection links; an unknown id is 404."""
    first = get(client, world, f"{FINDS}/items?limit=1").get_json()["features"][0]
    r = get(client, world, f"{FINDS}/items/{first['id']}")
    assert r.mimetype == GEOJSON
    doc = r.get_json()
    assert doc["type"] == "Feature" and doc["id"] == first["id"]
    assert doc["geometry"] == first["geometry"]
    links = rels(doc)
    assert links["self"][0]["href"].endswith(f"/items/{first['id']}?f=json")
    assert links["collection"][0]["href"].endswith("/collections/test-area-finds")
    for path in (f"{FINDS}/items/nope", f"{CELLS}/items/999_999", f"{ZONES}/items/XX"):
        r = client.get(path, headers=world.auth("coord"))
        assert r.status_code == 404 and r.mimetype == "application/problem+json"


# --- GeoJSON ---------------------------------------------------------------------------


def test_req_geojson_definition_and_content(client, world, month):
    """/req/geojson/definition, /req/geojson/content: application/geo+json on request (by
    Accept as by f=json), a FeatureCollection of Features with id, geometry, properties."""
    for path in (f"{CELLS}/items", f"{CELLS}/items?f=json"):
        r = get(client, world, path, Accept="application/geo+json")
        assert r.mimetype == GEOJSON
        doc = r.get_json()
        assert doc["type"] == "FeatureCollection"
        for feature in doc["features"]:
            assert feature["type"] == "Feature" and feature["id"]
            assert feature["geometry"]["type"] == "Polygon"
            assert isinstance(feature["properties"], dict)


# --- HTML ------------------------------------------------------------------------------

HTML_PATHS = [
    "/ogc/",
    "/ogc/conformance",
    "/ogc/api",
    "/ogc/collections",
    CELLS,
    CELLS + "/items",
    CELLS + "/queryables",
    FINDS + "/items",
]


@pytest.mark.parametrize("path", HTML_PATHS)
def test_req_html_definition_and_content(client, world, month, path):
    """/req/html/definition, /req/html/content: every resource as HTML5 by f=html and by a
    browser's Accept, in the pages' layout."""
    for url, headers in (
        (path + ("&" if "?" in path else "?") + "f=html", {}),
        (path, {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}),
    ):
        r = get(client, world, url, **headers)
        assert r.mimetype == "text/html"
        page = r.get_data(as_text=True)
        assert page.lower().startswith("<!doctype html>")
        assert 'class="brand"' in page  # templates/base.html


def test_req_html_items_shows_the_features(client, world, month):
    """/req/html/content: the HTML holds what the JSON does (each feature, paging links)."""
    doc = get(client, world, f"{FINDS}/items?limit=5").get_json()
    page = get(client, world, f"{FINDS}/items?limit=5&f=html").get_data(as_text=True)
    for feature in doc["features"]:
        assert feature["id"] in page
    assert f"5 of {doc['numberMatched']} features" in page
    assert "offset=5" in page  # the next page link


# --- OpenAPI 3.0 -----------------------------------------------------------------------


def test_req_oas30_definition_and_completeness(client, world):
    """/req/oas30/oas-definition-1, -2, /req/oas30/oas-impl, /req/oas30/completeness: the
    definition as OpenAPI 3.0 JSON and as HTML; every path the server answers is in it, with
    every query parameter it accepts."""
    r = client.get("/ogc/api")
    assert r.mimetype == "application/vnd.oai.openapi+json"
    assert "version=3.0" in r.headers["Content-Type"]
    spec = r.get_json()
    assert spec["openapi"] == "3.0.3"
    assert client.get("/ogc/api?f=html").mimetype == "text/html"
    paths = set(spec["paths"])
    assert {
        "/",
        "/conformance",
        "/api",
        "/collections",
        "/collections/{collectionId}",
        "/collections/{collectionId}/items",
        "/collections/{collectionId}/items/{featureId}",
        "/collections/{collectionId}/queryables",
    } <= paths
    items = {
        p["name"] for p in spec["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
    }
    assert {"bbox", "bbox-crs", "datetime", "limit", "offset", "crs", "f", "cell_km"} <= items
    assert {"hotspot_class", "unit", "zone"} <= items  # the queryables
    for path, ops in spec["paths"].items():
        assert "400" in ops["get"]["responses"] and "200" in ops["get"]["responses"], path


def test_req_oas30_names_the_callers_collections(client, world):
    """/req/oas30/oas-impl: the collectionId parameter lists the caller's collections."""
    spec = get(client, world, "/ogc/api", who="ngo").get_json()
    param = spec["paths"]["/collections/{collectionId}"]["get"]["parameters"][0]
    assert param["schema"]["enum"] == ["test-area-zones", "test-area-cells"]


# --- Part 2: CRS -----------------------------------------------------------------------


def test_req_crs_collection_lists(client, world):
    """/req/crs/fc-md-crs-list, /req/crs/fc-md-storageCrs: each collection lists its CRSs
    (CRS84 first, the area's metric CRS) and the storage CRS; /collections lists them all."""
    listed = get(client, world, "/ogc/collections").get_json()
    assert CRS84 in listed["crs"] and len(listed["crs"]) == 2
    doc = get(client, world, CELLS).get_json()
    assert doc["crs"][0] == CRS84
    assert re.fullmatch(r"http://www\.opengis\.net/def/crs/EPSG/0/326\d\d", doc["crs"][1])
    assert doc["storageCrs"] == CRS84


def test_req_crs_action_and_header(client, world, month):
    """/req/crs/crs-action, /req/crs/ogc-crs-header, /req/crs/crs-default: crs=<the area's
    CRS> answers easting, northing in metres, with a Content-Crs header naming it;
    without crs, CRS84."""
    from patrol.geo.projection import to_metric

    utm = get(client, world, CELLS).get_json()["crs"][1]
    plain = get(client, world, f"{FINDS}/items?limit=3")
    assert plain.headers["Content-Crs"] == f"<{CRS84}>"
    r = get(client, world, f"{FINDS}/items?limit=3&crs={utm}")
    assert r.headers["Content-Crs"] == f"<{utm}>"
    epsg = int(utm.rsplit("/", 1)[1])
    for a, b in zip(plain.get_json()["features"], r.get_json()["features"], strict=True):
        lon, lat = a["geometry"]["coordinates"]
        x, y = to_metric([lon], [lat], epsg)
        # The CRS84 answer is rounded to 6 decimals (within 0.06 m), the metric one projected
        # from the stored position.
        assert b["geometry"]["coordinates"] == pytest.approx([x[0], y[0]], abs=0.1)
    one = get(client, world, f"{FINDS}/items/{a['id']}?crs={utm}")
    assert one.headers["Content-Crs"] == f"<{utm}>"
    assert one.get_json()["geometry"] == b["geometry"]


def test_req_crs_bbox_crs(client, world, month):
    """/req/crs/fc-bbox-crs-definition, -action, -valid-value: a bbox in the area's CRS
    selects what the same box in CRS84 does; a CRS not offered is 400."""
    utm = get(client, world, CELLS).get_json()["crs"][1]
    epsg = int(utm.rsplit("/", 1)[1])
    from patrol.geo.projection import to_metric

    x, y = to_metric([131.2, 131.3], [43.15, 43.25], epsg)
    in_utm = get(
        client, world, f"{FINDS}/items?limit=1000&bbox={x[0]},{y[0]},{x[1]},{y[1]}&bbox-crs={utm}"
    )
    ids = {f["id"] for f in in_utm.get_json()["features"]}
    assert ids
    plain = get(client, world, f"{FINDS}/items?limit=1000").get_json()["features"]
    for f in plain:
        px, py = to_metric(
            [f["geometry"]["coordinates"][0]], [f["geometry"]["coordinates"][1]], epsg
        )
        inside = x[0] <= px[0] <= x[1] and y[0] <= py[0] <= y[1]
        if inside:
            assert f["id"] in ids
    r = client.get(
        f"{FINDS}/items?bbox=0,0,1,1&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3857",
        headers=world.auth("coord"),
    )
    assert r.status_code == 400


# --- Part 3: Queryables ----------------------------------------------------------------


def test_req_queryables_op_and_response(client, world):
    """/req/queryables/get-queryables-op, -response: a JSON schema of type object whose
    properties are the queryables, linked from the collection."""
    coll = get(client, world, CELLS).get_json()
    link = next(x for x in coll["links"] if x["rel"].endswith("/queryables"))
    r = get(client, world, link["href"].replace("http://localhost", ""))
    assert r.mimetype == "application/schema+json"
    doc = r.get_json()
    assert doc["type"] == "object" and doc["$schema"].startswith("https://json-schema.org/")
    assert doc["$id"] == link["href"]
    assert "hot_95" in doc["properties"]["hotspot_class"]["enum"]


def test_req_queryables_query_parameters(client, world, month):
    """/req/queryables-query-parameters/parameters: each queryable is a query parameter
    selecting the features whose property equals the value."""
    every = get(client, world, f"{CELLS}/items?limit=1000").get_json()["features"]
    classes = {f["properties"]["hotspot_class"] for f in every}
    assert len(classes) >= 2
    for cls in classes:
        doc = get(client, world, f"{CELLS}/items?limit=1000&hotspot_class={cls}").get_json()
        assert doc["numberMatched"] == sum(f["properties"]["hotspot_class"] == cls for f in every)
        assert {f["properties"]["hotspot_class"] for f in doc["features"]} == {cls}
    routes = get(client, world, f"{ROUTES}/items?unit=T-02").get_json()
    assert routes["numberMatched"] == 10
    assert {f["properties"]["unit"] for f in routes["features"]} == {"T-02"}
    r = client.get(f"{ROUTES}/items?transport=foot", headers=world.auth("coord"))
    assert r.status_code == 400  # not a queryable of routes
