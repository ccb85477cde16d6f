"""SMART patrol XML (the Spatial Monitoring and Reporting Tool's patrol export), read and written.

A SMART patrol has legs (one transport each, members, mandate), legs have days (times, rest,
the day's track as hex EWKB whose Z holds each point's time), days have waypoints whose groups
carry observations (a category key from the park's data model and typed attributes). Reading
is pure and complete (``read``, into the dataclasses of ``model``); ``reports`` makes patrol
reports of a patrol, ``write`` and ``package`` write it back, ``category_map`` and
``datamodel`` say which observations are snare finds.

SMART writes no time zone: dates, times and the track's time values are the park's wall clock.
They stay naive here; the service gives them the area's time zone (``to_reports``).
"""

from __future__ import annotations

from patrol.geo.smart.model import (
    SmartAttribute,
    SmartDay,
    SmartLeg,
    SmartMember,
    SmartObservation,
    SmartPatrol,
    SmartWaypoint,
    plain_document,
)
from patrol.geo.smart.read import parse_smart_patrols
from patrol.geo.smart.reports import SMART_NAMESPACE, SmartReports, leg_patrol_id, to_reports
from patrol.geo.smart.safe_xml import PATROL_NS, is_smart_patrol, parse_xml
from patrol.geo.smart.track import epoch_to_wall_ms, track_from_wkb, track_to_wkb
from patrol.geo.smart.write import write_smart_patrol

__all__ = [
    "PATROL_NS",
    "SMART_NAMESPACE",
    "SmartAttribute",
    "SmartDay",
    "SmartLeg",
    "SmartMember",
    "SmartObservation",
    "SmartPatrol",
    "SmartReports",
    "SmartWaypoint",
    "epoch_to_wall_ms",
    "is_smart_patrol",
    "leg_patrol_id",
    "parse_smart_patrols",
    "parse_xml",
    "plain_document",
    "to_reports",
    "track_from_wkb",
    "track_to_wkb",
    "write_smart_patrol",
]
