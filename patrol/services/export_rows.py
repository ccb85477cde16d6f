"""The rows of the annual export's table: a zone's month or year, its figures and rates."""

from __future__ import annotations

from typing import Any

import numpy as np

from patrol.services import periods
from patrol.store.models import Zone

__all__ = ["figures", "ints", "rates", "zone_month_rows", "zone_row"]

# The export's column and the zone figure (services/zone_stats.ZONE_FIGURES) it sums.
SOURCES = (
    ("snares_found", "snares"),
    ("snares_removed", "removed"),
    ("finds", "finds"),
    ("patrols", "patrols"),
    ("patrol_days", "patrol_days"),
    ("effort_km", "effort_km"),
    ("effort_h", "effort_h"),
)
MEASURED = ("effort_km", "effort_h")  # the columns that are not counts


def rates(row: dict[str, Any], area_km2: float | None) -> dict[str, Any]:
    """The row with its rates added and its measures rounded."""
    km, hours, snares = row["effort_km"], row["effort_h"], row["snares_found"]
    row["effort_km"] = round(km, 3)
    row["effort_h"] = round(hours, 3)
    row["cpue_per_100km"] = round(100 * snares / km, 4) if km > 0 else None
    row["cpue_per_10h"] = round(10 * snares / hours, 4) if hours > 0 else None
    row["density_per_km2"] = round(snares / area_km2, 4) if area_km2 else None
    row["area_km2"] = round(area_km2, 3) if area_km2 else None
    return row


def zone_row(
    block: dict[str, np.ndarray], month: int | None, k: int, zone: Zone, base: dict[str, Any]
) -> dict[str, Any]:
    """One zone's row: a month of it, or (``month`` None) its year."""
    label = "" if month is None else f"{base['year']}-{month + 1:02d}"
    return rates(
        {
            **base,
            "month": label,
            "zone": zone.code,
            "zone_name": zone.name,
            **figures(block, month, k),
        },
        zone.area_km2,
    )


def zone_month_rows(
    block: dict[str, np.ndarray],
    k: int,
    zone: Zone,
    base: dict[str, Any],
    status: periods.YearStatus,
) -> list[dict[str, Any]]:
    """The zone's twelve month rows of a year."""
    return [
        zone_row(block, month, k, zone, {**base, "complete": status.month_complete(month + 1)})
        for month in range(12)
    ]


def figures(block: dict[str, np.ndarray], month: int | None, zone: int | None) -> dict[str, Any]:
    """The export's numbers for one month (or the year) of one zone (or every column)."""
    out = {}
    for name, key in SOURCES:
        values = block[key] if month is None else block[key][month : month + 1]
        value = float(values.sum() if zone is None else values[:, zone].sum())
        out[name] = value if name in MEASURED else round(value)
    return out


def ints(values: dict[str, float]) -> dict[str, Any]:
    """Counts as whole numbers (summed as floats), measures as they are."""
    return {k: (v if k in MEASURED else int(v)) for k, v in values.items()}
