"""A park's SMART data model XML read, and an area's category map guessed from it: every
snare-like category mapped with the attributes that look like its type, count, state, action
and species."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from typing import Any

from patrol.errors import FieldError, ValidationFailed
from patrol.geo.smart.category_map import validate_map
from patrol.geo.smart.safe_xml import local_name
from patrol.geo.smart.words import (
    ACTION_WORDS,
    COUNT_KEYS,
    FIELD_KEYS,
    STATE_WORDS,
    TYPE_WORDS,
    WordTable,
    looks_like_snare,
    norm_key,
    word,
)
from patrol.texts import N_

__all__ = ["map_from_datamodel", "parse_datamodel"]


def _names(elem: ET.Element) -> dict[str, str]:
    return {
        (n.get("language_code") or n.get("languageCode") or "?"): n.get("value") or ""
        for n in elem
        if local_name(n.tag) == "names"
    }


def _items(elem: ET.Element, prefix: str = "") -> dict[str, dict[str, str]]:
    """List values and tree nodes (dotted keys for trees) with their names."""
    out: dict[str, dict[str, str]] = {}
    for child in elem:
        name = local_name(child.tag)
        if name in ("values", "tree", "children") and child.get("key"):
            key = f"{prefix}{child.get('key')}"
            out[key] = _names(child)
            out.update(_items(child, key + "."))
    return out


def parse_datamodel(root: ET.Element) -> dict[str, Any]:
    """Categories (dotted keys, names per language, attribute keys) and attributes (type,
    names, list and tree items) of a SMART data model (namespace .../xml/1.1/datamodel)."""
    if local_name(root.tag) != "DataModel" or "smartconservationsoftware.org" not in root.tag:
        raise ValidationFailed(
            N_("The file is not a SMART data model."),
            errors=[
                FieldError(f"/{local_name(root.tag)[:40]}", N_("the root must be <DataModel>"))
            ],
        )
    attributes: dict[str, Any] = {}
    for section in root:
        if local_name(section.tag) == "attributes":
            for a in section:
                if local_name(a.tag) == "attribute" and a.get("key"):
                    attributes[a.get("key")] = {
                        "type": (a.get("type") or "").upper(),
                        "names": _names(a),
                        "items": _items(a),
                    }
    categories: list[dict[str, Any]] = []
    for section in root:
        if local_name(section.tag) == "categories":
            _walk_categories(section, "", categories)
    return {"categories": categories, "attributes": attributes}


def _walk_categories(elem: ET.Element, prefix: str, out: list[dict[str, Any]]) -> None:
    """The categories under ``elem``, depth first, each key dotted under its parent's."""
    for child in elem:
        if local_name(child.tag) not in ("category", "categories"):
            continue
        own = child.get("categoryKey") or child.get("key") or child.get("hkey")
        if own is None:
            _walk_categories(child, prefix, out)
            continue
        key = norm_key(own) if "." in norm_key(own) or not prefix else f"{prefix}.{norm_key(own)}"
        attrs = [
            c.get("attributeKey") or c.get("key")
            for c in child
            if local_name(c.tag) == "attribute" and (c.get("attributeKey") or c.get("key"))
        ]
        out.append({"key": key, "names": _names(child), "attributes": attrs})
        _walk_categories(child, key, out)


def _guess_spec(
    name: str, attr_keys: list[str], attributes: dict[str, Any], table: WordTable
) -> dict[str, Any] | None:
    pattern = FIELD_KEYS[name]
    for key in attr_keys:
        a = attributes.get(key, {})
        texts = [key, *a.get("names", {}).values()]
        if a.get("type") in ("LIST", "MLIST", "TREE") and any(pattern.search(t) for t in texts):
            items = {}
            for item, names in a.get("items", {}).items():
                found = word(table, " ".join([item, *names.values()]))
                if found:
                    items[item] = found
            return {"attribute": key, "items": items}
    return None


def _first_attribute(
    attr_keys: list[str], attributes: dict[str, Any], types: tuple[str, ...], pattern: Any
) -> str | None:
    """The first of a category's attributes of one of ``types`` whose key or a name matches."""
    for key in attr_keys:
        a = attributes.get(key, {})
        texts = [key, *a.get("names", {}).values()]
        if a.get("type") in types and any(pattern.search(t) for t in texts):
            return key
    return None


def _entry(cat: dict[str, Any], attributes: dict[str, Any]) -> dict[str, Any]:
    """The map entry of one snare-like category."""
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
    count = _first_attribute(cat["attributes"], attributes, ("NUMERIC",), COUNT_KEYS)
    if count is not None:
        entry["count"] = {"attribute": count}
    species = _first_attribute(
        cat["attributes"], attributes, ("LIST", "TREE"), FIELD_KEYS["species"]
    )
    if species is not None:
        entry["species"] = {"attribute": species}
    return entry


def map_from_datamodel(datamodel: dict[str, Any], base: dict[str, Any] | None = None) -> dict:
    """An area map made from its data model: every snare-like category (by key or name)
    mapped, with the attributes that look like type, count, state, action and species; names
    of every category kept. Teams, transports and explicit entries of ``base`` are kept."""
    doc = copy.deepcopy(base or {})
    names = doc.setdefault("names", {})
    entries = doc.setdefault("snare_categories", [])
    have = {norm_key(e["key"]) for e in entries}
    for cat in datamodel["categories"]:
        names[cat["key"]] = cat["names"]
        if cat["key"] in have or not looks_like_snare(cat["key"], list(cat["names"].values())):
            continue
        # A child of a mapped snare category is covered by its parent's entry.
        if any(cat["key"].startswith(k + ".") for k in have):
            continue
        entries.append(_entry(cat, datamodel["attributes"]))
        have.add(cat["key"])
    if entries:
        doc["recognise_snares"] = False
    return validate_map(doc)
