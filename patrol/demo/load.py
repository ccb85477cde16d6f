"""Load the demo conservation area, its users and a simulated year of patrols (idempotent)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.demo.area import build_area
from patrol.demo.build import AREA_SEED, DATA
from patrol.demo.simulate import SimulationSettings, simulate_patrols
from patrol.geo.geojson_report import parse_geojson_report
from patrol.services import areas, audit, auth, layers
from patrol.services.patrols import ingest_report
from patrol.store.engine import write
from patrol.store.models import ApiToken, AuditEvent, ConservationArea, User
from patrol.vocabulary import LayerKind, Role

__all__ = ["DEMO_SLUG", "DEMO_USERS", "load_demo"]

log = logging.getLogger(__name__)

DEMO_SLUG = "demo-primorye"
# The audit action that marks a simulation as loaded (its settings are the event's "after").
LOAD_ACTION = "demo-load"
# Demo logins: fixed so that every `make run` can print them. The demo refuses to run in
# production (see cli.demo), so these never guard real data.
DEMO_USERS = [
    # username, role, unit, password, token
    ("admin", Role.ADMIN, None, "demo-admin", "ptl_demo_admin_0000000000000000"),
    ("coordinator", Role.COORDINATOR, None, "demo-coordinator", "ptl_demo_coordinator_000000000"),
    ("ngo", Role.NGO, None, "demo-ngo", "ptl_demo_ngo_00000000000000000000"),
    ("ranger07", Role.RANGER, "MU-07", "demo-ranger", "ptl_demo_ranger07_00000000000000"),
]


@dataclass
class DemoSummary:
    """What a load did: whether it made the area, and how many patrols were new or there."""

    created_area: bool
    patrols_created: int
    patrols_present: int  # -1: the same simulation was loaded before, nothing was checked


def _ensure_users(session: so.Session) -> None:
    with write(session):
        for username, role, unit, password, token in DEMO_USERS:
            user = session.scalar(sa.select(User).where(User.username == username))
            if user is None:
                user = auth.create_user(
                    session, username, role, password, unit, None if unit else [DEMO_SLUG]
                )
            user.demo = True  # its password and token are published: refused in production
            if role == Role.RANGER and user.language is None:
                user.language = "ru"  # the demo park's rangers read Russian (issue 12)
            digest = auth.hash_token(token)
            if session.scalar(sa.select(ApiToken.id).where(ApiToken.token_hash == digest)) is None:
                session.add(ApiToken(user=user, token_hash=digest, prefix=token[:12], name="demo"))


def _create_area(session: so.Session, data: Path) -> ConservationArea:
    """The demo area with its zones, units and orientation layers, from data/demo/."""
    with write(session):
        area = areas.create_area(
            session,
            DEMO_SLUG,
            "Demo area, southern Primorsky Krai (synthetic)",
            json.loads((data / "area.geojson").read_text()),
            cell_km=1.0,
            timezone="Asia/Vladivostok",
            synthetic=True,
        )
        area.default_language = "ru"  # the demo park is in Primorye: its pages speak Russian
    areas.replace_zones(session, area, (data / "zones.geojson").read_bytes())
    areas.import_units(session, area, (data / "units.geojson").read_bytes())
    for kind in (LayerKind.ROADS, LayerKind.SETTLEMENTS):
        layers.import_layer(session, area, kind, (data / f"{kind}.geojson").read_bytes())
    return area


def _loaded_before(session: so.Session, settings: SimulationSettings) -> bool:
    """Whether this very simulation was loaded already (the audit trail says so)."""
    done = session.scalar(
        sa.select(AuditEvent.id).where(
            AuditEvent.action == LOAD_ACTION,
            AuditEvent.entity_id == DEMO_SLUG,
            AuditEvent.after == asdict(settings),
        )
    )
    return done is not None


def _ingest_patrols(
    session: so.Session,
    settings: SimulationSettings,
    progress: Callable[[int, int], None] | None,
) -> tuple[int, int]:
    """Simulate the patrols and ingest each: (how many were new, how many in all)."""
    reports = list(simulate_patrols(build_area(AREA_SEED), settings))
    contexts: dict = {}
    made = 0
    for k, doc in enumerate(reports):
        result = ingest_report(session, None, parse_geojson_report(doc), contexts=contexts)
        made += result.created
        if progress and (k + 1) % 250 == 0:
            progress(k + 1, len(reports))
    return made, len(reports)


def load_demo(
    session: so.Session,
    settings: SimulationSettings | None = None,
    data: Path = DATA,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Create the demo area from data/demo/ and ingest its simulated patrols, once.

    Re-running adds only what is missing: patrols are matched by their (deterministic) ids.
    """
    settings = settings or SimulationSettings()
    area = session.scalar(sa.select(ConservationArea).where(ConservationArea.slug == DEMO_SLUG))
    created = area is None
    if created:
        area = _create_area(session, data)
    _ensure_users(session)
    if _loaded_before(session, settings):
        # This simulation is loaded already; simulating it again only to find every patrol
        # stored would take a while on each `make run`.
        return DemoSummary(created, 0, -1)
    made, total = _ingest_patrols(session, settings, progress)
    with write(session):
        audit.record(
            session,
            user_id=None,
            area_id=area.id,
            action=LOAD_ACTION,
            entity="area",
            entity_id=DEMO_SLUG,
            after=asdict(settings),
        )
    return DemoSummary(created, made, total - made)
