"""Settings: defaults for the embedded case, then instance/config.py, then PATROL_* variables."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULTS",
    "ConfigurationError",
    "default_database_url",
    "demo_allowed",
    "from_environment",
]


class ConfigurationError(RuntimeError):
    """A setting the application cannot start without is missing or wrong."""


#: Development-only secret: create_app refuses it unless PATROL_ENV is development or testing.
DEV_SECRET_KEY = "patrol-development-only-secret"

DEFAULTS: dict[str, Any] = {
    "ENV": "production",
    "SECRET_KEY": None,
    "DATABASE_URL": None,  # None: sqlite file in the instance folder
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
    "MAX_ROUTE_VERTICES": 200_000,
    "MAX_FINDS_PER_PATROL": 5_000,
    # A report's route and finds must lie inside the area grown by this margin.
    "AREA_MARGIN_KM": 10.0,
    "DEFAULT_CELL_KM": 1.0,
    "API_PAGE_SIZE": 100,
    "API_MAX_PAGE_SIZE": 1000,
    "SQLITE_BUSY_TIMEOUT_S": 30.0,
    # Map background tiles, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; none by
    # default: the map draws its data on a plain background and needs no tile server.
    "TILE_URL": None,
    "TILE_ATTRIBUTION": None,
    # Behind a TLS-terminating proxy: how many proxies set X-Forwarded-* (0: none trusted).
    "PROXY_COUNT": 0,
    # Sessions of people: not readable by scripts, not sent on cross-site requests, a
    # working day long; the CSRF token lives as long as the session.
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    "WTF_CSRF_TIME_LIMIT": None,
    # Offline basemaps (MBTiles/PMTiles, `patrol basemap load`): where their files are kept
    # (None: instance/basemaps) and how many tiles a phone keeps for its area at most.
    "BASEMAP_DIR": None,
    "BASEMAP_PREFETCH_MAX_TILES": 3000,
    # Answers compressed (Brotli or gzip) when the client accepts it; off when a proxy in
    # front compresses already (patrol.wire).
    "COMPRESS": True,
}


def _flag(raw: str) -> bool:
    """An on/off setting: 1, true, yes or on (any case) mean on; anything else off."""
    return raw.strip().lower() in ("1", "true", "yes", "on")


# Variables read from the environment, with the type each is parsed as.
_ENV_TYPES: dict[str, Callable[[str], Any]] = {
    "ENV": str,
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "MAX_CONTENT_LENGTH": int,
    "MAX_ROUTE_VERTICES": int,
    "MAX_FINDS_PER_PATROL": int,
    "AREA_MARGIN_KM": float,
    "DEFAULT_CELL_KM": float,
    "API_PAGE_SIZE": int,
    "API_MAX_PAGE_SIZE": int,
    "SQLITE_BUSY_TIMEOUT_S": float,
    "TILE_URL": str,
    "TILE_ATTRIBUTION": str,
    "PROXY_COUNT": int,
    "BASEMAP_DIR": str,
    "BASEMAP_PREFETCH_MAX_TILES": int,
    "COMPRESS": _flag,
}


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Settings given as ``PATROL_<NAME>`` environment variables, parsed to their types."""
    environ = dict(os.environ) if environ is None else environ
    found: dict[str, Any] = {}
    for name, kind in _ENV_TYPES.items():
        raw = environ.get(f"PATROL_{name}")
        if raw is not None and raw != "":
            found[name] = kind(raw)
    return found


def default_database_url(instance_path: str | Path, env: str = "production") -> str:
    """The embedded default: one SQLite file in the instance folder, another one for
    development, so that the demo's published logins never sit in a production database."""
    name = "patrol-dev.sqlite3" if env == "development" else "patrol.sqlite3"
    return f"sqlite:///{Path(instance_path) / name}"


def demo_allowed(env: str) -> bool:
    """Whether the demo's users (published passwords and tokens) may sign in."""
    return env in ("development", "testing")
