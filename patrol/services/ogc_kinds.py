"""The OGC collections' kinds: what each holds, its queryables and its properties' schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from patrol.store.models import ConservationArea
from patrol.vocabulary import HotspotClass

__all__ = [
    "CRS84",
    "EPSG_URI",
    "KINDS",
    "KIND_INFO",
    "LOCATED",
    "PROPERTIES",
    "RISK_FIGURES",
    "RISK_HORIZON_DAYS",
    "Collection",
    "KindInfo",
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
                    HotspotClass.HOT_99,
                    HotspotClass.HOT_95,
                    HotspotClass.HOT_90,
                    HotspotClass.COLD_99,
                    HotspotClass.COLD_95,
                    HotspotClass.COLD_90,
                    HotspotClass.NOT_SIGNIFICANT,
                    HotspotClass.UNDER_PATROLLED,
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
        "names": {"type": "object", "additionalProperties": _STR},
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
