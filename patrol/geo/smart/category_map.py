"""The SMART category map of an area: which categories are snare finds, and how attributes
become a find's type, count, state and action; which team is which unit; which transport.

Parks name their snare category and its attributes as they like, in several languages, so the
map is data (a small YAML or JSON document per area) with defaults that recognise the common
snare and trap categories and values by key and by English and Russian names.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from patrol.errors import FieldError, ValidationFailed
from patrol.geo.smart.model import SmartAttribute
from patrol.geo.smart.words import (
    ACTION_WORDS,
    COUNT_KEYS,
    FIELD_KEYS,
    STATE_WORDS,
    TRANSPORT_WORDS,
    TYPE_WORDS,
    WordTable,
    looks_like_snare,
    norm_key,
    word,
)
from patrol.texts import N_
from patrol.vocabulary import Action, FindState, FindType, Transport, values

__all__ = [
    "DEFAULT_MAP",
    "CategoryMap",
    "SnareMatch",
    "field_attribute",
    "looks_like_snare",
    "transport_of",
    "validate_map",
]

DEFAULT_MAP: dict[str, Any] = {
    "snare_categories": [],
    "not_snares": [],
    "recognise_snares": True,
    "export_category": "humanactivity.weaponsequipment.snare",
    "teams": {},
    "transports": {},
    "names": {},
}
LIST_KINDS = ("item", "items")


def transport_of(value: str | None, cmap: CategoryMap) -> tuple[str, bool]:
    """patrol's transport for a SMART transport name, and whether it was recognised. An unknown
    one is taken as a vehicle: it then never counts as search effort."""
    if value is None:
        return Transport.VEHICLE, False
    explicit = {k.lower(): v for k, v in cmap.doc.get("transports", {}).items()}
    if value.strip().lower() in explicit:
        return explicit[value.strip().lower()], True
    found = word(TRANSPORT_WORDS, value)
    return (found, True) if found else (Transport.VEHICLE, False)


@dataclass
class SnareMatch:
    type: str
    count: int
    state: str
    action: str
    species: str | None = None
    notes: str | None = None
    warnings: list[str] = field(default_factory=list)


class CategoryMap:
    """An area's map (a plain dict, validated), answering what each observation is."""

    def __init__(self, doc: dict[str, Any] | None = None) -> None:
        merged = copy.deepcopy(DEFAULT_MAP)
        merged.update(copy.deepcopy(doc or {}))
        self.doc = merged
        self._entries = [(norm_key(e["key"]), e) for e in merged["snare_categories"]]
        self._skip = [norm_key(k) for k in merged["not_snares"]]

    @property
    def export_category(self) -> str:
        if self._entries:
            return self._entries[0][1]["key"]
        return self.doc["export_category"]

    def entry_for_export(self) -> dict[str, Any]:
        return self._entries[0][1] if self._entries else {}

    def entry_for(self, key: str) -> dict[str, Any]:
        """The map's entry for a category (or its parent), {} when the defaults apply."""
        norm = norm_key(key)
        return next((e for k, e in self._entries if norm == k or norm.startswith(k + ".")), {})

    def names_of(self, key: str) -> list[str]:
        return list(self.doc.get("names", {}).get(norm_key(key), {}).values())

    def match(self, key: str, attributes: list[SmartAttribute]) -> SnareMatch | str | None:
        """A SnareMatch for a snare category, a warning text for a snare-like category the
        map leaves out, None for any other observation."""
        norm = norm_key(key)

        def under(k: str) -> bool:
            return norm == k or norm.startswith(k + ".")

        entry = next((e for k, e in self._entries if under(k)), None)
        if entry is not None:
            return _snare(entry, attributes)
        if any(under(k) for k in self._skip):
            return None
        if not looks_like_snare(norm, self.names_of(norm)):
            return None
        if self.doc.get("recognise_snares", True):
            found = _snare({}, attributes)
            found.warnings.append(
                f"category '{norm}' was taken as a snare find by the default rules; list it "
                "under snare_categories in the area's SMART map to make that explicit"
            )
            return found
        return (
            f"category '{norm}' looks like snares or traps but the area's SMART map does not "
            "map it: it is kept as an observation only. Add it under snare_categories (or "
            "not_snares) and load the map with 'patrol smart map set FILE'"
        )


def field_attribute(name: str, attributes: list[SmartAttribute]) -> str | None:
    """The key of the attribute the default rules read a snare field from, if any."""
    if name == "count":
        found = next(
            (x for x in attributes if x.kind == "number" and COUNT_KEYS.search(x.key)), None
        )
    else:
        pattern = FIELD_KEYS[name]
        found = next(
            (x for x in attributes if x.kind in LIST_KINDS and pattern.search(x.key)),
            None,
        )
    return found.key if found else None


def _attr(attributes: list[SmartAttribute], key: str | None) -> SmartAttribute | None:
    return next((a for a in attributes if a.key == key), None) if key else None


def _values_text(a: SmartAttribute | None) -> str:
    if a is None:
        return ""
    if a.kind in LIST_KINDS:
        return " ".join(a.items)
    return a.text or ""


def _field(
    spec: dict | None, attributes: list[SmartAttribute], name: str, table: WordTable, default: str
) -> str:
    """A snare field: the map's item for the attribute it names, else the words of that
    attribute's value, else (no attribute named) the words of the attributes, else the default."""
    spec = spec or {}
    a = _attr(attributes, spec.get("attribute"))
    if a is not None and a.kind in LIST_KINDS:
        items = spec.get("items", {})
        for item in a.items:
            if item in items or norm_key(item) in items:
                return items.get(item, items.get(norm_key(item)))
    if a is not None:
        found = word(table, _values_text(a))
        if found:
            return found
    if not spec.get("attribute"):
        pattern = FIELD_KEYS.get(name)
        candidates = [x for x in attributes if x.kind in (*LIST_KINDS, "text")]
        keyed = [x for x in candidates if pattern is not None and pattern.search(x.key)]
        # An attribute named for the field decides it; the others only when none is.
        for x in keyed or candidates:
            found = word(table, _values_text(x))
            if found:
                return found
    return spec.get("default", default)


def _snare(entry: dict[str, Any], attributes: list[SmartAttribute]) -> SnareMatch:
    out = SnareMatch(FindType.OTHER, 1, FindState.ACTIVE, Action.REMOVED)
    out.type = _field(entry.get("type"), attributes, "type", TYPE_WORDS, FindType.OTHER)
    out.state = _field(entry.get("state"), attributes, "state", STATE_WORDS, FindState.ACTIVE)
    out.action = _field(entry.get("action"), attributes, "action", ACTION_WORDS, Action.REMOVED)
    _count(entry.get("count") or {}, attributes, out)
    species_spec = entry.get("species") or {}
    s = _attr(attributes, species_spec.get("attribute"))
    if s is None and not species_spec.get("attribute"):
        s = next(
            (x for x in attributes if x.kind == "item" and FIELD_KEYS["species"].search(x.key)),
            None,
        )
    if s is not None and s.kind == "item":
        out.species = norm_key(s.items[0]).rsplit(".", 1)[-1][:200] or None
    texts = [x.text for x in attributes if x.kind == "text" and x.text]
    out.notes = " / ".join(texts)[:2000] or None
    return out


def _count(spec: dict[str, Any], attributes: list[SmartAttribute], out: SnareMatch) -> None:
    """The snare count from the attribute the map names (or a count-like number), kept within
    1 to 1000 with a warning when it was outside."""
    a = _attr(attributes, spec.get("attribute"))
    if a is None and not spec.get("attribute"):
        a = next((x for x in attributes if x.kind == "number" and COUNT_KEYS.search(x.key)), None)
    if a is not None and a.kind == "number" and a.number is not None:
        count = round(a.number)
        if not 1 <= count <= 1000:
            out.warnings.append(f"snare count {a.number:g} taken as {min(max(count, 1), 1000)}")
        out.count = min(max(count, 1), 1000)


# ---------------------------------------------------------------------------------------------
# Validating a map document

_ALLOWED = {"type": values(FindType), "state": values(FindState), "action": values(Action)}
_SPECS = ("type", "state", "action", "count", "species")


def validate_map(doc: Any) -> dict[str, Any]:
    """A map document checked field by field; ValidationFailed names each problem."""
    if not isinstance(doc, dict):
        raise ValidationFailed(
            N_("A SMART map is an object."), errors=[FieldError("", N_("must be an object"))]
        )
    errors: list[FieldError] = []
    known = set(DEFAULT_MAP)
    for key in sorted(set(doc) - known):
        errors.append(
            FieldError(f"/{key}", N_("unknown; one of {allowed}", allowed=", ".join(sorted(known))))
        )
    cats = doc.get("snare_categories", [])
    if not isinstance(cats, list):
        errors.append(FieldError("/snare_categories", N_("must be a list")))
        cats = []
    for i, entry in enumerate(cats):
        errors += _entry_errors(entry, f"/snare_categories/{i}")
    errors += _table_errors(doc)
    if errors:
        raise ValidationFailed(
            N_("The SMART map is not valid; nothing was changed."), errors=errors
        )
    return doc


def _entry_errors(entry: Any, where: str) -> list[FieldError]:
    """The problems of one snare category entry and its field specs."""
    if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
        return [FieldError(where, N_("needs a 'key' (the SMART category key)"))]
    errors: list[FieldError] = []
    for name in _SPECS:
        spec = entry.get(name)
        if spec is None:
            continue
        if not isinstance(spec, dict):
            errors.append(FieldError(f"{where}/{name}", N_("must be an object")))
        elif name in _ALLOWED:
            errors += _spec_errors(spec, _ALLOWED[name], f"{where}/{name}")
    return errors


def _spec_errors(spec: dict[str, Any], allowed: tuple[str, ...], where: str) -> list[FieldError]:
    errors = [
        FieldError(
            f"{where}/items/{item}",
            N_("'{value}' is not one of {allowed}", value=value, allowed=", ".join(allowed)),
        )
        for item, value in (spec.get("items") or {}).items()
        if value not in allowed
    ]
    if "default" in spec and spec["default"] not in allowed:
        errors.append(
            FieldError(
                f"{where}/default", N_("must be one of {allowed}", allowed=", ".join(allowed))
            )
        )
    return errors


def _table_errors(doc: dict[str, Any]) -> list[FieldError]:
    """The problems of the teams, transports, names and not_snares tables."""
    errors: list[FieldError] = []
    for name in ("teams", "transports", "names"):
        if name in doc and not isinstance(doc[name], dict):
            errors.append(FieldError(f"/{name}", N_("must be an object")))
    for team, unit in (doc.get("teams") or {}).items():
        if not isinstance(unit, str) or not unit:
            errors.append(FieldError(f"/teams/{team}", N_("must be a unit code")))
    transports = values(Transport)
    for name, value in (doc.get("transports") or {}).items():
        if value not in transports:
            errors.append(
                FieldError(
                    f"/transports/{name}",
                    N_("must be one of {allowed}", allowed=", ".join(transports)),
                )
            )
    if "not_snares" in doc and not (
        isinstance(doc["not_snares"], list) and all(isinstance(k, str) for k in doc["not_snares"])
    ):
        errors.append(FieldError("/not_snares", N_("must be a list of category keys")))
    return errors
