"""Zones and units of a conservation area."""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for

from patrol import jobs
from patrol.api import bp
from patrol.api.common import current_principal, geojson_response
from patrol.db import get_session
from patrol.errors import MalformedInput
from patrol.services import areas, recompute
from patrol.texts import N_
from patrol.vocabulary import JobState, Role

__all__ = ["areas_index", "job_status", "units_index", "zones_index", "zones_replace"]


@bp.get("/zones")
def zones_index() -> Response:
    principal = current_principal()
    session = get_session()
    area = areas.area_for(session, principal, request.args.get("area"))
    return geojson_response(areas.zones_document(session, area))


@bp.put("/zones")
def zones_replace() -> Response:
    """Replace the area's zones (coordinators, admins): 202 while the figures are being
    recomputed in the background (follow the job's Location), 200 when nothing needed it."""
    principal = current_principal()
    principal.require_role(Role.COORDINATOR, Role.ADMIN)
    if request.mimetype not in ("application/geo+json", "application/json"):
        raise MalformedInput(N_("Send the zones as application/geo+json."))
    session = get_session()
    area = areas.area_for(session, principal, request.args.get("area"))
    replaced = areas.replace_zones(session, area, request.get_data(cache=False), principal)
    doc = areas.zones_document(session, area)
    doc["recompute"] = recompute.job_document(replaced.job)
    if replaced.job.state != JobState.RUNNING:
        return geojson_response(doc)
    jobs.start_runner(replaced.job.id)
    location = url_for("api.job_status", job_id=replaced.job.id)
    return geojson_response(doc, 202, {"Location": location})


@bp.get("/jobs/<int:job_id>")
def job_status(job_id: int) -> dict[str, Any]:
    """A recompute job's progress; a job whose runner died is taken up again here."""
    principal = current_principal()
    job = recompute.get_job(get_session(), principal, job_id)
    jobs.resume_if_stale(job)
    return recompute.job_document(job)


@bp.get("/units")
def units_index() -> Response:
    principal = current_principal()
    session = get_session()
    area = areas.area_for(session, principal, request.args.get("area"))
    return geojson_response(areas.units_document(session, area, principal.sees_locations))


@bp.get("/areas")
def areas_index() -> Response:
    principal = current_principal()
    return geojson_response(areas.areas_document(get_session(), principal))
