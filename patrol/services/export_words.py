"""The language an export is written in: its column headers, sheet names, yes/no words and
zone names, or (``keys``) the machine-readable column keys scripts rely on.

Pure (no Flask): the route that writes a file makes the ``Words`` (patrol/api/export_language.py)
with the catalog's ``gettext`` of the asked language and the pages' way of naming a year.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from patrol.services.periods import YearStatus
from patrol.store.models import Zone
from patrol.texts import N_, Message, translated

__all__ = [
    "ENGLISH_WORDS",
    "FIND_HEADERS",
    "FIND_VOCABULARIES",
    "HEADERS",
    "KEYS",
    "KEYS_WORDS",
    "SHEETS",
    "TARGET_HEADERS",
    "TARGET_VOCABULARIES",
    "ZONE_STATS_HEADERS",
    "ZONE_TRENDS",
    "Words",
]

KEYS = "keys"  # the `lang` that asks for the machine-readable column keys

INTEGER = "#,##0"
ONE_DECIMAL = "#,##0.0"
# Column key -> (header in words with the unit, Excel number format or None for text).
HEADERS: dict[str, tuple[Message, str | None]] = {
    "year": (N_("Year"), "0"),
    "month": (N_("Month"), "mmmm yyyy"),
    "zone": (N_("Zone code"), None),
    "zone_name": (N_("Zone"), None),
    "comparison": (N_("Year before (for comparison)"), None),
    "snares_found": (N_("Snares found"), INTEGER),
    "snares_removed": (N_("Snares removed or destroyed"), INTEGER),
    "finds": (N_("Find records"), INTEGER),
    "patrols": (N_("Patrols"), INTEGER),
    "patrol_days": (N_("Patrol-days"), INTEGER),
    "effort_km": (N_("Effort (km walked)"), ONE_DECIMAL),
    "effort_h": (N_("Effort (hours)"), ONE_DECIMAL),
    "cpue_per_100km": (N_("Snares per 100 km walked"), "0.00"),
    "cpue_per_10h": (N_("Snares per 10 hours"), "0.00"),
    "density_per_km2": (N_("Snares per km² of zone"), "0.000"),
    "area_km2": (N_("Zone area (km²)"), ONE_DECIMAL),
    "complete": (N_("Period complete"), None),
}
# The workbook's sheets: (key under lang=keys, name in words).
SHEETS: dict[str, Message] = {
    "totals": N_("Totals"),
    "zone_months": N_("Zone months"),
    "about": N_("About"),
}
YES, NO, NO_PARTIAL, ALL = N_("yes"), N_("no"), N_("no (partial)"), N_("all")
# The finds export's columns (services/formats.finds_csv) in words, and the vocabulary (a
# class of patrol/vocabulary.py, by name) whose values a column holds.
FIND_HEADERS: dict[str, Message] = {
    "id": N_("Find id"),
    "lon": N_("Longitude"),
    "lat": N_("Latitude"),
    "patrol": N_("Patrol"),
    "found_at": N_("Found at (UTC)"),
    "type": N_("Snare type"),
    "count": N_("Snares"),
    "state": N_("State"),
    "action": N_("Action taken"),
    "species": N_("Species"),
    "notes": N_("Notes"),
    "zone": N_("Zone code"),
    "cell": N_("Grid cell"),
}
FIND_VOCABULARIES = {"type": "FindType", "state": "FindState", "action": "Action"}
_EB_RATE = N_("Smoothed snares per 100 km (empirical Bayes)")
# The zone statistics CSV (GET /zones/stats?format=csv): every key of a zone's figures
# (services/zone_stats), the words of the annual export where the figure is the same.
ZONE_STATS_HEADERS: dict[str, Message] = {
    "zone": HEADERS["zone"][0],
    "name": HEADERS["zone_name"][0],
    **{key: HEADERS[key][0] for key in ("area_km2", "snares_found", "snares_removed", "finds")},
    **{key: HEADERS[key][0] for key in ("patrols", "patrol_days", "effort_km", "effort_h")},
    "density_per_km2": HEADERS["density_per_km2"][0],
    "cpue_per_100km": HEADERS["cpue_per_100km"][0],
    "cpue_per_10h": HEADERS["cpue_per_10h"][0],
    "eb_rate_per_100km": _EB_RATE,
    "hotspot": N_("Hotspot"),
    "hotspot_reason": N_("Why a hotspot"),
    "trend": N_("Trend"),
    "trend_tau_z": N_("Trend: Mann-Kendall z"),
    "trend_p": N_("Trend: p-value"),
}
# A zone's trend (services/zone_stats: Mann-Kendall over its months or seasons) as the map's
# zone popup says it (static/js/map.js ZONE_TRENDS).
ZONE_TRENDS: dict[str, Message] = {
    "increasing": N_("rising"),
    "decreasing": N_("falling"),
    "no_trend": N_("no clear trend"),
    "too_few_bins": N_("too few months or seasons to tell"),
}
# A unit's targets CSV (GET /units/<code>/targets?format=csv, services/target_files).
TARGET_HEADERS: dict[str, Message] = {
    "unit": N_("Unit"),
    "rank": N_("Rank"),
    "lon": FIND_HEADERS["lon"],
    "lat": FIND_HEADERS["lat"],
    "cell_ix": N_("Grid cell column (ix)"),
    "cell_iy": N_("Grid cell row (iy)"),
    "hotspot_class": N_("Hotspot class"),
    "expected_snares": N_("Expected snares"),
    "distance_km": N_("Distance from base (km)"),
    "eb_rate_per_100km": _EB_RATE,
    "last_patrolled": N_("Last patrolled"),
}
TARGET_VOCABULARIES = {"hotspot_class": "HotspotClass"}


def _same(text: str) -> str:
    return text


def _label(status: YearStatus) -> str:
    return status.label


def _value(_vocabulary: str, value: str) -> str:
    return value


def _reason(reason: str) -> str:
    return reason


@dataclass(frozen=True)
class Words:
    """An export's language: ``lang`` is a language code or ``keys``; ``say`` is gettext in
    that language (the English text itself by default); ``year_label`` names a year as the
    pages do (``2026 (partial year, to 30 November 2026)``)."""

    lang: str = "en"
    say: Callable[[str], str] = field(default=_same)
    year_label: Callable[[YearStatus], str] = field(default=_label)
    # A closed vocabulary's value (``wire``) as a reader says it (``Проволока``), by the
    # vocabulary's class name: the pages' labels (patrol/web/labels.py).
    vocabulary: Callable[[str, str], str] = field(default=_value)
    # Why a zone is a hotspot (the zone statistics' English sentence) in this language: the
    # annual report's footnote words (patrol/web/report_words.py).
    reason: Callable[[str], str] = field(default=_reason)

    @property
    def keys(self) -> bool:
        return self.lang == KEYS

    def text(self, message: str) -> str:
        """A message (``N_``) in this language (English under ``keys``)."""
        return str(message) if self.keys else translated(message, self.say)

    def header(self, key: str) -> str:
        """A column's header: its key under ``keys``, else its words with the unit."""
        return key if self.keys else self.text(HEADERS[key][0])

    def sheet(self, key: str) -> str:
        """A sheet's name: ``totals`` under ``keys``, ``Totals`` / ``Итоги``..."""
        return key if self.keys else self.text(SHEETS[key])

    def yes_no(self, value: object, partial: bool = False) -> str:
        """A true/false cell: ``true``/``false`` under ``keys``, else the words."""
        if self.keys:
            return "true" if value else "false"
        return self.text(YES if value else NO_PARTIAL if partial else NO)

    def value(self, vocabulary: str, value: str) -> str:
        """A vocabulary's value: as stored under ``keys``, else the reader's word for it."""
        return value if self.keys else self.vocabulary(vocabulary, value)

    def hotspot_reason(self, reason: str | None) -> str | None:
        """A zone's hotspot reason: as computed under ``keys``, else in this language."""
        return reason if self.keys or not reason else self.reason(reason)

    def trend(self, trend: str | None) -> str | None:
        """A zone's trend: its code under ``keys``, else the map's words for it (an emerging
        hot spot category's label should the service give one)."""
        if self.keys or trend is None:
            return trend
        if trend in ZONE_TRENDS:
            return self.text(ZONE_TRENDS[trend])
        return self.vocabulary("TrendCategory", trend)

    def zone_name(self, zone: Zone) -> str:
        """The zone's name in this language when the park gave one; its ``name`` otherwise
        (and always under ``keys``: what scripts read stays the same)."""
        return zone.name if self.keys else zone.name_in(self.lang)


ENGLISH_WORDS = Words()
KEYS_WORDS = Words(KEYS)
