"""What an aggregate may be asked for, by role, so that no answer isolates one patrol.

A ranger may narrow figures to their own unit only. An NGO gets the whole area over whole
local months, in cells of 5 km or more; and every additive figure it sees (km, hours,
snares, finds) is a sum of *atoms* — one 5 km cell in one month — each built from 0 or at
least 3 patrols. Differencing two answers (a 120- and a 121-day window, a 5 and a 10 km
grid, two overlapping periods) then only ever yields sums of such atoms, never one patrol.
docs/security.md states the threat model and how each rule is tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from patrol.errors import FieldError, Forbidden, ValidationFailed
from patrol.services.auth import Principal
from patrol.texts import N_
from patrol.vocabulary import Role

__all__ = [
    "NGO_MIN_CELL_KM",
    "NGO_MIN_PATROLS",
    "Suppression",
    "check_aggregate_request",
    "whole_months",
]

NGO_MIN_CELL_KM = 5.0
NGO_MIN_PATROLS = 3


@dataclass(frozen=True)
class Suppression:
    """Atoms of ``atom_km`` cells x one month with 1 to ``min_patrols - 1`` patrols are left
    out of every sum."""

    atom_km: float = NGO_MIN_CELL_KM
    min_patrols: int = NGO_MIN_PATROLS


def whole_months(start: date, end: date) -> tuple[date, date]:
    """The whole months covering ``[start, end)``: from the 1st of the first to the 1st after
    the last (a default window for NGOs, which must fall on month boundaries)."""
    last = end - timedelta(days=1)
    after = date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    return start.replace(day=1), after


def check_aggregate_request(
    principal: Principal,
    start: date,
    end: date,
    unit_id: int | None,
    cell_km: float | None,
    area_cell_km: float,
) -> Suppression | None:
    """Refuse what this role may not ask of an aggregate; the suppression its answer needs.

    ``end`` is exclusive. Raises Forbidden for a filter the role may not use, and
    ValidationFailed for a window or cell size outside its rules.
    """
    if principal.role == Role.RANGER:
        if unit_id is not None and unit_id != principal.unit_id:
            raise Forbidden(N_("Rangers may narrow figures to their own unit only."))
        return None
    if principal.role != Role.NGO:
        return None
    if unit_id is not None:
        raise Forbidden(N_("Figures for NGOs cover the whole area: no unit filter."))
    if cell_km is not None and cell_km < NGO_MIN_CELL_KM:
        raise Forbidden(
            N_("Aggregates for NGOs use cells of {km} km or more.", km=f"{NGO_MIN_CELL_KM:g}")
        )
    problems = []
    if start.day != 1:
        problems.append(FieldError("/from", N_("must be the first day of a month (whole months)")))
    if end.day != 1:
        problems.append(FieldError("/to", N_("must be the last day of a month (whole months)")))
    if cell_km is not None:
        ratio = cell_km / NGO_MIN_CELL_KM
        if abs(ratio - round(ratio)) > 1e-9:
            problems.append(
                FieldError(
                    "/cell_km",
                    N_("for NGOs, a whole multiple of {km} km", km=f"{NGO_MIN_CELL_KM:g}"),
                )
            )
    atom = NGO_MIN_CELL_KM * 1000 / (area_cell_km * 1000)
    if abs(atom - round(atom)) > 1e-9:
        raise ValidationFailed(
            N_("This area's grid does not divide into 5 km cells: no cell figures for NGOs."),
            errors=[FieldError("/cell_km", N_("not available for this area"))],
        )
    if problems:
        raise ValidationFailed(N_("The query parameters are not valid for NGO figures."), problems)
    return Suppression()
