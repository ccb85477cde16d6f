"""The API's problems in the reader's language: title and details follow Accept-Language
(then a signed-in caller's saved preference, else English); type, status and pointers do not."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patrol import errors
from patrol.http import problem_response
from patrol.services.periods import NoPatrols
from patrol.services.restore import NotDeleted
from patrol.store.models import User
from patrol.vocabulary import Transport
from tests.api.test_web_security import people, sign_in  # noqa: F401
from tests.conftest import make_report

CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]{2,}")
# Words that stay as they are in Russian: the JSON's own member names and values, formats.
KEPT = {
    "GeoJSON", "FeatureCollection", "Feature", "features", "LineString", "MultiLineString",
    "Point", "JSON", "UUID", "ISO", "UTC", "GPX", "XML", "kind", "route", "snare", "coordTimes",
    "started_at", "ended_at", "rte", "trk", "Unicode", "lost",
    "nope", "notatime", "yesterday", "PATCH", *Transport,
}  # fmt: skip

GPX_BAD = b"""<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><trkseg>
    <trkpt lat="43.10" lon="131.90"><time>2026-03-02T03:00:00Z</time></trkpt>
    <trkpt lat="43.11" lon="131.91"><time>2026-03-02T02:00:00Z</time></trkpt>
    <trkpt lat="43.12" lon="131.92"><time>2026-03-02T04:00:00Z</time></trkpt>
  </trkseg></trk>
</gpx>
"""


def bad_report() -> dict:
    """A report with a problem in several fields of the route and of a find."""
    doc = make_report(transport="lost", members=["B", 7], leader="x" * 300)
    route = doc["features"][0]["properties"]
    route["ended_at"] = route["started_at"].replace("T01", "T00")
    find = doc["features"][1]
    find["id"] = "nope"
    find["properties"].update(count=0, found_at="notatime")
    return doc


def post_json(client, world, doc: dict, lang: str | None, who: str = "ranger1"):
    headers = world.auth(who)
    if lang:
        headers["Accept-Language"] = lang
    return client.post("/api/v1/patrols", json=doc, headers=headers)


def post_gpx(client, world, lang: str | None):
    headers = world.auth("ranger1")
    if lang:
        headers["Accept-Language"] = lang
    return client.post(
        "/api/v1/patrols", data=GPX_BAD, content_type="application/gpx+xml", headers=headers
    )


def assert_same_for_programs(en: dict, ru: dict) -> None:
    assert {k: v for k, v in en.items() if k not in ("title", "detail", "errors")} == {
        k: v for k, v in ru.items() if k not in ("title", "detail", "errors")
    }
    assert [e["pointer"] for e in en["errors"]] == [e["pointer"] for e in ru["errors"]]


def assert_russian(text: str, english: str) -> None:
    """Russian words, and no English left but the JSON's own names and the values quoted."""
    assert CYRILLIC.search(text), text
    assert text != english
    leftover = set(LATIN_WORD.findall(text)) - KEPT
    assert not leftover, (text, leftover)


def assert_said_in_russian(en: dict, ru: dict) -> None:
    assert_same_for_programs(en, ru)
    for key in ("title", "detail"):
        assert_russian(ru[key], en[key])
    for e_en, e_ru in zip(en["errors"], ru["errors"], strict=True):
        assert_russian(e_ru["detail"], e_en["detail"])


def test_bad_report_in_russian_and_english(client, world):
    r_en = post_json(client, world, bad_report(), "en")
    r_ru = post_json(client, world, bad_report(), "ru-RU,ru;q=0.9")
    r_none = post_json(client, world, bad_report(), None)
    assert r_en.status_code == r_ru.status_code == r_none.status_code == 422
    assert r_ru.mimetype == "application/problem+json"
    en, ru = r_en.get_json(), r_ru.get_json()
    # English is what it always was: with no Accept-Language, and word for word.
    assert r_none.get_json() == en
    assert en["title"] == "The input is not valid"
    assert en["detail"] == f"The report has {len(en['errors'])} problem(s); nothing was stored."
    details = {e["pointer"]: e["detail"] for e in en["errors"]}
    allowed = ", ".join(Transport)
    assert details["/features/0/properties/transport"] == f"'lost' is not one of {allowed}"
    assert details["/features/0/properties/leader"] == "must be at most 200 characters"
    assert details["/features/0/properties/members/1"] == "must be a name (a string)"
    assert details["/features/1/id"] == "'nope' is not a UUID"
    assert details["/features/1/properties/count"] == "must be at least 1 (got 0)"
    assert len(en["errors"]) >= 6
    assert_said_in_russian(en, ru)
    russian = {e["pointer"]: e["detail"] for e in ru["errors"]}
    assert russian["/features/0/properties/leader"] == "должно быть не длиннее 200 символов"
    assert russian["/features/0/properties/transport"].endswith(allowed)
    assert ru["detail"].startswith(f"Отчёт: найдено проблем — {len(ru['errors'])};")
    assert "Accept-Language" in r_ru.headers.get("Vary", "")


def test_bad_gpx_in_russian_and_english(client, world):
    r_en, r_ru = post_gpx(client, world, "en"), post_gpx(client, world, "ru")
    assert r_en.status_code == r_ru.status_code == 422
    en, ru = r_en.get_json(), r_ru.get_json()
    pointers = [e["pointer"] for e in en["errors"]]
    assert "/unit" in pointers and any(p.startswith("/gpx/trk") for p in pointers)
    assert en["detail"].startswith("The GPX file has ")
    assert {e["detail"] for e in en["errors"]} >= {
        "is required: give the unit code with the upload",
        "track point times must not go backwards",
    }
    assert_said_in_russian(en, ru)
    assert ru["detail"].startswith("Файл GPX: найдено проблем")


def test_no_catalog_means_english_and_the_preference_counts(client, world, app):
    en = post_json(client, world, bad_report(), "en").get_json()
    assert post_json(client, world, bad_report(), "de, fr;q=0.5").get_json() == en
    from patrol.db import get_session

    with app.app_context():
        s = get_session()
        s.execute(sa.update(User).where(User.username == "ranger1").values(language="ru"))
        s.commit()
    # A saved preference speaks when the request does not ask; an explicit "en" wins over it.
    assert post_json(client, world, bad_report(), "en").get_json() == en
    preferred = post_json(client, world, bad_report(), None).get_json()
    assert_said_in_russian(en, preferred)
    # Not the area's default, nor another caller's preference: a script keeps its English.
    assert post_json(client, world, bad_report(), None, who="ranger2").get_json() == en


@pytest.mark.parametrize(
    "cls",
    [
        errors.ValidationFailed,
        errors.InvalidParameter,
        errors.MalformedInput,
        errors.UnsupportedMediaType,
        errors.PayloadTooLarge,
        errors.AuthenticationRequired,
        errors.Forbidden,
        errors.NotFound,
        errors.Conflict,
        errors.DeletedPatrolConflict,
        errors.IdUnavailable,
        errors.StaleRevision,
        errors.TooManyRequests,
        errors.PatrolError,
        NotDeleted,
        NoPatrols,
    ],
)
def test_every_title_is_translated(app, cls):
    answers = {}
    for lang in ("en", "ru"):
        with app.test_request_context("/api/v1/x", headers={"Accept-Language": lang}):
            response = problem_response(cls())
            answers[lang] = (response.status_code, response.get_json())
    (status_en, en), (status_ru, ru) = answers["en"], answers["ru"]
    assert status_en == status_ru == cls.status
    assert en["title"] == en["detail"] == cls.title
    assert en["type"] == ru["type"] and en["status"] == ru["status"]
    assert_russian(ru["title"], en["title"])


def test_real_answers_titles(client, world):
    """401, 404, 415 and 422 as the routes give them."""
    cases = [
        ("get", "/api/v1/patrols", {}, 401),
        ("get", "/api/v1/patrols/00000000-0000-4000-8000-000000000000", world.auth("coord"), 404),
        ("post", "/api/v1/patrols", world.auth("ranger1"), 415),
    ]
    for method, url, headers, status in cases:
        kwargs = {"data": "x", "content_type": "text/plain"} if method == "post" else {}
        r_en = getattr(client, method)(url, headers={**headers, "Accept-Language": "en"}, **kwargs)
        r_ru = getattr(client, method)(url, headers={**headers, "Accept-Language": "ru"}, **kwargs)
        assert r_en.status_code == r_ru.status_code == status, url
        en, ru = r_en.get_json(), r_ru.get_json()
        assert en["type"] == ru["type"]
        assert_russian(ru["title"], en["title"])


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(["transport", "leader", "members", "count", "found_at", "state"]),
    junk=st.one_of(st.integers(-5, 0), st.text(min_size=1, max_size=8), st.none(), st.booleans()),
)
def test_any_bad_field_is_said_in_both(client, world, field, junk):
    doc = make_report()
    where = doc["features"][1] if field in ("count", "found_at", "state") else doc["features"][0]
    where["properties"][field] = junk if field != "leader" else f"{junk}" * 300 or "x" * 300
    r_en = post_json(client, world, doc, "en")
    r_ru = post_json(client, world, doc, "ru")
    if r_en.status_code != 422:  # the junk was acceptable: stored, then a replay
        assert (r_en.status_code, r_ru.status_code) == (201, 200)
        return
    assert r_ru.status_code == 422
    en, ru = r_en.get_json(), r_ru.get_json()
    assert_same_for_programs(en, ru)
    for e_en, e_ru in zip(en["errors"], ru["errors"], strict=True):
        assert CYRILLIC.search(e_ru["detail"]) and e_ru["detail"] != e_en["detail"]


def test_query_parameter_problems_in_both(client, world):
    query = "from=yesterday&to=2026-13-40T00:00:00Z&limit=0&offset=x&bbox=1,2"
    answers = {}
    for lang in ("en", "ru"):
        headers = {**world.auth("coord"), "Accept-Language": lang}
        r = client.get(f"/api/v1/patrols?{query}", headers=headers)
        assert r.status_code == 422
        answers[lang] = r.get_json()
    en, ru = answers["en"], answers["ru"]
    details = {e["pointer"]: e["detail"] for e in en["errors"]}
    assert (
        details["/limit"]
        == f"must be between 1 and {client.application.config['API_MAX_PAGE_SIZE']}"
    )
    assert details["/offset"] == "must be a whole number"
    assert details["/bbox"] == "give west,south,east,north in degrees"
    assert details["/from"] == "not a date or ISO 8601 time: 'yesterday' is not an ISO 8601 time"
    assert en["detail"] == "The query parameters are not valid."
    assert_said_in_russian(en, ru)


@pytest.mark.parametrize(
    ("report", "pointer"),
    [
        (
            make_report(xy_m=((60000, 60000), (62000, 60000)), finds=((61000, 60000),)),
            "/features/0/geometry/coordinates/0",
        ),
        (make_report(unit="X-99"), "/features/0/properties/unit"),
    ],
)
def test_the_ingest_problems_in_both(client, world, report, pointer):
    """What the store's checks find (a route outside the area, an unknown unit)."""
    r_en = post_json(client, world, report, "en")
    r_ru = post_json(client, world, report, "ru")
    assert r_en.status_code == r_ru.status_code == 422
    en, ru = r_en.get_json(), r_ru.get_json()
    assert en["errors"][0]["pointer"] == pointer
    assert en["detail"].endswith("; nothing was stored.")
    assert_said_in_russian(en, ru)
    assert ru["detail"].endswith("; ничего не сохранено.")


def test_the_error_page_speaks_the_pages_language(client, world, people):  # noqa: F811
    """A page's 403 says its title in the page's language (here the browser's)."""
    assert sign_in(client, "ranger1").status_code == 302
    r_en = client.get("/exports", headers={"Accept-Language": "en"})
    r_ru = client.get("/exports", headers={"Accept-Language": "ru"})
    assert r_en.status_code == r_ru.status_code == 403
    assert "<h1>Not allowed</h1>" in r_en.get_data(as_text=True)
    assert "<h1>Нет доступа</h1>" in r_ru.get_data(as_text=True)
