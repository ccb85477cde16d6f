"""The command line's language: the POSIX locale, read the way gettext programs read it.

The pages choose a language per request (patrol/i18n.py); a command has no request, no user and
no browser, only its environment: ``LANGUAGE``, then ``LC_ALL``, ``LC_MESSAGES``, ``LANG``. Its
words come from the pages' own catalogs (translations/, through Babel's ``Translations``, so no
app, request or Flask-Babel context is needed: a failed start speaks too; ``--help`` stays
English, docs/i18n.md says why), and a message with values (an ``N_`` Message, a problem's
detail) is said by ``translated``, the function patrol/http.py says the API's problems with.
docs/i18n.md, "The command line".
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import lru_cache
from gettext import NullTranslations
from typing import IO, Any

import click
from babel.numbers import format_decimal, get_decimal_symbol
from babel.support import Translations

from patrol.i18n import ENGLISH, LANGUAGES, TRANSLATIONS
from patrol.texts import N_, translated

__all__ = ["CliError", "cli_language", "echo", "figure", "say"]

# The locale of messages, in POSIX's order of precedence (LC_ALL overrides every category).
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def _with_catalog(name: str, languages: Iterable[str]) -> str | None:
    """The catalog for a locale name (``ru_RU.UTF-8@euro``: ``ru_RU``, then ``ru``), if any."""
    bare = name.split("@")[0].split(".")[0].replace("-", "_")
    known = set(languages)
    for candidate in (bare, bare.split("_")[0].lower()):
        if candidate in known:
            return candidate
    return None


def _is_c(name: str) -> bool:
    return name in ("C", "POSIX") or name.startswith("C.")


def cli_language(environ: Mapping[str, str], languages: Iterable[str] = LANGUAGES) -> str:
    """The language of the command's messages, as GNU gettext chooses it.

    The locale of messages is the first set of LC_ALL, LC_MESSAGES, LANG. When it is C or
    POSIX (C.UTF-8 too), or none is set, the messages are English and LANGUAGE is ignored
    (gettext's rule: the C locale's output is fixed). Otherwise LANGUAGE, a colon-separated
    list, names the languages in order of preference: the first with a catalog; else the
    locale's own language; English when it has no catalog.

    >>> cli_language({"LANG": "ru_RU.UTF-8"}, ["en", "ru"])
    'ru'
    >>> cli_language({"LANG": "C"}, ["en", "ru"]), cli_language({}, ["en", "ru"])
    ('en', 'en')
    >>> cli_language({"LANG": "ru_RU.UTF-8", "LC_ALL": "C.UTF-8"}, ["en", "ru"])
    'en'
    >>> cli_language({"LANG": "de_DE.UTF-8", "LANGUAGE": "uk:ru:en"}, ["en", "ru"])
    'ru'
    >>> cli_language({"LANG": "ru_RU.UTF-8", "LANGUAGE": "en"}, ["en", "ru"])
    'en'
    >>> cli_language({"LANG": "C", "LANGUAGE": "ru"}, ["en", "ru"])
    'en'
    >>> cli_language({"LC_MESSAGES": "de_DE.UTF-8", "LANG": "ru_RU.UTF-8"}, ["en", "ru"])
    'en'
    """
    locale = next((environ[v] for v in LOCALE_VARIABLES if environ.get(v)), "C")
    if _is_c(locale):
        return ENGLISH
    languages = tuple(languages)
    for name in environ.get("LANGUAGE", "").split(":"):
        found = _with_catalog(name, languages) if name else None
        if found:
            return found
    return _with_catalog(locale, languages) or ENGLISH


@lru_cache
def _translations(lang: str) -> NullTranslations:
    """``lang``'s compiled catalog (the .mo `make install` builds), read once per process."""
    return Translations.load(str(TRANSLATIONS), [lang])


def say(text: str) -> str:
    """``text`` in the command's language: a Message's template translated and its values put
    in, as the API says a problem; a plain string looked up as it is. English is the text
    itself, byte for byte. The environment is read at each call (CliRunner sets it per run).
    """
    lang = cli_language(os.environ)
    if lang == ENGLISH:
        return str(text)
    return translated(text, _translations(lang).gettext)


# The Python format specs the commands' figures use: grouping, decimals, fixed or general.
_SPEC = re.compile(r"(?P<grouped>,)?(?:\.(?P<digits>\d+))?(?P<kind>[fg])?")


def figure(value: float, spec: str, lang: str | None = None) -> str:
    """A figure of a message as ``format(value, spec)`` writes it in English (byte for byte
    what the commands always printed), in the language's conventions otherwise: a decimal
    comma, thousands spaced (Babel, as the pages' figures). ``lang`` defaults to the command's.

    >>> figure(1234.567, ",.1f", "en"), figure(1234.567, ",.1f", "ru")
    ('1,234.6', '1\xa0234,6')
    >>> figure(0.3, "g", "ru"), figure(90.0, "g", "ru"), figure(8.0, ".2f", "ru")
    ('0,3', '90', '8,00')
    >>> figure(0.123456, "g", "ru")  # as many digits as English shows
    '0,123456'
    """
    lang = lang or cli_language(os.environ)
    match = _SPEC.fullmatch(spec)
    if lang == ENGLISH or match is None:
        return format(value, spec)
    if match["kind"] == "g":  # Python's significant digits, the language's decimal sign
        return format(value, spec).replace(".", get_decimal_symbol(lang))
    digits = int(match["digits"] or 0)
    pattern = ("#,##0" if match["grouped"] else "0") + ("." + "0" * digits if digits else "")
    # Rounded as Python rounds the float (the English text's figure), then written by Babel.
    return format_decimal(Decimal(f"{value:.{digits}f}"), format=pattern, locale=lang)


def echo(text: str, **kwargs: Any) -> None:
    """``click.echo`` of ``text`` said in the command's language."""
    click.echo(say(text), **kwargs)


class CliError(click.ClickException):
    """A command's failure, said in the command's language, its ``Error:`` too (click's own
    says that word in English whatever the locale)."""

    def __init__(self, message: str) -> None:
        super().__init__(say(message))

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(
            say(N_("Error: {message}", message=self.format_message())),
            file=file,
            err=file is None,
            color=self.show_color,
        )
