"""Conservation areas and what belongs to one: zones, mobile units, orientation layers, basemaps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.store.models.base import Base, utcnow
from patrol.store.types import JSONDocument
from patrol.vocabulary import (
    BasemapContainer,
    LayerKind,
    TileFormat,
    sql_in,
    values,
)

__all__ = ["LAYER_KINDS", "AreaBasemap", "AreaLayer", "ConservationArea", "Unit", "Zone"]


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
    # The park's names of the zone in other languages ({"ru": ..., "en": ...}, from the
    # zones file's name_<lang> properties); None when the file gave only ``name``.
    names: so.Mapped[dict[str, str] | None] = so.mapped_column(JSONDocument, nullable=True)
    geometry: so.Mapped[dict[str, Any]] = so.mapped_column("geometry_geojson", JSONDocument)
    area_km2: so.Mapped[float]
    min_lon: so.Mapped[float]
    min_lat: so.Mapped[float]
    max_lon: so.Mapped[float]
    max_lat: so.Mapped[float]

    area: so.Mapped[ConservationArea] = so.relationship(back_populates="zones")

    def name_in(self, lang: str | None) -> str:
        """The zone's name in ``lang`` when the park gave one, else its ``name``."""
        return ((self.names or {}).get(lang) if lang else None) or self.name


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
