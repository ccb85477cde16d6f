"""Geodesic lengths on WGS84 and the metric projection of a conservation area."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyproj

__all__ = ["GEOD", "geodesic_lengths_m", "to_metric", "to_wgs84", "utm_epsg"]

GEOD = pyproj.Geod(ellps="WGS84")


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS84 UTM zone holding ``(lon, lat)``.

    >>> utm_epsg(131.5, 43.1)
    32652
    """
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


@lru_cache(maxsize=32)
def _forward(epsg: int) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(4326, epsg, always_xy=True)


@lru_cache(maxsize=32)
def _inverse(epsg: int) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(epsg, 4326, always_xy=True)


def to_metric(lon: np.ndarray, lat: np.ndarray, epsg: int) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 longitudes and latitudes (arrays) into the metric CRS ``epsg``."""
    x, y = _forward(epsg).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def to_wgs84(x: np.ndarray, y: np.ndarray, epsg: int) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`to_metric`: metric coordinates back to longitude, latitude."""
    lon, lat = _inverse(epsg).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


def geodesic_lengths_m(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Geodesic length in metres of each segment of one polyline (``len(lon) - 1`` values).

    >>> round(float(geodesic_lengths_m(np.array([0.0, 1.0]), np.array([0.0, 0.0]))[0]))
    111319
    """
    lon = np.asarray(lon, float)
    lat = np.asarray(lat, float)
    if lon.size < 2:
        return np.zeros(0)
    _, _, dist = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    return np.asarray(dist, float)
