"""The collections patrol offers through OGC API - Features, read from the same services.

Each conservation area the caller may see gives up to six collections, named
``{area}-zones``, ``{area}-cells``, ``{area}-bases``, ``{area}-routes``, ``{area}-finds`` and
``{area}-observations``. Their features are exactly what ``/api/v1`` answers (zone
statistics, visible grid cells with the predicted setting rate, units, patrols, finds and
observations) with the same role rules, because they come from the same functions; nothing
here keeps a copy of the data. No Flask: the blueprint in ``patrol.ogc`` parses the request
and renders the answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import FieldError, InvalidParameter, NotFound
from patrol.geo.projection import to_metric, to_wgs84
from patrol.geo.report import iso_utc
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
from patrol.services.days import local_midnight
from patrol.services.patrol_documents import find_feature, route_feature
from patrol.services.risk_documents import risk_features
from patrol.store.models import ConservationArea, Observation, Patrol, SnareFind

__all__ = [
    "CRS84",
    "KINDS",
    "Collection",
    "ItemsQuery",
    "Page",
    "TimeFilter",
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

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/"
# Kinds that show exact locations of people's work: never for the ngo role.
LOCATED = ("bases", "routes", "finds", "observations")
KINDS = ("zones", "cells", "bases", "routes", "finds", "observations")
# The predicted setting rate (patrol.services.risk) each cell carries, null where the model
# has none (a cell nobody walked has no rate, only a prior) or the cell is suppressed.
RISK_FIGURES = (
    "setting_rate",
    "setting_rate_low",
    "setting_rate_high",
    "expected_finds_5km",
    "risk_rank",
)
RISK_HORIZON_DAYS = 30  # as /api/v1/risk by default

_STR = {"type": "string"}
_NUM = {"type": "number"}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}


@dataclass(frozen=True)
class KindInfo:
    title: str
    description: str
    geometry: str
    # Properties a client may filter on with ``name=value`` (equality), as JSON schemas.
    queryables: dict[str, dict[str, Any]]


RISK_TITLES = {
    "setting_rate": "predicted setting rate, snares per km2 per 30 days (null: not walked)",
    "setting_rate_low": "setting rate, 5 % quantile (90 % interval)",
    "setting_rate_high": "setting rate, 95 % quantile (90 % interval)",
    "expected_finds_5km": "what a 5 km search should find, mid-way through the next 30 days",
    "risk_rank": "rank by setting rate over the area's cells, 0 to 1 (1: the highest)",
}

KIND_INFO: dict[str, KindInfo] = {
    "zones": KindInfo(
        "Zones",
        "The area's zones with their effort-corrected figures (snares, effort, CPUE, smoothed "
        "rate, hotspot flag, trend) for the current year (up to the latest patrol), or for "
        "the period given by "
        "`datetime` (local days of the area).",
        "Polygon",
        {
            "zone": {**_STR, "title": "zone code"},
            "hotspot": {**_BOOL, "title": "flagged as a hotspot zone"},
            "trend": {**_STR, "title": "trend of the smoothed rate"},
        },
    ),
    "cells": KindInfo(
        "Grid cells and hotspots",
        "One square per grid cell with effort, CPUE, smoothed rate, Gi* and the hotspot class, "
        "for the period given by `datetime` (default: the year up to the latest patrol) and "
        "the cell size `cell_km` (default: the area's; 5 km or more for the ngo role, and "
        "cells patrolled fewer than 3 times are suppressed for it); and the predicted setting "
        "rate (snares per km2 per 30 days, with its 90 % interval), the expected finds of a "
        "5 km search in the next 30 days and the risk rank (0 to 1), from the model fitted on "
        "the data up to the period's last day (as /api/v1/risk?until=), null where it has no "
        "rate.",
        "Polygon",
        {
            "hotspot_class": {
                **_STR,
                "title": "hotspot class",
                "enum": [
                    "hot_99",
                    "hot_95",
                    "hot_90",
                    "cold_99",
                    "cold_95",
                    "cold_90",
                    "not_significant",
                    "under_patrolled",
                    "suppressed",
                ],
            },
            "trend": {**_STR, "title": "emerging hotspot category"},
            **{name: {**_NUM, "title": title} for name, title in RISK_TITLES.items()},
        },
    ),
    "bases": KindInfo(
        "Unit bases",
        "Where each mobile unit is based (for the roles that may see locations).",
        "Point",
        {"code": {**_STR, "title": "unit code"}, "active": {**_BOOL, "title": "active unit"}},
    ),
    "routes": KindInfo(
        "Patrol routes",
        "Every patrol route you may see (rangers: their unit's), filtered by `datetime` on the "
        "patrol's start and end.",
        "MultiLineString",
        {"unit": {**_STR, "title": "unit code"}},
    ),
    "finds": KindInfo(
        "Snare finds",
        "Every snare find you may see, filtered by `datetime` on when it was found.",
        "Point",
        {"zone": {**_STR, "title": "zone code"}},
    ),
    "observations": KindInfo(
        "Observations",
        "Every SMART observation you may see (rangers: their unit's patrols), as "
        "/api/v1/observations lists them, filtered by `datetime` on when it was observed; "
        "`attributes` is an object of attribute key and typed value.",
        "Point",
        {
            "category": {
                **_STR,
                "title": "category key (the category and everything under it)",
            },
            "zone": {**_STR, "title": "zone code"},
            "unit": {**_STR, "title": "unit code"},
        },
    ),
}


_DATE = {"type": "string", "format": "date"}
_TIME = {"type": "string", "format": "date-time"}
_NUMBERS = {"type": "array", "items": _NUM}
# Every property of each kind with its JSON type: the collection's schema (``describedby``),
# so GDAL and QGIS type a column that is null on the first page as a number, not text.
PROPERTIES: dict[str, dict[str, dict[str, Any]]] = {
    "zones": {
        "zone": _STR,
        "name": _STR,
        "area_km2": _NUM,
        "snares_found": _INT,
        "snares_removed": _INT,
        "finds": _INT,
        "patrols": _INT,
        "patrol_days": _INT,
        "effort_km": _NUM,
        "effort_h": _NUM,
        "density_per_km2": _NUM,
        "cpue_per_100km": _NUM,
        "cpue_per_10h": _NUM,
        "eb_rate_per_100km": _NUM,
        "hotspot": _BOOL,
        "hotspot_reason": _STR,
        "trend": _STR,
        "trend_tau_z": _NUM,
        "trend_p": _NUM,
    },
    "cells": {
        "ix": _INT,
        "iy": _INT,
        "snares": _INT,
        "snares_removed": _INT,
        "finds": _INT,
        "effort_km": _NUM,
        "effort_h": _NUM,
        "patrols": _INT,
        "cpue_per_100km": _NUM,
        "cpue_per_10h": _NUM,
        "eb_rate_per_100km": _NUM,
        "gi_z": _NUM,
        "gi_p": _NUM,
        "fdr_significant": _BOOL,
        "neighbourhood_p": _NUM,
        "hotspot_class": _STR,
        "trend": _STR,
        "trend_z": _NUM,
        "trend_p": _NUM,
        "last_patrolled": _DATE,
        **dict.fromkeys(RISK_FIGURES, _NUM),
    },
    "bases": {"code": _STR, "name": _STR, "active": _BOOL},
    "routes": {
        "kind": _STR,
        "unit": _STR,
        "leader": _STR,
        "members": {"type": "array", "items": _STR},
        "transport": _STR,
        "started_at": _TIME,
        "ended_at": _TIME,
        "distance_km": _NUM,
        "duration_h": _NUM,
        "vertex_count": _INT,
        "revision": _INT,
        "source_format": _STR,
        "submitted_at": _TIME,
        "deleted_at": _TIME,
    },
    "finds": {
        "kind": _STR,
        "patrol": _STR,
        "found_at": _TIME,
        "type": _STR,
        "count": _INT,
        "state": _STR,
        "action": _STR,
        "species": _STR,
        "notes": _STR,
        "zone": _STR,
        "cell": _NUMBERS,
    },
    "observations": {
        "kind": _STR,
        "category": _STR,
        "category_path": _STR,
        "observed_at": _TIME,
        "attributes": {"type": "object"},
        "snare_find": _STR,
        "zone": _STR,
        "patrol": _STR,
        "cell": _NUMBERS,
        "smart_waypoint": _STR,
    },
}


@dataclass(frozen=True)
class Collection:
    """One collection: an area and a kind of feature."""

    area: ConservationArea
    kind: str

    @property
    def id(self) -> str:
        return f"{self.area.slug}-{self.kind}"

    @property
    def info(self) -> KindInfo:
        return KIND_INFO[self.kind]

    @property
    def title(self) -> str:
        return f"{self.info.title}, {self.area.name}"


@dataclass(frozen=True)
class TimeFilter:
    """An OGC ``datetime``: an instant (start == end) or an interval, open ends None.

    Values are dates (whole local days of the area) or aware datetimes (instants).
    """

    start: date | datetime | None
    end: date | datetime | None

    def instants(self, tz: str) -> tuple[datetime | None, datetime | None]:
        """[start, end) in UTC: a date is the whole local day."""
        return _instant(self.start, tz, False), _instant(self.end, tz, True)

    def days(self, tz: str) -> tuple[date | None, date | None]:
        """[first, last + 1) local days: every day the interval touches."""
        first = _local_day(self.start, tz)
        last = _local_day(self.end, tz)
        return first, (last + timedelta(days=1)) if last is not None else None


def _instant(value: date | datetime | None, tz: str, end: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1) if end else value
    return local_midnight(value + timedelta(days=1) if end else value, tz)


def _local_day(value: date | datetime | None, tz: str) -> date | None:
    if value is None or not isinstance(value, datetime):
        return value
    return value.astimezone(ZoneInfo(tz)).date()


def parse_datetime(raw: str) -> TimeFilter:
    """An OGC API ``datetime`` value: ``t``, ``a/b``, ``../b``, ``a/..`` (RFC 3339 date-times,
    or dates meaning whole local days of the area)."""

    def one(text: str) -> date | datetime | None:
        text = text.strip()
        if text in ("", ".."):
            return None
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            value = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            raise _bad("datetime", f"'{text[:40]}' is not an RFC 3339 date or date-time") from None
        if value.tzinfo is None:
            raise _bad("datetime", "a date-time needs 'Z' or an offset")
        return value.astimezone(UTC)

    if "/" in raw:
        a, _, b = raw.partition("/")
        if "/" in b or (a.strip() in ("", "..") and b.strip() in ("", "..")):
            raise _bad("datetime", "give an instant, or an interval with at least one end")
        start, end = one(a), one(b)
        if start is not None and end is not None and _key(end, True) < _key(start, False):
            raise _bad("datetime", "the interval ends before it starts")
        return TimeFilter(start, end)
    value = one(raw)
    if value is None:
        raise _bad("datetime", "give an instant or an interval")
    return TimeFilter(value, value)


def _key(value: date | datetime, end: bool) -> datetime:
    """A comparable instant: a date as the start (or, ending an interval, the end) of its day."""
    if isinstance(value, datetime):
        return value
    return datetime.combine(value + timedelta(days=1) if end else value, time(), UTC)


def _bad(name: str, detail: str) -> InvalidParameter:
    return InvalidParameter(
        "The query parameters are not valid.", errors=[FieldError(f"/{name}", detail)]
    )


def epsg_of(uri: str, parameter: str = "crs") -> int | None:
    """The EPSG code of a CRS URI (None for CRS84); InvalidParameter for anything else."""
    if uri in (CRS84, "[OGC:CRS84]", "OGC:CRS84"):
        return None
    for prefix in (EPSG_URI, "EPSG:", "[EPSG:"):
        if uri.startswith(prefix):
            code = uri[len(prefix) :].rstrip("]")
            if code.isdigit():
                return int(code)
    raise _bad(parameter, f"'{uri[:60]}' is not a CRS this server offers")


def crs_uri(epsg: int | None) -> str:
    return CRS84 if epsg is None else f"{EPSG_URI}{epsg}"


def collection_crs(coll: Collection) -> list[str]:
    """WGS84 longitude, latitude (stored) and the area's metric CRS (Part 2)."""
    return [CRS84, crs_uri(coll.area.epsg)]


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
    raise NotFound(f"No collection '{collection_id[:80]}' among yours.")


def extent(session: so.Session, principal: Principal, coll: Collection) -> dict[str, Any]:
    """Spatial extent (the area, or the data where it reaches beyond) and temporal extent."""
    area = coll.area
    bbox = [area.min_lon, area.min_lat, area.max_lon, area.max_lat]
    interval: list[str | None] = [None, None]
    if coll.kind == "finds":
        cond = queries.visible_patrols(principal, area.id)
        row = session.execute(
            sa.select(
                sa.func.min(SnareFind.lon),
                sa.func.min(SnareFind.lat),
                sa.func.max(SnareFind.lon),
                sa.func.max(SnareFind.lat),
                sa.func.min(SnareFind.found_at),
                sa.func.max(SnareFind.found_at),
            )
            .join(Patrol, SnareFind.patrol_id == Patrol.id)
            .where(*cond)
        ).one()
    elif coll.kind == "observations":
        cond = queries.visible_patrols(principal, area.id)
        row = session.execute(
            sa.select(
                sa.func.min(Observation.lon),
                sa.func.min(Observation.lat),
                sa.func.max(Observation.lon),
                sa.func.max(Observation.lat),
                sa.func.min(Observation.observed_at),
                sa.func.max(Observation.observed_at),
            )
            .join(Patrol, Observation.patrol_id == Patrol.id)
            .where(*cond)
        ).one()
    elif coll.kind != "bases":
        cond = (
            queries.visible_patrols(principal, area.id)
            if coll.kind == "routes"
            else [Patrol.area_id == area.id, Patrol.deleted_at.is_(None)]
        )
        row = session.execute(
            sa.select(
                sa.func.min(Patrol.min_lon),
                sa.func.min(Patrol.min_lat),
                sa.func.max(Patrol.max_lon),
                sa.func.max(Patrol.max_lat),
                sa.func.min(Patrol.started_at),
                sa.func.max(Patrol.ended_at),
            ).where(*cond)
        ).one()
    else:
        row = None
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
            raise _bad(name, f"'{name}' is not a queryable of {coll.id}")
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
            raise NotFound(f"No feature '{feature_id[:80]}' in {coll.id}.")
        return route_feature(patrol, with_times=False), {}
    if coll.kind == "finds":
        find, zone = queries.get_find(session, principal, feature_id, area.id)
        return find_feature(find, zone), {}
    if coll.kind == "observations":
        obs, zone = observations.get_observation(session, principal, feature_id, area.id)
        return observation_feature(obs, zone), {}
    features, about = _all_features(session, principal, coll, q)
    for feature in features:
        if str(feature["id"]) == feature_id:
            return feature, about
    raise NotFound(f"No feature '{feature_id[:80]}' in {coll.id}.")


def _window(session: so.Session, area: ConservationArea, when: TimeFilter | None, kind: str):
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
    if principal.role == "ngo":
        about["aggregation"] = exports.AGGREGATION_RULE
    if coll.kind == "zones":
        rows, _ = zone_stats.zone_stats(session, area, window)
        features = [
            {
                "type": "Feature",
                "id": r.zone.code,
                "geometry": json.loads(r.zone.geometry_geojson),
                "properties": r.figures,
            }
            for r in rows
        ]
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
    for feature in features:
        props = feature["properties"]
        rate = predicted.get(feature["id"], {})
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


def reproject(geometry: dict[str, Any] | None, epsg: int | None) -> dict[str, Any] | None:
    """A WGS84 GeoJSON geometry in ``epsg`` (easting, northing), or as it is for CRS84."""
    if geometry is None or epsg is None:
        return geometry

    def walk(coords: Any) -> Any:
        if coords and isinstance(coords[0], int | float):
            x, y = to_metric(np.array([coords[0]]), np.array([coords[1]]), epsg)
            return [round(float(x[0]), 3), round(float(y[0]), 3)]
        if (
            coords
            and isinstance(coords[0], list)
            and coords[0]
            and isinstance(coords[0][0], int | float)
        ):
            arr = np.asarray(coords, float)
            x, y = to_metric(arr[:, 0], arr[:, 1], epsg)
            return np.round(np.column_stack([x, y]), 3).tolist()
        return [walk(c) for c in coords]

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def bbox_to_crs84(
    bbox: tuple[float, float, float, float], epsg: int | None
) -> tuple[float, float, float, float]:
    """A bbox given in ``epsg`` as WGS84 bounds (edges densified: projected edges curve)."""
    if epsg is None:
        return bbox
    w, s, e, n = bbox
    t = np.linspace(0, 1, 21)
    xs = np.concatenate([w + (e - w) * t, np.full(21, e), w + (e - w) * t, np.full(21, w)])
    ys = np.concatenate([np.full(21, s), s + (n - s) * t, np.full(21, n), s + (n - s) * t])
    lon, lat = to_wgs84(xs, ys, epsg)
    return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())
