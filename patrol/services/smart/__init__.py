"""SMART exchange: import SMART patrol XML (legs as patrols, observations, snare finds), the
area's SMART map, and export of stored patrols back to SMART patrol XML.

``ingest`` holds the import use case (``placement`` finds a patrol's area and unit, ``rows``
its rows besides the patrols), ``export`` the export (``documents`` makes each patrol's SMART
document), ``area_map`` the map; ``outcomes`` says what an import did. The names callers use
are re-exported here.
"""

from __future__ import annotations

from patrol.services.smart.area_map import area_map, import_datamodel, set_area_map
from patrol.services.smart.export import export_documents, export_smart, local_window
from patrol.services.smart.ingest import import_smart_file, ingest_smart
from patrol.services.smart.outcomes import (
    FileOutcome,
    ImportCache,
    ImportOptions,
    PatrolOutcome,
    new_cache,
    totals,
)

__all__ = [
    "FileOutcome",
    "ImportCache",
    "ImportOptions",
    "PatrolOutcome",
    "area_map",
    "export_documents",
    "export_smart",
    "import_datamodel",
    "import_smart_file",
    "ingest_smart",
    "local_window",
    "new_cache",
    "set_area_map",
    "totals",
]
