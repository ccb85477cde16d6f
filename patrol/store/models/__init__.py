"""Typed SQLAlchemy 2.x models of every stored entity (see docs/data-model.md), one module
per part of the data: areas, people, patrols, the service's records, SMART exchange."""

from __future__ import annotations

from patrol.store.models.areas import (
    LAYER_KINDS,
    AreaBasemap,
    AreaLayer,
    ConservationArea,
    Unit,
    Zone,
)
from patrol.store.models.base import NAMING, Base, user_area, utcnow
from patrol.store.models.patrols import EffortCell, EffortZone, Patrol, PatrolTrack, SnareFind
from patrol.store.models.people import ROLES, ApiToken, LoginFailure, User, UserSession
from patrol.store.models.records import AuditEvent, RecomputeJob
from patrol.store.models.smart import (
    Observation,
    ObservationAttribute,
    SmartAreaMap,
    SmartLeg,
    SmartPatrol,
)

__all__ = [
    "LAYER_KINDS",
    "NAMING",
    "ROLES",
    "ApiToken",
    "AreaBasemap",
    "AreaLayer",
    "AuditEvent",
    "Base",
    "ConservationArea",
    "EffortCell",
    "EffortZone",
    "LoginFailure",
    "Observation",
    "ObservationAttribute",
    "Patrol",
    "PatrolTrack",
    "RecomputeJob",
    "SmartAreaMap",
    "SmartLeg",
    "SmartPatrol",
    "SnareFind",
    "Unit",
    "User",
    "UserSession",
    "Zone",
    "user_area",
    "utcnow",
]
