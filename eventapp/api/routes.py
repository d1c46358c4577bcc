"""/api/v1: thin JSON views over the services."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from ..accounts.permissions import (
    ADMIN,
    ORGANISER,
    PUBLIC,
    SIGNED_IN,
    allow,
    current_account,
    meeting_from,
)
from ..extensions import csrf, db
from ..interchange import (
    InvalidDocument,
    MeetingNotFound,
    SlugTaken,
    export_meeting,
    import_meeting,
)
from ..interchange.exporter import participant_document
from ..interchange.validate import check_registration
from ..models import RegistrationStatus
from ..registration import service as registration
from .body import json_body
from .errors import ApiError, error_response
from .openapi import build_spec

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer tokens, never cookies: no cross-site request can act with a user's rights.
csrf.exempt(bp)


@bp.errorhandler(ApiError)
def api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.message, exc.fields)


@bp.get("/openapi.json")
@allow(PUBLIC)
def openapi() -> Response:
    return jsonify(build_spec(current_app.config["BASE_URL"]))


@bp.get("/me")
@allow(SIGNED_IN)
def me() -> Response:
    user = current_account()
    assert user is not None  # guaranteed by the rule
    meetings = sorted(
        ({"slug": r.meeting.slug, "role": r.role.value} for r in user.meeting_roles),
        key=lambda item: (item["slug"], item["role"]),
    )
    return jsonify(email=user.email, admin=user.is_admin, meetings=meetings)


@bp.get("/meetings/<slug>")
@allow(ORGANISER)
def meeting(slug: str) -> Response:
    try:
        return jsonify(export_meeting(slug))
    except MeetingNotFound as exc:
        raise ApiError(404, str(exc)) from exc


def _import(document: object, *, replace: bool) -> Response:
    try:
        result = import_meeting(document, replace=replace)
    except InvalidDocument as exc:
        fields = {p.path: p.message for p in exc.problems}
        raise ApiError(422, f"{len(fields)} problem(s) in the document.", fields) from exc
    except SlugTaken as exc:
        raise ApiError(409, str(exc)) from exc
    db.session.commit()
    response = jsonify(export_meeting(result.meeting.slug))
    response.status_code = 200 if replace else 201
    response.headers["Location"] = url_for("api.meeting", slug=result.meeting.slug)
    return response


@bp.post("/meetings")
@allow(ADMIN)
def create_meeting() -> Response:
    """A new meeting from a wen-meeting/1 document."""
    return _import(json_body(), replace=False)


@bp.put("/meetings/<slug>")
@allow(ORGANISER)
def replace_meeting(slug: str) -> Response:
    """The meeting replaced, whole, by a wen-meeting/1 document of the same slug."""
    document = json_body()
    stated = document.get("meeting", {}).get("slug") if isinstance(document, dict) else None
    if isinstance(stated, str) and stated != slug:
        raise ApiError(
            422,
            "The document is for another meeting.",
            {"$.meeting.slug": f"must be {slug!r}, as in the URL"},
        )
    return _import(document, replace=True)


# -- registrations ----------------------------------------------------------------------------


def _meeting(slug: str):  # type: ignore[no-untyped-def]
    meeting = meeting_from({"slug": slug})
    if meeting is None:  # pragma: no cover - the access rule answers 404 first
        raise ApiError(404, f"no meeting with slug {slug!r}")
    return meeting


def _registration(slug: str, ref: str):  # type: ignore[no-untyped-def]
    meeting = _meeting(slug)
    person = registration.find_registration(meeting, ref)
    if person is None:
        raise ApiError(404, f"no registration with ref {ref!r}")
    return meeting, person


@bp.get("/meetings/<slug>/registrations")
@allow(ORGANISER)
def list_registrations(slug: str) -> Response:
    meeting = _meeting(slug)
    status = request.args.get("status")
    if status is not None and status not in {s.value for s in RegistrationStatus}:
        raise ApiError(400, f"unknown status {status!r}", {"status": "unknown status"})
    people = registration.registrations(meeting, RegistrationStatus(status) if status else None)
    return jsonify([participant_document(p) for p in people])


@bp.post("/meetings/<slug>/registrations")
@allow(ORGANISER)
def create_registration(slug: str) -> Response:
    meeting = _meeting(slug)
    body = json_body()
    problems = check_registration(body)
    if problems:
        fields = {p.path: p.message for p in problems}
        raise ApiError(422, f"{len(fields)} problem(s) in the registration.", fields)
    try:
        person = registration.register(
            meeting, registration.request_from_mapping(body), by_organiser=True
        )
    except registration.AlreadyRegistered as exc:
        raise ApiError(409, str(exc), exc.fields) from exc
    except registration.RegistrationError as exc:
        raise ApiError(422, str(exc), exc.fields) from exc
    db.session.commit()
    response = jsonify(participant_document(person))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_registration", slug=slug, ref=person.ref)
    return response


@bp.get("/meetings/<slug>/registrations/<ref>")
@allow(ORGANISER)
def get_registration(slug: str, ref: str) -> Response:
    _, person = _registration(slug, ref)
    return jsonify(participant_document(person))


@bp.post("/meetings/<slug>/registrations/<ref>/approve", defaults={"action": "approve"})
@bp.post("/meetings/<slug>/registrations/<ref>/decline", defaults={"action": "decline"})
@bp.post("/meetings/<slug>/registrations/<ref>/cancel", defaults={"action": "cancel"})
@allow(ORGANISER)
def change_registration(slug: str, ref: str, action: str) -> Response:
    meeting, person = _registration(slug, ref)
    try:
        registration.change(meeting, person, action)
    except registration.InvalidTransition as exc:
        raise ApiError(409, str(exc)) from exc
    db.session.commit()
    return jsonify(participant_document(person))
