"""Column types of the store: aware UTC times on every backend, JSON documents kept as text.

Members of a patrol, the audit trail's before/after states, SMART attribute items and the
SMART documents, zone and area geometries are JSON in ``TEXT`` columns (SQLite has no JSON type
and PostgreSQL's ``json`` would buy nothing here: nothing queries inside them). Before this
type every reader called ``json.loads`` on the text by hand, in seventeen places; now the
attribute holds the decoded value and the type writes it back as text.

Routes and vertex times are not here: they are the bulk of the data and have their own compact
codec (``geo/packed_route.py``, binary columns).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

__all__ = ["JSONDocument", "UTCDateTime", "json_text"]


def json_text(value: Any) -> str:
    """The text a ``JSONDocument`` column stores for ``value``: equal values give equal text, so
    it is the key of caches by content (an area's grid by its boundary).

    >>> json_text({"b": [1, 2], "a": "Бикин"})
    '{"a": "Бикин", "b": [1, 2]}'
    """
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


class JSONDocument(sa.types.TypeDecorator):
    """A JSON value stored as text: ``None`` is SQL NULL, anything else its JSON text.

    Keys are sorted and non-ASCII text kept as is, so that equal documents store equal text
    (the audit trail compares them) and Cyrillic names stay readable in the database. Values
    JSON has no type for (dates, decimals) are written as their ``str``.
    """

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else json_text(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


class UTCDateTime(sa.types.TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite keeps no offset: store UTC, read back UTC)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)
