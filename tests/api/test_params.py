"""The query-parameter collector: every problem of a query named by its pointer, in one 422."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from patrol.api.params import QueryArgs
from patrol.errors import ValidationFailed


def _raised(q: QueryArgs) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        q.check()
    return [(e.pointer, e.detail) for e in caught.value.errors]


def test_every_problem_is_told_at_once():
    q = QueryArgs(
        {"from": "2025-13-01", "limit": "²", "cell_km": "nan", "bins": "weekly", "year": "25"}
    )
    assert q.day("from") is None
    assert q.whole("limit", 50, 1, 1000) == 50  # the default stands in for a bad value
    assert q.number("cell_km", 0.1, 100) is None
    assert q.choice("bins", ("monthly", "seasonal"), "monthly") == "monthly"
    assert q.year("year") is None
    assert q.year("to_year") is None and q.year("first", required=True) is None
    pointers = [p for p, _ in _raised(q)]
    assert pointers == ["/from", "/limit", "/cell_km", "/bins", "/year", "/first"]


def test_good_values_are_typed_and_nothing_is_raised():
    q = QueryArgs(
        {
            "from": "2025-03-01",
            "to": "2025-03-31",
            "at": "2025-03-01T10:00:00+02:00",
            "limit": "+20",
            "cell_km": "2.5",
            "bbox": "10,-5,11,-4",
            "year": "2025",
        }
    )
    assert q.day("from") == date(2025, 3, 1)
    assert q.day_or_time("to", end=True) == date(2025, 4, 1)  # the whole last day
    assert q.instant("at") == datetime(2025, 3, 1, 8, tzinfo=UTC)
    assert q.whole("limit", 50, 1, 1000) == 20
    assert q.number("cell_km", 0.1, 100) == 2.5
    assert q.bbox() == (10.0, -5.0, 11.0, -4.0)
    assert q.year("year") == 2025
    assert q.text("absent") is None
    q.check()
    assert q.problems == []


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("bbox", "10,-5,11"),
        ("bbox", "11,-5,10,-4"),  # west beyond east
        ("bbox", "10,-95,11,-4"),
        ("bbox", "a,b,c,d"),
        ("limit", "0"),
        ("limit", "1001"),
        ("from", "１９９０-01-01"),  # full-width digits
        ("from", "1899-12-31"),
    ],
)
def test_values_out_of_their_range_are_problems(name, raw):
    q = QueryArgs({name: raw})
    {"bbox": lambda: q.bbox(), "limit": lambda: q.whole("limit", 50, 1, 1000)}.get(
        name, lambda: q.day(name)
    )()
    assert [p for p, _ in _raised(q)] == [f"/{name}"]
