"""One error shape for every API failure: {"error": {"code", "message", "fields"?}}."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from werkzeug.exceptions import HTTPException

# Stable machine-readable codes, whatever Werkzeug calls the status.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable_entity",
    428: "precondition_required",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """Raised by API views: becomes the JSON error response with its status."""

    def __init__(self, status: int, message: str, fields: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields


def error_response(status: int, message: str, fields: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"code": CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify(error=body)
    response.status_code = status
    return response


def from_http_exception(exc: HTTPException) -> Response:
    response = error_response(exc.code or 500, exc.description or exc.name)
    valid_methods = getattr(exc, "valid_methods", None)
    if valid_methods:
        response.headers["Allow"] = ", ".join(valid_methods)
    return response
