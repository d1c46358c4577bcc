"""Reading JSON request bodies: every way a body can be wrong is a clear 4xx."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, request

from .errors import ApiError


def json_body() -> Any:
    """The request's JSON document, or ApiError 413, 415 or 400."""
    limit = current_app.config["API_MAX_BODY"]
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, f"The body is larger than {limit} bytes.")
    if not request.is_json:
        raise ApiError(415, "Send the body as application/json.")
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise ApiError(413, f"The body is larger than {limit} bytes.")
    try:
        return json.loads(raw)
    except UnicodeDecodeError as exc:
        raise ApiError(400, "The body is not UTF-8 text.") from exc
    except json.JSONDecodeError as exc:
        raise ApiError(
            400, f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from exc
