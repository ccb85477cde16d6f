"""Patrol reports and snare finds: submit, list, read, correct, delete, restore."""

from __future__ import annotations

from flask import current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from patrol.api import bp
from patrol.api.common import (
    current_principal,
    features_response,
    filters_from_request,
    geojson_response,
    paged,
)
from patrol.api.params import QueryArgs
from patrol.db import get_session
from patrol.errors import FieldError, MalformedInput, ValidationFailed
from patrol.geo.documents import feature_collection, load_json
from patrol.geo.importers import importer_for
from patrol.geo.report import Limits, ReportDefaults
from patrol.geo.times import iso_utc
from patrol.http import problem_language, say
from patrol.services import patrols, smart
from patrol.services.audit_trail import patrol_trail
from patrol.services.auth import Principal
from patrol.services.map_routes import MAX_TOLERANCE_M, route_features, vertex_budget
from patrol.services.patrol_documents import (
    find_feature,
    patrol_document,
    patrol_receipt,
)
from patrol.services.queries import get_patrol, list_finds, list_patrols
from patrol.services.restore import restore_patrol
from patrol.texts import N_
from patrol.vocabulary import Role

__all__ = [
    "correct_patrol",
    "delete_patrol",
    "patrols_index",
    "read_patrol",
    "restore_deleted_patrol",
    "snares_index",
    "submit_patrol",
]


def _defaults_from_request() -> ReportDefaults:
    """What a GPX upload needs besides the file: from the query string or the form."""
    q = QueryArgs(request.args.to_dict() | request.form.to_dict())
    started_at, ended_at = q.instant("started_at"), q.instant("ended_at")
    q.check(N_("The upload's parameters are not valid."))
    return ReportDefaults(
        id=q.text("id"),
        unit=q.text("unit"),
        transport=q.text("transport"),
        leader=q.text("leader"),
        started_at=started_at,
        ended_at=ended_at,
    )


def _uploads() -> list[tuple[str | None, str | None, bytes]]:
    """The request's files: a raw body, or the multipart 'file' field (several for SMART)."""
    if request.mimetype == "multipart/form-data":
        uploads = request.files.getlist("file")
        if not uploads:
            raise ValidationFailed(
                N_("Attach the report as the form field 'file'."),
                errors=[FieldError("/file", N_("is required"))],
            )
        return [(u.filename, u.mimetype, u.read()) for u in uploads]
    if not request.mimetype:
        raise MalformedInput(N_("Say what the body is with a Content-Type header."))
    return [(None, request.mimetype, request.get_data(cache=False))]


def _limits() -> Limits:
    return Limits(
        current_app.config["MAX_ROUTE_VERTICES"], current_app.config["MAX_FINDS_PER_PATROL"]
    )


def _flag(name: str) -> bool:
    value = (request.args.get(name) or request.form.get(name) or "").lower()
    return value in ("1", "true", "yes")


def _submit_smart(
    principal: Principal, uploads: list[tuple[str | None, str | None, bytes]]
) -> ResponseReturnValue:
    """SMART patrol XML: one patrol answers like any report (201, 200 replay, 409, 4xx); several
    (files or patrols) answer with what happened to each: 201 when any was stored, 200 when
    all were replays, 422 problem+json when every one was rejected."""
    values = request.args.to_dict() | request.form.to_dict()
    opts = smart.ImportOptions(
        area=values.get("area") or None,
        unit=values.get("unit") or None,
        update=_flag("update"),
        area_margin_km=current_app.config["AREA_MARGIN_KM"],
        limits=_limits(),
    )
    session = get_session()
    cache = smart.new_cache()
    files = [
        smart.import_smart_file(session, principal, name or f"file {k + 1}", data, opts, cache)
        for k, (name, _, data) in enumerate(uploads)
    ]
    if len(files) == 1 and (files[0].rejected or len(files[0].patrols) == 1):
        only = files[0]
        if only.problem is not None:
            raise only.problem
        outcome = only.patrols[0]
        if outcome.problem is not None:
            raise outcome.problem
        body = outcome.as_dict()
        headers = {}
        if outcome.patrols:
            headers["Location"] = url_for("api.read_patrol", patrol_id=outcome.patrols[0]["id"])
        status = 200 if outcome.status == "replayed" else 201
        return jsonify(body), status, headers
    counts = smart.totals(files)
    body = {"files": [f.as_dict() for f in files], "totals": counts}
    done = counts["stored"] + counts["replayed"] + counts["updated"]
    if not done:
        raise ValidationFailed(
            N_("Every file or patrol of the upload was rejected; nothing was stored."),
            extra=body,
        )
    return jsonify(body), 201 if counts["stored"] + counts["updated"] else 200


@bp.post("/patrols")
def submit_patrol() -> ResponseReturnValue:
    """Submit a report: 201 stored, 200 replay of the same report, 409 another one, 4xx bad."""
    principal = current_principal()
    principal.require_role(Role.RANGER, Role.COORDINATOR, Role.ADMIN)
    uploads = _uploads()
    importers = [importer_for(mime, name, data[:4096]) for name, mime, data in uploads]
    if any(i.exchange for i in importers):
        # A bulk SMART upload reports a stray file as rejected, with the rest imported.
        return _submit_smart(principal, uploads)
    if len(uploads) > 1:
        raise ValidationFailed(
            N_("Send one GeoJSON or GPX report at a time."),
            errors=[FieldError("/file", N_("several files are accepted for SMART XML only"))],
        )
    _, _, data = uploads[0]
    if not data.strip():
        raise MalformedInput(N_("The body is empty."))
    report = importers[0].parse(data, _defaults_from_request(), _limits())
    session = get_session()
    result = patrols.ingest_report(
        session, principal, report, area_margin_km=current_app.config["AREA_MARGIN_KM"]
    )
    status = 201 if result.created else 200
    headers = {
        "Location": url_for("api.read_patrol", patrol_id=result.patrol.uuid),
        "Vary": "Prefer",
    }
    if _prefers_minimal():
        # The stored report echoed back is most of a large POST's answer (and its time);
        # a client that only needs the receipt says so (the outbox, bulk senders).
        headers["Preference-Applied"] = "return=minimal"
        return jsonify(patrol_receipt(result.patrol)), status, headers
    return geojson_response(patrol_document(session, result.patrol), status, headers)


def _prefers_minimal() -> bool:
    """Whether the request's ``Prefer`` header (RFC 7240) asks for ``return=minimal``."""
    prefs = ",".join(request.headers.getlist("Prefer"))
    return any(p.split(";")[0].strip().lower() == "return=minimal" for p in prefs.split(","))


@bp.get("/patrols")
def patrols_index() -> ResponseReturnValue:
    """Routes; ``tolerance_m`` simplifies each for a map (figures stay those of the route)."""
    principal = current_principal()
    q = QueryArgs()
    tolerance_m = q.number("tolerance_m", 0.0, MAX_TOLERANCE_M)
    f = filters_from_request(q)
    session = get_session()
    total, rows = list_patrols(session, principal, f, with_tracks=False)
    if not tolerance_m:  # whole routes: a page ends at MAX_PAGE_VERTICES
        rows = vertex_budget(rows)
    # The routes are read, built and encoded a chunk at a time (bounded memory, issue 15).
    members = paged({}, "api.patrols_index", total, f, len(rows))
    return features_response(route_features(session, rows, tolerance_m), members)


@bp.get("/patrols/<patrol_id>")
def read_patrol(patrol_id: str) -> ResponseReturnValue:
    principal = current_principal()
    session = get_session()
    patrol = get_patrol(session, principal, patrol_id, include_deleted=True)
    doc = patrol_document(session, patrol)
    if principal.role in (Role.COORDINATOR, Role.ADMIN):
        # The sentences in the caller's language, the way its problems are (docs/i18n.md).
        lang = problem_language()
        doc["audit"] = [
            {**e, "sentence": say(e["sentence"], lang)} for e in patrol_trail(session, patrol, lang)
        ]
    # No revision ETag here: a coordinator's answer (with the audit trail) and a ranger's share
    # a revision, not a body; patrol.wire tags the body (the revision is in the document).
    return geojson_response(doc)


def _json_body() -> dict:
    if request.mimetype not in ("application/json", "application/merge-patch+json"):
        raise MalformedInput(N_("Send the correction as application/json."))
    body = load_json(request.get_data(cache=False))
    if not isinstance(body, dict):
        raise ValidationFailed(
            N_("Send a JSON object."), errors=[FieldError("", N_("must be an object"))]
        )
    return body


@bp.patch("/patrols/<patrol_id>")
def correct_patrol(patrol_id: str) -> ResponseReturnValue:
    """Correct a patrol or its finds, naming the revision edited (coordinators; audited)."""
    principal = current_principal()
    session = get_session()
    patrol = patrols.correct_patrol(session, principal, patrol_id, _json_body())
    return geojson_response(
        patrol_document(session, patrol), headers={"ETag": f'"{patrol.revision}"'}
    )


def _revision() -> int | None:
    """``?revision=N``: the revision a deletion or a restore names (the service requires it)."""
    q = QueryArgs()
    revision = q.whole("revision", None, 1, 2**31 - 1)
    q.check()
    return revision


@bp.delete("/patrols/<patrol_id>")
def delete_patrol(patrol_id: str) -> ResponseReturnValue:
    """Soft-delete a patrol: ``?revision=N`` names the revision deleted (coordinators)."""
    principal = current_principal()
    revision = _revision()
    session = get_session()
    patrol = patrols.delete_patrol(session, principal, patrol_id, revision)
    return {
        "id": patrol.uuid,
        "deleted_at": iso_utc(patrol.deleted_at),
        "revision": patrol.revision,
    }


@bp.post("/patrols/<patrol_id>/restore")
def restore_deleted_patrol(patrol_id: str) -> ResponseReturnValue:
    """Bring a soft-deleted patrol back: ``?revision=N`` names the revision restored
    (coordinators; audited). Answers the patrol as GET does."""
    principal = current_principal()
    revision = _revision()
    session = get_session()
    patrol = restore_patrol(session, principal, patrol_id, revision)
    return geojson_response(
        patrol_document(session, patrol), headers={"ETag": f'"{patrol.revision}"'}
    )


@bp.get("/snares")
def snares_index() -> ResponseReturnValue:
    principal = current_principal()
    f = filters_from_request()
    total, rows = list_finds(get_session(), principal, f)
    doc = feature_collection(find_feature(find, zone) for find, zone in rows)
    return geojson_response(paged(doc, "api.snares_index", total, f, len(rows)))
