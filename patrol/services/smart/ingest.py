"""Importing SMART patrol XML: each patrol of a file stored (all its legs, finds and
observations in one transaction), replayed, updated or rejected on its own."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import Conflict, FieldError, PatrolError, ValidationFailed
from patrol.geo.smart import SmartPatrol, SmartReports, parse_smart_patrols, to_reports
from patrol.geo.smart.model import plain_document
from patrol.services import audit
from patrol.services.auth import Principal
from patrol.services.ingest_steps import context_for, current_zones, measure_report, store_report
from patrol.services.measure import AreaContext
from patrol.services.smart.outcomes import FileOutcome, ImportCache, ImportOptions, PatrolOutcome
from patrol.services.smart.placement import place
from patrol.services.smart.rows import (
    delete_legs,
    is_own_export,
    leg_documents,
    leg_summaries,
    store_observations,
)
from patrol.store.engine import write
from patrol.store.models import ConservationArea, Patrol, SmartLeg, Unit, utcnow
from patrol.store.models import SmartPatrol as SmartPatrolRow
from patrol.texts import N_
from patrol.vocabulary import Role

__all__ = ["import_smart_file", "ingest_smart"]


def import_smart_file(
    session: so.Session,
    principal: Principal | None,
    name: str,
    data: bytes,
    opts: ImportOptions,
    cache: ImportCache | None = None,
    on_patrol: Callable[[PatrolOutcome], Any] | None = None,
) -> FileOutcome:
    """Every patrol of one file, each stored, replayed or rejected on its own; a file that
    cannot be read is rejected whole. Never raises a PatrolError."""
    cache = cache or ImportCache()
    outcome = FileOutcome(name)
    try:
        parsed = parse_smart_patrols(data, opts.limits)
    except PatrolError as exc:
        outcome.problem = exc
        return outcome
    for item in parsed:
        if isinstance(item, PatrolError):
            pointer = item.errors[0].pointer.split("/legs")[0] if item.errors else "/patrol"
            outcome.patrols.append(
                PatrolOutcome(smart_id=None, status="rejected", pointer=pointer, problem=item)
            )
        else:
            try:
                outcome.patrols.append(ingest_smart(session, principal, item, opts, cache))
            except PatrolError as exc:
                session.rollback()
                outcome.patrols.append(
                    PatrolOutcome(
                        smart_id=item.id, status="rejected", pointer=item.pointer, problem=exc
                    )
                )
        if on_patrol is not None:
            on_patrol(outcome.patrols[-1])
    return outcome


def ingest_smart(
    session: so.Session,
    principal: Principal | None,
    patrol: SmartPatrol,
    opts: ImportOptions,
    cache: ImportCache | None = None,
) -> PatrolOutcome:
    """Store one SMART patrol (all its legs, finds and observations) in one transaction.

    The SMART id is the idempotency key within the area: the same content again is a replay;
    other content is a 409 unless ``opts.update``, which replaces it, raises its revision and
    leaves an audit event. ``principal`` None is the trusted CLI.
    """
    cache = cache or ImportCache()
    if principal is not None:
        principal.require_role(Role.RANGER, Role.COORDINATOR, Role.ADMIN)
        if opts.update:
            principal.require_role(Role.COORDINATOR, Role.ADMIN)
    area, unit, cmap = place(session, principal, patrol, opts, cache)
    plain = plain_document(patrol)
    job = _Ingest(
        session,
        principal,
        patrol,
        area,
        unit,
        reports=to_reports(
            patrol, unit=unit.code, timezone=area.timezone, category_map=cmap, scope=area.slug
        ),
        plain=plain,
        content_hash=patrol.content_hash(plain),
        outcome=PatrolOutcome(
            smart_id=patrol.id,
            status="stored",
            pointer=patrol.pointer,
            area=area.slug,
            unit=unit.code,
            vertices=patrol.vertex_count,
        ),
    )
    job.outcome.warnings = job.reports.warnings
    # Bound and measure every leg before the write lock, as a single report is.
    job.context = context_for(session, area, cache.contexts)
    session.rollback()
    job.measure(opts)
    try:
        with write(session):
            job.store(opts, cache)
    except sa.exc.IntegrityError:
        # Another request stored the same SMART patrol since we looked: answer as second.
        session.rollback()
        if not job.stored_meanwhile():
            raise
    return job.outcome


@dataclass
class _Ingest:
    """One SMART patrol on its way into the store: what was read, measured and decided."""

    session: so.Session
    principal: Principal | None
    patrol: SmartPatrol
    area: ConservationArea
    unit: Unit
    reports: SmartReports
    plain: dict[str, Any]
    content_hash: str
    outcome: PatrolOutcome
    context: AreaContext | None = None
    measured: list[Any] | None = None

    def measure(self, opts: ImportOptions) -> None:
        """Every leg measured in the area's context; every leg that does not fit, one error."""
        self.measured = []
        problems: list[FieldError] = []
        for leg in self.reports.legs:
            try:
                self.measured.append(measure_report(leg.report, self.context, opts.area_margin_km))
            except ValidationFailed as exc:
                problems += exc.errors
        if problems:
            raise ValidationFailed(
                N_("The SMART patrol does not fit its area; nothing was stored."), errors=problems
            )

    def store(self, opts: ImportOptions, cache: ImportCache) -> None:
        """Under the write lock: replay, refuse, replace or store (the caller commits)."""
        row = self.session.scalar(
            sa.select(SmartPatrolRow).where(
                SmartPatrolRow.area_id == self.area.id, SmartPatrolRow.smart_id == self.patrol.id
            )
        )
        if self._replayed(row):
            return
        before = None
        if row is None:
            row = SmartPatrolRow(
                area_id=self.area.id,
                smart_id=self.patrol.id,
                unit_id=self.unit.id,
                content_hash=self.content_hash,
                doc={},
                imported_by_id=self._user_id,
            )
            self.session.add(row)
        else:
            before = self._replace(row, opts)
        row.doc = leg_documents(self.reports, self.plain)
        self.session.flush()
        self._store_legs(row, cache)
        self._audit(row, before)

    @property
    def _user_id(self) -> int | None:
        return self.principal.user_id if self.principal else None

    def _replayed(self, row: SmartPatrolRow | None) -> bool:
        """The same patrol again (or patrol's own export of one of its patrols): nothing to
        store, the outcome says what is stored."""
        outcome = self.outcome
        if row is None:
            if not is_own_export(self.session, self.area, self.patrol.id):
                return False
            outcome.status = "replayed"
            outcome.patrols = [{"id": str(uuid.UUID(self.patrol.id)), "leg": None}]
            return True
        if row.content_hash != self.content_hash:
            return False
        outcome.status = "replayed"
        outcome.patrols = leg_summaries(self.session, row)
        outcome.observations = sum(p["observations"] for p in outcome.patrols)
        outcome.snare_finds = sum(p["finds"] for p in outcome.patrols)
        return True

    def _replace(self, row: SmartPatrolRow, opts: ImportOptions) -> dict[str, Any]:
        """Other content under a stored SMART id: a conflict, or with ``update`` the old legs
        deleted and the row's revision raised. What was there, for the audit."""
        if not opts.update:
            raise Conflict(
                N_(
                    "SMART patrol {id} is stored already in area '{slug}' with other content "
                    "(revision {revision}). Import with --update (?update=true) to replace it; "
                    "the change is audited.",
                    id=self.patrol.id,
                    slug=self.area.slug,
                    revision=row.revision,
                ),
                extra={"smart_id": self.patrol.id, "revision": row.revision},
            )
        before = {
            "content_hash": row.content_hash,
            "revision": row.revision,
            "patrols": delete_legs(self.session, row),
        }
        self.session.flush()
        row.revision += 1
        row.content_hash = self.content_hash
        row.unit_id = self.unit.id
        row.imported_at = utcnow()
        row.imported_by_id = self._user_id
        self.outcome.status = "updated"
        return before

    def _store_legs(self, row: SmartPatrolRow, cache: ImportCache) -> None:
        """Each leg as a patrol (with the SMART revision), its link and its observations."""
        session, legs = self.session, self.reports.legs
        context, figures = current_zones(
            session, self.context, [f for _, f in self.measured], cache.contexts
        )
        taken = session.scalars(
            sa.select(Patrol.uuid).where(Patrol.uuid.in_([leg.report.id for leg in legs]))
        ).all()
        problems = [
            FieldError(leg.leg.pointer, N_("patrol {id} is stored already", id=leg.report.id))
            for leg in legs
            if leg.report.id in taken
        ]
        if problems:
            raise ValidationFailed(
                N_("The SMART patrol does not fit its area; nothing was stored."), errors=problems
            )
        for li, leg in enumerate(legs):
            route = self.measured[li][0]
            stored = store_report(
                session, leg.report, self.unit, self.principal, context, route, figures[li]
            )
            stored.revision = row.revision
            session.add(SmartLeg(patrol_id=stored.id, smart_patrol_id=row.id, leg_index=li))
            store_observations(session, stored, leg.observations, context)
            self.outcome.patrols.append(
                {
                    "id": stored.uuid,
                    "leg": leg.leg.id,
                    "transport": stored.transport,
                    "distance_km": round(stored.distance_km, 4),
                    "finds": len(leg.report.snares),
                    "observations": len(leg.observations),
                }
            )
        self.outcome.observations = sum(len(leg.observations) for leg in legs)
        self.outcome.snare_finds = sum(len(leg.report.snares) for leg in legs)

    def _audit(self, row: SmartPatrolRow, before: dict[str, Any] | None) -> None:
        outcome = self.outcome
        audit.record(
            self.session,
            user_id=self._user_id,
            area_id=self.area.id,
            action="update" if before else "import",
            entity="smart_patrol",
            entity_id=self.patrol.id,
            before=before,
            after={
                "content_hash": self.content_hash,
                "revision": row.revision,
                "unit": self.unit.code,
                "patrols": [p["id"] for p in outcome.patrols],
                "observations": outcome.observations,
                "snare_finds": outcome.snare_finds,
            },
        )

    def stored_meanwhile(self) -> bool:
        """After a unique-key clash: the row another request stored is a replay of this one
        (True), other content (Conflict), or not there at all (False: the clash was another)."""
        again = self.session.scalar(
            sa.select(SmartPatrolRow).where(
                SmartPatrolRow.area_id == self.area.id, SmartPatrolRow.smart_id == self.patrol.id
            )
        )
        if again is None:
            return False
        if again.content_hash != self.content_hash:
            raise Conflict(
                N_("SMART patrol {id} was stored meanwhile with other content.", id=self.patrol.id),
                extra={"smart_id": self.patrol.id},
            ) from None
        self.outcome.status = "replayed"
        self.outcome.patrols = leg_summaries(self.session, again)
        self.session.rollback()
        return True
