"""Honest periods for NGO figures: which years are over, which is still running (a partial
year, labelled as such everywhere), which hold no patrols at all, and the default year to show
(the last complete one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import NotFound
from patrol.services.queries import live_patrols
from patrol.store.models import ConservationArea, Patrol
from patrol.texts import N_

__all__ = [
    "MONTHS",
    "NoPatrols",
    "YearStatus",
    "area_days",
    "default_year",
    "local_today",
    "require_patrols",
    "year_status",
    "years_with_patrols",
]

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class NoPatrols(NotFound):
    """A period with no patrols: said plainly instead of a table of zeros."""

    code = "no-patrols"
    title = N_("No patrols in that period")


def local_today(area: ConservationArea, now: datetime | None = None) -> date:
    """Today in the area's time zone: a year is over when its last local day is."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(area.timezone)).date()


def day_text(day: date) -> str:
    """``30 November 2026``: unambiguous on paper in any country."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class YearStatus:
    year: int
    today: date

    @property
    def partial(self) -> bool:
        """The year has begun but is not over: its figures are to date, not for the year."""
        return self.year == self.today.year

    @property
    def future(self) -> bool:
        return self.year > self.today.year

    @property
    def complete(self) -> bool:
        return self.year < self.today.year

    @property
    def months_begun(self) -> int:
        """Months of the year that have begun (12 for a complete year, 0 for a future one)."""
        if self.complete:
            return 12
        return self.today.month if self.partial else 0

    def month_complete(self, month: int) -> bool:
        return self.complete or (self.partial and month < self.today.month)

    @property
    def to_text(self) -> str:
        """The local day a partial year's figures run to, in words."""
        return day_text(self.today)

    @property
    def label(self) -> str:
        """``2026`` or ``2026 (partial year, to 30 November 2026)``."""
        if self.partial:
            return f"{self.year} (partial year, to {day_text(self.today)})"
        if self.future:
            return f"{self.year} (not begun)"
        return str(self.year)

    @property
    def short_label(self) -> str:
        """For chart axes: ``2026 (to 30 Nov)``."""
        if self.partial:
            return f"{self.year} (to {self.today.day} {MONTHS[self.today.month - 1][:3]})"
        return str(self.year)


def year_status(area: ConservationArea, year: int, today: date | None = None) -> YearStatus:
    return YearStatus(year, today or local_today(area))


def years_with_patrols(session: so.Session, area: ConservationArea) -> list[int]:
    """Local calendar years in which the area has a (not deleted) patrol, oldest first."""
    days = session.scalars(
        sa.select(Patrol.start_date).where(*live_patrols(area.id)).group_by(Patrol.start_date)
    ).all()
    return sorted({d.year for d in days})


def default_year(
    session: so.Session, area: ConservationArea, today: date | None = None
) -> int | None:
    """The last complete year with patrols; the running year only when no complete year has
    any (a new deployment), and None when the area has no patrols at all."""
    today = today or local_today(area)
    # A patrol dated after today (a handheld's clock gone wrong) never picks the default.
    years = [y for y in years_with_patrols(session, area) if y <= today.year]
    complete = [y for y in years if y < today.year]
    if complete:
        return complete[-1]
    return years[-1] if years else None


def require_patrols(
    session: so.Session, area: ConservationArea, first_year: int, last_year: int
) -> list[int]:
    """The years of ``first_year``..``last_year`` with patrols; a period with none is a
    NoPatrols problem that names the years that do have some."""
    years = years_with_patrols(session, area)
    inside = [y for y in years if first_year <= y <= last_year]
    if not inside:
        period = str(first_year) if first_year == last_year else f"{first_year}–{last_year}"
        where = (
            N_("its patrols run from {first} to {last}", first=years[0], last=years[-1])
            if len(years) > 1
            else N_("its patrols are all in {year}", year=years[0])
            if years
            else N_("it has no patrols yet")
        )
        raise NoPatrols(
            N_(
                "No patrols were recorded in {period} in {name}; {where}.",
                period=period,
                name=area.name,
                where=where,
            ),
            extra={"years_with_patrols": years},
        )
    return inside


def area_days(
    session: so.Session, area: ConservationArea, now: datetime | None = None
) -> dict[str, date | None]:
    """``today`` in the area's time zone (a period is complete only when it ended before it),
    and the local days of the area's first and latest patrol (None without patrols), so the
    map can say a period has no patrols and bound its month slider without asking the API."""
    first, latest = session.execute(
        sa.select(sa.func.min(Patrol.start_date), sa.func.max(Patrol.start_date)).where(
            *live_patrols(area.id)
        )
    ).one()
    return {"today": local_today(area, now), "first": first, "latest": latest}
