"""Problems found in an input, each with the RFC 6901 pointer of the place it concerns.

Validation is complete rather than first-error: every problem is collected, so a ranger fixes
a report in one pass. Texts quoted back in a problem are made printable first.
"""

from __future__ import annotations

from patrol.errors import FieldError, ValidationFailed
from patrol.texts import N_

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

    def raise_if_any(self, what: str = N_("report")) -> None:
        """ValidationFailed with every problem noted (``what`` is the input, a message: its
        name is said in the reader's language too)."""
        if not self.items:
            return
        n = len(self.items) + self.more
        if self.more:
            detail = N_(
                "The {what} has {n} problem(s) ({more} more not listed); nothing was stored.",
                what=what,
                n=n,
                more=self.more,
            )
        else:
            detail = N_("The {what} has {n} problem(s); nothing was stored.", what=what, n=n)
        raise ValidationFailed(detail, errors=list(self.items))


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
            return N_("must not contain the control character {char}", char=f"U+{code:04X}")
        if 0xD800 <= code <= 0xDFFF:
            return N_("must not contain a lone surrogate (it is not valid Unicode text)")
    return None
