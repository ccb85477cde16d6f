"""What the printable annual report says: headline figures and their change from the year
before, months by name, each zone's rates, flags in words with the statistics in footnotes,
and whether the year is complete. Aggregates only, as NGOs get them."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Any

import numpy as np
import sqlalchemy.orm as so

from patrol.services import periods
from patrol.services.cell_figures import Window
from patrol.services.exports import annual_export
from patrol.services.grid_hotspots import grid_hotspots
from patrol.services.zone_stats import ZoneRow, zone_stats
from patrol.store.models import ConservationArea
from patrol.vocabulary import SIGNIFICANT_HOT, HotspotClass, TrendCategory

__all__ = ["annual_report", "flag_in_words"]

# The reasons zone_stats gives, in its own words (see services/zone_stats.py): read back here so
# the report can say them plainly and keep the statistics for a footnote.
_POISSON = re.compile(
    r"(?P<finds>\d+) finds where the area's rate in the same months predicts "
    r"(?P<expected>[\d.]+) \(Poisson p=(?P<p>[^,]+), FDR (?P<fdr>[\d.]+)\)"
)
_CELLS = re.compile(r"(?P<n>\d+) significant hot cell")


def flag_in_words(reason: str | None) -> tuple[str, str]:
    """A zone's hotspot reason as (words for the table, statistics for the footnote).

    >>> flag_in_words("12 finds where the area's rate in the same months predicts 3.0 "
    ...               "(Poisson p=0.0001, FDR 0.05)")[0]
    'many more snare finds than its patrol effort predicts (12 where 3 were expected)'
    """
    if not reason:
        return "", ""
    words, notes = [], []
    m = _POISSON.search(reason)
    if m:
        finds, expected = int(m["finds"]), float(m["expected"])
        ratio = finds / expected if expected > 0 else float("inf")
        how = "many more" if ratio >= 2 else "more"
        words.append(
            f"{how} snare finds than its patrol effort predicts "
            f"({finds:,} where {expected:,.0f} were expected)"
        )
        notes.append(
            f"{finds} finds against {expected:.1f} expected from the whole area's finds per km "
            f"in the same months (exact Poisson test, p = {m['p']}; significant at a false "
            f"discovery rate of {100 * float(m['fdr']):g} % over all zones)"
        )
    c = _CELLS.search(reason)
    if c:
        n = int(c["n"])
        words.append(
            f"{'a grid cell' if n == 1 else f'{n} grid cells'} where snares cluster beyond "
            "what effort explains"
        )
        notes.append(
            f"{n} grid cell{'s' if n != 1 else ''} with a significantly high smoothed rate in "
            "its neighbourhood (Getis-Ord Gi*, false discovery rate 5 %)"
        )
    if not words:  # a reason in words this module does not know: shown as it is
        return reason, reason
    return "; ".join(words), "; ".join(notes)


def annual_report(
    session: so.Session,
    area: ConservationArea,
    year: int,
    today: date | None = None,
    lang: str | None = None,
) -> dict[str, Any]:
    """Everything the report page shows for ``year`` (a year with no patrols is a
    ``periods.NoPatrols`` problem), the zones named in ``lang`` where the park named them."""
    export = annual_export(session, area, year, today=today)
    status = export.status(year)
    area_rows = {t["year"]: t for t in export.totals if not t["zone"]}
    window = Window(date(year, 1, 1), date(year + 1, 1, 1))
    zone_rows, _ = zone_stats(session, area, window)
    cells = grid_hotspots(session, area, window)
    hot = np.isin(cells.classes, SIGNIFICANT_HOT)
    trend = Counter(
        t
        for t, h in zip(cells.trend, hot.tolist(), strict=True)
        if t != TrendCategory.NO_PATTERN or h
    )
    zones, footnotes = _zones(zone_rows, lang)
    return {
        "area": area,
        "year": year,
        "status": status,
        "title": f"Snares and patrol effort, {status.label}",
        "meta": export.meta(),
        "notes": export.notes,
        "headline": _headline(area_rows[year], area_rows[year - 1], status.partial),
        "monthly": _monthly(export.rows, year, status),
        "zones": zones,
        "footnotes": footnotes,
        "zone_geometries": {r.zone.code: r.zone.geometry for r in zone_rows},
        "hot_cells": int(hot.sum()),
        "under_patrolled_cells": int((cells.classes == HotspotClass.UNDER_PATROLLED).sum()),
        "cell_km": cells.grid.cell_m / 1000,
        "cell_trends": dict(trend.most_common()),
    }


def _headline(this: dict[str, Any], before: dict[str, Any], partial: bool) -> dict[str, Any]:
    """The year's area totals, with their change from the year before."""

    def change(key: str, counts: bool = True) -> float | None:
        a, b = this[key], before[key]
        # A partial year's counts are not comparable with a whole year's: no change given.
        if counts and partial:
            return None
        return None if a is None or not b else round(100 * (a - b) / b, 1)

    return {
        "snares_removed": this["snares_removed"],
        "snares_found": this["snares_found"],
        "finds": this["finds"],
        "patrols": this["patrols"],
        "patrol_days": this["patrol_days"],
        "effort_km": this["effort_km"],
        "effort_h": this["effort_h"],
        "cpue_per_100km": this["cpue_per_100km"],
        "cpue_change_pct": change("cpue_per_100km", counts=False),
        "snares_removed_change_pct": change("snares_removed"),
        "effort_km_change_pct": change("effort_km"),
        "previous": before,
    }


def _monthly(
    rows: list[dict[str, Any]], year: int, status: periods.YearStatus
) -> list[dict[str, Any]]:
    """The year's months: the zones' rows of each summed."""
    monthly = []
    for m in range(1, 13):
        month = [r for r in rows if r["year"] == year and r["month"] == f"{year}-{m:02d}"]
        monthly.append(
            {
                "month": f"{year}-{m:02d}",
                "name": periods.MONTHS[m - 1],
                "short": periods.MONTHS[m - 1][:3],
                "begun": m <= status.months_begun,
                "complete": status.month_complete(m),
                "snares_found": sum(r["snares_found"] for r in month),
                "effort_km": sum(r["effort_km"] for r in month),
                "finds": sum(r["finds"] for r in month),
            }
        )
    return monthly


def _zones(
    zone_rows: list[ZoneRow], lang: str | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Each zone's figures (its name in ``lang``) with its flag in words, and the footnotes
    they point to."""
    zones, footnotes = [], []
    for r in zone_rows:
        z = {**r.figures, "name": r.zone.name_in(lang)}
        z["flag_words"], note = flag_in_words(z.get("hotspot_reason"))
        z["footnote"] = None
        if note:
            footnotes.append(f"{z['zone']} {z['name']}: {note}.")
            z["footnote"] = len(footnotes)
        zones.append(z)
    return zones, footnotes
