"""Problems found in an input, each with the RFC 6901 pointer of the place it concerns.

Validation is complete rather than first-error: every problem is collected, so a ranger fixes
a report in one pass. Texts quoted back in a problem are made printable first.
"""

from __future__ import annotations

from patrol.errors import FieldError, ValidationFailed

__all__ = ["MAX_ERRORS", "Problems", "printable", "text_problem"]

MAX_ERRORS = 50


class Problems:
    """Collects field errors, keeping the first MAX_ERRORS and counting the rest.

    >>> problems = Problems()
    >>> problems.add("/features/0/properties/unit", "is required")
    >>> bool(problems), problems.has("/features/0/properties/unit"), problems.has("/type")
    (True, True, False)
    """

    def __init__(self) -> None:
        self.items: list[FieldError] = []
        self.more = 0

    def add(self, pointer: str, detail: str) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(FieldError(pointer, detail))
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.items)

    def has(self, pointer: str) -> bool:
        """Whether a problem was noted at ``pointer`` already."""
        return any(item.pointer == pointer for item in self.items)

    def raise_if_any(self, what: str = "report") -> None:
        if self.items:
            extra = f" ({self.more} more not listed)" if self.more else ""
            raise ValidationFailed(
                f"The {what} has {len(self.items) + self.more} problem(s){extra}; "
                "nothing was stored.",
                errors=list(self.items),
            )


def printable(text: str) -> str:
    """``text`` safe to quote back in a message: control characters and lone surrogates
    escaped (a problem that echoes them would itself fail to encode or store).

    >>> printable("snare\\x00 A")
    'snare\\\\x00 A'
    """
    return "".join(
        c if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF else repr(c)[1:-1] for c in text
    )


def text_problem(value: str) -> str | None:
    """Why a text cannot be stored, or None: NUL (PostgreSQL refuses it), other control
    characters but tab and line breaks, and lone surrogates (they cannot be written as UTF-8).

    >>> text_problem("two\\tcolumns") is None
    True
    >>> text_problem("bell\\x07")
    'must not contain the control character U+0007'
    """
    for c in value:
        code = ord(c)
        if code < 32 and c not in "\t\n\r":
            return f"must not contain the control character U+{code:04X}"
        if 0xD800 <= code <= 0xDFFF:
            return "must not contain a lone surrogate (it is not valid Unicode text)"
    return None
