"""The pages' language: the catalogs are complete, the language is chosen in the issue's order
(preference, switch, Accept-Language, area default, English), the switch keeps the choice, and
the scripts' catalog and formats follow it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po

from patrol import i18n
from patrol.store.models import ConservationArea, User
from patrol.vocabulary import (
    Action,
    FindState,
    FindType,
    HotspotClass,
    Role,
    Transport,
    TrendCategory,
)
from tests.api.test_web_security import PASSWORD, csrf_of, people, sign_in  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
PYFORMAT = re.compile(r"%\((\w+)\)[sd]")
JSFORMAT = re.compile(r"\{(\w+)\}")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> list:
    """Every translatable message of the pages, extracted afresh by pybabel (not the .pot in
    the repo, which could be stale)."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_", "-k", "lazy_gettext", "-k", "ngettext:1,2", "-k", "N_", "--no-location",
         "-o", str(pot),
         "patrol", "templates", "static/js"],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as fh:
        return [m for m in read_po(fh) if m.id]


def catalog(lang: str):
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh)


def placeholders(text: str) -> set[str]:
    return set(PYFORMAT.findall(text)) | set(JSFORMAT.findall(text))


def test_extraction_finds_the_pages_scripts_and_python(extracted):
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in extracted}
    assert "Save and send" in ids  # templates/report.html
    assert "Waiting for a connection" in ids  # static/js/report.js
    assert "Under-patrolled" in ids  # patrol/web/labels.py
    assert len(ids) > 300


@pytest.mark.parametrize("lang", [lang for lang in i18n.LANGUAGES if lang != i18n.ENGLISH])
def test_every_message_is_translated_with_the_same_placeholders(extracted, lang):
    entries = {m.id: m for m in catalog(lang) if m.id}
    problems = []
    for message in extracted:
        entry = entries.get(message.id)
        if entry is None:
            problems.append(("missing", message.id))
            continue
        if entry.fuzzy:
            problems.append(("fuzzy", message.id))
        forms = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        if not all(forms):
            problems.append(("empty", message.id))
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        wanted = set().union(*(placeholders(i) for i in ids))
        for form in forms:
            # Plural forms may leave the number out ("a grid cell"), never add a name.
            got = placeholders(form)
            if got - wanted or (isinstance(message.id, str) and got != wanted):
                problems.append(("placeholders", message.id, form))
    assert problems == []


def test_the_english_catalog_holds_every_message(extracted):
    entries = {m.id for m in catalog("en") if m.id}
    assert [m.id for m in extracted if m.id not in entries] == []


def test_every_vocabulary_value_has_a_label_in_each_language(app):
    from patrol.web.labels import LABELS, labels_for

    for kind in (Role, Transport, FindType, FindState, Action, HotspotClass, TrendCategory):
        assert set(LABELS[kind]) == {str(v) for v in kind}, kind
    with app.test_request_context():
        ru = labels_for("ru")
    assert ru["Transport"]["foot"] == "Пешком"
    assert ru["HotspotClass"]["under_patrolled"] != "Under-patrolled"


# -- The choice -----------------------------------------------------------------------------


def test_choice_order_of_the_pure_function():
    accept = [("de", 1.0), ("ru", 0.5)]
    assert i18n.choose_language("en", "ru", accept, "ru") == "en"  # preference first
    assert i18n.choose_language(None, "en", [("ru", 1.0)], "ru") == "en"  # then the switch
    assert i18n.choose_language(None, None, accept, "en") == "ru"  # then Accept-Language
    assert i18n.choose_language(None, None, [("de", 1.0)], "ru") == "ru"  # then the area
    assert i18n.choose_language(None, None, [("fr", 1.0)], None) == "en"  # then English
    assert i18n.choose_language(None, None, [("ru-RU", 1.0)], None) == "ru"
    assert i18n.choose_language("xx", "yy", [], None) == "en"  # unknown codes never win


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def set_area_default(app, slug: str, lang: str | None) -> None:
    from patrol.db import get_session

    with app.app_context():
        s = get_session()
        s.execute(
            sa.update(ConservationArea)
            .where(ConservationArea.slug == slug)
            .values(default_language=lang)
        )
        s.commit()


def test_without_any_choice_the_pages_are_english(client, world):
    r = client.get("/login")
    assert html_lang(r) == "en" and "Sign in" in r.get_data(as_text=True)


def test_accept_language_chooses(client, world):
    r = client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    html = r.get_data(as_text=True)
    assert html_lang(r) == "ru" and "Войти" in html and "Sign in" not in html
    r = client.get("/login", headers={"Accept-Language": "de, fr;q=0.8"})
    assert html_lang(r) == "en"


def test_area_default_applies_after_accept_language(app, client, world, people):  # noqa: F811
    set_area_default(app, "test-area", "ru")
    # Before sign-in: the only area with a default speaks for the server.
    assert html_lang(client.get("/login", headers={"Accept-Language": "de"})) == "ru"
    assert html_lang(client.get("/login", headers={"Accept-Language": "en"})) == "en"
    assert sign_in(client, "coord").status_code == 302
    assert html_lang(client.get("/exports", headers={"Accept-Language": "de"})) == "ru"
    # Another area's default does not speak for a user of this one.
    set_area_default(app, "test-area", None)
    set_area_default(app, "other-area", "ru")
    assert html_lang(client.get("/exports", headers={"Accept-Language": "de"})) == "en"


def test_switch_before_sign_in_sets_a_cookie(client, world):
    token = csrf_of(client)
    r = client.post("/language", data={"lang": "ru", "next": "/login", "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    assert i18n.COOKIE + "=ru" in r.headers["Set-Cookie"]
    # The switch wins over the browser's language.
    r = client.get("/login", headers={"Accept-Language": "en"})
    assert html_lang(r) == "ru"
    # Never an open redirect, never an unknown language.
    r = client.post("/language", data={"lang": "ru", "next": "//evil.example", "csrf_token": token})
    assert "evil" not in r.headers["Location"]
    assert client.post("/language", data={"lang": "xx", "csrf_token": token}).status_code == 400


def test_switch_signed_in_saves_the_preference(app, client, world, people):  # noqa: F811
    from patrol.db import get_session

    assert sign_in(client, "ranger1").status_code == 302
    token = csrf_of(client, "/report")
    client.post("/language", data={"lang": "ru", "next": "/report", "csrf_token": token})
    with app.app_context():
        assert (
            get_session().scalar(sa.select(User.language).where(User.username == "ranger1")) == "ru"
        )
    # The preference wins over Accept-Language and over a cookie of another choice, on a new
    # device too (a fresh client with no cookie).
    other = app.test_client()
    assert sign_in(other, "ranger1").status_code == 302
    other.set_cookie(i18n.COOKIE, "en")
    r = other.get("/report", headers={"Accept-Language": "en"})
    html = r.get_data(as_text=True)
    assert html_lang(r) == "ru" and "Сохранить и отправить" in html
    assert "Save and send" not in html


def test_the_switch_is_on_every_page(client, world, people):  # noqa: F811
    html = client.get("/login").get_data(as_text=True)
    assert 'action="/language"' in html and 'value="ru"' in html and "Русский" in html
    assert sign_in(client, "coord").status_code == 302
    for path in ("/map", "/report", "/exports", "/methods"):
        html = client.get(path).get_data(as_text=True)
        assert 'action="/language"' in html, path


def test_the_scripts_catalog_is_the_po_catalog(client, world):
    r = client.get("/i18n/ru.js")
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    body = r.get_data(as_text=True)
    assert '"Waiting for a connection": "Ждёт связи"' in body
    assert '"left_in_place": "Оставлена на месте"' in body  # the vocabulary's labels
    assert client.get("/i18n/xx.js").status_code == 404
    again = client.get("/i18n/ru.js", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_the_service_worker_keeps_the_catalogs():
    sw = (ROOT / "static" / "js" / "sw.js").read_text()
    for lang in i18n.LANGUAGES:
        assert f'"/i18n/{lang}.js"' in sw


def test_formats_follow_the_language(app):
    from datetime import UTC, date, datetime

    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert i18n.current_language() == "ru"
        assert i18n.number(12345.5, 1) == "12\xa0345,5"
        assert i18n.date_text(date(2026, 11, 25)) == "25.11.2026"
        moment = datetime(2026, 11, 25, 6, 20, tzinfo=UTC)
        assert i18n.datetime_text(moment, "Asia/Vladivostok") == "25.11.2026 16:20"
        assert i18n.month_names()[0].lower().startswith("янв")
    with app.test_request_context():
        assert i18n.number(12345.5, 1) == "12,345.5"
        assert i18n.month_names()[0] == "Jan"


def test_every_script_message_reaches_the_catalog():
    """pybabel's JavaScript reader skips a _() nested in another's arguments: every _("...")
    of the scripts must still be in the catalog (or the page shows it in English)."""
    entries = {m.id for m in catalog("ru") if m.id}
    literal = re.compile(r'\b_\("((?:[^"\\]|\\.)*)"')
    missing = []
    for path in sorted((ROOT / "static" / "js").glob("*.js")):
        for text in literal.findall(path.read_text()):
            message = json.loads(f'"{text}"')  # a JS string's escapes are JSON's here
            if message not in entries:
                missing.append((path.name, message))
    assert missing == []
