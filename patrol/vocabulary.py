"""The closed vocabularies of patrol, each written once as a ``StrEnum``.

Roles, transports, the find fields, hotspot classes, trend categories and the formats are
checked by the database (``CheckConstraint``), offered by the CLI (``click.Choice``), listed by
the OpenAPI document (``enum``) and validated in reports. All of them read their values here, so
a new transport is one line. Members are ``str``: they compare equal to the plain strings stored
in rows and sent in JSON, and encode as those strings.

The module imports nothing of Flask or SQLAlchemy: ``patrol.geo`` and ``patrol.analytics`` use it.

>>> Transport("ski") is Transport.SKI
True
>>> values(Role)
('ranger', 'coordinator', 'ngo', 'admin')
>>> sql_in("role", Role)
"role IN ('ranger', 'coordinator', 'ngo', 'admin')"
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "Action",
    "BasemapContainer",
    "ExportFormat",
    "FindState",
    "FindType",
    "HotspotClass",
    "JobKind",
    "JobState",
    "LayerKind",
    "Role",
    "SmartFormat",
    "TileFormat",
    "Transport",
    "TrendCategory",
    "sql_in",
    "values",
]


class Role(StrEnum):
    """Who a user is: what they may see and do (``services/auth.Principal``)."""

    RANGER = "ranger"
    COORDINATOR = "coordinator"
    NGO = "ngo"
    ADMIN = "admin"


class Transport(StrEnum):
    """How a patrol moved: it sets plausible speeds and which patrols count as search effort."""

    FOOT = "foot"
    VEHICLE = "vehicle"
    MOTORBIKE = "motorbike"
    BOAT = "boat"
    SKI = "ski"


class FindType(StrEnum):
    """What a snare (or trap) was made of."""

    WIRE = "wire"
    CABLE = "cable"
    ROPE = "rope"
    LEGHOLD = "leghold"
    PIT = "pit"
    OTHER = "other"


class FindState(StrEnum):
    """The state a snare was found in."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    TRIGGERED = "triggered"


class Action(StrEnum):
    """What the patrol did with a find; ``REMOVED_ACTIONS`` count as removals."""

    REMOVED = "removed"
    DESTROYED = "destroyed"
    LEFT_IN_PLACE = "left_in_place"
    MARKED = "marked"


REMOVED_ACTIONS = (Action.REMOVED, Action.DESTROYED)


class HotspotClass(StrEnum):
    """A cell's Gi* verdict, hottest to coldest, then the two non-verdicts."""

    HOT_99 = "hot_99"
    HOT_95 = "hot_95"
    HOT_90 = "hot_90"
    NOT_SIGNIFICANT = "not_significant"
    COLD_90 = "cold_90"
    COLD_95 = "cold_95"
    COLD_99 = "cold_99"
    UNDER_PATROLLED = "under_patrolled"


SIGNIFICANT_HOT = (HotspotClass.HOT_99, HotspotClass.HOT_95)

_PATTERNS = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)
# The emerging hot spot categories (as in ArcGIS Pro): each pattern of hot and of cold spots,
# then no pattern. Built from the patterns so the two halves cannot drift apart.
TrendCategory = StrEnum(
    "TrendCategory",
    [(f"{p}_{k}_spot".upper(), f"{p}_{k}_spot") for k in ("hot", "cold") for p in _PATTERNS]
    + [("NO_PATTERN", "no_pattern")],
)
TrendCategory.__doc__ = "A location's emerging hot spot category over the window's time bins."


class ExportFormat(StrEnum):
    """The formats of the NGO exports (``services/formats.py`` holds their writers)."""

    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"
    GEOJSON = "geojson"
    GPKG = "gpkg"


class SmartFormat(StrEnum):
    """A SMART patrol export: the Connect package (zip) or its bare patrol XML."""

    ZIP = "zip"
    XML = "xml"


class LayerKind(StrEnum):
    """An orientation layer of an area (drawn under the form and the map)."""

    ROADS = "roads"
    SETTLEMENTS = "settlements"
    RIVERS = "rivers"


class JobState(StrEnum):
    """A recompute job's state."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobKind(StrEnum):
    """What a recompute job measures again: zones only, or cells and zones."""

    ZONES = "zones"
    ALL = "all"


class BasemapContainer(StrEnum):
    """The file an offline basemap came in."""

    MBTILES = "mbtiles"
    PMTILES = "pmtiles"


class TileFormat(StrEnum):
    """The format of an offline basemap's tiles (``pbf``: vector)."""

    PNG = "png"
    JPG = "jpg"
    WEBP = "webp"
    PBF = "pbf"


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The plain string values of a vocabulary, in its order (for messages and ``Choice``)."""
    return tuple(member.value for member in enum)


def sql_in(column: str, enum: type[StrEnum]) -> str:
    """The SQL of a ``CheckConstraint`` that keeps ``column`` within a vocabulary."""
    return f"{column} IN ({', '.join(repr(v) for v in values(enum))})"
