"""OGC API query values: ``datetime`` intervals, CRS URIs, and geometries moved between CRS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from patrol.errors import FieldError, InvalidParameter
from patrol.geo.projection import to_metric, to_wgs84
from patrol.services.days import local_midnight
from patrol.services.ogc_kinds import CRS84, EPSG_URI, Collection
from patrol.texts import N_

__all__ = [
    "TimeFilter",
    "bad_parameter",
    "bbox_to_crs84",
    "collection_crs",
    "crs_uri",
    "epsg_of",
    "parse_datetime",
    "reproject",
]


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
            raise bad_parameter(
                "datetime", N_("'{text}' is not an RFC 3339 date or date-time", text=text[:40])
            ) from None
        if value.tzinfo is None:
            raise bad_parameter("datetime", N_("a date-time needs 'Z' or an offset"))
        return value.astimezone(UTC)

    if "/" in raw:
        a, _, b = raw.partition("/")
        if "/" in b or (a.strip() in ("", "..") and b.strip() in ("", "..")):
            raise bad_parameter(
                "datetime", N_("give an instant, or an interval with at least one end")
            )
        start, end = one(a), one(b)
        if start is not None and end is not None and _key(end, True) < _key(start, False):
            raise bad_parameter("datetime", N_("the interval ends before it starts"))
        return TimeFilter(start, end)
    value = one(raw)
    if value is None:
        raise bad_parameter("datetime", N_("give an instant or an interval"))
    return TimeFilter(value, value)


def _key(value: date | datetime, end: bool) -> datetime:
    """A comparable instant: a date as the start (or, ending an interval, the end) of its day."""
    if isinstance(value, datetime):
        return value
    return datetime.combine(value + timedelta(days=1) if end else value, time(), UTC)


def bad_parameter(name: str, detail: str) -> InvalidParameter:
    """A 400 naming the query parameter ``name`` (OGC API's status for a bad value)."""
    return InvalidParameter(
        N_("The query parameters are not valid."), errors=[FieldError(f"/{name}", detail)]
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
    raise bad_parameter(parameter, N_("'{uri}' is not a CRS this server offers", uri=uri[:60]))


def crs_uri(epsg: int | None) -> str:
    return CRS84 if epsg is None else f"{EPSG_URI}{epsg}"


def collection_crs(coll: Collection) -> list[str]:
    """WGS84 longitude, latitude (stored) and the area's metric CRS (Part 2)."""
    return [CRS84, crs_uri(coll.area.epsg)]


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
