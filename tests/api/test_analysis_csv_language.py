"""The zone statistics CSV and a unit's targets CSV in the reader's language (issue 12 item 5),
as the annual export and the finds CSV: ``lang=keys`` (and no ``lang``) the bytes scripts
always had, a language the headers and words of the pages, a bad ``lang`` a 422 on /lang.

The expected words are written out here in English and looked up in the Russian catalog read
with Babel from the .po file, not through the code that writes the files.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from babel.messages.pofile import read_po

from patrol import i18n
from tests.api.test_exports_language import NAMES, PO, names, read_csv, russian  # noqa: F401
from tests.conftest import row_counts, sweep_month

WINDOW = "from=2026-03-01&to=2026-03-31"
STATS = f"/api/v1/zones/stats?{WINDOW}&format=csv"
TARGETS = f"/api/v1/units/T-01/targets?{WINDOW}&format=csv"
STATS_KEYS = [
    "zone", "name", "area_km2", "snares_found", "snares_removed", "finds", "patrols",
    "patrol_days", "effort_km", "effort_h", "density_per_km2", "cpue_per_100km",
    "cpue_per_10h", "eb_rate_per_100km", "hotspot", "hotspot_reason", "trend", "trend_tau_z",
    "trend_p",
]  # fmt: skip
STATS_ENGLISH = [
    "Zone code", "Zone", "Zone area (km²)", "Snares found", "Snares removed or destroyed",
    "Find records", "Patrols", "Patrol-days", "Effort (km walked)", "Effort (hours)",
    "Snares per km² of zone", "Snares per 100 km walked", "Snares per 10 hours",
    "Smoothed snares per 100 km (empirical Bayes)", "Hotspot", "Why a hotspot", "Trend",
    "Trend: Mann-Kendall z", "Trend: p-value",
]  # fmt: skip
TARGET_KEYS = [
    "unit", "rank", "lon", "lat", "cell_ix", "cell_iy", "hotspot_class", "expected_snares",
    "distance_km", "eb_rate_per_100km", "last_patrolled",
]  # fmt: skip
TARGET_ENGLISH = [
    "Unit", "Rank", "Longitude", "Latitude", "Grid cell column (ix)", "Grid cell row (iy)",
    "Hotspot class", "Expected snares", "Distance from base (km)",
    "Smoothed snares per 100 km (empirical Bayes)", "Last patrolled",
]  # fmt: skip
CLASSES = {
    "hot_99": "Hot, 99 %",
    "hot_95": "Hot, 95 %",
    "hot_90": "Hot, 90 %",
    "not_significant": "Not significant",
    "cold_90": "Cold, 90 %",
    "cold_95": "Cold, 95 %",
    "cold_99": "Cold, 99 %",
    "under_patrolled": "Under-patrolled",
}
# The numbers' columns of each file: the same text whatever the language.
STATS_NUMBERS = [k for k in range(len(STATS_KEYS)) if k not in (1, 14, 15, 16)]
TARGET_NUMBERS = [k for k in range(len(TARGET_KEYS)) if k != 6]


CELLS = "grid cell with a significantly high smoothed rate in its neighbourhood"
# A zone's trend as the map's zone popup says it.
TRENDS = {
    "increasing": "rising",
    "decreasing": "falling",
    "no_trend": "no clear trend",
    "too_few_bins": "too few months or seasons to tell",
}


@pytest.fixture
def month(client, world):
    sweep_month(client, world)


def get(client, world, url: str, user: str = "coord", **headers) -> list[list[str]]:
    return read_csv(client.get(url, headers={**world.auth(user), **headers}))


@pytest.mark.parametrize("url", [STATS, TARGETS])
def test_keys_by_default_byte_for_byte(client, world, month, url):
    plain = client.get(url, headers=world.auth("coord"))
    keys = client.get(url + "&lang=keys", headers=world.auth("coord"))
    ru = client.get(url, headers={**world.auth("coord"), "Accept-Language": "ru"})
    assert plain.status_code == keys.status_code == 200
    # No lang, lang=keys and a Russian Accept-Language: what scripts always got.
    assert plain.get_data() == keys.get_data() == ru.get_data()
    header = read_csv(plain)[0]
    assert header == (STATS_KEYS if url == STATS else TARGET_KEYS)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_zone_stats_csv_in_a_language(client, world, month, names, russian, lang):  # noqa: F811
    say = (lambda s: russian[s]) if lang == "ru" else (lambda s: s)
    k = 0 if lang == "ru" else 1
    trends = set()
    # One month (too few months for a trend) and the whole year (a trend over 12 months).
    for url in (STATS, "/api/v1/zones/stats?from=2026-01-01&to=2026-12-31&format=csv"):
        keys = get(client, world, url + "&lang=keys")
        rows = get(client, world, url + f"&lang={lang}")
        assert rows[0] == [say(h) for h in STATS_ENGLISH]
        assert len(rows) == len(keys) == 1 + len(NAMES)
        for row, plain in zip(rows[1:], keys[1:], strict=True):
            assert plain[1] == f"Zone {plain[0]}"  # ``name`` under keys, unchanged
            assert row[1] == NAMES[row[0]][k]
            assert [row[i] for i in STATS_NUMBERS] == [plain[i] for i in STATS_NUMBERS]
            assert row[14] == say("yes" if plain[14] == "True" else "no")
            assert row[16] == say(TRENDS[plain[16]])
            trends.add(plain[16])
    assert "too_few_bins" in trends and len(trends) > 1
    rows = get(client, world, STATS + f"&lang={lang}")
    hot = {row[0]: row[15] for row in rows[1:] if row[15]}
    assert "NW" in hot  # the sweep makes NW a hotspot (tests/api/test_analytics.py)
    plain = {row[0]: row[15] for row in get(client, world, STATS + "&lang=keys")[1:]}
    n = int(re.search(r"(\d+) significant hot cell", plain["NW"])[1])
    if lang == "ru":
        with PO.open("rb") as fh:
            (forms,) = [
                m.string for m in read_po(fh) if isinstance(m.id, tuple) and CELLS in m.id[0]
            ]
        # The annual report's footnote words for the same count, in one of the plural forms.
        assert hot["NW"].split("; ")[-1] in {form % {"num": n} for form in forms}
        assert ("Poisson" in plain["NW"]) == ("Пуассона" in hot["NW"])
    else:
        assert "hot cell" in hot["NW"]


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_targets_csv_in_a_language(client, world, month, russian, lang):  # noqa: F811
    say = (lambda s: russian[s]) if lang == "ru" else (lambda s: s)
    keys = get(client, world, TARGETS + "&lang=keys")
    rows = get(client, world, TARGETS + f"&lang={lang}")
    assert rows[0] == [say(h) for h in TARGET_ENGLISH]
    assert len(rows) == len(keys) > 1
    for row, plain in zip(rows[1:], keys[1:], strict=True):
        assert [row[i] for i in TARGET_NUMBERS] == [plain[i] for i in TARGET_NUMBERS]
        assert row[6] == say(CLASSES[plain[6]])
    if lang == "ru":
        assert all(row[6] != plain[6] for row, plain in zip(rows[1:], keys[1:], strict=True))


@pytest.mark.parametrize("url", [STATS, TARGETS])
@pytest.mark.parametrize("lang", ["de", "KEYS", "ru-RU"])
def test_unknown_lang_is_a_422_naming_it(client, app, world, month, url, lang):
    before = row_counts(app)
    r = client.get(url + f"&lang={lang}", headers=world.auth("coord"))
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    problem = r.get_json()
    assert [e["pointer"] for e in problem["errors"]] == ["/lang"]
    assert all(code in problem["errors"][0]["detail"] for code in ("keys", *i18n.LANGUAGES))
    assert row_counts(app) == before


def test_in_words_still_rfc_4180(client, world, month):
    text = client.get(STATS + "&lang=ru", headers=world.auth("coord")).get_data(as_text=True)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert len(list(csv.reader(io.StringIO(text, newline="")))) == 1 + len(NAMES)
