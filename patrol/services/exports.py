"""Annual snare counts and effort per zone and month, for NGOs and donors (aggregates only).

One table, several formats: rows of zone x month, zone totals, area totals, for each year asked
and the year before it (for comparison). Figures are those of docs/analytics.md: search effort
(foot and ski), local months of the area.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import FieldError, ValidationFailed
from patrol.geo.documents import feature, feature_collection
from patrol.geo.times import iso_utc
from patrol.services import periods
from patrol.services.auth import Principal
from patrol.services.cell_figures import AnalysisSettings, Window
from patrol.services.export_rows import figures, ints, rates, zone_month_rows, zone_row
from patrol.services.grid_hotspots import visible_cells
from patrol.services.queries import live_patrols
from patrol.services.zone_stats import zone_months
from patrol.store.models import ConservationArea, EffortZone, Patrol, SnareFind, Zone
from patrol.texts import N_, Message

__all__ = ["COLUMNS", "AnnualExport", "annual_export", "attach_cells"]

# Every column, with its definition (the XLSX "about" sheet and the JSON "definitions").
COLUMNS: dict[str, Message] = {
    "year": N_("calendar year, in the area's time zone"),
    "month": N_("month as YYYY-MM (empty on a year's totals)"),
    "zone": N_("zone code (empty on the area's totals)"),
    "zone_name": N_("zone name"),
    "comparison": N_("true on rows of the year before the period, given for comparison"),
    "snares_found": N_("snares found: the sum of the count of every find"),
    "snares_removed": N_("snares removed or destroyed"),
    "finds": N_("find records (one find may be a line of several snares)"),
    "patrols": N_("patrols with search effort in the zone that month"),
    "patrol_days": N_("local days those patrols spanned"),
    "effort_km": N_("km walked (on foot or ski) inside the zone"),
    "effort_h": N_("hours spent inside the zone, from GPS times or shared by distance"),
    "cpue_per_100km": N_("snares found per 100 km of effort"),
    "cpue_per_10h": N_("snares found per 10 hours of effort"),
    "density_per_km2": N_("snares found per km2 of zone (a month's density is that month's)"),
    "area_km2": N_("zone area in km2"),
    "complete": N_(
        "true when the row's month (or year) was over when the file was made; false "
        "for a partial year's figures to date and for months not yet begun"
    ),
}
AGGREGATION_RULE = N_(
    "Aggregates only: no patrol routes and no find locations; grid cells only of 5 km or more "
    "and only where the effort came from 3 or more patrols (the rule for the ngo role)."
)
NUMBERS = (
    "snares_found",
    "snares_removed",
    "finds",
    "patrols",
    "patrol_days",
    "effort_km",
    "effort_h",
)


@dataclass
class AnnualExport:
    area: ConservationArea
    first_year: int
    last_year: int
    rows: list[dict[str, Any]]  # zone x month
    totals: list[dict[str, Any]]  # zone x year, then area x year
    zones: list[Zone]
    produced_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    notes: list[Message] = field(default_factory=list)
    # Grid cells of the period as the caller may see them (formats that carry a map layer).
    cells: list[dict[str, Any]] | None = None
    cell_km: float | None = None
    # The area's local day the figures run to: a year not over by then is a partial year.
    today: date = field(default_factory=date.today)

    def status(self, year: int) -> periods.YearStatus:
        return periods.YearStatus(year, self.today)

    @property
    def partial_years(self) -> list[int]:
        return [
            y for y in range(self.first_year, self.last_year + 1) if not self.status(y).complete
        ]

    @property
    def period(self) -> str:
        return (
            str(self.first_year)
            if self.first_year == self.last_year
            else f"{self.first_year}-{self.last_year}"
        )

    def meta(self) -> dict[str, Any]:
        return {
            "area": self.area.slug,
            "area_name": self.area.name,
            "synthetic": self.area.synthetic,
            "period": self.period,
            "period_status": (
                "partial: figures to date for "
                + ", ".join(self.status(y).label for y in self.partial_years)
                if self.partial_years
                else "complete"
            ),
            "partial_years": self.partial_years,
            "figures_to": self.today.isoformat(),
            "comparison_year": self.first_year - 1,
            "time_zone": self.area.timezone,
            "produced_at": iso_utc(self.produced_at),
            "effort": N_("search effort: patrols on foot or ski"),
            "aggregation": AGGREGATION_RULE,
            "notes": self.notes,
        }


def annual_export(
    session: so.Session,
    area: ConservationArea,
    first_year: int,
    last_year: int | None = None,
    settings: AnalysisSettings | None = None,
    today: date | None = None,
) -> AnnualExport:
    """Zone x month figures for ``first_year``..``last_year`` and the year before.

    A period with no patrols is a ``periods.NoPatrols`` problem (never a table of zeros); a
    year of the period not yet over is labelled partial (``today``: the area's local day)."""
    settings = settings or AnalysisSettings()
    last_year = last_year or first_year
    today = today or periods.local_today(area)
    _check_years(first_year, last_year)
    with_patrols = periods.require_patrols(session, area, first_year, last_year)
    zones = list(
        session.scalars(sa.select(Zone).where(Zone.area_id == area.id).order_by(Zone.code))
    )
    years = list(range(first_year - 1, last_year + 1))
    window = Window(date(years[0], 1, 1), date(years[-1] + 1, 1, 1))
    monthly = zone_months(session, area, window, zones, None, settings.search_transports)
    notes = _notes(monthly, len(zones), range(first_year, last_year + 1), with_patrols, today)
    rows: list[dict[str, Any]] = []
    totals: list[dict[str, Any]] = []
    for y, year in enumerate(years):
        block = {key: values[12 * y : 12 * (y + 1)] for key, values in monthly.items()}
        status = periods.YearStatus(year, today)
        base = {"year": year, "comparison": year < first_year}
        for k, zone in enumerate(zones):
            rows += zone_month_rows(block, k, zone, base, status)
            totals.append(zone_row(block, None, k, zone, {**base, "complete": status.complete}))
        totals.append(_area_row(session, area, block, base, status, settings))
    return AnnualExport(area, first_year, last_year, rows, totals, zones, notes=notes, today=today)


def _check_years(first_year: int, last_year: int) -> None:
    if not (1990 <= first_year <= last_year <= 2100) or last_year - first_year > 30:
        raise ValidationFailed(
            N_("The years are not valid."),
            errors=[
                FieldError(
                    "/year",
                    N_("give a year (and to_year at most 30 years later) from 1990 to 2100"),
                )
            ],
        )


def _notes(
    monthly: dict[str, np.ndarray],
    outside: int,
    years: range,
    with_patrols: Any,
    today: date,
) -> list[Message]:
    """What a reader must know to read the figures: effort outside zones, empty and partial
    years (``outside``: the column of figures outside every zone)."""
    notes = []
    if monthly["effort_km"][:, outside].any() or monthly["finds"][:, outside].any():
        notes.append(N_("Finds and effort outside every zone are in the area totals only."))
    for year in years:
        status = periods.YearStatus(year, today)
        if year not in with_patrols:
            notes.append(
                N_("No patrols were recorded in {year}: its figures are all zero.", year=year)
            )
        elif status.partial:
            notes.append(
                N_(
                    "{year}: the figures are to date, not for the whole year; months not yet "
                    "begun are zero and marked not complete.",
                    year=status.label,
                    year_number=year,  # to name the year in another language (xlsx.py)
                )
            )
    return notes


def _area_row(
    session: so.Session,
    area: ConservationArea,
    block: dict[str, np.ndarray],
    base: dict[str, Any],
    status: periods.YearStatus,
    settings: AnalysisSettings,
) -> dict[str, Any]:
    """The area's total of a year: every column's sum, but a patrol crossing two zones
    counts once for the area."""
    area_total = figures(block, None, None)
    area_total["patrols"], area_total["patrol_days"] = _area_patrols(
        session, area, base["year"], settings.search_transports
    )
    return rates(
        {
            **base,
            "complete": status.complete,
            "month": "",
            "zone": "",
            "zone_name": area.name,
            **area_total,
        },
        area.area_km2,
    )


def attach_cells(
    session: so.Session, export: AnnualExport, principal: Principal | None
) -> AnnualExport:
    """Add the period's grid cells as ``principal`` may see them (the ngo rule: 5 km cells,
    thinly patrolled ones suppressed), for formats with a map layer of cells."""
    window = Window(date(export.first_year, 1, 1), date(export.last_year + 1, 1, 1))
    result, export.cells = visible_cells(session, principal, export.area, window)
    export.cell_km = result.grid.cell_m / 1000
    return export


def _area_patrols(
    session: so.Session, area: ConservationArea, year: int, transports: tuple[str, ...]
) -> tuple[int, int]:
    """The year's search patrols with effort in some zone, and the local days they spanned."""
    cond = live_patrols(area.id, *_year_days(year), transports=transports)
    row = session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Patrol.days), 0)).where(
            *cond, Patrol.id.in_(sa.select(EffortZone.patrol_id))
        )
    ).one()
    return int(row[0]), int(row[1])


def zones_geojson(export: AnnualExport) -> dict[str, Any]:
    """The zones with their totals over the period (not the comparison year)."""
    sums: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(NUMBERS, 0.0))
    for t in export.totals:
        if t["zone"] and not t["comparison"]:
            for key in NUMBERS:
                sums[t["zone"]][key] += t[key]
    features = []
    for zone in export.zones:
        props = rates(
            {
                "zone": zone.code,
                "zone_name": zone.name,
                "period": export.period,
                **ints(sums[zone.code]),
            },
            zone.area_km2,
        )
        features.append(feature(zone.geometry, props, id=zone.code))
    return feature_collection(features, **export.meta())


def yearly_totals(session: so.Session, area: ConservationArea) -> list[dict[str, Any]]:
    """The area's totals for every year with patrols (the trend on the exports page)."""
    first = session.scalar(sa.select(sa.func.min(Patrol.start_date)).where(*live_patrols(area.id)))
    last = session.scalar(sa.select(sa.func.max(Patrol.start_date)).where(*live_patrols(area.id)))
    if first is None:
        return []
    export = annual_export(session, area, first.year, last.year)
    out = [t for t in export.totals if not t["zone"] and not t["comparison"]]
    with_patrols = set(periods.years_with_patrols(session, area))
    for t in out:
        status = export.status(t["year"])
        t["label"], t["short_label"] = status.label, status.short_label
        t["partial"], t["has_patrols"] = status.partial, t["year"] in with_patrols
        if not t["has_patrols"]:
            t["label"] = f"{t['year']} (no patrols)"
    return out


def _year_days(year: int) -> tuple[date, date]:
    """A calendar year as local days [1 January, next 1 January)."""
    return date(year, 1, 1), date(year + 1, 1, 1)


def finds_document(session: so.Session, area: ConservationArea, year: int) -> dict[str, Any]:
    """Every find of the year's patrols, with its location: for coordinators only."""
    from patrol.services.patrol_documents import find_feature

    zone_codes = dict(
        session.execute(sa.select(Zone.id, Zone.code).where(Zone.area_id == area.id)).all()
    )
    finds = session.scalars(
        sa.select(SnareFind)
        .join(Patrol)
        .where(*live_patrols(area.id, *_year_days(year)))
        .order_by(SnareFind.found_at, SnareFind.id)
        .options(so.contains_eager(SnareFind.patrol))
    ).all()
    return feature_collection(
        (find_feature(f, zone_codes.get(f.zone_id)) for f in finds), area=area.slug, year=year
    )


def routes_document(session: so.Session, area: ConservationArea, year: int) -> dict[str, Any]:
    """Every route of the year (without vertex times): for coordinators only."""
    from patrol.services.patrol_documents import route_feature

    patrols = session.scalars(
        sa.select(Patrol)
        .where(*live_patrols(area.id, *_year_days(year)))
        .order_by(Patrol.started_at)
        .options(so.joinedload(Patrol.unit), so.selectinload(Patrol.track))
    ).all()
    return feature_collection(
        (route_feature(p, with_times=False) for p in patrols), area=area.slug, year=year
    )
