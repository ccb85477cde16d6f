"""Untrusted SMART XML parsed safely, SMART's patrol namespace, and the tag helpers of readers."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse as safe_iterparse

from patrol.errors import MalformedInput
from patrol.texts import N_

__all__ = [
    "MAX_DEPTH",
    "MAX_TEXT",
    "PATROL_NS",
    "PATROL_NS_RE",
    "is_smart_patrol",
    "local_name",
    "namespace_of",
    "parse_xml",
]

#: The namespace patrol writes; any 1.x patrol namespace is read.
PATROL_NS = "http://www.smartconservationsoftware.org/xml/1.3/patrol"
PATROL_NS_RE = re.compile(r"^http://www\.smartconservationsoftware\.org/xml/1\.\d+/patrol$")

MAX_DEPTH = 32  # a SMART patrol nests 9 deep; anything far deeper is hostile or not SMART
MAX_TEXT = 10_000  # characters of any text or attribute but a track's geometry


def local_name(tag: str) -> str:
    """A tag without its ``{namespace}``.

    >>> local_name("{http://www.smartconservationsoftware.org/xml/1.3/patrol}legs")
    'legs'
    """
    return tag.rsplit("}", 1)[-1]


def namespace_of(tag: str) -> str:
    """A tag's namespace, '' when it has none.

    >>> namespace_of("{urn:x}patrol"), namespace_of("patrol")
    ('urn:x', '')
    """
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def is_smart_patrol(head: bytes) -> bool:
    """Whether a file's first bytes look like SMART patrol XML."""
    return b"smartconservationsoftware.org/xml/" in head[:4096] and b"/patrol" in head[:4096]


def parse_xml(data: bytes, what: str = N_("SMART file")) -> ET.Element:
    """Parse untrusted XML: no DTD (so no entity expansion and no external entity), no network,
    bounded depth and text. Refusals are MalformedInput with a plain reason."""
    if not data.strip():
        raise MalformedInput(N_("The {what} is empty.", what=what))
    depth = 0
    root = None
    try:
        for event, elem in safe_iterparse(
            io.BytesIO(data),
            events=("start", "end"),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        ):
            if event == "start":
                depth += 1
                root = elem if root is None else root
                _check_start(elem, depth, what)
            else:
                depth -= 1
                _check_end(elem, what)
    except DefusedXmlException as exc:
        raise MalformedInput(
            N_(
                "The {what} declares a DTD or entities, which are refused ({error}).",
                what=what,
                error=type(exc).__name__,
            )
        ) from None
    except ET.ParseError as exc:
        raise MalformedInput(
            N_("The {what} is not well-formed XML: {reason}", what=what, reason=str(exc)[:200])
        ) from None
    assert root is not None
    return root


def _check_start(elem: ET.Element, depth: int, what: str) -> None:
    """An element as it opens: not too deep, no attribute too long (a track's geometry is)."""
    if depth > MAX_DEPTH:
        raise MalformedInput(
            N_(
                "The {what} nests elements more than {limit} deep; a SMART patrol nests 9.",
                what=what,
                limit=MAX_DEPTH,
            )
        )
    for name, value in elem.attrib.items():
        if len(value) > MAX_TEXT and not name.endswith("geom"):
            raise MalformedInput(
                N_(
                    "The {what} has an attribute '{name}' of {count} characters (at most {limit}).",
                    what=what,
                    name=local_name(name)[:40],
                    count=len(value),
                    limit=MAX_TEXT,
                )
            )


def _check_end(elem: ET.Element, what: str) -> None:
    """An element as it closes (its text is whole only then): no text too long."""
    if elem.text and len(elem.text) > MAX_TEXT:
        raise MalformedInput(
            N_(
                "The {what} has a text of {count} characters in <{tag}> (at most {limit}).",
                what=what,
                count=len(elem.text),
                tag=local_name(elem.tag)[:40],
                limit=MAX_TEXT,
            )
        )
