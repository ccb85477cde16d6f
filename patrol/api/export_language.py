"""The language an export is written in: the ``lang`` parameter, else a default per format."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import force_locale, gettext

from patrol.api.params import QueryArgs
from patrol.http import problem_language
from patrol.i18n import ENGLISH, LANGUAGES
from patrol.services.export_words import KEYS, Words
from patrol.services.formats import Formatter
from patrol.web.labels import label, status_text
from patrol.web.report_words import reason_text

__all__ = ["LANG_CHOICES", "export_language", "words_for"]

# ``keys``: the machine-readable column keys; else a language with a catalog.
LANG_CHOICES: tuple[str, ...] = (KEYS, *LANGUAGES)


def export_language(q: QueryArgs, formatter: type[Formatter] | None = None) -> str:
    """``lang`` as asked (a bad one is noted in ``q``: 422 with /lang). Absent, the files
    for programs keep what they always had, the keys (CSV, JSON, GeoJSON, GeoPackage);
    the workbook, for people, speaks the caller's language as its problems do
    (Accept-Language, else the saved preference, else English)."""
    default = problem_language() if formatter is not None and formatter.name == "xlsx" else KEYS
    return q.choice("lang", LANG_CHOICES, default)


@contextmanager
def words_for(lang: str) -> Iterator[Words]:
    """The ``Words`` of ``lang``, good while the block writes the file (gettext and the
    pages' year labels in that language)."""
    if lang == KEYS:
        yield Words(lang)
        return
    if lang == ENGLISH:  # the messages are English; the labels follow the locale, so force it
        with force_locale(ENGLISH):
            yield Words(lang, vocabulary=label)
        return
    with force_locale(lang):
        yield Words(lang, say=gettext, year_label=status_text, vocabulary=label, reason=reason_text)
