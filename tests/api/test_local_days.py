"""One meaning of a date: a local day of the area, in lists, exports and analytics alike.

The test area keeps Vladivostok time (UTC+10): its New Year's night begins at 14:00 UTC on
31 December, so a reading in UTC days would put the night's finds in the other year.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import make_report

GEOJSON = "application/geo+json"
VLADIVOSTOK = ZoneInfo("Asia/Vladivostok")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=VLADIVOSTOK).astimezone(UTC)


# (name, start (UTC), hours, snares per find, finds): finds are made 1 h after the start, then
# a minute apart (make_report), so the first two patrols find their snares after midnight.
PLAN = [
    ("eve-2024", local(2024, 12, 31, 23, 30), 2.0, 2, 1),  # finds at 00:30 on 1 Jan 2025
    ("new-year-2025", local(2025, 1, 1, 0, 30), 2.0, 2, 2),  # UTC: 31 Dec 2024, 14:30
    ("summer", local(2025, 7, 15, 9, 0), 4.0, 2, 3),
    ("eve-2025", local(2025, 12, 31, 23, 30), 2.0, 2, 4),  # finds at 00:30 on 1 Jan 2026
    ("new-year-2026", local(2026, 1, 1, 0, 30), 2.0, 2, 1),  # UTC: 31 Dec 2025, 14:30
]


@pytest.fixture
def new_year(client, world):
    """The plan's patrols, on foot through the SE zone; their ids by name."""
    ids = {}
    for name, start, hours, _, n in PLAN:
        report = make_report(
            xy_m=((1000, -2000), (5000, -2000), (5000, -5000)),
            finds=[(1000 + 500 * k, -2000) for k in range(n)],
            start=start,
            hours=hours,
        )
        r = client.post(
            "/api/v1/patrols",
            data=json.dumps(report),
            content_type=GEOJSON,
            headers=world.auth("coord"),
        )
        assert r.status_code == 201, r.get_json()
        ids[name] = report["features"][0]["id"]
    return ids


def _expected(year: int) -> int:
    """Snares of the patrols that started in ``year`` on the area's clock (from the plan)."""
    return sum(
        count * n for _, start, _, count, n in PLAN if start.astimezone(VLADIVOSTOK).year == year
    )


def _utc_reading(year: int) -> int:
    """What a reading in UTC days of the finds' own times would count (the old /snares)."""
    total = 0
    for _, start, _, count, n in PLAN:
        for k in range(n):
            if (start + timedelta(hours=1, minutes=k)).year == year:
                total += count
    return total


def _listed(client, world, query: str, path: str = "/api/v1/snares") -> list[dict]:
    r = client.get(f"{path}?{query}&limit=1000", headers=world.auth("coord"))
    assert r.status_code == 200, r.get_json()
    return r.get_json()["features"]


def _annual_total(client, world, year: int) -> int:
    r = client.get(f"/api/v1/exports/annual?year={year}&format=json", headers=world.auth("ngo"))
    assert r.status_code == 200, r.get_json()
    totals = r.get_json()["totals"]
    return next(t for t in totals if t["year"] == year and not t["zone"])["snares_found"]


@pytest.mark.parametrize("year", [2025, 2026])
def test_listed_finds_are_the_annual_totals_snares(client, world, new_year, year):
    # The test means something only where the two readings differ.
    assert _expected(year) != _utc_reading(year)
    finds = _listed(client, world, f"from={year}-01-01&to={year}-12-31")
    listed = sum(f["properties"]["count"] for f in finds)
    assert listed == _expected(year)
    assert _annual_total(client, world, year) == listed
    zones = _listed(client, world, f"from={year}-01-01&to={year}-12-31", "/api/v1/zones/stats")
    assert sum(z["properties"]["snares_found"] for z in zones) == listed


def test_a_patrol_and_its_finds_belong_to_the_day_it_started(client, world, new_year):
    day = _listed(client, world, "from=2026-01-01&to=2026-01-01", "/api/v1/patrols")
    assert [f["id"] for f in day] == [new_year["new-year-2026"]]
    finds = _listed(client, world, "from=2026-01-01&to=2026-01-01")
    assert {f["properties"]["patrol"] for f in finds} == {new_year["new-year-2026"]}
    # The eve's finds were made after midnight but belong to 31 December, with their patrol.
    eve = _listed(client, world, "from=2025-12-31&to=2025-12-31")
    assert {f["properties"]["patrol"] for f in eve} == {new_year["eve-2025"]}
    assert len(eve) == 4
    year = _listed(client, world, "from=2025-01-01&to=2025-12-31", "/api/v1/patrols")
    assert {f["id"] for f in year} == {new_year[n] for n in ("new-year-2025", "summer", "eve-2025")}


def test_instants_still_filter_by_time(client, world, new_year):
    # A time with an offset is an instant: finds made from midnight on, whatever the patrol.
    finds = _listed(client, world, "from=2026-01-01T00:00:00%2B10:00&to=2026-01-02T00:00:00Z")
    assert {f["properties"]["patrol"] for f in finds} == {
        new_year["eve-2025"],
        new_year["new-year-2026"],
    }
    patrols = _listed(client, world, "from=2026-01-01T00:00:00%2B10:00", "/api/v1/patrols")
    # Overlapping the instant: the eve's patrol was still out at midnight.
    assert {f["id"] for f in patrols} == {new_year["eve-2025"], new_year["new-year-2026"]}


def test_the_rule_is_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"]: p for p in doc["paths"]["/snares"]["get"]["parameters"]}
    assert "local day" in params["from"]["description"]
    assert "local day" in params["to"]["description"]
