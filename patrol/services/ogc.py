"""The collections patrol offers through OGC API - Features, read from the same services.

Each conservation area the caller may see gives up to six collections, named
``{area}-zones``, ``{area}-cells``, ``{area}-bases``, ``{area}-routes``, ``{area}-finds`` and
``{area}-observations``. Their features are exactly what ``/api/v1`` answers (zone
statistics, visible grid cells with the predicted setting rate, units, patrols, finds and
observations) with the same role rules, because they come from the same functions; nothing
here keeps a copy of the data. No Flask: the blueprint in ``patrol.ogc`` parses the request
and renders the answer. The kinds and their schemas are in ``ogc_kinds``, the ``datetime`` and
CRS values in ``ogc_params``; this module names them all as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import NotFound
from patrol.geo.times import iso_utc
from patrol.services import (
    areas,
    cell_figures,
    exports,
    grid_hotspots,
    observations,
    queries,
    risk,
    zone_stats,
)
from patrol.services.auth import Principal
from patrol.services.ogc_kinds import (
    CRS84,
    KIND_INFO,
    KINDS,
    LOCATED,
    PROPERTIES,
    RISK_FIGURES,
    RISK_HORIZON_DAYS,
    Collection,
)
from patrol.services.ogc_params import (
    TimeFilter,
    bad_parameter,
    bbox_to_crs84,
    collection_crs,
    crs_uri,
    epsg_of,
    parse_datetime,
    reproject,
)
from patrol.services.patrol_documents import find_feature, route_feature
from patrol.services.risk_documents import risk_features
from patrol.store.models import ConservationArea, Observation, Patrol, SnareFind
from patrol.texts import N_
from patrol.vocabulary import Role

__all__ = [
    "CRS84",
    "KINDS",
    "KIND_INFO",
    "PROPERTIES",
    "RISK_FIGURES",
    "Collection",
    "ItemsQuery",
    "Page",
    "TimeFilter",
    "bbox_to_crs84",
    "collection_crs",
    "collection_for",
    "collections_for",
    "crs_uri",
    "epsg_of",
    "extent",
    "item",
    "items",
    "parse_datetime",
    "reproject",
]


def collections_for(session: so.Session, principal: Principal) -> list[Collection]:
    """Every collection the caller may see, area by area."""
    rows = session.scalars(
        sa.select(ConservationArea)
        .where(ConservationArea.id.in_(principal.area_ids))
        .order_by(ConservationArea.slug)
    ).all()
    kinds = [k for k in KINDS if principal.sees_locations or k not in LOCATED]
    return [Collection(area, kind) for area in rows for kind in kinds]


def collection_for(session: so.Session, principal: Principal, collection_id: str) -> Collection:
    """The collection by id; NotFound for another area's, or one the role may not see."""
    for coll in collections_for(session, principal):
        if coll.id == collection_id:
            return coll
    raise NotFound(
        N_("No collection '{collection_id}' among yours.", collection_id=collection_id[:80])
    )


def _bounds_and_times(session: so.Session, principal: Principal, coll: Collection) -> sa.Row | None:
    """The data's west, south, east, north, first and last time (None for bases)."""
    area = coll.area
    if coll.kind in ("finds", "observations"):
        model, at = (
            (SnareFind, SnareFind.found_at)
            if coll.kind == "finds"
            else (Observation, Observation.observed_at)
        )
        query = sa.select(
            sa.func.min(model.lon),
            sa.func.min(model.lat),
            sa.func.max(model.lon),
            sa.func.max(model.lat),
            sa.func.min(at),
            sa.func.max(at),
        ).join(Patrol, model.patrol_id == Patrol.id)
        return session.execute(query.where(*queries.visible_patrols(principal, area.id))).one()
    if coll.kind == "bases":
        return None
    cond = (
        queries.visible_patrols(principal, area.id)
        if coll.kind == "routes"
        else [Patrol.area_id == area.id, Patrol.deleted_at.is_(None)]
    )
    return session.execute(
        sa.select(
            sa.func.min(Patrol.min_lon),
            sa.func.min(Patrol.min_lat),
            sa.func.max(Patrol.max_lon),
            sa.func.max(Patrol.max_lat),
            sa.func.min(Patrol.started_at),
            sa.func.max(Patrol.ended_at),
        ).where(*cond)
    ).one()


def extent(session: so.Session, principal: Principal, coll: Collection) -> dict[str, Any]:
    """Spatial extent (the area, or the data where it reaches beyond) and temporal extent."""
    area = coll.area
    bbox = [area.min_lon, area.min_lat, area.max_lon, area.max_lat]
    interval: list[str | None] = [None, None]
    row = _bounds_and_times(session, principal, coll)
    if row is not None and row[0] is not None:
        if coll.kind in ("routes", "finds", "observations"):
            west, south = min(bbox[0], row[0]), min(bbox[1], row[1])
            bbox = [west, south, max(bbox[2], row[2]), max(bbox[3], row[3])]
        interval = [_iso(row[4]), _iso(row[5])]
    return {
        "spatial": {"bbox": [[round(v, 6) for v in bbox]], "crs": CRS84},
        "temporal": {
            "interval": [interval],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        },
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else iso_utc(value)


@dataclass(frozen=True)
class ItemsQuery:
    """What a client asked of a collection's items (bbox in CRS84 degrees)."""

    bbox: tuple[float, float, float, float] | None = None
    when: TimeFilter | None = None
    limit: int = 100
    offset: int = 0
    cell_km: float | None = None
    properties: dict[str, str] = field(default_factory=dict)


@dataclass
class Page:
    """One page of features, how many match in all, and what the figures cover."""

    features: list[dict[str, Any]]
    number_matched: int
    about: dict[str, Any] = field(default_factory=dict)


def items(session: so.Session, principal: Principal, coll: Collection, q: ItemsQuery) -> Page:
    """A page of the collection's features as the caller may see them."""
    for name in q.properties:
        if name not in coll.info.queryables:
            raise bad_parameter(
                name, N_("'{name}' is not a queryable of {id}", name=name, id=coll.id)
            )
    if coll.kind in ("routes", "finds", "observations"):
        return _located_page(session, principal, coll, q)
    features, about = _all_features(session, principal, coll, q)
    features = [f for f in features if _matches(f, q)]
    return Page(features[q.offset : q.offset + q.limit], len(features), about)


def item(
    session: so.Session, principal: Principal, coll: Collection, feature_id: str, q: ItemsQuery
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One feature by its id (and what its figures cover); NotFound if it is not there."""
    area = coll.area
    if coll.kind == "routes":
        patrol = queries.get_patrol(session, principal, feature_id)
        if patrol.area_id != area.id:
            raise NotFound(
                N_("No feature '{feature_id}' in {id}.", feature_id=feature_id[:80], id=coll.id)
            )
        return route_feature(patrol, with_times=False), {}
    if coll.kind == "finds":
        find, zone = queries.get_find(session, principal, feature_id, area.id)
        return find_feature(find, zone), {}
    if coll.kind == "observations":
        obs, zone = observations.get_observation(session, principal, feature_id, area.id)
        return observation_feature(obs, zone), {}
    features, about = _all_features(session, principal, coll, q)
    for candidate in features:
        if str(candidate["id"]) == feature_id:
            return candidate, about
    raise NotFound(N_("No feature '{feature_id}' in {id}.", feature_id=feature_id[:80], id=coll.id))


def _window(
    session: so.Session, area: ConservationArea, when: TimeFilter | None, kind: str
) -> cell_figures.Window:
    """The analysis window of local days: the ``datetime`` asked, else the kind's default."""
    if when is not None:
        start, end = when.days(area.timezone)
        return cell_figures.resolve_window(session, area, start, end)
    window = cell_figures.resolve_window(session, area, None, None)
    if kind == "zones":
        # The current year: its calendar year up to the latest patrol (for a park that
        # patrols, this year so far; for an archive or the demo, its last year with data).
        last = window.end - timedelta(days=1)
        window = cell_figures.Window(date(last.year, 1, 1), window.end)
    return window


def _all_features(
    session: so.Session, principal: Principal, coll: Collection, q: ItemsQuery
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    area = coll.area
    about: dict[str, Any] = {}
    if coll.kind == "bases":
        doc = areas.units_document(session, area, with_bases=principal.sees_locations)
        features = [f for f in doc["features"] if f["geometry"] is not None]
        return features, about
    window = _window(session, area, q.when, coll.kind)
    about["window"] = window.label
    if principal.role == Role.NGO:
        about["aggregation"] = exports.AGGREGATION_RULE
    if coll.kind == "zones":
        rows, _ = zone_stats.zone_stats(session, area, window)
        features = [r.feature() for r in rows]
        return _most_complete_first(features), about
    result, features = grid_hotspots.visible_cells(session, principal, area, window, q.cell_km)
    about["cell_km"] = result.grid.cell_m / 1000
    _add_setting_rate(session, principal, area, result, features)
    return _most_complete_first(features), about


def _add_setting_rate(
    session: so.Session,
    principal: Principal,
    area: ConservationArea,
    cells: grid_hotspots.HotspotResult,
    features: list[dict[str, Any]],
) -> None:
    """Each cell's predicted setting rate, from the model on the data up to the last day of
    the cells' period (``cells.window``, already whole months for NGOs), on the same grid.

    Through ``risk.visible_risk``, so a figure is here exactly when /api/v1/risk gives it to
    the caller for that ``until`` and ``cell_km``; a cell suppressed among the hotspots stays
    all null too, so no NGO figure leaks through the prediction.
    """
    until = cells.window.end - timedelta(days=1)
    result, min_patrols = risk.visible_risk(
        session, principal, area, until, RISK_HORIZON_DAYS, cells.grid.cell_m / 1000
    )
    predicted = {f["id"]: f["properties"] for f in risk_features(result, min_patrols)}
    for cell in features:
        props = cell["properties"]
        rate = predicted.get(cell["id"], {})
        hidden = props.get("hotspot_class") == "suppressed"
        for name in RISK_FIGURES:
            props[name] = None if hidden else rate.get(name)


def _most_complete_first(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Features with the fewest null figures first (stable, so ties keep the grid order).

    GDAL and QGIS type each column from the first few features; unpatrolled corner cells
    have every rate null, and a column seen only as null becomes text.
    """
    return sorted(features, key=lambda f: sum(v is None for v in f["properties"].values()))


def _matches(feature: dict[str, Any], q: ItemsQuery) -> bool:
    props = feature["properties"]
    for name, wanted in q.properties.items():
        value = props.get(name)
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        if text != wanted:
            return False
    if q.bbox is None:
        return True
    w, s, e, n = q.bbox
    lon, lat = _coordinates(feature["geometry"])
    if lon.size == 0:
        return False
    return bool(lon.max() >= w and lon.min() <= e and lat.max() >= s and lat.min() <= n)


def _coordinates(geometry: dict[str, Any] | None) -> tuple[np.ndarray, np.ndarray]:
    if not geometry:
        return np.zeros(0), np.zeros(0)
    flat = np.asarray(_flatten(geometry["coordinates"]), float).reshape(-1, 2)
    return flat[:, 0], flat[:, 1]


def _flatten(coords: Any) -> list[float]:
    if coords and isinstance(coords[0], int | float):
        return list(coords[:2])
    out: list[float] = []
    for part in coords:
        out.extend(_flatten(part))
    return out


def _located_page(
    session: so.Session, principal: Principal, coll: Collection, q: ItemsQuery
) -> Page:
    start, end = q.when.instants(coll.area.timezone) if q.when else (None, None)
    f = queries.Filters(
        start=start,
        end=end,
        unit=q.properties.get("unit"),
        zone=q.properties.get("zone"),
        bbox=q.bbox,
        limit=q.limit,
        offset=q.offset,
        area_id=coll.area.id,
    )
    if coll.kind == "routes":
        total, rows = queries.list_patrols(session, principal, f)
        return Page([route_feature(p, with_times=False) for p in rows], total)
    if coll.kind == "observations":
        total, seen = observations.list_observations(
            session, principal, f, q.properties.get("category")
        )
        return Page([observation_feature(obs, zone) for obs, zone in seen], total)
    total, found = queries.list_finds(session, principal, f)
    return Page([find_feature(find, zone) for find, zone in found], total)


def observation_feature(obs: Observation, zone: str | None) -> dict[str, Any]:
    """The feature /api/v1/observations gives, with ``attributes`` as one object of key and
    typed value: GDAL and QGIS keep an object as one JSON column, while a list of
    key/type/value records would need unpacking by hand in every project."""
    feature = observations.observation_feature(obs, zone)
    props = feature["properties"]
    props["attributes"] = {a["key"]: a["value"] for a in props["attributes"]}
    return feature
