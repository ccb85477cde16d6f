"""A zone's hotspot flag in the reader's words: the table's plain words and the footnote's
statistics, read from the reason the hotspot service gives (services/annual_report.py says the
same in English for the files)."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext, ngettext

from patrol.i18n import number

__all__ = ["flag_text", "footnote_text", "reason_text"]

_POISSON = re.compile(
    r"(?P<finds>\d+) finds where the area's rate in the same months predicts "
    r"(?P<expected>[\d.]+) \(Poisson p=(?P<p>[^,]+), FDR (?P<fdr>[\d.]+)\)"
)
_CELLS = re.compile(r"(?P<n>\d+) significant hot cell")


def _parts(reason: str | None) -> tuple[list[str], list[str]]:
    words: list[str] = []
    notes: list[str] = []
    m = _POISSON.search(reason or "")
    if m:
        finds, expected = int(m["finds"]), float(m["expected"])
        values = {"finds": number(finds), "expected": number(expected)}
        if expected <= 0 or finds / expected >= 2:
            words.append(
                gettext(
                    "many more snare finds than its patrol effort predicts "
                    "(%(finds)s where %(expected)s were expected)",
                    **values,
                )
            )
        else:
            words.append(
                gettext(
                    "more snare finds than its patrol effort predicts "
                    "(%(finds)s where %(expected)s were expected)",
                    **values,
                )
            )
        notes.append(
            gettext(
                "%(finds)s finds against %(expected)s expected from the whole area's finds per "
                "km in the same months (exact Poisson test, p = %(p)s; significant at a false "
                "discovery rate of %(fdr)s %% over all zones)",
                finds=finds,
                expected=number(expected, 1),
                p=m["p"],
                fdr=number(100 * float(m["fdr"])),
            )
        )
    c = _CELLS.search(reason or "")
    if c:
        n = int(c["n"])
        words.append(
            ngettext(
                "a grid cell where snares cluster beyond what effort explains",
                "%(num)s grid cells where snares cluster beyond what effort explains",
                n,
            )
        )
        notes.append(
            ngettext(
                "%(num)s grid cell with a significantly high smoothed rate in its neighbourhood "
                "(Getis-Ord Gi*, false discovery rate 5 %%)",
                "%(num)s grid cells with a significantly high smoothed rate in its "
                "neighbourhood (Getis-Ord Gi*, false discovery rate 5 %%)",
                n,
            )
        )
    return words, notes


def flag_text(zone: dict[str, Any]) -> str:
    """Why the zone is flagged, in words (the service's own words if it gives an unknown
    reason)."""
    words, _notes = _parts(zone.get("hotspot_reason"))
    return "; ".join(words) if words else str(zone.get("flag_words") or "")


def footnote_text(zone: dict[str, Any]) -> str:
    """The zone's footnote: the counts and the tests behind its flag."""
    _words, notes = _parts(zone.get("hotspot_reason"))
    body = "; ".join(notes) if notes else str(zone.get("hotspot_reason") or "")
    return f"{zone['zone']} {zone['name']}: {body}."


def reason_text(reason: str) -> str:
    """The counts and tests behind a zone's flag in the reader's language, as the footnote
    says them (the zone statistics CSV); the service's own words if it gives an unknown one."""
    _words, notes = _parts(reason)
    return "; ".join(notes) if notes else reason
