"""Who may send a record back or reopen it: the rule its page and the API declare.

The rule stands beside the records' pages until accounts/permissions.py, where the other rules
live, can take it; its check is permissions.may_approve, as every other approval.
"""

from __future__ import annotations

from typing import Any

from ..accounts.permissions import Rule, may_approve, meeting_from
from ..models import User


def _record_approver(user: User | None, args: dict[str, Any]) -> bool:
    meeting = meeting_from(args)
    return meeting is not None and may_approve(user, meeting)


# Those who approve records, never the rapporteur of the record.
RECORD_APPROVER = Rule("the meeting's chair, its organisers and administrators", _record_approver)
