"""Each family of the routes' and services' problems in both languages: the same request with
``Accept-Language: ru`` and ``en`` gets the same type, status and pointers, and each detail in
Russian is the Russian catalog's own translation of the English message (read from the .po
file here, not through the app), with none of the English template's words left in it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.api.test_problems_i18n import CYRILLIC, KEPT
from tests.api.test_web_security import people, sign_in  # noqa: F401
from tests.conftest import make_report

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def catalog() -> dict[str, str]:
    with open(ROOT / "translations/ru/LC_MESSAGES/messages.po", "rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id and isinstance(m.id, str)}


RU = catalog()


def _pattern(template: str) -> re.Pattern:
    parts = PLACEHOLDER.split(template)
    # split gives text, name, text, name, ...: names become named groups (each once).
    out, seen = [], set()
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(re.escape(part))
        elif part in seen:
            out.append(f"(?P={part})")
        else:
            seen.add(part)
            out.append(f"(?P<{part}>.+?)")
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def template_of(english: str) -> tuple[str, dict[str, str]]:
    """The catalog's message the English text was made from, and the values put in it (the
    most specific template when several fit)."""
    fits = []
    for msgid in RU:
        m = _pattern(msgid).match(english)
        if m:
            fits.append((len(PLACEHOLDER.sub("", msgid)), msgid, m.groupdict()))
    assert fits, f"no message of the catalog reads {english!r}"
    _, msgid, values = max(fits)
    return msgid, values


def russian_of(english: str) -> str:
    """The Russian the catalog gives for ``english``: its template's translation with the
    values put in, values that are messages themselves in Russian too."""
    if english in RU and not PLACEHOLDER.search(english):
        return RU[english]
    msgid, values = template_of(english)
    said = {
        k: RU.get(v, v) if v in RU and not PLACEHOLDER.search(v) else v for k, v in values.items()
    }
    for k, v in values.items():  # a value that is a sentence with its own values
        if v not in RU and any(_pattern(t).match(v) for t in RU if PLACEHOLDER.search(t)):
            said[k] = russian_of(v)
    return RU[msgid].format(**said)


def assert_in_russian(english: str, russian: str) -> None:
    """``russian`` is the catalog's translation of ``english``, and no word of the English
    template is left in it (values and the JSON's own names may be)."""
    assert russian != english
    assert CYRILLIC.search(russian), russian
    assert russian == russian_of(english)
    msgid, _ = template_of(english) if english not in RU else (english, {})
    # Element names (<patrol>) are the file's own words, like the JSON's names.
    words = (
        set(LATIN_WORD.findall(re.sub(r"<\w+>", " ", PLACEHOLDER.sub(" ", msgid))))
        - KEPT
        - {"SMART", "RFC", "PATCH", "DTD"}
    )
    left = {w for w in words if re.search(rf"(?<![A-Za-z]){w}(?![A-Za-z])", russian)}
    assert not left, (russian, left)


def both(client, method: str, url: str, headers: dict | None = None, **kwargs):
    answers = {}
    for lang in ("en", "ru"):
        h = {**(headers or {}), "Accept-Language": lang}
        answers[lang] = getattr(client, method)(url, headers=h, **kwargs)
    return answers["en"], answers["ru"]


def assert_problem_in_both(r_en, r_ru, status: int) -> tuple[dict, dict]:
    assert r_en.status_code == r_ru.status_code == status, r_en.get_json()
    en, ru = r_en.get_json(), r_ru.get_json()
    for key in set(en) | set(ru):
        if key not in ("title", "detail", "errors"):
            assert en[key] == ru[key], key
    assert [e["pointer"] for e in en.get("errors", [])] == [
        e["pointer"] for e in ru.get("errors", [])
    ]
    assert_in_russian(en["title"], ru["title"])
    assert_in_russian(en["detail"], ru["detail"])
    for e_en, e_ru in zip(en.get("errors", []), ru.get("errors", []), strict=True):
        assert_in_russian(e_en["detail"], e_ru["detail"])
    return en, ru


def test_an_area_not_found(client, world):
    r_en, r_ru = both(client, "get", "/api/v1/patrols?area=nowhere", world.auth("coord"))
    en, ru = assert_problem_in_both(r_en, r_ru, 404)
    assert en["detail"] == "No conservation area 'nowhere' among yours."
    assert ru["detail"] == "Среди ваших охраняемых территорий нет «nowhere»."


def test_forbidden(client, world):
    url = "/api/v1/units/T-02/targets"
    en, _ru = assert_problem_in_both(*both(client, "get", url, world.auth("ranger1")), 403)
    assert en["detail"] == "Rangers see their own unit's targets."


def test_a_stale_correction_conflicts(client, world):
    doc = make_report()
    r = client.post("/api/v1/patrols", json=doc, headers=world.auth("ranger1"))
    assert r.status_code == 201
    pid = doc["features"][0]["id"]
    url = f"/api/v1/patrols/{pid}"
    r_en, r_ru = both(
        client, "patch", url, world.auth("coord"), json={"revision": 7, "leader": "X"}
    )
    en, _ru = assert_problem_in_both(r_en, r_ru, 409)
    assert en["detail"] == f"Patrol {pid} is at revision 1, not 7: reload it and edit again."
    # Nothing changed: still revision 1, the leader as sent.
    stored = client.get(url, headers=world.auth("coord")).get_json()
    assert stored["features"][0]["properties"]["revision"] == 1


SMART_NS = b'xmlns="http://www.smartconservationsoftware.org/xml/1.3/patrol"'


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (
            b'<?xml version="1.0"?><nope ' + SMART_NS + b"/>",
            422,
            "The file is XML but not a SMART patrol export.",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE patrol [<!ENTITY e "x">]><patrol '
            + SMART_NS
            + b">&e;</patrol>",
            400,
            "The SMART file declares a DTD or entities, which are refused (DTDForbidden).",
        ),
        (
            b'<?xml version="1.0"?><patrol ' + SMART_NS + b' id="' + b"x" * 20000 + b'"/>',
            400,
            "The SMART file has an attribute 'id' of 20000 characters (at most 10000).",
        ),
    ],
)
def test_smart_xml_problems(client, world, body, status, detail):
    r_en, r_ru = both(
        client,
        "post",
        "/api/v1/patrols?unit=T-01",
        world.auth("coord"),
        data=body,
        content_type="application/xml",
    )
    en, ru = assert_problem_in_both(r_en, r_ru, status)
    assert en["detail"] == detail
    # The name of the input is said in Russian too (a message put into a message).
    assert RU["SMART file"] in ru["detail"] or status == 422


def test_an_ogc_parameter_problem(client, world):
    url = "/ogc/collections/test-area-finds/items?limit=0&f=json"
    en, _ru = assert_problem_in_both(*both(client, "get", url, world.auth("coord")), 400)
    limit = client.application.config["API_MAX_PAGE_SIZE"]
    assert en["errors"] == [{"pointer": "/limit", "detail": f"a whole number from 1 to {limit}"}]
    url = "/ogc/collections/test-area-finds/items?colour=red"
    en, _ru = assert_problem_in_both(*both(client, "get", url, world.auth("coord")), 400)
    assert "'colour' is not a parameter of this resource" in [e["detail"] for e in en["errors"]]


@pytest.mark.parametrize("day", ["2026-13-40", "2026-02-30", "2026-00-01"])
def test_a_malformed_date_is_our_own_problem(client, world, day):
    """``date.fromisoformat``'s own English ("month must be in 1..12") never reaches anyone."""
    url = f"/api/v1/patrols?from={day}"
    en, ru = assert_problem_in_both(*both(client, "get", url, world.auth("coord")), 422)
    (error,) = en["errors"]
    assert error == {
        "pointer": "/from",
        "detail": f"not a date or ISO 8601 time: '{day}' is not a date (YYYY-MM-DD)",
    }
    assert "must be" not in ru["errors"][0]["detail"]


def test_a_failed_sign_in(client, world, people):  # noqa: F811
    """A bad token (the API) and a wrong password (the sign-in page), in both languages."""
    bad = {"Authorization": "Bearer pt_not-a-token"}
    en, _ru = assert_problem_in_both(*both(client, "get", "/api/v1/patrols", bad), 401)
    assert en["detail"] == "The token is unknown or revoked."
    pages = {}
    for lang in ("en", "ru"):
        client.set_cookie("patrol_lang", lang)
        r = sign_in(client, "coord", password="wrong password")
        assert r.status_code == 401
        pages[lang] = r.get_data(as_text=True)
    assert "Wrong username or password." in pages["en"]
    assert RU["Wrong username or password."] in pages["ru"]
    assert "Wrong username or password." not in pages["ru"]


def test_the_audit_trail_in_russian(client, world):
    doc = make_report()
    assert (
        client.post("/api/v1/patrols", json=doc, headers=world.auth("ranger1")).status_code == 201
    )
    pid = doc["features"][0]["id"]
    h = world.auth("coord")
    assert (
        client.patch(
            f"/api/v1/patrols/{pid}", json={"revision": 1, "leader": "Petrov"}, headers=h
        ).status_code
        == 200
    )
    trails = {}
    for lang in ("en", "ru"):
        r = client.get(f"/api/v1/patrols/{pid}", headers={**h, "Accept-Language": lang})
        trails[lang] = r.get_json()["audit"]
    created_en, changed_en = (e["sentence"] for e in trails["en"])
    created_ru, changed_ru = (e["sentence"] for e in trails["ru"])
    assert created_en.startswith("Ranger ranger1 submitted the patrol (unit T-01, ")
    assert created_ru.startswith("Инспектор ranger1 отправил рейд (группа T-01, ")
    assert "changed the leader from " in changed_en and " to Petrov on " in changed_en
    assert changed_ru.startswith("Координатор coord изменил старшего: ")
    assert "→ Petrov " in changed_ru
    for sentence in (created_ru, changed_ru):
        left = set(LATIN_WORD.findall(sentence)) - {"ranger", "coord", "Petrov", "Leader", "T"}
        assert not left, sentence
    # Everything else of the trail is the same for programs.
    strip = lambda t: [{k: v for k, v in e.items() if k != "sentence"} for e in t]  # noqa: E731
    assert strip(trails["en"]) == strip(trails["ru"])


# ---------------------------------------------------------------------------------------------
# No problem is raised with English that cannot be translated.


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """PatrolError and every class that derives from it anywhere in patrol/."""
    known = {"PatrolError"}
    grew = True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in known:
                    bases = {
                        b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                        for b in node.bases
                    }
                    if bases & known:
                        known.add(node.name)
                        grew = True
    return known


def _literal_text(node: ast.AST) -> bool:
    """A string written in place (a literal, an f-string, or one put together with +)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(node.value)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _literal_text(node.left) or _literal_text(node.right)
    if isinstance(node, ast.IfExp):
        return _literal_text(node.body) or _literal_text(node.orelse)
    return False


def untranslatable_raises(root: Path) -> list[str]:
    trees = {p: ast.parse(p.read_text(), str(p)) for p in sorted(root.rglob("*.py"))}
    errors = ROOT / "patrol" / "errors.py"
    classes = _error_classes({**trees, errors: ast.parse(errors.read_text())})
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            call = node.exc
            name = (
                call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
            )
            if name not in classes:
                continue
            details = call.args[:1] + [k.value for k in call.keywords if k.arg == "detail"]
            if any(_literal_text(d) for d in details):
                found.append(
                    f"{path.relative_to(root.parent)}:{node.lineno}: {ast.unparse(call)[:90]}"
                )
    return found


def test_no_error_is_raised_with_a_plain_english_string():
    """``raise NotFound("...")`` cannot be said in Russian: write ``NotFound(N_("..."))``."""
    assert untranslatable_raises(ROOT / "patrol") == []


def test_the_check_finds_what_it_looks_for(tmp_path):
    """The check above is not vacuous: it sees each way of writing a plain string."""
    pkg = tmp_path / "patrol"
    pkg.mkdir()
    (pkg / "a.py").write_text(
        "from patrol.errors import NotFound, PatrolError\n"
        "class Mine(NotFound): pass\n"
        "class Theirs(Mine): pass\n"
        "def f(x):\n"
        "    if x == 1: raise NotFound('gone')\n"
        "    if x == 2: raise Theirs(f'no {x}')\n"
        "    if x == 3: raise Mine(detail='a' + str(x))\n"
        "    if x == 4: raise NotFound(N_('fine {x}', x=x))\n"
        "    if x == 5: raise ValueError('not ours')\n"
        "    raise Mine()\n"
    )
    assert [line.split(":")[1] for line in untranslatable_raises(pkg)] == ["5", "6", "7"]


def test_werkzeugs_own_answers(client, world):
    """An unknown address and a method an address does not take: Werkzeug's words, said."""
    en, _ru = assert_problem_in_both(*both(client, "get", "/api/v1/no-such-thing"), 404)
    assert en["title"] == "Not Found"
    en, _ru = assert_problem_in_both(*both(client, "put", "/api/v1/session"), 405)
    assert en["title"] == "Method Not Allowed"
