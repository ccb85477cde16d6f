"""The SMART category map of an area: which categories are snare finds, and how attributes
become a find's type, count, state and action; which team is which unit; which transport.

Parks name their snare category and its attributes as they like, in several languages, so the
map is data (a small YAML or JSON document per area) with defaults that recognise the common
snare and trap categories and values by key and by English and Russian names.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from patrol.errors import FieldError, ValidationFailed
from patrol.geo.report import ACTIONS, STATES, TRANSPORTS, TYPES

__all__ = [
    "DEFAULT_MAP",
    "CategoryMap",
    "SnareMatch",
    "field_attribute",
    "looks_like_snare",
    "map_from_datamodel",
    "parse_datamodel",
    "transport_of",
    "validate_map",
]

#: Words (in keys and in English or Russian names) that make a category a snare or trap one.
SNARE_WORDS = re.compile(
    r"snare|trap|petl|kapkan|silok|silk|lovush|петл|капкан|ловушк|силок|силк", re.IGNORECASE
)
# Value words, most specific first ("inactive" before "active", "leghold" before "trap").
TYPE_WORDS = [
    ("leghold", r"leg.?hold|foot.?hold|jaw|kapkan|капкан"),
    ("cable", r"cable|steel|tros|трос"),
    ("wire", r"wire|provolo|проволо"),
    ("rope", r"rope|nylon|string|twine|verev|верёв|верев|шнур"),
    ("pit", r"\bpit|yama|\bям"),
]
STATE_WORDS = [
    ("inactive", r"inactive|neaktiv|old|rust|неактив|старая|старый|ржав"),
    ("triggered", r"trigger|sprung|srabot|сработ"),
    ("active", r"activ|aktiv|\bset\b|working|актив|рабоч|настор"),
]
ACTION_WORDS = [
    ("destroyed", r"destroy|unichtozh|уничтож"),
    ("left_in_place", r"left|in.?place|ostavl|оставл"),
    ("marked", r"mark|pomech|otmech|помеч|отмеч"),
    ("removed", r"remov|confiscat|collect|seiz|snyat|izyat|снят|изъят|убран"),
]
TRANSPORT_WORDS = [
    ("ski", r"ski|лыж"),
    ("foot", r"foot|walk|hik|пеш"),
    ("motorbike", r"motor.?bike|motorcycle|quad|atv|snowmobile|мото|снегоход|квадро"),
    ("boat", r"boat|canoe|kayak|ship|лодк|катер"),
    ("vehicle", r"vehicle|car\b|truck|auto|jeep|4x4|air|plane|heli|автомоб|машин|вертол"),
]
COUNT_KEYS = re.compile(r"count|number|num|qty|quant|kolich|колич|число|кол-во", re.IGNORECASE)
FIELD_KEYS = {
    "type": re.compile(r"type|kind|тип|вид.?(петл|ловуш)", re.IGNORECASE),
    "state": re.compile(r"state|status|condition|состоян|статус", re.IGNORECASE),
    "action": re.compile(r"action|действ|мер", re.IGNORECASE),
    "species": re.compile(r"species|animal|вид\b|животн", re.IGNORECASE),
}

DEFAULT_MAP: dict[str, Any] = {
    "snare_categories": [],
    "not_snares": [],
    "recognise_snares": True,
    "export_category": "humanactivity.weaponsequipment.snare",
    "teams": {},
    "transports": {},
    "names": {},
}


def _word(table: list[tuple[str, str]], text: str) -> str | None:
    for value, pattern in table:
        if re.search(pattern, text, re.IGNORECASE):
            return value
    return None


def looks_like_snare(key: str, names: list[str] = ()) -> bool:
    """A snare or trap category, by its key or any of its names (English, Russian)."""
    return bool(SNARE_WORDS.search(key) or any(SNARE_WORDS.search(n) for n in names))


def _norm(key: str) -> str:
    return key.strip().strip(".")


def transport_of(value: str | None, cmap: CategoryMap) -> tuple[str, bool]:
    """patrol's transport for a SMART transport name, and whether it was recognised. An unknown
    one is taken as a vehicle: it then never counts as search effort."""
    if value is None:
        return "vehicle", False
    explicit = {k.lower(): v for k, v in cmap.doc.get("transports", {}).items()}
    if value.strip().lower() in explicit:
        return explicit[value.strip().lower()], True
    found = _word(TRANSPORT_WORDS, value)
    return (found, True) if found else ("vehicle", False)


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
        self._entries = [(_norm(e["key"]), e) for e in merged["snare_categories"]]
        self._skip = [_norm(k) for k in merged["not_snares"]]

    @property
    def export_category(self) -> str:
        if self._entries:
            return self._entries[0][1]["key"]
        return self.doc["export_category"]

    def entry_for_export(self) -> dict[str, Any]:
        return self._entries[0][1] if self._entries else {}

    def entry_for(self, key: str) -> dict[str, Any]:
        """The map's entry for a category (or its parent), {} when the defaults apply."""
        norm = _norm(key)
        return next((e for k, e in self._entries if norm == k or norm.startswith(k + ".")), {})

    def names_of(self, key: str) -> list[str]:
        return list(self.doc.get("names", {}).get(_norm(key), {}).values())

    def match(self, key: str, attributes: list) -> SnareMatch | str | None:
        """A SnareMatch for a snare category, a warning text for a snare-like category the
        map leaves out, None for any other observation."""
        norm = _norm(key)

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


def field_attribute(name: str, attributes: list) -> str | None:
    """The key of the attribute the default rules read a snare field from, if any."""
    if name == "count":
        found = next(
            (x for x in attributes if x.kind == "number" and COUNT_KEYS.search(x.key)), None
        )
    else:
        pattern = FIELD_KEYS[name]
        found = next(
            (x for x in attributes if x.kind in ("item", "items") and pattern.search(x.key)),
            None,
        )
    return found.key if found else None


def _attr(attributes: list, key: str | None):
    return next((a for a in attributes if a.key == key), None) if key else None


def _values_text(a) -> str:
    if a is None:
        return ""
    if a.kind in ("item", "items"):
        return " ".join(a.items)
    return a.text or ""


def _field(spec: dict | None, attributes: list, name: str, table, default: str, out: SnareMatch):
    spec = spec or {}
    a = _attr(attributes, spec.get("attribute"))
    if a is not None and a.kind in ("item", "items"):
        items = spec.get("items", {})
        for item in a.items:
            if item in items or _norm(item) in items:
                return items.get(item, items.get(_norm(item)))
    if a is not None:
        found = _word(table, _values_text(a))
        if found:
            return found
    if not spec.get("attribute"):
        pattern = FIELD_KEYS.get(name)
        candidates = [x for x in attributes if x.kind in ("item", "items", "text")]
        keyed = [x for x in candidates if pattern is not None and pattern.search(x.key)]
        # An attribute named for the field decides it; the others only when none is.
        for x in keyed or candidates:
            found = _word(table, _values_text(x))
            if found:
                return found
    return spec.get("default", default)


def _snare(entry: dict[str, Any], attributes: list) -> SnareMatch:
    out = SnareMatch("other", 1, "active", "removed")
    out.type = _field(entry.get("type"), attributes, "type", TYPE_WORDS, "other", out)
    out.state = _field(entry.get("state"), attributes, "state", STATE_WORDS, "active", out)
    out.action = _field(entry.get("action"), attributes, "action", ACTION_WORDS, "removed", out)
    count_spec = entry.get("count") or {}
    a = _attr(attributes, count_spec.get("attribute"))
    if a is None and not count_spec.get("attribute"):
        a = next((x for x in attributes if x.kind == "number" and COUNT_KEYS.search(x.key)), None)
    if a is not None and a.kind == "number" and a.number is not None:
        count = round(a.number)
        if not 1 <= count <= 1000:
            out.warnings.append(f"snare count {a.number:g} taken as {min(max(count, 1), 1000)}")
        out.count = min(max(count, 1), 1000)
    species_spec = entry.get("species") or {}
    s = _attr(attributes, species_spec.get("attribute"))
    if s is None and not species_spec.get("attribute"):
        s = next(
            (x for x in attributes if x.kind == "item" and FIELD_KEYS["species"].search(x.key)),
            None,
        )
    if s is not None and s.kind == "item":
        out.species = _norm(s.items[0]).rsplit(".", 1)[-1][:200] or None
    texts = [x.text for x in attributes if x.kind == "text" and x.text]
    out.notes = " / ".join(texts)[:2000] or None
    return out


# ---------------------------------------------------------------------------------------------
# Validating a map document


def validate_map(doc: Any) -> dict[str, Any]:
    """A map document checked field by field; ValidationFailed names each problem."""
    errors: list[FieldError] = []
    if not isinstance(doc, dict):
        raise ValidationFailed(
            "A SMART map is an object.", errors=[FieldError("", "must be an object")]
        )
    known = set(DEFAULT_MAP)
    for key in sorted(set(doc) - known):
        errors.append(FieldError(f"/{key}", f"unknown; one of {', '.join(sorted(known))}"))
    cats = doc.get("snare_categories", [])
    if not isinstance(cats, list):
        errors.append(FieldError("/snare_categories", "must be a list"))
        cats = []
    allowed = {"type": TYPES, "state": STATES, "action": ACTIONS}
    for i, entry in enumerate(cats):
        where = f"/snare_categories/{i}"
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            errors.append(FieldError(where, "needs a 'key' (the SMART category key)"))
            continue
        for name in ("type", "state", "action", "count", "species"):
            spec = entry.get(name)
            if spec is None:
                continue
            if not isinstance(spec, dict):
                errors.append(FieldError(f"{where}/{name}", "must be an object"))
                continue
            if name in allowed:
                for item, value in (spec.get("items") or {}).items():
                    if value not in allowed[name]:
                        errors.append(
                            FieldError(
                                f"{where}/{name}/items/{item}",
                                f"'{value}' is not one of {', '.join(allowed[name])}",
                            )
                        )
                if "default" in spec and spec["default"] not in allowed[name]:
                    errors.append(
                        FieldError(
                            f"{where}/{name}/default", f"must be one of {', '.join(allowed[name])}"
                        )
                    )
    for name in ("teams", "transports", "names"):
        if name in doc and not isinstance(doc[name], dict):
            errors.append(FieldError(f"/{name}", "must be an object"))
    for team, unit in (doc.get("teams") or {}).items():
        if not isinstance(unit, str) or not unit:
            errors.append(FieldError(f"/teams/{team}", "must be a unit code"))
    for name, value in (doc.get("transports") or {}).items():
        if value not in TRANSPORTS:
            errors.append(
                FieldError(f"/transports/{name}", f"must be one of {', '.join(TRANSPORTS)}")
            )
    if "not_snares" in doc and not (
        isinstance(doc["not_snares"], list) and all(isinstance(k, str) for k in doc["not_snares"])
    ):
        errors.append(FieldError("/not_snares", "must be a list of category keys"))
    if errors:
        raise ValidationFailed("The SMART map is not valid; nothing was changed.", errors=errors)
    return doc


# ---------------------------------------------------------------------------------------------
# The data model XML


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _names(elem: ET.Element) -> dict[str, str]:
    return {
        (n.get("language_code") or n.get("languageCode") or "?"): n.get("value") or ""
        for n in elem
        if _local(n.tag) == "names"
    }


def _items(elem: ET.Element, prefix: str = "") -> dict[str, dict[str, str]]:
    """List values and tree nodes (dotted keys for trees) with their names."""
    out: dict[str, dict[str, str]] = {}
    for child in elem:
        name = _local(child.tag)
        if name in ("values", "tree", "children") and child.get("key"):
            key = f"{prefix}{child.get('key')}"
            out[key] = _names(child)
            out.update(_items(child, key + "."))
    return out


def parse_datamodel(root: ET.Element) -> dict[str, Any]:
    """Categories (dotted keys, names per language, attribute keys) and attributes (type,
    names, list and tree items) of a SMART data model (namespace .../xml/1.1/datamodel)."""
    if _local(root.tag) != "DataModel" or "smartconservationsoftware.org" not in root.tag:
        raise ValidationFailed(
            "The file is not a SMART data model.",
            errors=[FieldError(f"/{_local(root.tag)[:40]}", "the root must be <DataModel>")],
        )
    attributes: dict[str, Any] = {}
    categories: list[dict[str, Any]] = []
    for section in root:
        if _local(section.tag) == "attributes":
            for a in section:
                if _local(a.tag) == "attribute" and a.get("key"):
                    attributes[a.get("key")] = {
                        "type": (a.get("type") or "").upper(),
                        "names": _names(a),
                        "items": _items(a),
                    }

    def walk(elem: ET.Element, prefix: str) -> None:
        for child in elem:
            if _local(child.tag) not in ("category", "categories"):
                continue
            own = child.get("categoryKey") or child.get("key") or child.get("hkey")
            if own is None:
                walk(child, prefix)
                continue
            key = _norm(own) if "." in _norm(own) or not prefix else f"{prefix}.{_norm(own)}"
            attrs = [
                c.get("attributeKey") or c.get("key")
                for c in child
                if _local(c.tag) == "attribute" and (c.get("attributeKey") or c.get("key"))
            ]
            categories.append({"key": key, "names": _names(child), "attributes": attrs})
            walk(child, key)

    for section in root:
        if _local(section.tag) == "categories":
            walk(section, "")
    return {"categories": categories, "attributes": attributes}


def _guess_spec(name: str, attr_keys: list[str], attributes: dict, table) -> dict | None:
    pattern = FIELD_KEYS[name]
    for key in attr_keys:
        a = attributes.get(key, {})
        texts = [key, *a.get("names", {}).values()]
        if a.get("type") in ("LIST", "MLIST", "TREE") and any(pattern.search(t) for t in texts):
            items = {}
            for item, names in a.get("items", {}).items():
                found = _word(table, " ".join([item, *names.values()]))
                if found:
                    items[item] = found
            return {"attribute": key, "items": items}
    return None


def map_from_datamodel(datamodel: dict[str, Any], base: dict[str, Any] | None = None) -> dict:
    """An area map made from its data model: every snare-like category (by key or name)
    mapped, with the attributes that look like type, count, state, action and species; names
    of every category kept. Teams, transports and explicit entries of ``base`` are kept."""
    doc = copy.deepcopy(base or {})
    names = doc.setdefault("names", {})
    entries = doc.setdefault("snare_categories", [])
    have = {_norm(e["key"]) for e in entries}
    attributes = datamodel["attributes"]
    for cat in datamodel["categories"]:
        names[cat["key"]] = cat["names"]
        if cat["key"] in have or not looks_like_snare(cat["key"], list(cat["names"].values())):
            continue
        # A child of a mapped snare category is covered by its parent's entry.
        if any(cat["key"].startswith(k + ".") for k in have):
            continue
        entry: dict[str, Any] = {"key": cat["key"]}
        name = cat["names"].get("en") or next(iter(cat["names"].values()), None)
        if name:
            entry["name"] = name
        for field_name, table in (
            ("type", TYPE_WORDS),
            ("state", STATE_WORDS),
            ("action", ACTION_WORDS),
        ):
            spec = _guess_spec(field_name, cat["attributes"], attributes, table)
            if spec:
                entry[field_name] = spec
        for key in cat["attributes"]:
            a = attributes.get(key, {})
            texts = [key, *a.get("names", {}).values()]
            if a.get("type") == "NUMERIC" and any(COUNT_KEYS.search(t) for t in texts):
                entry["count"] = {"attribute": key}
                break
        for key in cat["attributes"]:
            a = attributes.get(key, {})
            texts = [key, *a.get("names", {}).values()]
            if a.get("type") in ("LIST", "TREE") and any(
                FIELD_KEYS["species"].search(t) for t in texts
            ):
                entry["species"] = {"attribute": key}
                break
        entries.append(entry)
        have.add(cat["key"])
    if entries:
        doc["recognise_snares"] = False
    return validate_map(doc)
