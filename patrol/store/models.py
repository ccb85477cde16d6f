"""Typed SQLAlchemy 2.x models of every stored entity (see docs/data-model.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy

from patrol.store.types import JSONDocument, UTCDateTime
from patrol.vocabulary import (
    BasemapContainer,
    JobKind,
    JobState,
    LayerKind,
    Role,
    TileFormat,
    sql_in,
    values,
)

__all__ = [
    "LAYER_KINDS",
    "ROLES",
    "ApiToken",
    "AreaBasemap",
    "AreaLayer",
    "AuditEvent",
    "Base",
    "ConservationArea",
    "EffortCell",
    "EffortZone",
    "Observation",
    "ObservationAttribute",
    "Patrol",
    "PatrolTrack",
    "RecomputeJob",
    "SmartAreaMap",
    "SmartLeg",
    "SmartPatrol",
    "SnareFind",
    "Unit",
    "User",
    "UserSession",
    "Zone",
    "utcnow",
]

ROLES = values(Role)


def utcnow() -> datetime:
    return datetime.now(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(so.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict] = {datetime: UTCDateTime()}


user_area = sa.Table(
    "user_area",
    Base.metadata,
    sa.Column("user_id", sa.ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "area_id", sa.ForeignKey("conservation_area.id", ondelete="CASCADE"), primary_key=True
    ),
)


class ConservationArea(Base):
    """One protected area: its metric CRS, its grid and its boundary (WGS84 GeoJSON text)."""

    __tablename__ = "conservation_area"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    epsg: so.Mapped[int]
    cell_m: so.Mapped[float]
    grid_origin_x: so.Mapped[float]
    grid_origin_y: so.Mapped[float]
    timezone: so.Mapped[str] = so.mapped_column(sa.String(64))
    boundary: so.Mapped[dict[str, Any]] = so.mapped_column("boundary_geojson", JSONDocument)
    area_km2: so.Mapped[float]
    synthetic: so.Mapped[bool] = so.mapped_column(default=False)
    # Goes up by one each time the zones are replaced: a report measured against an older
    # version is measured again before it is stored, and recompute jobs know what is current.
    zones_version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    # The setting-rate model's settings for this area (None: the defaults, 0.3 and 90 days).
    detection_probability: so.Mapped[float | None]
    snare_life_days: so.Mapped[float | None]
    # The pages' language for readers with no preference and no Accept-Language match (a
    # language code with a catalog in translations/; None: English).
    default_language: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    # WGS84 bounding boxes (here and on zones and patrols) filter without a spatial extension.
    min_lon: so.Mapped[float]
    min_lat: so.Mapped[float]
    max_lon: so.Mapped[float]
    max_lat: so.Mapped[float]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    zones: so.Mapped[list[Zone]] = so.relationship(back_populates="area", order_by="Zone.code")
    units: so.Mapped[list[Unit]] = so.relationship(back_populates="area", order_by="Unit.code")


class Zone(Base):
    __tablename__ = "zone"
    __table_args__ = (sa.UniqueConstraint("area_id", "code"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    area_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE"), index=True
    )
    code: so.Mapped[str] = so.mapped_column(sa.String(64))
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    geometry: so.Mapped[dict[str, Any]] = so.mapped_column("geometry_geojson", JSONDocument)
    area_km2: so.Mapped[float]
    min_lon: so.Mapped[float]
    min_lat: so.Mapped[float]
    max_lon: so.Mapped[float]
    max_lat: so.Mapped[float]

    area: so.Mapped[ConservationArea] = so.relationship(back_populates="zones")


class Unit(Base):
    """A mobile anti-poaching unit; codes are unique across the deployment (reports name them)."""

    __tablename__ = "unit"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    area_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE"), index=True
    )
    code: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    base_lon: so.Mapped[float | None]
    base_lat: so.Mapped[float | None]
    active: so.Mapped[bool] = so.mapped_column(default=True)
    walk_km: so.Mapped[float | None]  # a day's walking length on foot (None: 20 km)

    area: so.Mapped[ConservationArea] = so.relationship(back_populates="units")


LAYER_KINDS = values(LayerKind)


class AreaLayer(Base):
    """One feature of an area's reference layer (roads, settlements, rivers), WGS84 GeoJSON:
    for maps and as covariates of where snares are set."""

    __tablename__ = "area_layer"
    __table_args__ = (
        sa.CheckConstraint(sql_in("kind", LayerKind), name="kind"),
        sa.Index("ix_area_layer_area_kind", "area_id", "kind"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    area_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE")
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    geometry: so.Mapped[dict[str, Any]] = so.mapped_column("geometry_geojson", JSONDocument)


class User(Base):
    __tablename__ = "app_user"
    __table_args__ = (sa.CheckConstraint(sql_in("role", Role), name="role"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(256))
    role: so.Mapped[str] = so.mapped_column(sa.String(16))
    unit_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("unit.id", ondelete="SET NULL"))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    # Made by the demo loader with a published password and token: never valid in production.
    demo: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # The pages' language this user chose with the language switch (None: not chosen).
    language: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    unit: so.Mapped[Unit | None] = so.relationship()
    areas: so.Mapped[list[ConservationArea]] = so.relationship(secondary=user_area)
    tokens: so.Mapped[list[ApiToken]] = so.relationship(back_populates="user")


class ApiToken(Base):
    """An API token, stored as its SHA-256 only: the token itself is shown once, at creation."""

    __tablename__ = "api_token"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    prefix: so.Mapped[str] = so.mapped_column(sa.String(16))
    name: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_used_at: so.Mapped[datetime | None]
    revoked_at: so.Mapped[datetime | None]

    user: so.Mapped[User] = so.relationship(back_populates="tokens")


class Patrol(Base):
    __tablename__ = "patrol"
    __table_args__ = (
        sa.Index("ix_patrol_area_started", "area_id", "started_at"),
        sa.Index("ix_patrol_area_start_date", "area_id", "start_date"),
        sa.CheckConstraint("ended_at >= started_at", name="time_order"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    uuid: so.Mapped[str] = so.mapped_column(sa.String(36), unique=True)
    area_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE")
    )
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("unit.id"), index=True)
    leader: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    members: so.Mapped[list[str]] = so.mapped_column("members_json", JSONDocument, default=list)
    transport: so.Mapped[str] = so.mapped_column(sa.String(16))
    started_at: so.Mapped[datetime]
    ended_at: so.Mapped[datetime]
    # The start's calendar day and month in the area's time zone, and how many local days the
    # patrol spans: monthly figures and patrol-days become plain GROUP BYs on every backend.
    start_date: so.Mapped[date]
    start_month: so.Mapped[int]  # yyyymm
    days: so.Mapped[int] = so.mapped_column(default=1)
    vertex_count: so.Mapped[int]
    distance_km: so.Mapped[float]
    duration_h: so.Mapped[float]
    min_lon: so.Mapped[float]
    min_lat: so.Mapped[float]
    max_lon: so.Mapped[float]
    max_lat: so.Mapped[float]
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    source_format: so.Mapped[str] = so.mapped_column(sa.String(16))
    revision: so.Mapped[int] = so.mapped_column(default=1)
    submitted_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("app_user.id", ondelete="SET NULL")
    )
    submitted_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    deleted_at: so.Mapped[datetime | None]

    unit: so.Mapped[Unit] = so.relationship()
    area: so.Mapped[ConservationArea] = so.relationship()
    submitted_by: so.Mapped[User | None] = so.relationship()
    finds: so.Mapped[list[SnareFind]] = so.relationship(
        back_populates="patrol", order_by="SnareFind.found_at", cascade="all, delete-orphan"
    )
    cell_effort: so.Mapped[list[EffortCell]] = so.relationship(cascade="all, delete-orphan")
    zone_effort: so.Mapped[list[EffortZone]] = so.relationship(cascade="all, delete-orphan")
    track: so.Mapped[PatrolTrack] = so.relationship(
        back_populates="patrol", cascade="all, delete-orphan", single_parent=True
    )

    # The route and its vertex times live in their own table (PatrolTrack), read through these
    # two names as if they were columns of the patrol.
    route_geojson: AssociationProxy[str] = association_proxy(
        "track", "route_geojson", creator=lambda v: PatrolTrack(route_geojson=v)
    )
    coord_times_json: AssociationProxy[str | None] = association_proxy(
        "track", "coord_times_json", creator=lambda v: PatrolTrack(coord_times_json=v)
    )


class PatrolTrack(Base):
    """A patrol's route (GeoJSON MultiLineString text) and per-vertex times (JSON epoch
    seconds per part), one row per patrol.

    Kept out of the patrol row on purpose: ~84 KB of text per patrol put every filter column
    behind overflow pages in SQLite, so a year's figures walked the routes just to read
    ``start_month``. Figures never read this table; only documents and recomputation do.
    """

    __tablename__ = "patrol_track"

    patrol_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("patrol.id", ondelete="CASCADE"), primary_key=True
    )
    route_geojson: so.Mapped[str] = so.mapped_column(sa.Text)
    coord_times_json: so.Mapped[str | None] = so.mapped_column(sa.Text)

    patrol: so.Mapped[Patrol] = so.relationship(back_populates="track")


class SnareFind(Base):
    __tablename__ = "snare_find"
    __table_args__ = (
        sa.CheckConstraint("count >= 1", name="count_positive"),
        sa.Index("ix_snare_find_area_found", "area_id", "found_at"),
        sa.Index("ix_snare_find_cell", "area_id", "cell_ix", "cell_iy"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    uuid: so.Mapped[str] = so.mapped_column(sa.String(36), unique=True)
    patrol_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("patrol.id", ondelete="CASCADE"), index=True
    )
    area_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE")
    )
    found_at: so.Mapped[datetime]
    lon: so.Mapped[float]
    lat: so.Mapped[float]
    type: so.Mapped[str] = so.mapped_column(sa.String(16))
    count: so.Mapped[int]
    state: so.Mapped[str] = so.mapped_column(sa.String(16))
    action: so.Mapped[str] = so.mapped_column(sa.String(16))
    species: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    notes: so.Mapped[str | None] = so.mapped_column(sa.Text)
    cell_ix: so.Mapped[int]
    cell_iy: so.Mapped[int]
    zone_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("zone.id", ondelete="SET NULL"), index=True
    )

    patrol: so.Mapped[Patrol] = so.relationship(back_populates="finds")
    zone: so.Mapped[Zone | None] = so.relationship()


class EffortCell(Base):
    """Km and hours of one patrol inside one fine grid cell (computed once, at ingest)."""

    __tablename__ = "effort_cell"
    __table_args__ = (sa.Index("ix_effort_cell_cell", "ix", "iy"),)

    patrol_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("patrol.id", ondelete="CASCADE"), primary_key=True
    )
    ix: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    iy: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    effort_km: so.Mapped[float]
    effort_h: so.Mapped[float]


class EffortZone(Base):
    """Km and hours of one patrol inside one zone (recomputed when zones are replaced)."""

    __tablename__ = "effort_zone"

    patrol_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("patrol.id", ondelete="CASCADE"), primary_key=True
    )
    zone_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("zone.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    effort_km: so.Mapped[float]
    effort_h: so.Mapped[float]


class LoginFailure(Base):
    """A failed sign-in, kept a short while so that guessing passwords gets slow."""

    __tablename__ = "login_failure"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    ip: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)


class UserSession(Base):
    """A signed-in browser session, known to the server so that signing out ends it.

    The cookie carries a random id; only its SHA-256 is stored, as for API tokens.
    """

    __tablename__ = "user_session"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    expires_at: so.Mapped[datetime]
    ended_at: so.Mapped[datetime | None]


class RecomputeJob(Base):
    """Measuring an area's patrols again after its zones (or grid) changed, in batches.

    Progress is stored after each batch, so the API can report it and any process can
    resume a job whose runner died (its ``heartbeat_at`` stops moving).
    """

    __tablename__ = "recompute_job"
    __table_args__ = (
        sa.CheckConstraint(sql_in("state", JobState), name="state"),
        sa.CheckConstraint(sql_in("kind", JobKind), name="kind"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    area_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE"), index=True
    )
    # zones: effort per zone and the finds' zones; all: cells too (after a grid change).
    kind: so.Mapped[str] = so.mapped_column(sa.String(16), default="zones")
    zones_version: so.Mapped[int]
    state: so.Mapped[str] = so.mapped_column(sa.String(16), default="running")
    total: so.Mapped[int] = so.mapped_column(default=0)
    done: so.Mapped[int] = so.mapped_column(default=0)
    # Patrols are measured in id order; the last id measured is where a resumed job goes on.
    last_patrol_id: so.Mapped[int] = so.mapped_column(default=0)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    heartbeat_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    finished_at: so.Mapped[datetime | None]
    error: so.Mapped[str | None] = so.mapped_column(sa.Text)


class AuditEvent(Base):
    """Who did what to which record, with its state before and after (JSON text)."""

    __tablename__ = "audit_event"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("app_user.id", ondelete="SET NULL")
    )
    area_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE")
    )
    action: so.Mapped[str] = so.mapped_column(sa.String(32))
    entity: so.Mapped[str] = so.mapped_column(sa.String(32))
    entity_id: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    before: so.Mapped[dict[str, Any] | None] = so.mapped_column("before_json", JSONDocument)
    after: so.Mapped[dict[str, Any] | None] = so.mapped_column("after_json", JSONDocument)

    user: so.Mapped[User | None] = so.relationship()


class Observation(Base):
    """What a patrol recorded that is kept as it was recorded (from SMART: carcasses, camps,
    gunshots, sightings, and snares too): category from the park's data model, typed
    attributes, point and time. A snare observation also made a SnareFind (``snare_find_uuid``).
    """

    __tablename__ = "observation"
    __table_args__ = (
        sa.Index("ix_observation_area_observed", "area_id", "observed_at"),
        sa.Index("ix_observation_area_category", "area_id", "category_key"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    uuid: so.Mapped[str] = so.mapped_column(sa.String(36), unique=True)
    patrol_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("patrol.id", ondelete="CASCADE"), index=True
    )
    area_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE")
    )
    observed_at: so.Mapped[datetime]
    lon: so.Mapped[float]
    lat: so.Mapped[float]
    category_key: so.Mapped[str] = so.mapped_column(sa.String(400))
    category_path: so.Mapped[str] = so.mapped_column(sa.String(400))
    # Where it sat in the SMART file, so an export writes it back in the same place.
    waypoint_id: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    day_index: so.Mapped[int] = so.mapped_column(default=0)
    waypoint_index: so.Mapped[int] = so.mapped_column(default=0)
    group_index: so.Mapped[int] = so.mapped_column(default=0)
    position: so.Mapped[int] = so.mapped_column(default=0)
    snare_find_uuid: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    cell_ix: so.Mapped[int]
    cell_iy: so.Mapped[int]
    zone_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("zone.id", ondelete="SET NULL"), index=True
    )

    patrol: so.Mapped[Patrol] = so.relationship()
    attributes: so.Mapped[list[ObservationAttribute]] = so.relationship(
        order_by="ObservationAttribute.position", cascade="all, delete-orphan"
    )


class ObservationAttribute(Base):
    """One attribute with its typed value: kind item (one list or tree key), items (a
    multi-list), number, boolean, text, or empty."""

    __tablename__ = "observation_attribute"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    observation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("observation.id", ondelete="CASCADE"), index=True
    )
    position: so.Mapped[int]
    key: so.Mapped[str] = so.mapped_column(sa.String(200))
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    items: so.Mapped[list[Any] | None] = so.mapped_column("items_json", JSONDocument)
    number_value: so.Mapped[float | None]
    bool_value: so.Mapped[bool | None]
    text_value: so.Mapped[str | None] = so.mapped_column(sa.Text)


class SmartPatrol(Base):
    """A patrol imported from SMART: its SMART id (the idempotency key within its area), the
    content hash of what was imported, and everything of the file that is not a route or an
    observation (type, objective, team, comment, legs' members and mandate, days' times)."""

    __tablename__ = "smart_patrol"
    __table_args__ = (sa.UniqueConstraint("area_id", "smart_id", name="uq_smart_patrol_area_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    area_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE")
    )
    smart_id: so.Mapped[str] = so.mapped_column(sa.String(64))
    unit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("unit.id"))
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    revision: so.Mapped[int] = so.mapped_column(default=1)
    doc: so.Mapped[dict[str, Any]] = so.mapped_column("doc_json", JSONDocument)
    imported_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("app_user.id", ondelete="SET NULL")
    )
    imported_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    legs: so.Mapped[list[SmartLeg]] = so.relationship(
        order_by="SmartLeg.leg_index", cascade="all, delete-orphan"
    )


class SmartLeg(Base):
    """Which stored patrol is which leg of a SMART patrol (one patrol per leg: each leg has its
    own transport, so foot and ski legs count as search effort and vehicle legs do not)."""

    __tablename__ = "smart_leg"

    patrol_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("patrol.id", ondelete="CASCADE"), primary_key=True
    )
    smart_patrol_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("smart_patrol.id", ondelete="CASCADE"), index=True
    )
    leg_index: so.Mapped[int]

    patrol: so.Mapped[Patrol] = so.relationship()


class SmartAreaMap(Base):
    """An area's SMART map (snare categories, teams, transports) as a JSON document."""

    __tablename__ = "smart_area_map"

    area_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE"), primary_key=True
    )
    doc: so.Mapped[dict[str, Any]] = so.mapped_column("doc_json", JSONDocument)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class AreaBasemap(Base):
    """An area's offline basemap: an MBTiles or PMTiles file kept in the basemap folder, read
    tile by tile; the row says what the file holds so no request has to open it to know."""

    __tablename__ = "area_basemap"
    __table_args__ = (
        sa.CheckConstraint(sql_in("container", BasemapContainer), name="container"),
        sa.CheckConstraint(sql_in("tile_format", TileFormat), name="tile_format"),
        sa.CheckConstraint(
            "min_zoom >= 0 AND min_zoom <= max_zoom AND max_zoom <= 24", name="zooms"
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    area_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conservation_area.id", ondelete="CASCADE"), unique=True
    )
    container: so.Mapped[str] = so.mapped_column(sa.String(8))
    tile_format: so.Mapped[str] = so.mapped_column(sa.String(8))
    # Relative to the basemap folder (PATROL_BASEMAP_DIR), so the folder can move.
    file_path: so.Mapped[str] = so.mapped_column(sa.String(500))
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    attribution: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    min_lon: so.Mapped[float]
    min_lat: so.Mapped[float]
    max_lon: so.Mapped[float]
    max_lat: so.Mapped[float]
    min_zoom: so.Mapped[int]
    max_zoom: so.Mapped[int]
    # How the stored tiles are compressed (vector tiles are usually gzip): sent as
    # Content-Encoding, never recompressed.
    tile_compression: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    bytes: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    loaded_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    loaded_by: so.Mapped[str | None] = so.mapped_column(sa.String(200))
