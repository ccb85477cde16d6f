"""Exports in the reader's language (issue 12 item 5): CSV and XLSX headers, sheet names and
zone names in ``lang``; ``lang=keys`` the machine keys scripts rely on; a bad ``lang`` a 422.

The expected words are written out here in English and looked up in the Russian catalog read
with Babel from the .po file, not through the code that writes the files.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from openpyxl import load_workbook

from patrol import i18n
from tests.api.test_exports import two_years  # noqa: F401
from tests.api.test_web_security import people, sign_in  # noqa: F401
from tests.api.test_zones import wait_for_job
from tests.conftest import quadrant_zones, row_counts

PO = Path(__file__).resolve().parents[2] / "translations" / "ru" / "LC_MESSAGES" / "messages.po"
KEYS = [
    "year", "month", "zone", "zone_name", "comparison", "snares_found", "snares_removed",
    "finds", "patrols", "patrol_days", "effort_km", "effort_h", "cpue_per_100km",
    "cpue_per_10h", "density_per_km2", "area_km2", "complete",
]  # fmt: skip
ENGLISH = [
    "Year", "Month", "Zone code", "Zone", "Year before (for comparison)", "Snares found",
    "Snares removed or destroyed", "Find records", "Patrols", "Patrol-days",
    "Effort (km walked)", "Effort (hours)", "Snares per 100 km walked", "Snares per 10 hours",
    "Snares per km² of zone", "Zone area (km²)", "Period complete",
]  # fmt: skip
NAMES = {
    "SW": ("Юго-запад", "South-west"),
    "SE": ("Юго-восток", "South-east"),
    "NW": ("Северо-запад", "North-west"),
    "NE": ("Северо-восток", "North-east"),
}
URL = "/api/v1/exports/annual?year=2026"


@pytest.fixture(scope="module")
def russian() -> dict[str, str]:
    with PO.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh) if isinstance(m.id, str) and m.id}


def named_zones() -> dict:
    """The test zones with names in Russian and English beside ``name``."""
    doc = copy.deepcopy(quadrant_zones())
    for f in doc["features"]:
        ru, en = NAMES[f["properties"]["code"]]
        f["properties"].update(name_ru=ru, name_en=en)
    return doc


@pytest.fixture
def names(client, world):
    r = client.put(
        "/api/v1/zones?area=test-area",
        data=json.dumps(named_zones()),
        content_type="application/geo+json",
        headers=world.auth("admin"),
    )
    assert r.status_code == 202, r.get_json()
    assert wait_for_job(client, world, r.headers["Location"])["state"] == "done"


def read_csv(r) -> list[list[str]]:
    assert r.status_code == 200, r.get_data(as_text=True)
    return list(csv.reader(io.StringIO(r.get_data(as_text=True))))


def zone_names(rows: list[list[str]]) -> dict[str, str]:
    return {row[2]: row[3] for row in rows[1:] if row[2] in NAMES}


def test_csv_keys_by_default_and_as_asked(client, world, two_years, names):  # noqa: F811
    plain = client.get(URL + "&format=csv", headers=world.auth("coord"))
    keys = client.get(URL + "&format=csv&lang=keys", headers=world.auth("coord"))
    # A script that never heard of lang gets the same bytes as one asking for the keys.
    assert plain.get_data() == keys.get_data()
    rows = read_csv(keys)
    assert rows[0] == KEYS
    assert zone_names(rows) == {code: f"Zone {code}" for code in NAMES}  # ``name``, unchanged
    assert {row[4] for row in rows[1:]} == {"true", "false"}
    # Accept-Language does not change what scripts get.
    ru = client.get(URL + "&format=csv", headers={**world.auth("coord"), "Accept-Language": "ru"})
    assert ru.get_data() == plain.get_data()


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_csv_in_a_language(client, world, two_years, names, russian, lang):  # noqa: F811
    rows = read_csv(client.get(URL + f"&format=csv&lang={lang}", headers=world.auth("coord")))
    say = (lambda s: russian[s]) if lang == "ru" else (lambda s: s)
    assert rows[0] == [say(h) for h in ENGLISH]
    k = 0 if lang == "ru" else 1
    assert zone_names(rows) == {code: NAMES[code][k] for code in NAMES}
    assert {row[4] for row in rows[1:]} == {say("yes"), say("no")}
    keys = read_csv(client.get(URL + "&format=csv&lang=keys", headers=world.auth("coord")))
    # The same figures row by row: only the words changed.
    numbers = slice(5, 16)
    assert [r[numbers] for r in rows[1:]] == [r[numbers] for r in keys[1:]]
    assert [r[0] for r in rows[1:]] == [r[0] for r in keys[1:]]


def _book(r):
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return load_workbook(io.BytesIO(r.get_data()))


def test_xlsx_in_russian(client, world, two_years, names, russian):  # noqa: F811
    book = _book(client.get(URL + "&format=xlsx&lang=ru", headers=world.auth("coord")))
    assert book.sheetnames == [russian["Totals"], russian["Zone months"], russian["About"]]
    assert book.sheetnames == ["Итоги", "Зоны по месяцам", "О файле"]
    months = book[russian["Zone months"]]
    assert [c.value for c in months[3]] == [russian[h] for h in ENGLISH]
    listed = {row[2]: row[3] for row in months.iter_rows(min_row=4, values_only=True)}
    assert listed == {code: ru for code, (ru, _en) in NAMES.items()}
    title = months["A1"].value
    assert title.startswith("Петли и патрульное усилие, Test area, 2026")
    about = {r[0]: r for r in book[russian["About"]].iter_rows(values_only=True) if r and r[0]}
    assert about["effort"][1] == russian["search effort: patrols on foot or ski"]
    assert about["effort"][2] == russian["Effort"]


def test_xlsx_keys_and_default(client, world, two_years, names):  # noqa: F811
    keys = _book(client.get(URL + "&format=xlsx&lang=keys", headers=world.auth("coord")))
    assert keys.sheetnames == ["totals", "zone_months", "about"]
    assert [c.value for c in keys["zone_months"][3]] == KEYS
    listed = {r[2]: r[3] for r in keys["zone_months"].iter_rows(min_row=4, values_only=True)}
    assert listed == {code: f"Zone {code}" for code in NAMES}
    # No lang: the workbook (for people) follows Accept-Language, else English as before.
    plain = _book(client.get(URL + "&format=xlsx", headers=world.auth("coord")))
    assert plain.sheetnames == ["Totals", "Zone months", "About"]
    assert [c.value for c in plain["Zone months"][3]] == ENGLISH
    asked = client.get(
        URL + "&format=xlsx", headers={**world.auth("coord"), "Accept-Language": "ru-RU,ru;q=0.9"}
    )
    assert _book(asked).sheetnames[0] == "Итоги"
    assert "Accept-Language" in asked.headers["Vary"]


@pytest.mark.parametrize("lang", ["de", "KEYS", "ru-RU", "x" * 40])
def test_unknown_lang_is_a_422_naming_it(client, app, world, two_years, lang):  # noqa: F811
    before = row_counts(app)
    r = client.get(URL + f"&format=xlsx&lang={lang}", headers=world.auth("coord"))
    assert r.status_code == 422
    problem = r.get_json()
    assert r.mimetype == "application/problem+json"
    assert [e["pointer"] for e in problem["errors"]] == ["/lang"]
    assert all(code in problem["errors"][0]["detail"] for code in ("keys", *i18n.LANGUAGES))
    assert row_counts(app) == before


def test_zone_names_in_the_api_and_the_pages(client, world, people, two_years, names):  # noqa: F811
    doc = client.get("/api/v1/zones?area=test-area", headers=world.auth("coord")).get_json()
    by_code = {f["properties"]["code"]: f["properties"] for f in doc["features"]}
    # ``name`` stays what programs always read; ``names`` holds the park's other names.
    assert by_code["SW"]["name"] == "Zone SW"
    assert by_code["SW"]["names"] == {"ru": "Юго-запад", "en": "South-west"}
    stats = client.get(
        "/api/v1/zones/stats?area=test-area&from=2026-01-01&to=2026-12-31",
        headers=world.auth("coord"),
    ).get_json()
    assert {f["properties"]["zone"]: f["properties"]["names"]["en"] for f in stats["features"]} == {
        code: en for code, (_ru, en) in NAMES.items()
    }
    sign_in(client, "coord")
    for lang, k in (("ru", 0), ("en", 1)):
        client.set_cookie(i18n.COOKIE, lang)
        page = client.get("/reports/annual/2025?area=test-area")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        for code, pair in NAMES.items():
            assert f"{code} {pair[k]}" in html
            assert pair[1 - k] not in html
            assert f"Zone {code}" not in html


def test_a_zones_file_with_a_bad_name_is_refused_in_the_readers_language(
    client, app, world, russian
):
    doc = named_zones()
    doc["features"][1]["properties"]["name_ru"] = "я" * 201
    doc["features"][2]["properties"]["name_en"] = 7
    before = row_counts(app)
    answers = {}
    for lang in ("en", "ru"):
        r = client.put(
            "/api/v1/zones?area=test-area",
            data=json.dumps(doc),
            content_type="application/geo+json",
            headers={**world.auth("admin"), "Accept-Language": lang},
        )
        assert r.status_code == 422
        answers[lang] = r.get_json()
    pointers = [e["pointer"] for e in answers["en"]["errors"]]
    assert pointers == ["/features/1/properties/name_ru", "/features/2/properties/name_en"]
    assert [e["pointer"] for e in answers["ru"]["errors"]] == pointers
    template = russian["must be a text of at most {limit} characters"]
    assert answers["ru"]["errors"][0]["detail"] == template.format(limit=200)
    assert answers["en"]["errors"][0]["detail"] == "must be a text of at most 200 characters"
    assert row_counts(app) == before


def test_the_cli_writes_the_same_files_in_each_language(
    client,
    world,
    two_years,  # noqa: F811
    names,
    runner,
    tmp_path,
):
    for lang in ("ru", "keys"):
        out = tmp_path / f"{lang}.csv"
        args = ["export", "annual", "--year", "2026", "--area", "test-area", "--lang", lang]
        result = runner.invoke(args=[*args, "--output", str(out)])
        assert result.exit_code == 0, result.output
        asked = client.get(URL + f"&format=csv&lang={lang}", headers=world.auth("coord"))
        assert out.read_bytes() == asked.get_data()
    out = tmp_path / "ru.xlsx"
    args = ["export", "annual", "--year", "2026", "--format", "xlsx", "--lang", "ru"]
    result = runner.invoke(args=[*args, "--area", "test-area", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert load_workbook(out).sheetnames == ["Итоги", "Зоны по месяцам", "О файле"]
    bad = runner.invoke(args=[*args[:-1], "de", "--area", "test-area", "--output", str(out)])
    assert bad.exit_code != 0 and "--lang" in bad.output


def test_the_finds_csv_in_a_language(client, world, two_years, russian):  # noqa: F811
    url = "/api/v1/exports/finds?year=2026&format=csv"
    plain = client.get(url, headers=world.auth("coord"))
    asked = client.get(url + "&lang=keys", headers=world.auth("coord"))
    assert plain.get_data() == asked.get_data()  # no lang: the keys and values as before
    keys = read_csv(asked)
    assert keys[0][:6] == ["id", "lon", "lat", "patrol", "found_at", "type"]
    assert {row[5] for row in keys[1:]} == {"wire"}  # make_report's finds are wire snares
    ru = read_csv(client.get(url + "&lang=ru", headers=world.auth("coord")))
    english = ["Find id", "Longitude", "Latitude", "Patrol", "Found at (UTC)", "Snare type"]
    assert ru[0][:6] == [russian[h] for h in english]
    assert {row[5] for row in ru[1:]} == {russian["Wire"]}
    assert [row[:5] for row in ru[1:]] == [row[:5] for row in keys[1:]]
    bad = client.get(url + "&lang=fr", headers=world.auth("coord"))
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["pointer"] == "/lang"


def test_an_english_file_asked_by_a_russian_reader_is_english(client, world, two_years, russian):  # noqa: F811
    """``lang=en`` names the language of the file, not the reader's: with Accept-Language
    ru the headers and the vocabulary's words (the find type) are still English."""
    url = "/api/v1/exports/finds?year=2026&format=csv&lang=en"
    asked_in_ru = {**world.auth("coord"), "Accept-Language": "ru"}
    rows = read_csv(client.get(url, headers=asked_in_ru))
    assert rows[0][:6] == [
        "Find id",
        "Longitude",
        "Latitude",
        "Patrol",
        "Found at (UTC)",
        "Snare type",
    ]
    assert {row[5] for row in rows[1:]} == {"Wire"} != {russian["Wire"]}
    assert rows == read_csv(client.get(url, headers=world.auth("coord")))
