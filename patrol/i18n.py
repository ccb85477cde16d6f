"""The pages' language: which one a request gets, and Babel's formats in it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from babel.support import Translations
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel, get_locale

__all__ = [
    "COOKIE",
    "ENGLISH",
    "LANGUAGES",
    "TRANSLATIONS",
    "choose_language",
    "current_language",
    "date_text",
    "datetime_text",
    "init_app",
    "js_catalog",
    "month_names",
    "number",
    "percent",
]

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
ENGLISH = "en"
# English (the messages' own language) and every language with a catalog in translations/:
# a new language is a new .po file, nothing more.
LANGUAGES: tuple[str, ...] = (
    ENGLISH,
    *sorted(
        p.parent.parent.name
        for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")
        if p.parent.parent.name != ENGLISH
    ),
)
# The language picked before sign-in (or by a signed-out reader) lives in this cookie.
COOKIE = "patrol_lang"


def choose_language(
    preference: str | None,
    cookie: str | None,
    accept: Iterable[tuple[str, float]] | None,
    area_default: str | None,
) -> str:
    """The language of a page, in the issue's order: the signed-in user's saved preference,
    the switch's cookie (the same explicit choice, made before signing in), the browser's
    Accept-Language, the conservation area's default, else English.

    >>> choose_language(None, None, [("de", 1.0), ("ru", 0.8)], "en")
    'ru'
    >>> choose_language("en", "ru", [("ru", 1.0)], "ru")
    'en'
    >>> choose_language(None, None, [("de", 1.0)], "ru")
    'ru'
    >>> choose_language(None, None, None, None)
    'en'
    """
    for explicit in (preference, cookie):
        if explicit in LANGUAGES:
            return explicit
    for tag, _quality in sorted(accept or (), key=lambda pair: -pair[1]):
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    if area_default in LANGUAGES:
        return area_default
    return ENGLISH


def _select_locale() -> str:
    """Flask-Babel's locale selector: the request's language, worked out once per request."""
    if "patrol_language" not in g:
        hooks = current_app.extensions.get("patrol_language_hooks", {})
        preference = hooks["preference"]() if "preference" in hooks else None
        area_default = hooks["area_default"]() if "area_default" in hooks else None
        g.patrol_language = choose_language(
            preference,
            request.cookies.get(COOKIE),
            [(tag, q) for tag, q in request.accept_languages],
            area_default,
        )
    return g.patrol_language


def current_language() -> str:
    """The language of the page being made (English outside a request)."""
    if not has_request_context():
        return ENGLISH
    return str(get_locale() or ENGLISH)


def init_app(app: Flask) -> None:
    """Flask-Babel over translations/ (the .mo files `make install` compiles)."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", ENGLISH)
    Babel(app, locale_selector=_select_locale)
    app.extensions.setdefault("patrol_language_hooks", {})
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES,
        LANGUAGE_NAMES=_OwnNames(),
        current_language=current_language,
    )
    app.jinja_env.filters.update(
        number=number, percent=percent, date_text=date_text, datetime_text=datetime_text
    )


class _OwnNames(Mapping[str, str]):
    """Each language's name in itself, looked up when a page first shows the switch: Babel's
    data of every language is ~45 ms, which making the app for a command need not pay."""

    def __getitem__(self, lang: str) -> str:
        if lang not in LANGUAGES:
            raise KeyError(lang)
        return _own_name(lang)

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)


@cache
def _own_name(lang: str) -> str:
    """A language's name in itself, as a switch shows it: ``English``, ``Русский``."""
    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:]


def js_catalog(lang: str) -> dict[str, str]:
    """Every translated message of ``lang`` (msgid -> msgstr), for the pages' scripts: the same
    catalog as the templates', so one .po file holds a language."""
    translations = Translations.load(str(TRANSLATIONS), [lang])
    catalog = getattr(translations, "_catalog", {})
    return {k: v for k, v in catalog.items() if isinstance(k, str) and k and v}


def number(value: float | int | None, digits: int = 0) -> str:
    """A number in the reader's conventions (``1 234,5`` in Russian); '–' for none."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    # Rounded as Python's own formats round the float (2.345 is 2.35 there, not Babel's 2.34).
    rounded = Decimal(f"{value:.{digits}f}")
    return format_decimal(rounded, format=pattern, locale=current_language())


def percent(value: float | None, digits: int = 1) -> str:
    """A signed change in per cent (``+12,5 %`` in Russian), '–' for none."""
    if value is None:
        return "–"
    sign = "+" if value > 0 else ""
    return (
        sign + format_decimal(value, format="0." + "0" * digits, locale=current_language()) + " %"
    )


def date_text(value: date | str | None) -> str:
    """A day in the reader's conventions (``25.11.2026`` in Russian, ``Nov 25, 2026``)."""
    if value is None:
        return "–"
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    lang = current_language()
    return format_date(day, format="medium" if lang == ENGLISH else "short", locale=lang)


def datetime_text(value: datetime | str | None, tz: str | None = None) -> str:
    """A moment in the area's time zone, in the reader's conventions (``25.11.2026 16:20``)."""
    if value is None:
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if tz:
        value = value.astimezone(ZoneInfo(tz))
    return date_text(value.date()) + " " + format_time(value, "short", locale=current_language())


def month_names(lang: str | None = None, width: str = "abbreviated") -> list[str]:
    """January..December in the reader's language (stand-alone forms: ``янв.``, ``Jan``)."""
    names = Locale.parse(lang or current_language()).months["stand-alone"][width]
    return [names[m] for m in range(1, 13)]
