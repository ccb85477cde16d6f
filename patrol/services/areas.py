"""Conservation areas, their zones (replaced as a whole, figures recomputed) and their units."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import shapely
import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely.geometry import shape

from patrol.errors import FieldError, NotFound, ValidationFailed
from patrol.geo.checks import check_point
from patrol.geo.documents import feature, feature_collection, load_json, point
from patrol.geo.grid import Grid
from patrol.geo.problems import Problems
from patrol.geo.projection import utm_epsg
from patrol.geo.shapes import geometry_document, parse_zones, project
from patrol.services import audit, recompute
from patrol.services.auth import Principal
from patrol.store.engine import write
from patrol.store.models import ConservationArea, RecomputeJob, SnareFind, Unit, Zone
from patrol.texts import N_
from patrol.vocabulary import JobKind

__all__ = [
    "area_for",
    "areas_document",
    "boundary_document",
    "callers_areas",
    "create_area",
    "import_units",
    "list_areas",
    "replace_zones",
    "units_document",
    "zones_document",
]

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def _bbox(geometry: shapely.Geometry) -> dict[str, float]:
    minx, miny, maxx, maxy = shapely.bounds(geometry)
    return {"min_lon": minx, "min_lat": miny, "max_lon": maxx, "max_lat": maxy}


def create_area(
    session: so.Session,
    slug: str,
    name: str,
    boundary: dict[str, Any],
    *,
    cell_km: float = 1.0,
    timezone: str = "UTC",
    epsg: int | None = None,
    synthetic: bool = False,
) -> ConservationArea:
    """A new area from a WGS84 boundary (a GeoJSON geometry, Feature or one-feature collection)."""
    problems = []
    if not SLUG.match(slug or ""):
        problems.append(FieldError("/slug", N_("use lower-case letters, digits and '-'")))
    if isinstance(boundary, dict) and boundary.get("type") == "FeatureCollection":
        feats = boundary.get("features") or []
        boundary = feats[0] if len(feats) == 1 else {}
    if isinstance(boundary, dict) and boundary.get("type") == "Feature":
        boundary = boundary.get("geometry") or {}
    try:
        geom = shape(boundary)
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.ShapelyError):
        geom = None
    if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon") or not geom.is_valid:
        problems.append(FieldError("/boundary", N_("must be one valid Polygon or MultiPolygon")))
    try:
        ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        problems.append(
            FieldError("/timezone", N_("'{timezone}' is not an IANA time zone", timezone=timezone))
        )
    if not 0.1 <= cell_km <= 50:
        problems.append(FieldError("/cell_km", N_("must be between 0.1 and 50 km")))
    if problems:
        raise ValidationFailed(N_("The conservation area cannot be created."), errors=problems)
    centroid = geom.centroid
    epsg = epsg or utm_epsg(centroid.x, centroid.y)
    metric = project(geom, epsg)
    grid = Grid.covering(shapely.bounds(metric), cell_km * 1000.0)
    area = ConservationArea(
        slug=slug,
        name=name,
        epsg=epsg,
        cell_m=cell_km * 1000.0,
        grid_origin_x=grid.origin_x,
        grid_origin_y=grid.origin_y,
        timezone=timezone,
        boundary=geometry_document(geom),
        area_km2=metric.area / 1e6,
        synthetic=synthetic,
        **_bbox(geom),
    )
    session.add(area)
    session.flush()
    return area


def area_for(
    session: so.Session, principal: Principal | None, slug: str | None
) -> ConservationArea:
    """The area a request means: named by slug, or the caller's only one."""
    if slug:
        area = session.scalar(sa.select(ConservationArea).where(ConservationArea.slug == slug))
        if area is None or (principal is not None and area.id not in principal.area_ids):
            raise NotFound(N_("No conservation area '{slug}' among yours.", slug=slug))
        return area
    ids = principal.area_ids if principal is not None else None
    query = sa.select(ConservationArea).order_by(ConservationArea.id)
    if ids is not None:
        query = query.where(ConservationArea.id.in_(ids))
    areas = session.scalars(query).all()
    if len(areas) == 1:
        return areas[0]
    if not areas:
        raise NotFound(N_("You have no conservation area."))
    raise ValidationFailed(
        N_("Name the conservation area: you have several."),
        errors=[
            FieldError(
                "/area",
                N_("give ?area=<slug>: one of {allowed}", allowed=", ".join(a.slug for a in areas)),
            )
        ],
    )


@dataclass
class ZoneReplacement:
    zones: list[Zone]
    job: RecomputeJob  # measures the area's patrols against the new zones (recompute.run_job)


def replace_zones(
    session: so.Session,
    area: ConservationArea,
    data: bytes | str | dict,
    principal: Principal | None = None,
) -> ZoneReplacement:
    """Replace the area's zones with a FeatureCollection, and open the job that recomputes
    every figure derived from them.

    Zones are matched by code: a kept code keeps its id (and its history), a missing one is
    removed. One short transaction (a rejected file changes nothing); the patrols are
    measured afterwards, in batches, by ``recompute.run_job``.
    """
    doc = data if isinstance(data, dict) else load_json(data)
    problems = Problems()
    zones_in = parse_zones(doc, problems)
    problems.raise_if_any(N_("zones file"))
    area_id = area.id
    with write(session):
        area = session.get(ConservationArea, area_id)
        existing = {
            z.code: z for z in session.scalars(sa.select(Zone).where(Zone.area_id == area_id))
        }
        before = sorted(existing)
        kept: list[Zone] = []
        for z in zones_in:
            metric = project(z.geometry, area.epsg)
            values = {
                "name": z.name,
                "names": z.names or None,
                "geometry": geometry_document(z.geometry),
                "area_km2": metric.area / 1e6,
                **_bbox(z.geometry),
            }
            zone = existing.pop(z.code, None)
            if zone is None:
                zone = Zone(area_id=area_id, code=z.code, **values)
                session.add(zone)
            else:
                for key, value in values.items():
                    setattr(zone, key, value)
            kept.append(zone)
        for gone in existing.values():
            session.execute(
                sa.update(SnareFind).where(SnareFind.zone_id == gone.id).values(zone_id=None)
            )
            session.delete(gone)
        session.flush()
        job = recompute.open_job(session, area, JobKind.ZONES)
        audit.record(
            session,
            user_id=principal.user_id if principal else None,
            area_id=area_id,
            action="replace",
            entity="zones",
            entity_id=area.slug,
            before={"zones": before},
            after={"zones": sorted(z.code for z in kept), "recompute_job": job.id},
        )
    return ZoneReplacement(kept, job)


def zones_document(session: so.Session, area: ConservationArea) -> dict[str, Any]:
    zones = session.scalars(
        sa.select(Zone).where(Zone.area_id == area.id).order_by(Zone.code)
    ).all()
    return feature_collection(
        (
            feature(
                z.geometry,
                {
                    "code": z.code,
                    "name": z.name,
                    "names": z.names or {},
                    "area_km2": round(z.area_km2, 4),
                },
                id=z.code,
            )
            for z in zones
        ),
        area=area.slug,
    )


def import_units(session: so.Session, area: ConservationArea, data: bytes | str | dict) -> int:
    """Add or update units from a FeatureCollection of Points (bases) with code and name."""
    doc = data if isinstance(data, dict) else load_json(data)
    problems = Problems()
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list) or not features:
        problems.add("/features", N_("units come as a FeatureCollection of base Points"))
        problems.raise_if_any(N_("units file"))
    rows = []
    for i, f in enumerate(features):
        where = f"/features/{i}"
        props = f.get("properties") if isinstance(f, dict) else None
        if not isinstance(props, dict):
            problems.add(f"{where}/properties", N_("must be an object with code and name"))
            continue
        code = props.get("code")
        if not isinstance(code, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$", code):
            problems.add(f"{where}/properties/code", N_("a unit code like MU-07"))
            continue
        geometry = f.get("geometry")
        lonlat = None
        if geometry is not None:
            if not isinstance(geometry, dict) or geometry.get("type") != "Point":
                problems.add(f"{where}/geometry", N_("a unit's base is a Point (or null)"))
            else:
                lonlat = check_point(
                    geometry.get("coordinates"), f"{where}/geometry/coordinates", problems
                )
        active = props.get("active", True)
        if not isinstance(active, bool):
            problems.add(f"{where}/properties/active", N_("must be true or false"))
        walk_km = props.get("walk_km")
        if walk_km is not None and (type(walk_km) not in (int, float) or not 1 <= walk_km <= 80):
            problems.add(f"{where}/properties/walk_km", N_("a day's walk in km, from 1 to 80"))
            walk_km = None
        rows.append((code, str(props.get("name") or code), lonlat, active, walk_km))
    problems.raise_if_any(N_("units file"))
    with write(session):
        for code, name, lonlat, active, walk_km in rows:
            unit = session.scalar(sa.select(Unit).where(Unit.code == code))
            if unit is not None and unit.area_id != area.id:
                raise ValidationFailed(
                    N_("A unit code belongs to another area."),
                    errors=[FieldError("/features", N_("'{code}' is taken", code=code))],
                )
            if unit is None:
                unit = Unit(area_id=area.id, code=code)
                session.add(unit)
            unit.name, unit.active, unit.walk_km = name, active, walk_km
            unit.base_lon, unit.base_lat = lonlat if lonlat else (None, None)
    return len(rows)


def units_document(session: so.Session, area: ConservationArea, with_bases: bool) -> dict:
    units = session.scalars(
        sa.select(Unit).where(Unit.area_id == area.id).order_by(Unit.code)
    ).all()
    return feature_collection(
        (
            feature(
                point(u.base_lon, u.base_lat) if with_bases and u.base_lon is not None else None,
                {"code": u.code, "name": u.name, "active": u.active},
                id=u.code,
            )
            for u in units
        ),
        area=area.slug,
    )


def boundary_document(area: ConservationArea) -> dict[str, Any]:
    return feature(
        area.boundary,
        {
            "name": area.name,
            "area_km2": round(area.area_km2, 2),
            "synthetic": area.synthetic,
            "epsg": area.epsg,
            "cell_km": area.cell_m / 1000.0,
            "timezone": area.timezone,
        },
        id=area.slug,
    )


def areas_document(session: so.Session, principal: Principal) -> dict[str, Any]:
    rows = session.scalars(
        sa.select(ConservationArea)
        .where(ConservationArea.id.in_(principal.area_ids))
        .order_by(ConservationArea.slug)
    ).all()
    return feature_collection(boundary_document(a) for a in rows)


def list_areas(session: so.Session) -> list[ConservationArea]:
    """Every area by name: the sign-in page names the parks this server holds."""
    return list(session.scalars(sa.select(ConservationArea).order_by(ConservationArea.name)))


def callers_areas(session: so.Session, principal: Principal) -> list[ConservationArea]:
    """The caller's areas by name (the map's area picker)."""
    query = sa.select(ConservationArea).where(ConservationArea.id.in_(principal.area_ids))
    return list(session.scalars(query.order_by(ConservationArea.name)))
