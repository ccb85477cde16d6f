"""What a reader sees for each value of the closed vocabularies, in the page's language."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from babel.dates import format_date
from flask_babel import force_locale, gettext, lazy_gettext

from patrol.i18n import current_language
from patrol.vocabulary import (
    Action,
    FindState,
    FindType,
    HotspotClass,
    Role,
    Transport,
    TrendCategory,
)

__all__ = ["LABELS", "label", "labels_for", "long_day", "status_text", "year_text"]

_ = lazy_gettext

_TREND_WORDS = {
    "new": (_("New hot spot"), _("New cold spot")),
    "consecutive": (_("Consecutive hot spot"), _("Consecutive cold spot")),
    "intensifying": (_("Intensifying hot spot"), _("Intensifying cold spot")),
    "persistent": (_("Persistent hot spot"), _("Persistent cold spot")),
    "diminishing": (_("Diminishing hot spot"), _("Diminishing cold spot")),
    "sporadic": (_("Sporadic hot spot"), _("Sporadic cold spot")),
    "oscillating": (_("Oscillating hot spot"), _("Oscillating cold spot")),
    "historical": (_("Historical hot spot"), _("Historical cold spot")),
}

# Keyed by the vocabulary's values, so that a value added to patrol/vocabulary.py without a
# label fails tests/web/test_i18n.py rather than showing its code to a ranger.
LABELS: dict[type[StrEnum], dict[str, Any]] = {
    Role: {
        Role.RANGER: _("ranger"),
        Role.COORDINATOR: _("coordinator"),
        Role.NGO: _("NGO"),
        Role.ADMIN: _("admin"),
    },
    Transport: {
        Transport.FOOT: _("On foot"),
        Transport.VEHICLE: _("Vehicle"),
        Transport.MOTORBIKE: _("Motorbike"),
        Transport.BOAT: _("Boat"),
        Transport.SKI: _("Ski"),
    },
    FindType: {
        FindType.WIRE: _("Wire"),
        FindType.CABLE: _("Cable"),
        FindType.ROPE: _("Rope"),
        FindType.LEGHOLD: _("Leghold trap"),
        FindType.PIT: _("Pit"),
        FindType.OTHER: _("Other"),
    },
    FindState: {
        FindState.ACTIVE: _("Active"),
        FindState.INACTIVE: _("Inactive"),
        FindState.TRIGGERED: _("Triggered"),
    },
    Action: {
        Action.REMOVED: _("Removed"),
        Action.DESTROYED: _("Destroyed"),
        Action.LEFT_IN_PLACE: _("Left in place"),
        Action.MARKED: _("Marked"),
    },
    HotspotClass: {
        HotspotClass.HOT_99: _("Hot, 99 %"),
        HotspotClass.HOT_95: _("Hot, 95 %"),
        HotspotClass.HOT_90: _("Hot, 90 %"),
        HotspotClass.NOT_SIGNIFICANT: _("Not significant"),
        HotspotClass.COLD_90: _("Cold, 90 %"),
        HotspotClass.COLD_95: _("Cold, 95 %"),
        HotspotClass.COLD_99: _("Cold, 99 %"),
        HotspotClass.UNDER_PATROLLED: _("Under-patrolled"),
    },
    TrendCategory: {
        **{f"{p}_hot_spot": words[0] for p, words in _TREND_WORDS.items()},
        **{f"{p}_cold_spot": words[1] for p, words in _TREND_WORDS.items()},
        "no_pattern": _("No pattern"),
    },
}


def label(kind: type[StrEnum] | str, value: str | None) -> str:
    """The reader's word for ``value`` of the vocabulary ``kind`` (its code if it has none)."""
    if isinstance(kind, str):
        kind = next(k for k in LABELS if k.__name__ == kind)
    found = LABELS[kind].get(value) if value is not None else None
    return str(found) if found is not None else str(value or "")


def labels_for(lang: str) -> dict[str, dict[str, str]]:
    """Every label in ``lang``, by vocabulary name then value (for the pages' scripts)."""
    with force_locale(lang):
        return {
            k.__name__: {str(v): str(t) for v, t in words.items()} for k, words in LABELS.items()
        }


def long_day(day: date) -> str:
    """``30 November 2026`` / ``30 ноября 2026 г.``: unambiguous on paper in any country."""
    return format_date(day, "d MMMM y", locale=current_language())


def year_text(
    year: int, *, partial: bool, today: date, future: bool = False, patrols: bool = True
) -> str:
    """A year as the pages name it: ``2026 (partial year, to 30 November 2026)``."""
    if not patrols:
        return gettext("%(year)s (no patrols)", year=year)
    if partial:
        return gettext("%(year)s (partial year, to %(day)s)", year=year, day=long_day(today))
    if future:
        return gettext("%(year)s (not begun)", year=year)
    return str(year)


def status_text(status: Any) -> str:
    """A report's year status (services.periods.YearStatus) in the reader's words."""
    return year_text(status.year, partial=status.partial, today=status.today, future=status.future)
