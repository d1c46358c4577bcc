"""The request's unit of work: the one place where a web request's changes are committed.

Every view runs inside `run`: the view only changes things (services flush) and answers. A
success (2xx, 3xx) is committed once the answer is made; anything else (4xx, 5xx, an
exception, or a view that called `discard`) is rolled back whole, the outbox's messages with
it, so nothing leaves for a change that was not kept. The commit happens inside the view's
call, so a refusal at commit time (a constraint, a lost database) reaches the error handlers
like any other error. The mail of a committed request leaves after it (web.deliver_mail).
The command line and the background jobs commit their own work.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, has_request_context
from flask.typing import ResponseReturnValue

from .extensions import db

_MARK = "in_unit_of_work"


def discard() -> None:
    """Give up the request's changes now: nothing of them is committed, whatever the answer.

    For a refusal answered with a redirect (a 303 after a service said no), and to read the
    stored state again before the page shows it.
    """
    if has_request_context():
        g.unit_of_work_discarded = True
    rollback()


def rollback() -> None:
    """Roll back the session; on a connection already lost, forget the session instead."""
    try:
        db.session.rollback()
    except Exception:
        db.session.registry.clear()


def committed() -> bool:
    """Whether this request's changes were committed (its mail may leave)."""
    return bool(g.get("unit_of_work_committed"))


def run(view: Callable[..., Any]) -> Callable[..., Any]:
    """The view inside the unit of work: its success committed, anything else rolled back."""
    if getattr(view, _MARK, False):
        return view

    @functools.wraps(view)
    def in_unit_of_work(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        try:
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code < 400 and not g.get("unit_of_work_discarded"):
                db.session.commit()
                g.unit_of_work_committed = True
            else:
                rollback()
        except BaseException:
            rollback()
            raise
        return response

    setattr(in_unit_of_work, _MARK, True)
    return in_unit_of_work


def runs(view: Callable[..., Any]) -> bool:
    """Whether the view runs inside the unit of work."""
    return bool(getattr(view, _MARK, False))


def install(app: Flask) -> None:
    """Put every view of the application inside the unit of work (once each)."""
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = run(view)
