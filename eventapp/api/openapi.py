"""The OpenAPI 3.1 description of /api/v1, kept in step with the routes by a test."""

from __future__ import annotations

import copy
from typing import Any

from ..interchange.validate import schema as meeting_schema

API_VERSION = "1.0.0"


def _components_from_meeting_schema() -> dict[str, Any]:
    """wen-meeting/1 as OpenAPI components: its $defs become schemas of their own."""
    source = copy.deepcopy(meeting_schema())

    def relink(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: (
                    value.replace("#/$defs/", "#/components/schemas/")
                    if key == "$ref" and isinstance(value, str)
                    else relink(value)
                )
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [relink(item) for item in node]
        return node

    defs = relink(source.pop("$defs"))
    for key in ("$schema", "$id"):
        source.pop(key, None)
    schemas = {name: value for name, value in defs.items()}
    schemas["MeetingDocument"] = relink(source)
    return schemas


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _slug_parameter() -> dict[str, Any]:
    return {
        "name": "slug",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"},
        "description": "The meeting's slug.",
    }


def _document_body() -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/MeetingDocument"}}
        },
    }


def _meeting_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/MeetingDocument"}}
        },
    }


def _write_errors() -> dict[str, Any]:
    return {
        "400": _error("The body is not JSON."),
        "401": _error("No valid bearer token."),
        "403": _error("The token's account may not do this."),
        "413": _error("The body is too large."),
        "415": _error("The body is not application/json."),
        "422": _error(
            "The document is not valid: `fields` maps each JSON path at fault (a missing or "
            "unexpected property at its own path) to every message about it, joined by `; `. "
            "Also for JSON that no document may hold: nested over 32 levels, numbers of over "
            "100 digits, lone surrogates."
        ),
    }


def _ref_parameter() -> dict[str, Any]:
    return {
        "name": "ref",
        "in": "path",
        "required": True,
        "schema": {"$ref": "#/components/schemas/ref"},
        "description": "The registration's (participant's) ref.",
    }


def _participant_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/participant"}}},
    }


def _registration_paths() -> dict[str, Any]:
    not_found = _error("No such meeting or registration.")
    paths: dict[str, Any] = {
        "/meetings/{slug}/registrations": {
            "get": {
                "operationId": "listRegistrations",
                "summary": "The meeting's registrations in order of arrival (organisers); "
                "a focal point gets their own organisations' registrations alone.",
                "parameters": [
                    _slug_parameter(),
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {"$ref": "#/components/schemas/RegistrationStatus"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The registrations.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/participant"},
                                }
                            }
                        },
                    },
                    "400": _error("Unknown status."),
                    "401": _error("No valid bearer token."),
                    "403": _error("The token's account may not do this."),
                    "404": not_found,
                },
            },
            "post": {
                "operationId": "createRegistration",
                "summary": "Register a participant (organisers), or nominate one for "
                "their organisation (its focal points; 403 for another organisation). The "
                "status follows the meeting's approval rule: pending when manual; approved "
                "when automatic and quota and capacity allow, else waitlisted. Only organisers "
                "give the meeting's offices (chair, rapporteur, organiser, secretariat) and "
                "`funded`; people ask with `travel_support_requested`. An organisation has one "
                "head of delegation among its pending, waiting and approved registrations "
                "(422 for a second).",
                "parameters": [_slug_parameter()],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/RegistrationRequest"}
                        }
                    },
                },
                "responses": {
                    "201": _participant_response("The stored registration."),
                    **_write_errors(),
                    "403": _error(
                        "The token's account may not do this: a focal point nominating for "
                        "another organisation, or an account that is neither organiser nor "
                        "focal point."
                    ),
                    "404": not_found,
                    "409": _error("This e-mail address is registered for the meeting already."),
                },
            },
        },
        "/meetings/{slug}/registrations/{ref}": {
            "get": {
                "operationId": "getRegistration",
                "summary": "One registration (organisers).",
                "parameters": [_slug_parameter(), _ref_parameter()],
                "responses": {
                    "200": _participant_response("The registration."),
                    "401": _error("No valid bearer token."),
                    "403": _error("The token's account may not do this."),
                    "404": not_found,
                },
            }
        },
    }
    summaries = {
        "approve": "Approve: approved if quota and capacity allow, else waitlisted.",
        "decline": "Decline. A freed place goes to the oldest fitting waitlisted registration.",
        "cancel": "Cancel. A freed place goes to the oldest fitting waitlisted registration.",
    }
    for action, summary in summaries.items():
        paths[f"/meetings/{{slug}}/registrations/{{ref}}/{action}"] = {
            "post": {
                "operationId": f"{action}Registration",
                "summary": summary + " (organisers)",
                "parameters": [_slug_parameter(), _ref_parameter()],
                "responses": {
                    "200": _participant_response("The registration as it now stands."),
                    "401": _error("No valid bearer token."),
                    "403": _error("The token's account may not do this."),
                    "404": not_found,
                    "409": _error("The registration's status does not allow this."),
                    **(
                        {"422": _error("The organisation has its head of delegation already.")}
                        if action == "approve"
                        else {}
                    ),
                },
            }
        }
    return paths


def _session_paths() -> dict[str, Any]:
    not_found = _error("No such meeting or session.")
    unauthorized = _error("No valid bearer token.")
    forbidden = _error("The token's account may not do this.")
    record_schema = {"$ref": "#/components/schemas/record"}
    record_200 = {
        "description": "The record (a blank draft while none is written), with its ETag.",
        "headers": {"ETag": {"schema": {"type": "string"}}},
        "content": {"application/json": {"schema": record_schema}},
    }
    session_200 = {
        "description": "The session.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/session"}}},
    }
    session_answer = {
        "description": "The session, with its `warnings`.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SessionAnswer"}}},
    }
    return {
        "/meetings/{slug}/sessions": {
            "get": {
                "operationId": "listSessions",
                "summary": "Every session of the meeting, closed ones included (organisers).",
                "parameters": [_slug_parameter()],
                "responses": {
                    "200": {
                        "description": "The sessions.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/session"},
                                }
                            }
                        },
                    },
                    "401": unauthorized,
                    "403": forbidden,
                    "404": not_found,
                },
            },
            "post": {
                "operationId": "createSession",
                "summary": "Add a session to the draft agenda (organisers); without a `ref`, one "
                "is made from the title. A double-booked room is refused with 409, each session "
                "in the way named in `fields`; the answer carries the session's `warnings` "
                "(also in an ASCII Warning header).",
                "parameters": [_slug_parameter()],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/SessionRequest"}
                        }
                    },
                },
                "responses": {
                    "201": session_answer,
                    **_write_errors(),
                    "404": not_found,
                    "409": _error("The room is booked then, or the ref is taken."),
                },
            },
        },
        "/meetings/{slug}/sessions/{ref}": {
            "get": {
                "operationId": "getSession",
                "summary": "One session (organisers).",
                "parameters": [_slug_parameter(), _ref_parameter()],
                "responses": {
                    "200": session_200,
                    "401": unauthorized,
                    "403": forbidden,
                    "404": _error("No such meeting or session, or the session was cancelled."),
                },
            },
            "patch": {
                "operationId": "changeSession",
                "summary": "Change the fields given of a session in the draft (organisers); a "
                "move is a new `start`, `end` or `room`, a field given as null is removed, "
                '`"number": "auto"` numbers the agenda items in time order. The `ref` cannot '
                "change and the record is untouched (it has its own address).",
                "parameters": [_slug_parameter(), _ref_parameter()],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/SessionChanges"}
                        }
                    },
                },
                "responses": {
                    "200": session_answer,
                    **_write_errors(),
                    "404": _error("No such meeting or session, or the session was cancelled."),
                    "409": _error("The room is booked then: the session in the way is named."),
                },
            },
            "delete": {
                "operationId": "cancelSession",
                "summary": "Cancel a session in the draft (organisers): it is kept with its "
                "record but holds no room and leaves the agenda and the export.",
                "parameters": [_slug_parameter(), _ref_parameter()],
                "responses": {
                    "204": {"description": "The session is cancelled."},
                    "401": unauthorized,
                    "403": forbidden,
                    "404": _error("No such meeting or session, or it was cancelled already."),
                },
            },
        },
        "/meetings/{slug}/sessions/{ref}/record": {
            "get": {
                "operationId": "getRecord",
                "summary": "The session's record (its rapporteur, the chair, organisers).",
                "parameters": [_slug_parameter(), _ref_parameter()],
                "responses": {
                    "200": record_200,
                    "401": unauthorized,
                    "403": forbidden,
                    "404": not_found,
                },
            },
            "put": {
                "operationId": "putRecord",
                "summary": "Replace the record, whole. Needs If-Match with the ETag read. "
                "Only the chair or an organiser approves; a rapporteur's change to an approved "
                "record returns it to submitted.",
                "parameters": [
                    _slug_parameter(),
                    _ref_parameter(),
                    {
                        "name": "If-Match",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": record_schema}},
                },
                "responses": {
                    "200": record_200,
                    **_write_errors(),
                    "404": not_found,
                    "409": _error("The record changed since it was read."),
                    "428": _error("If-Match is missing."),
                },
            },
        },
    }


def _record_paths() -> dict[str, Any]:
    """A record's revisions and its return to draft (contract 4.5)."""
    not_found = _error("No such meeting or session.")
    unauthorized = _error("No valid bearer token.")
    forbidden = _error("The token's account may not do this.")
    record = "/meetings/{slug}/sessions/{ref}/record"
    return {
        f"{record}/revisions": {
            "get": {
                "operationId": "listRecordRevisions",
                "summary": "Every saved revision of the record, oldest first (its rapporteur, "
                "the chair, organisers). A record saved for the first time since it was "
                "imported has its earlier state as revision 1 (`change`: `earlier`, no "
                "`saved_by`).",
                "parameters": [_slug_parameter(), _ref_parameter()],
                "responses": {
                    "200": {
                        "description": "The revisions.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/RecordRevision"},
                                }
                            }
                        },
                    },
                    "401": unauthorized,
                    "403": forbidden,
                    "404": not_found,
                },
            }
        },
        f"{record}/revisions/{{number}}": {
            "get": {
                "operationId": "getRecordRevision",
                "summary": "The record as that revision left it (its rapporteur, the chair, "
                "organisers).",
                "parameters": [
                    _slug_parameter(),
                    _ref_parameter(),
                    {
                        "name": "number",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                        "description": "The revision's number, from 1.",
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The record as a record document.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/record"}}
                        },
                    },
                    "401": unauthorized,
                    "403": forbidden,
                    "404": _error("No such meeting, session or revision."),
                },
            }
        },
        f"{record}/return": {
            "post": {
                "operationId": "returnRecord",
                "summary": "Send a submitted or approved record back to draft, with a comment "
                "to its rapporteur, kept in its revisions (the chair, organisers).",
                "parameters": [_slug_parameter(), _ref_parameter()],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/RecordReturn"}
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "The record, now a draft, with its new ETag.",
                        "headers": {"ETag": {"schema": {"type": "string"}}},
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/record"}}
                        },
                    },
                    **_write_errors(),
                    "403": _error(
                        "The account is not the chair or an organiser (its rapporteur included)."
                    ),
                    "404": not_found,
                    "409": _error("The record is a draft (or not written yet)."),
                },
            }
        },
    }


def _action_paths() -> dict[str, Any]:
    return {
        "/meetings/{slug}/actions": {
            "get": {
                "operationId": "listActions",
                "summary": "Every action item of the meeting's records, whatever the record's "
                "status, in agenda order (organisers).",
                "parameters": [
                    _slug_parameter(),
                    {
                        "name": "owner",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "Only the actions of the organisation with this ref.",
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The actions.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/ActionItem"},
                                }
                            }
                        },
                    },
                    "400": _error("No organisation of the meeting has the `owner` ref."),
                    "401": _error("No valid bearer token."),
                    "403": _error("The token's account may not do this."),
                    "404": _error("No such meeting."),
                },
            }
        }
    }


def _record_schemas() -> dict[str, Any]:
    """What the records workflow's routes take and answer."""
    from ..records.service import COMMENT_LENGTH

    return {
        "RecordRevision": {
            "type": "object",
            "required": ["revision", "saved_at", "saved_by", "status", "change"],
            "properties": {
                "revision": {"type": "integer", "minimum": 1},
                "saved_at": {"type": "string", "format": "date-time"},
                "saved_by": {
                    "type": ["string", "null"],
                    "description": "The e-mail address of the account that saved it; null for "
                    "the state a record had before its first save here.",
                },
                "status": {"enum": ["draft", "submitted", "approved"]},
                "change": {
                    "enum": ["saved", "returned", "reopened", "earlier"],
                    "description": "`saved`: written whole (editor or PUT); `returned`: sent "
                    "back to draft; `reopened`: an approved record opened again; `earlier`: "
                    "the record as it stood before its first save here.",
                },
                "comment": {
                    "type": "string",
                    "description": "The words of the chair or organiser who returned or "
                    "reopened it.",
                },
            },
        },
        "RecordReturn": {
            "type": "object",
            "required": ["comment"],
            "additionalProperties": False,
            "properties": {
                "comment": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": COMMENT_LENGTH,
                    "description": "What the rapporteur should change, and why.",
                }
            },
        },
        "ActionItem": {
            "type": "object",
            "required": ["session", "text", "owner", "due", "done", "record_status"],
            "properties": {
                "session": {"type": "string", "description": "The session's ref."},
                "text": {"type": "string"},
                "owner": {
                    "type": ["string", "null"],
                    "description": "The ref of the organisation that carries it out.",
                },
                "due": {"type": ["string", "null"], "format": "date"},
                "done": {"type": "boolean"},
                "record_status": {
                    "enum": ["draft", "submitted", "approved"],
                    "description": "The status of the record that states it.",
                },
            },
        },
    }


def _agenda_version_schema() -> dict[str, Any]:
    change = {
        "type": "object",
        "required": ["ref", "change"],
        "properties": {
            "ref": {"type": "string", "description": "The session's ref."},
            "title": {"type": "string", "description": "The session's title in that version."},
            "change": {
                "type": "string",
                "enum": ["added", "cancelled", "moved", "retitled", "changed"],
                "description": "`moved`: another day, time or room; `changed`: its number, "
                "kind, description, visibility or people.",
            },
        },
    }
    return {
        "type": "object",
        "required": ["version", "published_at", "changes"],
        "properties": {
            "version": {"type": "integer", "minimum": 1},
            "published_at": {"type": "string", "format": "date-time"},
            "published_by": {"type": ["string", "null"]},
            "changes": {
                "type": "array",
                "items": change,
                "description": "Against the version before; the first lists every session "
                "as added.",
            },
        },
    }


def _agenda_paths() -> dict[str, Any]:
    version = _agenda_version_schema()
    unauthorized = _error("No valid bearer token.")
    forbidden = _error("The token's account may not do this.")
    not_found = _error("No such meeting.")
    return {
        "/meetings/{slug}/agenda/publish": {
            "post": {
                "operationId": "publishAgenda",
                "summary": "Publish the draft agenda as the next version (organisers): the "
                "public pages, agenda.ics, the schedules and agenda.pdf show it from then on.",
                "parameters": [_slug_parameter()],
                "responses": {
                    "201": {
                        "description": "The version published, with its changes.",
                        "content": {"application/json": {"schema": version}},
                    },
                    "401": unauthorized,
                    "403": forbidden,
                    "404": not_found,
                    "409": _error("Nothing has changed since the newest version."),
                },
            }
        },
        "/meetings/{slug}/agenda/versions": {
            "get": {
                "operationId": "listAgendaVersions",
                "summary": "The agenda's published versions, newest first (organisers).",
                "parameters": [_slug_parameter()],
                "responses": {
                    "200": {
                        "description": "The versions.",
                        "content": {
                            "application/json": {"schema": {"type": "array", "items": version}}
                        },
                    },
                    "401": unauthorized,
                    "403": forbidden,
                    "404": not_found,
                },
            }
        },
    }


def _session_schemas(schemas: dict[str, Any]) -> dict[str, Any]:
    """What POST and PATCH of a session take and answer, from the schema's session."""
    new = copy.deepcopy(schemas["session"])
    new["required"].remove("ref")
    new["properties"]["number"] = {
        "type": "string",
        "maxLength": 20,
        "description": 'an agenda item number, or "auto": the agenda numbered in time order',
    }
    changes = copy.deepcopy(new)
    del changes["required"]
    changes["properties"].pop("record")
    # null removes an optional field; the required ones cannot be removed.
    for key, value in list(changes["properties"].items()):
        if key not in schemas["session"]["required"]:
            changes["properties"][key] = {"anyOf": [value, {"type": "null"}]}
    answer = copy.deepcopy(schemas["session"])
    answer["required"] = [*answer["required"], "warnings"]
    answer["properties"]["warnings"] = {
        "type": "array",
        "description": "What an organiser should know but may accept, as sentences in the "
        "request's language: person_double_booked, outside_meeting_days, "
        "person_not_approved, over_capacity, no_rapporteur.",
        "items": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        },
    }
    return {"SessionRequest": new, "SessionChanges": changes, "SessionAnswer": answer}


def _meeting_changes(schemas: dict[str, Any]) -> dict[str, Any]:
    """What PATCH of a meeting takes: the settings it changes, in the schema's shapes."""
    from ..meetings.service import PATCHABLE

    meeting = schemas["meeting"]["properties"]
    properties: dict[str, Any] = {}
    for key in PATCHABLE:
        value = copy.deepcopy(meeting[key])
        # null removes a setting; a meeting keeps its title.
        properties[key] = value if key == "title" else {"anyOf": [value, {"type": "null"}]}
    return {
        "type": "object",
        "additionalProperties": False,
        "description": "The settings to change; each one given replaces that setting whole "
        "(`venue` and `quotas` included), null removes it. Any other key is refused (422).",
        "properties": properties,
    }


def _name_registration_status(schemas: dict[str, Any]) -> None:
    """The participant's status as a schema of its own, for the registrations filter too.

    Client generators follow a reference to a named schema only, never into another's middle.
    """
    properties = schemas["participant"]["properties"]
    schemas["RegistrationStatus"] = properties["status"]
    properties["status"] = {"$ref": "#/components/schemas/RegistrationStatus"}


def _registration_request(schemas: dict[str, Any]) -> dict[str, Any]:
    request = copy.deepcopy(schemas["participant"])
    for key in ("ref", "status"):
        request["properties"].pop(key)
        request["required"].remove(key)
    return request


def build_spec(base_url: str) -> dict[str, Any]:
    """The whole description; `base_url` names the server."""
    schemas = _components_from_meeting_schema()
    _name_registration_status(schemas)
    schemas["Error"] = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "examples": ["not_found"]},
                    "message": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "description": "Per-field problems, keyed by field name or JSON path; "
                        'several messages about one field are joined by "; ".',
                        "additionalProperties": {"type": "string"},
                    },
                },
            }
        },
    }
    schemas["RegistrationRequest"] = _registration_request(schemas)
    schemas.update(_session_schemas(schemas))
    schemas["MeetingChanges"] = _meeting_changes(schemas)
    schemas.update(_record_schemas())
    schemas["Account"] = {
        "type": "object",
        "required": ["email", "admin", "meetings", "calendars"],
        "properties": {
            "email": {"type": "string", "format": "email"},
            "admin": {"type": "boolean"},
            "meetings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["slug", "role"],
                    "properties": {"slug": {"type": "string"}, "role": {"type": "string"}},
                },
            },
            "calendars": {
                "type": "array",
                "description": "One per meeting where the account is a participant (the same "
                "e-mail address): the private URL of an iCalendar feed of the sessions they "
                "chair, speak at or report on, closed ones included, as last published. "
                "Anyone with the URL can read it; renewing the calendar link on the account "
                "page makes every earlier URL answer 404.",
                "items": {
                    "type": "object",
                    "required": ["slug", "title", "url"],
                    "properties": {
                        "slug": {"type": "string"},
                        "title": {"type": "string"},
                        "url": {"type": "string", "format": "uri"},
                    },
                },
            },
        },
    }
    unauthorized = _error("No valid bearer token.")
    forbidden = _error("The token's account may not do this.")
    not_found = _error("No such meeting.")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "eventapp API",
            "version": API_VERSION,
            "description": "Meetings of the Wildlife Enforcement Networks. Authenticate with "
            "`Authorization: Bearer <token>` (`flask --app wsgi token create EMAIL`, or your "
            'account page). Every error is JSON `{"error": {"code", "message", '
            '"fields"?}}` with a 4xx status.',
        },
        "servers": [{"url": f"{base_url}/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
        "paths": {
            **_registration_paths(),
            **_session_paths(),
            **_record_paths(),
            **_agenda_paths(),
            **_action_paths(),
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This description.",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 description.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
            "/me": {
                "get": {
                    "operationId": "getMe",
                    "summary": "The account the token belongs to, its appointments and calendars.",
                    "responses": {
                        "200": {
                            "description": "The account.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Account"}
                                }
                            },
                        },
                        "401": unauthorized,
                    },
                }
            },
            "/meetings": {
                "post": {
                    "operationId": "createMeeting",
                    "summary": "Create a meeting from a wen-meeting/1 document (administrators).",
                    "requestBody": _document_body(),
                    "responses": {
                        "201": _meeting_response("The meeting as stored."),
                        **_write_errors(),
                        "409": _error("A meeting with this slug exists already."),
                    },
                }
            },
            "/meetings/{slug}": {
                "put": {
                    "operationId": "replaceMeeting",
                    "summary": "Replace the meeting, whole, by a document of the same slug "
                    "(organisers). Published report versions are kept.",
                    "parameters": [_slug_parameter()],
                    "requestBody": _document_body(),
                    "responses": {
                        "200": _meeting_response("The meeting as stored."),
                        **_write_errors(),
                        "404": not_found,
                    },
                },
                "patch": {
                    "operationId": "changeMeeting",
                    "summary": "Change the meeting's settings given (organisers): registration "
                    "window, approval, capacity, quotas, title, venue, description, languages. "
                    "Lowering a limit below the approved count unapproves nobody but approves "
                    "nobody more until the count is below it; what an organiser should know (a "
                    "limit below the count, a waiting list) is in a `Warning` header.",
                    "parameters": [_slug_parameter()],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/MeetingChanges"}
                            }
                        },
                    },
                    "responses": {
                        "200": _meeting_response("The meeting as stored, as GET answers it."),
                        **_write_errors(),
                        "404": not_found,
                    },
                },
                "get": {
                    "operationId": "getMeeting",
                    "summary": "The meeting, whole, as a wen-meeting/1 document (organisers).",
                    "parameters": [_slug_parameter()],
                    "responses": {
                        "200": {
                            "description": "The meeting.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/MeetingDocument"}
                                }
                            },
                        },
                        "401": unauthorized,
                        "403": forbidden,
                        "404": not_found,
                    },
                },
            },
        },
    }
