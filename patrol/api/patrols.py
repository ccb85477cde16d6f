"""Patrol reports and snare finds: submit, list, read, correct, delete."""

from __future__ import annotations

from flask import current_app, request, url_for

from patrol.api import bp
from patrol.api.common import (
    current_principal,
    filters_from_request,
    geojson_response,
    int_arg,
    paged,
)
from patrol.db import get_session
from patrol.errors import FieldError, MalformedInput, ValidationFailed
from patrol.geo.importers import importer_for
from patrol.geo.report import Limits, ReportDefaults, load_json, parse_time
from patrol.services import patrols as service
from patrol.services.audit import events_for
from patrol.services.queries import get_patrol, list_finds, list_patrols


def _defaults_from_request() -> ReportDefaults:
    """What a GPX upload needs besides the file: from the query string or the form."""
    values = request.args.to_dict() | request.form.to_dict()
    problems: list[FieldError] = []
    times = {}
    for key in ("started_at", "ended_at"):
        if values.get(key):
            try:
                times[key] = parse_time(values[key])
            except ValueError as exc:
                problems.append(FieldError(f"/{key}", str(exc)))
    if problems:
        raise ValidationFailed("The upload's parameters are not valid.", errors=problems)
    return ReportDefaults(
        id=values.get("id") or None,
        unit=values.get("unit") or None,
        transport=values.get("transport") or None,
        leader=values.get("leader") or None,
        **times,
    )


def _read_report():
    """The request's report, from a raw GeoJSON/GPX body or a multipart 'file' field."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed(
                "Attach the report as the form field 'file'.",
                errors=[FieldError("/file", "is required")],
            )
        data = upload.read()
        importer = importer_for(upload.mimetype, upload.filename, data[:4096])
    else:
        if not request.mimetype:
            raise MalformedInput("Say what the body is with a Content-Type header.")
        data = request.get_data(cache=False)
        importer = importer_for(request.mimetype, None, data[:4096])
    if not data.strip():
        raise MalformedInput("The body is empty.")
    limits = Limits(
        current_app.config["MAX_ROUTE_VERTICES"], current_app.config["MAX_FINDS_PER_PATROL"]
    )
    return importer.parse(data, _defaults_from_request(), limits)


@bp.post("/patrols")
def submit_patrol():
    """Submit a report: 201 stored, 200 replay of the same report, 409 another one, 4xx bad."""
    principal = current_principal()
    principal.require_role("ranger", "coordinator", "admin")
    report = _read_report()
    session = get_session()
    result = service.ingest_report(
        session, principal, report, area_margin_km=current_app.config["AREA_MARGIN_KM"]
    )
    doc = service.patrol_document(session, result.patrol)
    location = url_for("api.read_patrol", patrol_id=result.patrol.uuid)
    return geojson_response(doc, 201 if result.created else 200, {"Location": location})


@bp.get("/patrols")
def patrols_index():
    principal = current_principal()
    f = filters_from_request()
    total, rows = list_patrols(get_session(), principal, f)
    doc = {
        "type": "FeatureCollection",
        "features": [service.route_feature(p, with_times=False) for p in rows],
    }
    return geojson_response(paged(doc, "api.patrols_index", total, f, len(rows)))


@bp.get("/patrols/<patrol_id>")
def read_patrol(patrol_id: str):
    principal = current_principal()
    session = get_session()
    patrol = get_patrol(session, principal, patrol_id, include_deleted=True)
    doc = service.patrol_document(session, patrol)
    if principal.role in ("coordinator", "admin"):
        doc["audit"] = events_for(session, "patrol", patrol.uuid)
    return geojson_response(doc, headers={"ETag": f'"{patrol.revision}"'})


def _json_body() -> dict:
    if request.mimetype not in ("application/json", "application/merge-patch+json"):
        raise MalformedInput("Send the correction as application/json.")
    body = load_json(request.get_data(cache=False))
    if not isinstance(body, dict):
        raise ValidationFailed("Send a JSON object.", errors=[FieldError("", "must be an object")])
    return body


@bp.patch("/patrols/<patrol_id>")
def correct_patrol(patrol_id: str):
    """Correct a patrol or its finds, naming the revision edited (coordinators; audited)."""
    principal = current_principal()
    session = get_session()
    patrol = service.correct_patrol(session, principal, patrol_id, _json_body())
    return geojson_response(
        service.patrol_document(session, patrol), headers={"ETag": f'"{patrol.revision}"'}
    )


@bp.delete("/patrols/<patrol_id>")
def delete_patrol(patrol_id: str):
    """Soft-delete a patrol: ``?revision=N`` names the revision deleted (coordinators)."""
    principal = current_principal()
    problems: list[FieldError] = []
    revision = int_arg("revision", None, 1, 2**31 - 1, problems)
    session = get_session()
    patrol = service.delete_patrol(session, principal, patrol_id, revision)
    return {
        "id": patrol.uuid,
        "deleted_at": patrol.deleted_at.isoformat(),
        "revision": patrol.revision,
    }


@bp.get("/snares")
def snares_index():
    principal = current_principal()
    f = filters_from_request()
    total, rows = list_finds(get_session(), principal, f)
    doc = {
        "type": "FeatureCollection",
        "features": [service.find_feature(find, zone) for find, zone in rows],
    }
    return geojson_response(paged(doc, "api.snares_index", total, f, len(rows)))
