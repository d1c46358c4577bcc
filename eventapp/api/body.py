"""Reading JSON request bodies: every way a body can be wrong is a clear 4xx."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from ..interchange.validate import InvalidDocument, NotJson, parse_document, problem_fields
from .errors import ApiError


def json_body() -> Any:
    """The request's JSON document, or ApiError 413, 415, 400 (not JSON) or 422 (located)."""
    limit = current_app.config["API_MAX_BODY"]
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, f"The body is larger than {limit} bytes.")
    if not request.is_json:
        raise ApiError(415, "Send the body as application/json.")
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise ApiError(413, f"The body is larger than {limit} bytes.")
    # The same parser as `meeting import`: one set of limits for every JSON entry point.
    try:
        return parse_document(raw)
    except NotJson as exc:
        reason = exc.problems[0].message
        raise ApiError(400, f"The body is {reason}.") from exc
    except InvalidDocument as exc:
        fields = problem_fields(exc.problems)
        raise ApiError(422, f"{len(exc.problems)} problem(s) in the body.", fields) from exc
