"""What registrants who named an organisation the meeting did not list are told, once an
organiser has confirmed it or merged it into another: written in each person's language
(theirs, else the meeting's first), queued in the outbox with the change."""

from __future__ import annotations

from ..models import Delegation, Participant
from . import notices


def tell_confirmed(people: list[Participant], delegation: Delegation) -> None:
    """Each registrant of a newly confirmed organisation: it is confirmed, and their status."""
    for person in people:
        notices.tell(person, "organisation-confirmed", organisation=delegation.display_name)


def tell_merged(people: list[Participant], target: Delegation) -> None:
    """Each registrant whose named organisation was merged into one the meeting lists."""
    for person in people:
        notices.tell(person, "organisation-merged", organisation=target.display_name)
