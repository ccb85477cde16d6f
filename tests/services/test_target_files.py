"""The targets CSV writer: RFC 4180 quoting, CRLF rows, a header even when there is nothing."""

from __future__ import annotations

import csv
import io
from datetime import date

from patrol.services.dispatch import Target
from patrol.services.target_files import TARGET_COLUMNS, targets_csv


def _target(unit: str, rank: int, last: date | None) -> Target:
    return Target(
        unit=unit,
        rank=rank,
        ix=-3,
        iy=7,
        lon=131.123456789,
        lat=43.1,
        hotspot_class="hot_99",
        expected_snares=2.5,
        distance_km=12.25,
        eb_rate_per_100km=4.0,
        last_patrolled=last,
    )


def test_header_only_when_no_targets():
    assert targets_csv([]) == ",".join(TARGET_COLUMNS) + "\r\n"


def test_quotes_what_needs_quoting_and_sorts_by_rank():
    awkward = 'MU "7", north'
    text = targets_csv([_target(awkward, 2, None), _target(awkward, 1, date(2026, 3, 4))])
    lines = text.split("\r\n")
    assert lines[1].startswith('"MU ""7"", north",1,131.123457,43.100000,-3,7,hot_99,')
    assert lines[1].endswith(",2026-03-04") and lines[2].endswith(",")  # never patrolled: empty
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(TARGET_COLUMNS)
    assert [r[0] for r in rows[1:]] == [awkward, awkward]
    assert [r[1] for r in rows[1:]] == ["1", "2"]
