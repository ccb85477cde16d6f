"""A unit's dispatch targets as a CSV table (RFC 4180) to print, share or open in a spreadsheet."""

from __future__ import annotations

import csv
import io

from patrol.services.dispatch import Target
from patrol.services.export_words import KEYS_WORDS, TARGET_HEADERS, TARGET_VOCABULARIES, Words

__all__ = ["TARGET_COLUMNS", "targets_csv"]

# Machine keys as in the GeoJSON answer, so a sheet and the GPX name the same target the same way.
TARGET_COLUMNS = tuple(TARGET_HEADERS)


def targets_csv(targets: list[Target], words: Words = KEYS_WORDS) -> str:
    """One row per target in rank order: a header row, CRLF line ends, fields quoted only when
    they need it (RFC 4180); a unit with no targets gets the header alone. Under ``keys`` (the
    default) the column keys and the class's code; in a language (``words``) the headers and
    the hotspot class in words, the numbers and dates as under ``keys``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        TARGET_COLUMNS if words.keys else [words.text(TARGET_HEADERS[k]) for k in TARGET_COLUMNS]
    )
    for t in sorted(targets, key=lambda t: (t.unit, t.rank)):
        writer.writerow(
            (
                t.unit,
                t.rank,
                f"{t.lon:.6f}",
                f"{t.lat:.6f}",
                t.ix,
                t.iy,
                words.value(TARGET_VOCABULARIES["hotspot_class"], t.hotspot_class),
                t.expected_snares,
                t.distance_km,
                t.eb_rate_per_100km,
                t.last_patrolled.isoformat() if t.last_patrolled else "",
            )
        )
    return out.getvalue()
