"""SMART patrol XML as files: one ``patrols`` document, or a zip of one file per patrol as SMART
exports them, written with SMART's own namespace prefix."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable

from patrol.geo.smart.safe_xml import PATROL_NS

__all__ = ["patrols_document", "patrols_zip", "xml_bytes"]


def xml_bytes(elem: ET.Element) -> bytes:
    """XML with SMART's own prefix (ns2) for its namespace; ElementTree reserves ns<digits>,
    so its ns0 is renamed in tags and the declaration (never in text, where < is escaped)."""
    raw = ET.tostring(elem, encoding="utf-8", xml_declaration=True)
    raw = re.sub(rb"<(/?)ns0:", rb"<\1ns2:", raw)
    return raw.replace(b" xmlns:ns0=", b" xmlns:ns2=", 1)


def patrols_document(patrols: Iterable[ET.Element]) -> bytes:
    """One ``patrols`` document holding every patrol element."""
    root = ET.Element(f"{{{PATROL_NS}}}patrols")
    for elem in patrols:
        root.append(elem)
    return xml_bytes(root)


def patrols_zip(patrols: Iterable[tuple[str, ET.Element]]) -> bytes:
    """A zip of one file per patrol, named by its id (characters unsafe in a name as ``_``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for smart_id, elem in patrols:
            safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in smart_id)
            zf.writestr(f"{safe}.xml", xml_bytes(elem))
    return out.getvalue()
