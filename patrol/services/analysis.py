"""An analysis request made whole: its window by the role's rules, and the zone figures' map."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy.orm as so

from patrol.geo.documents import feature_collection
from patrol.services import cell_figures, privacy, recompute, zone_stats
from patrol.services.auth import Principal
from patrol.store.models import ConservationArea, RecomputeJob
from patrol.vocabulary import Role

__all__ = ["Analysis", "analysis_for", "zone_stats_document"]


@dataclass(frozen=True)
class Analysis:
    """What every figure of an analysis route is computed over."""

    area: ConservationArea
    window: cell_figures.Window
    unit_id: int | None
    cell_km: float | None
    settings: cell_figures.AnalysisSettings
    suppression: privacy.Suppression | None


def analysis_for(
    session: so.Session,
    principal: Principal,
    area: ConservationArea,
    first: date | None,
    last: date | None,
    unit_id: int | None,
    cell_km: float | None,
    settings: cell_figures.AnalysisSettings,
) -> Analysis:
    """The window of local days ``first`` to ``last`` (either may be None: the defaults of
    ``resolve_window``), checked against what ``principal``'s role may ask; NGOs asking no
    window get whole months."""
    end = last + timedelta(days=1) if last else None  # 'to' is the last day included
    window = cell_figures.resolve_window(session, area, first, end)
    if principal.role == Role.NGO and not (first and last):
        window = cell_figures.Window(*privacy.whole_months(window.start, window.end))
    suppression = privacy.check_aggregate_request(
        principal, window.start, window.end, unit_id, cell_km, area.cell_m / 1000
    )
    return Analysis(area, window, unit_id, cell_km, settings, suppression)


def zone_stats_document(
    a: Analysis, rows: list[zone_stats.ZoneRow], job: RecomputeJob | None
) -> dict[str, Any]:
    """The zones with their figures as GeoJSON; with a running recompute ``job``, its progress
    (zone figures of patrols it has not reached yet are those of the old zones)."""
    return feature_collection(
        (r.feature() for r in rows),
        area=a.area.slug,
        window=a.window.label,
        **({"recomputing": recompute.job_document(job)} if job is not None else {}),
    )
