"""Typed values of SMART patrol XML, each bad one noted as a problem at its pointer: the XML
attributes (dates, times, numbers, flags) and the value of an observation's attribute."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, time

import numpy as np

from patrol.geo.problems import Problems
from patrol.geo.smart.model import SmartAttribute
from patrol.geo.smart.safe_xml import local_name
from patrol.texts import N_

__all__ = ["ValueReader"]

# The value elements of an observation's attribute, and the kind each makes (in the order a
# "mixes value kinds" problem names them).
_VALUE_ELEMENTS = {"itemKey": "items", "dValue": "number", "bValue": "boolean", "sValue": "text"}


class ValueReader:
    """Reads typed values, adding a problem (and answering None) for each one that is wrong."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems

    def attr(self, elem: ET.Element, name: str, where: str, required: bool = False) -> str | None:
        value = elem.get(name)
        if value is None and required:
            self.problems.add(f"{where}/@{name}", N_("is required"))
        return value

    def date_attr(
        self, elem: ET.Element, name: str, where: str, required: bool = False
    ) -> date | None:
        value = self.attr(elem, name, where, required)
        if value is None:
            return None
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            self.problems.add(
                f"{where}/@{name}", N_("'{value}' is not a date (YYYY-MM-DD)", value=value[:40])
            )
            return None

    def time_attr(self, elem: ET.Element, name: str, where: str) -> time | None:
        value = elem.get(name)
        if value is None:
            return None
        try:
            return time.fromisoformat(value.strip())
        except ValueError:
            self.problems.add(
                f"{where}/@{name}", N_("'{value}' is not a time (HH:MM:SS)", value=value[:40])
            )
            return None

    def float_attr(
        self, elem: ET.Element, name: str, where: str, required: bool = False
    ) -> float | None:
        value = self.attr(elem, name, where, required)
        if value is None:
            return None
        return self._number(value, f"{where}/@{name}")

    def bool_attr(self, elem: ET.Element, name: str, where: str) -> bool | None:
        value = elem.get(name)
        if value is None:
            return None
        if value.strip().lower() not in ("true", "false", "1", "0"):
            self.problems.add(
                f"{where}/@{name}", N_("'{value}' is not true or false", value=value[:20])
            )
            return None
        return value.strip().lower() in ("true", "1")

    def _number(self, text: str, pointer: str) -> float | None:
        try:
            number = float(text)
        except ValueError:
            self.problems.add(pointer, N_("'{text}' is not a number", text=text[:40]))
            return None
        if not np.isfinite(number):
            self.problems.add(pointer, N_("must be a finite number"))
            return None
        return number

    # -- an observation's attribute

    def attribute(self, elem: ET.Element, where: str) -> SmartAttribute | None:
        """An ``attributes`` element: one kind of value (items, or a single number, flag or
        text), or none at all."""
        key = self.attr(elem, "attributeKey", where, required=True)
        found = self._values(elem, where)
        if found is None or key is None:
            return None
        kinds = [kind for kind, texts in found.items() if texts]
        if len(kinds) > 1:
            self.problems.add(where, N_("mixes value kinds ({allowed})", allowed=", ".join(kinds)))
            return None
        if not kinds:
            return SmartAttribute(key, "empty")
        texts = found[kinds[0]]
        if kinds[0] == "items":
            return SmartAttribute(key, "item" if len(texts) == 1 else "items", items=texts)
        if len(texts) > 1:
            self.problems.add(where, N_("has more than one value"))
            return None
        return self._single(key, kinds[0], texts[0], where)

    def _values(self, elem: ET.Element, where: str) -> dict[str, list[str]] | None:
        """The texts of an attribute's value elements by kind; None (a problem) for an element
        that is no value."""
        found: dict[str, list[str]] = {kind: [] for kind in _VALUE_ELEMENTS.values()}
        for child in elem:
            name = local_name(child.tag)
            kind = _VALUE_ELEMENTS.get(name)
            if kind is None:
                self.problems.add(f"{where}/{name[:40]}", N_("unknown attribute value element"))
                return None
            text = child.text or ""
            found[kind].append(text if kind == "text" else text.strip())
        return found

    def _single(self, key: str, kind: str, text: str, where: str) -> SmartAttribute | None:
        if kind == "number":
            number = self._number(text, f"{where}/dValue")
            return None if number is None else SmartAttribute(key, "number", number=number)
        if kind == "boolean":
            if text.lower() not in ("true", "false"):
                self.problems.add(
                    f"{where}/bValue", N_("'{text}' is not true or false", text=text[:20])
                )
                return None
            return SmartAttribute(key, "boolean", boolean=text.lower() == "true")
        return SmartAttribute(key, "text", text=text)
