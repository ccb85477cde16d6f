"""The annual report's and the exports page's charts: months by name, partial periods said so,
maps with a key and a scale bar (the SVG itself is drawn by patrol.web.charts)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from markupsafe import Markup
from shapely.geometry import shape

from patrol.geo.shapes import project
from patrol.services import periods
from patrol.services import risk as risk_service
from patrol.web import charts

__all__ = ["annual_charts", "trend_chart"]

# Pages never import the store (tests/test_layers.py): the session and the area arrive from
# the route and go on to services, so they are typed loosely here.


def trend_chart(years: list[dict[str, Any]]) -> Markup | None:
    """Snares found and CPUE per year on the exports page; a partial year says so."""
    if not years:
        return None
    partial = [y for y in years if y.get("partial")]
    return charts.bar_line_chart(
        [y["short_label"] for y in years],
        [y["snares_found"] for y in years],
        [y["cpue_per_100km"] for y in years],
        "snares found",
        "snares per 100 km",
        "Snares found and snares per 100 km walked, per year",
        note=f"{partial[-1]['label']}: figures to date, not for the whole year."
        if partial
        else None,
    )


def _setting_map(session: Any, area: Any, year: int, today: date) -> Markup:
    """The predicted setting rate at the year's end (a partial year's: today) on 5 km cells
    (an aggregate, as NGOs get it: cells walked by fewer than 3 patrols in the year, or not at
    all, are grey)."""
    cell_km = max(5.0, area.cell_m / 1000)
    until = min(date(year, 12, 31), today)
    result = risk_service.risk(session, area, until, 30, cell_km)
    m, side = result.model, result.grid.cell_m
    known = m.walked & (result.patrols >= 3)
    cells = [
        (
            float(result.centre_x[k] - side / 2),
            float(result.centre_y[k] - side / 2),
            float(side),
            float(m.setting_rate[k]) if known[k] else float("nan"),
        )
        for k in range(result.ix.size)
    ]
    after = until + timedelta(days=1)
    return charts.cell_map(
        cells,
        f"Predicted snare setting per km² per 30 days from {periods.day_text(after)}, "
        f"{cell_km:g} km cells",
        legend_title="Snares set per km² per 30 days (predicted)",
        unknown="fewer than 3 patrols: not known",
    )


def annual_charts(session: Any, data: dict, area: Any) -> dict[str, Markup]:
    """The report's four figures from ``services.annual_report.annual_report``'s data."""
    status = data["status"]
    monthly = data["monthly"]
    zones = data["zones"]
    geoms = [project(shape(data["zone_geometries"][z["zone"]]), area.epsg) for z in zones]
    not_begun = [m["name"] for m in monthly if not m["begun"]]
    note = None
    if status.partial:
        note = f"{status.label}: " + (
            f"{not_begun[0]}{f' to {not_begun[-1]}' if len(not_begun) > 1 else ''} not yet begun."
            if not_begun
            else "the last month is not over."
        )
    return {
        "monthly": charts.bar_line_chart(
            [m["short"] for m in monthly],
            [m["snares_found"] if m["begun"] else None for m in monthly],
            [m["effort_km"] if m["begun"] else None for m in monthly],
            "snares found",
            "km walked",
            f"Snares found and km walked per month, {status.label}",
            note=note,
        ),
        "cpue": charts.hbar_chart(
            [f"{z['zone']} {z['name']}" for z in zones],
            [z["cpue_per_100km"] for z in zones],
            "per 100 km",
            f"Snares per 100 km of effort, by zone, {status.label}",
        ),
        "map": charts.zone_map(
            geoms,
            [z["zone"] for z in zones],
            [z["eb_rate_per_100km"] for z in zones],
            f"Zones shaded by smoothed snares per 100 km, {status.label}",
            legend_title="Smoothed snares per 100 km walked",
        ),
        "setting": _setting_map(session, area, data["year"], status.today),
    }
