"""/api/v1: thin JSON views over the services."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_babel import gettext

from ..accounts.permissions import (
    ADMIN,
    ORGANISER,
    ORGANISER_OR_FOCAL_POINT,
    PUBLIC,
    RECORD_KEEPER,
    SIGNED_IN,
    allow,
    current_account,
    focal_delegations,
    is_organiser,
    signed_in_account,
)
from ..agenda import feeds, sessions, versions
from ..agenda.warnings import SessionWarning
from ..extensions import csrf
from ..interchange import (
    InvalidDocument,
    MeetingNotFound,
    SlugTaken,
    export_meeting,
    import_meeting,
)
from ..interchange.exporter import participant_document, session_document
from ..interchange.validate import check_registration, problem_fields
from ..lookups import find_registration, find_session, meeting_or_404
from ..meetings import service as meeting_settings
from ..models import Meeting, Participant, RegistrationStatus, RevisionChange, Session
from ..records import actions
from ..records import service as records
from ..records.access import RECORD_APPROVER
from ..registration import notices
from ..registration import service as registration
from ..web import ascii_header_text
from .body import json_body
from .errors import ApiError, error_response
from .openapi import build_spec

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer tokens, never cookies: no cross-site request can act with a user's rights.
csrf.exempt(bp)


@bp.after_request
def private_answers(response: Response) -> Response:
    # Organisers' answers carry personal data: no cache keeps them (the description is public).
    if request.endpoint != "api.openapi":
        response.headers["Cache-Control"] = "no-store"
    return response


def warning_header(messages: list[str]) -> str:
    """A Warning header (RFC 7234, code 199) in ASCII: names and dashes transliterated."""
    text = ascii_header_text("; ".join(messages))[:500].replace("\\", "\\\\").replace('"', '\\"')
    return f'199 - "{text}"'


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
    calendars = [
        {"slug": c.slug, "title": c.title, "url": c.url} for c in feeds.personal_calendars(user)
    ]
    return jsonify(email=user.email, admin=user.is_admin, meetings=meetings, calendars=calendars)


@bp.get("/meetings/<slug>")
@allow(ORGANISER)
def meeting(slug: str) -> Response:
    try:
        return jsonify(export_meeting(slug))
    except MeetingNotFound as exc:
        raise ApiError(404, str(exc)) from exc


@bp.patch("/meetings/<slug>")
@allow(ORGANISER)
def change_meeting(slug: str) -> Response:
    """The settings given changed (the meeting service's rules); 200 with the meeting."""
    meeting = meeting_or_404(slug)
    try:
        result = meeting_settings.change_from_document(meeting, json_body())
    except meeting_settings.SettingsProblems as exc:
        raise ApiError(422, f"{len(exc.fields)} problem(s) in the settings.", exc.fields) from exc
    response = jsonify(export_meeting(slug))
    if result.warnings:
        response.headers["Warning"] = warning_header(list(result.warnings))
    return response


def _import(document: object, *, replace: bool) -> Response:
    try:
        result = import_meeting(document, replace=replace)
    except InvalidDocument as exc:
        fields = problem_fields(exc.problems)
        raise ApiError(422, f"{len(exc.problems)} problem(s) in the document.", fields) from exc
    except SlugTaken as exc:
        raise ApiError(409, str(exc)) from exc
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
    settings = document.get("meeting") if isinstance(document, dict) else None
    stated = settings.get("slug") if isinstance(settings, dict) else None
    if isinstance(stated, str) and stated != slug:
        raise ApiError(
            422,
            "The document is for another meeting.",
            {"$.meeting.slug": f"must be {slug!r}, as in the URL"},
        )
    return _import(document, replace=True)


# -- registrations ----------------------------------------------------------------------------


def _registration(slug: str, ref: str) -> tuple[Meeting, Participant]:
    meeting = meeting_or_404(slug)
    person = find_registration(meeting, ref)
    if person is None:
        raise ApiError(404, f"no registration with ref {ref!r}")
    return meeting, person


@bp.get("/meetings/<slug>/registrations")
@allow(ORGANISER_OR_FOCAL_POINT)
def list_registrations(slug: str) -> Response:
    """Every registration for organisers; a focal point's own organisations' alone."""
    meeting = meeting_or_404(slug)
    status = request.args.get("status")
    if status is not None and status not in {s.value for s in RegistrationStatus}:
        raise ApiError(400, f"unknown status {status!r}", {"status": "unknown status"})
    people = registration.registrations(meeting, RegistrationStatus(status) if status else None)
    user = signed_in_account()
    if not is_organiser(user, meeting):
        own = {d.id for d in focal_delegations(user, meeting)}
        people = [p for p in people if p.delegation_id in own]
    return jsonify([participant_document(p) for p in people])


@bp.post("/meetings/<slug>/registrations")
@allow(ORGANISER_OR_FOCAL_POINT)
def create_registration(slug: str) -> Response:
    """An organiser registers anyone; a focal point nominates for their organisation only."""
    meeting = meeting_or_404(slug)
    body = json_body()
    problems = check_registration(body)
    if problems:
        fields = problem_fields(problems)
        raise ApiError(422, f"{len(problems)} problem(s) in the registration.", fields)
    user = signed_in_account()
    by_organiser = is_organiser(user, meeting)
    try:
        person = registration.register(
            meeting,
            registration.request_from_mapping(body),
            by_organiser=by_organiser,
            nominated_by=None if by_organiser else user,
        )
    except registration.AlreadyRegistered as exc:
        raise ApiError(409, str(exc), exc.fields) from exc
    except registration.NotYourDelegation as exc:
        raise ApiError(403, str(exc), exc.fields) from exc
    except registration.RegistrationError as exc:
        raise ApiError(422, str(exc), exc.fields) from exc
    notices.confirm_registration(person)  # in the outbox, committed with the registration
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
        changed = registration.change(meeting, person, action)
    except registration.InvalidTransition as exc:
        raise ApiError(409, str(exc)) from exc
    except registration.HeadOfDelegationTaken as exc:
        raise ApiError(422, str(exc), exc.fields) from exc
    notices.tell_status(changed)
    return jsonify(participant_document(person))


# -- the agenda's published versions ---------------------------------------------------------


@bp.post("/meetings/<slug>/agenda/publish")
@allow(ORGANISER)
def publish_agenda(slug: str) -> Response:
    """The draft agenda published as the next version, with its changes."""
    meeting = meeting_or_404(slug)
    user = current_account()
    try:
        version = versions.publish(meeting, by=user.email if user else None)
    except versions.NothingToPublish as exc:
        raise ApiError(409, str(exc)) from exc
    response = jsonify(versions.version_document(version))
    response.status_code = 201
    response.headers["Location"] = url_for("api.agenda_versions", slug=slug)
    return response


@bp.get("/meetings/<slug>/agenda/versions")
@allow(ORGANISER)
def agenda_versions(slug: str) -> Response:
    meeting = meeting_or_404(slug)
    return jsonify([versions.version_document(v) for v in versions.published_versions(meeting)])


# -- sessions and their records ---------------------------------------------------------------


@bp.get("/meetings/<slug>/sessions")
@allow(ORGANISER)
def list_sessions(slug: str) -> Response:
    meeting = meeting_or_404(slug)
    return jsonify(export_meeting(meeting.slug)["sessions"])


def _session_problems(exc: sessions.SessionProblems) -> ApiError:
    fields = problem_fields(exc.problems)
    return ApiError(422, f"{len(exc.problems)} problem(s) in the session.", fields)


def _session_conflicts(exc: sessions.SessionConflicts) -> ApiError:
    # Each conflict is a sentence naming the session in the way; `fields` locates them.
    fields: dict[str, str] = {}
    for conflict in exc.conflicts:
        fields[conflict.path] = " ".join(
            filter(None, [fields.get(conflict.path), conflict.message])
        )
    return ApiError(409, str(exc), fields)


def _session_response(session: Session, warnings: list[SessionWarning]) -> Response:
    return jsonify({**session_document(session), "warnings": [w.as_dict() for w in warnings]})


@bp.post("/meetings/<slug>/sessions")
@allow(ORGANISER)
def create_session(slug: str) -> Response:
    meeting = meeting_or_404(slug)
    body = json_body()
    try:
        session, warnings = sessions.create_session(meeting, body)
    except sessions.SessionProblems as exc:
        raise _session_problems(exc) from exc
    except sessions.SessionConflicts as exc:
        raise _session_conflicts(exc) from exc
    response = _session_response(session, warnings)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_session", slug=slug, ref=session.ref)
    if warnings:
        response.headers["Warning"] = warning_header([w.message for w in warnings])
    return response


@bp.get("/meetings/<slug>/sessions/<ref>")
@allow(ORGANISER)
def get_session(slug: str, ref: str) -> Response:
    session = find_session(meeting_or_404(slug), ref)
    if session is None:
        raise ApiError(404, f"no session with ref {ref!r}")
    if session.cancelled_at is not None:
        raise ApiError(404, gettext("The session “%(title)s” was cancelled.", title=session.title))
    return jsonify(session_document(session))


@bp.patch("/meetings/<slug>/sessions/<ref>")
@allow(ORGANISER)
def change_session(slug: str, ref: str) -> Response:
    """The fields given changed; a move is a new start, end or room."""
    meeting = meeting_or_404(slug)
    body = json_body()
    try:
        session, warnings = sessions.change_session(meeting, ref, body)
    except sessions.SessionGone as exc:
        raise ApiError(404, str(exc)) from exc
    except sessions.SessionProblems as exc:
        raise _session_problems(exc) from exc
    except sessions.SessionConflicts as exc:
        raise _session_conflicts(exc) from exc
    return _session_response(session, warnings)


@bp.delete("/meetings/<slug>/sessions/<ref>")
@allow(ORGANISER)
def cancel_session(slug: str, ref: str) -> Response:
    """The session cancelled: kept with its record, out of the agenda."""
    meeting = meeting_or_404(slug)
    try:
        sessions.cancel_session(meeting, ref)
    except sessions.SessionGone as exc:
        raise ApiError(404, str(exc)) from exc
    return Response(status=204)


def _record_response(session_row: Session) -> Response:
    response = jsonify(records.document(session_row))
    response.set_etag(records.etag(session_row))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/meetings/<slug>/sessions/<ref>/record")
@allow(RECORD_KEEPER)
def get_record(slug: str, ref: str) -> Response:
    session = find_session(meeting_or_404(slug), ref)
    if session is None:  # pragma: no cover - the access rule answers 404 first
        raise ApiError(404, f"no session with ref {ref!r}")
    return _record_response(session)


@bp.put("/meetings/<slug>/sessions/<ref>/record")
@allow(RECORD_KEEPER)
def put_record(slug: str, ref: str) -> Response:
    meeting = meeting_or_404(slug)
    session = find_session(meeting, ref)
    if session is None:  # pragma: no cover - the access rule answers 404 first
        raise ApiError(404, f"no session with ref {ref!r}")
    if not request.headers.get("If-Match"):
        raise ApiError(428, "Send If-Match with the ETag of the record you read (GET it first).")
    body = json_body()
    if_match = request.if_match
    user = current_account()
    assert user is not None  # guaranteed by the rule
    try:
        records.replace(
            meeting,
            session,
            body,
            user=user,
            read_current=lambda tag: if_match.star_tag or if_match.contains(tag),
        )
    except records.RecordProblems as exc:
        fields = problem_fields(exc.problems)
        raise ApiError(422, f"{len(exc.problems)} problem(s) in the record.", fields) from exc
    except records.RecordChanged as exc:
        raise ApiError(409, str(exc)) from exc
    except records.NotAllowed as exc:
        raise ApiError(403, str(exc)) from exc
    except records.SessionGone as exc:
        raise ApiError(404, str(exc)) from exc
    return _record_response(session)


# -- a record's revisions, its return, and the meeting's actions (contract 4.5) ----------------


def _record_session(slug: str, ref: str) -> tuple[Meeting, Session]:
    meeting = meeting_or_404(slug)
    session = find_session(meeting, ref)
    if session is None:  # RECORD_KEEPER answers 404 first; RECORD_APPROVER does not look
        raise ApiError(404, f"no session with ref {ref!r}")
    return meeting, session


@bp.get("/meetings/<slug>/sessions/<ref>/record/revisions")
@allow(RECORD_KEEPER)
def record_revisions(slug: str, ref: str) -> Response:
    """Every saved revision of the record, oldest first."""
    _, session = _record_session(slug, ref)
    return jsonify([records.revision_line(r) for r in records.revisions(session)])


@bp.get("/meetings/<slug>/sessions/<ref>/record/revisions/<int:number>")
@allow(RECORD_KEEPER)
def record_revision(slug: str, ref: str, number: int) -> Response:
    """The record as that revision left it."""
    _, session = _record_session(slug, ref)
    revision = records.revision(session, number)
    if revision is None:
        raise ApiError(404, f"the record has no revision {number}")
    return jsonify(revision.document)


def _comment(body: object) -> str:
    """The `comment` of a body {"comment": "…"}; ApiError 422 for any other shape."""
    if not isinstance(body, dict):
        raise ApiError(422, 'Send {"comment": "…"}.', {"$": "must be an object"})
    fields = {f"$.{key}": "is not a property of a return" for key in body if key != "comment"}
    comment = body.get("comment")
    if "comment" not in body:
        fields["$.comment"] = "is required"
    elif not isinstance(comment, str):
        fields["$.comment"] = "must be a string"
    if fields:
        raise ApiError(422, f"{len(fields)} problem(s) in the body.", fields)
    assert isinstance(comment, str)
    return comment


@bp.post("/meetings/<slug>/sessions/<ref>/record/return")
@allow(RECORD_APPROVER)
def return_record(slug: str, ref: str) -> Response:
    """A submitted or approved record sent back to draft, with a comment to its rapporteur."""
    meeting, session = _record_session(slug, ref)
    comment = _comment(json_body())
    user = current_account()
    assert user is not None  # guaranteed by the rule
    try:
        session = records.send_back(meeting, session, RevisionChange.RETURNED, comment, user=user)
    except records.NotAllowed as exc:
        raise ApiError(403, str(exc)) from exc
    except records.WrongStatus as exc:
        raise ApiError(409, str(exc)) from exc
    except records.CommentMissing as exc:
        raise ApiError(422, str(exc), {"$.comment": str(exc)}) from exc
    except records.RecordChanged as exc:
        raise ApiError(409, str(exc)) from exc
    except records.SessionGone as exc:
        raise ApiError(404, str(exc)) from exc
    return _record_response(session)


@bp.get("/meetings/<slug>/actions")
@allow(ORGANISER)
def list_actions(slug: str) -> Response:
    """Every action item of the meeting's records; `?owner=<organisation ref>` filters."""
    meeting = meeting_or_404(slug)
    try:
        items = actions.action_items(meeting, owner=request.args.get("owner"))
    except actions.UnknownOwner as exc:
        fields = {"owner": "no organisation of the meeting has this ref"}
        raise ApiError(400, str(exc), fields) from exc
    return jsonify([item.as_dict() for item in items])
