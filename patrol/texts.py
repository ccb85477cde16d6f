"""Messages a person reads, kept as template and values so they can be said in their language.

Pure (no Flask, no Babel): geo/ and the services build messages with ``N_``; patrol/http.py
says them in the reader's language when it renders a problem (docs/i18n.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["N_", "Message", "either", "listed", "translated"]


class Message(str):
    """An English text that remembers its template and values.

    It *is* the English string (``detail == "must be at most 64 characters"`` holds), so code
    and tests reading a detail see exactly what they saw before; a translator gets the template.

    >>> m = N_("must be at most {limit} characters", limit=64)
    >>> m, m.template, m.params
    ('must be at most 64 characters', 'must be at most {limit} characters', {'limit': 64})
    """

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, params: dict[str, Any] | None = None) -> Message:
        params = params or {}
        text = template.format(**params) if params else template
        message = super().__new__(cls, text)
        message.template = template
        message.params = params
        return message

    def __reduce__(self) -> tuple[Any, ...]:
        return (Message, (self.template, self.params))


def N_(template: str, **params: Any) -> Message:
    """Mark ``template`` for extraction (``pybabel extract -k N_``) and fill in its values.

    >>> N_("is required")
    'is required'
    """
    return Message(template, params)


def listed(parts: list[str], last: str | None = None) -> Message:
    """``a, b`` (``a, b and c`` with ``last``) as one Message whose parts are said in the
    reader's language (the template is only commas and placeholders: nothing to translate).

    >>> listed(["x", N_("y")], N_("z"))
    'x, y and z'
    """
    values = {f"p{i}": part for i, part in enumerate(parts)}
    items = Message(", ".join(f"{{p{i}}}" for i in range(len(parts))), values)
    return items if last is None else N_("{items} and {last}", items=items, last=last)


def either(parts: list[str]) -> Message:
    """``a or b``, ``a, b or c``: choices in a message, their ``or`` said in the reader's
    language.

    >>> either(["LineString", "MultiLineString"]), either(["admin"])
    ('LineString or MultiLineString', 'admin')
    """
    if len(parts) < 2:
        return Message("{p0}", {"p0": parts[0] if parts else ""})
    return N_("{items} or {last}", items=listed(parts[:-1]), last=parts[-1])


def translated(text: str, gettext: Callable[[str], str]) -> str:
    """``text`` in the language ``gettext`` speaks: a Message's template translated, then its
    values put in (values that are messages themselves translated too); a plain string looked
    up as it is (a class's title, say). A translation whose placeholders do not fit falls back
    to the English text rather than failing the answer.

    >>> words = {"is required: one of {allowed}": "обязательно: одно из {allowed}"}
    >>> say = lambda s: words.get(s, s)
    >>> translated(N_("is required: one of {allowed}", allowed="a, b"), say)
    'обязательно: одно из a, b'
    >>> translated("unknown", say)
    'unknown'
    """
    if not isinstance(text, Message):
        return gettext(text) if text else text
    if not text.params:
        return gettext(text.template)
    values = {
        k: translated(v, gettext) if isinstance(v, Message) else v for k, v in text.params.items()
    }
    try:
        return gettext(text.template).format(**values)
    except (KeyError, IndexError, ValueError):
        return str(text)
