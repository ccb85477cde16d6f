"""The annual report's and the exports page's charts: months by name, partial periods said so,
maps with a key and a scale bar (the SVG itself is drawn by patrol.web.charts)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from babel.dates import format_date
from flask_babel import gettext
from markupsafe import Markup
from shapely.geometry import shape

from patrol.geo.shapes import project
from patrol.i18n import current_language, month_names
from patrol.services import periods
from patrol.services import risk as risk_service
from patrol.web import charts
from patrol.web.labels import long_day, status_text, year_text

__all__ = ["annual_charts", "trend_chart"]

# Pages never import the store (tests/test_layers.py): the session and the area arrive from
# the route and go on to services, so they are typed loosely here.


def trend_chart(years: list[dict[str, Any]], area: Any) -> Markup | None:
    """Snares found and CPUE per year on the exports page; a partial year says so."""
    if not years:
        return None
    partial = [y for y in years if y.get("partial")]
    today = periods.local_today(area) if partial else None
    return charts.bar_line_chart(
        [_short_year(y["year"], today if y.get("partial") else None) for y in years],
        [y["snares_found"] for y in years],
        [y["cpue_per_100km"] for y in years],
        gettext("snares found"),
        gettext("snares per 100 km"),
        gettext("Snares found and snares per 100 km walked, per year"),
        note=gettext(
            "%(year)s: figures to date, not for the whole year.",
            year=year_text(partial[-1]["year"], partial=True, today=today),
        )
        if partial
        else None,
    )


def _short_year(year: int, today: date | None) -> str:
    """For chart axes: ``2026 (to 30 Nov)`` for a partial year, else the year."""
    if today is None:
        return str(year)
    day = format_date(today, "d MMM", locale=current_language())
    return gettext("%(year)s (to %(day)s)", year=year, day=day)


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
        gettext(
            "Predicted snare setting per km² per 30 days from %(day)s, %(km)s km cells",
            day=long_day(after),
            km=f"{cell_km:g}",
        ),
        legend_title=gettext("Snares set per km² per 30 days (predicted)"),
        unknown=gettext("fewer than 3 patrols: not known"),
    )


def annual_charts(session: Any, data: dict, area: Any) -> dict[str, Markup]:
    """The report's four figures from ``services.annual_report.annual_report``'s data."""
    status = data["status"]
    monthly = data["monthly"]
    zones = data["zones"]
    geoms = [project(shape(data["zone_geometries"][z["zone"]]), area.epsg) for z in zones]
    months, short = month_names(width="wide"), month_names()
    not_begun = [months[k] for k, m in enumerate(monthly) if not m["begun"]]
    label = status_text(status)
    note = None
    if status.partial:
        if len(not_begun) > 1:
            rest = gettext(
                "%(first)s to %(last)s not yet begun.", first=not_begun[0], last=not_begun[-1]
            )
        elif not_begun:
            rest = gettext("%(month)s not yet begun.", month=not_begun[0])
        else:
            rest = gettext("the last month is not over.")
        note = f"{label}: {rest}"
    return {
        "monthly": charts.bar_line_chart(
            [short[k] for k in range(len(monthly))],
            [m["snares_found"] if m["begun"] else None for m in monthly],
            [m["effort_km"] if m["begun"] else None for m in monthly],
            gettext("snares found"),
            gettext("km walked"),
            gettext("Snares found and km walked per month, %(year)s", year=label),
            note=note,
        ),
        "cpue": charts.hbar_chart(
            [f"{z['zone']} {z['name']}" for z in zones],
            [z["cpue_per_100km"] for z in zones],
            gettext("per 100 km"),
            gettext("Snares per 100 km of effort, by zone, %(year)s", year=label),
        ),
        "map": charts.zone_map(
            geoms,
            [z["zone"] for z in zones],
            [z["eb_rate_per_100km"] for z in zones],
            gettext("Zones shaded by smoothed snares per 100 km, %(year)s", year=label),
            legend_title=gettext("Smoothed snares per 100 km walked"),
        ),
        "setting": _setting_map(session, area, data["year"], status.today),
    }
