"""A person's own calendar: the sessions they chair, speak at or report on, closed ones too.

Each account has one secret key, made the first time its feeds are asked for; the key in the
URL is the only credential a calendar application has, so renewing it is how the account
revokes every URL it gave out. The feed is the newest published version of the meeting's
agenda (published.build), narrowed to the person's sessions: the draft never shows in it, and
a session cancelled in a published version stays as cancelled. A closed session has no URL: its
public page is 404 to everyone, its own people included.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import AgendaVersion, Meeting, Participant, User
from . import ical, published

# 256 bits of randomness, URL-safe: 43 characters.
KEY_BYTES = 32


@dataclass(frozen=True)
class PersonalCalendar:
    """The private feed of one account in one meeting where it is a participant."""

    slug: str
    title: str
    url: str


def calendar_key(user: User) -> str:
    """The account's feed key, made now if it has none yet."""
    if user.calendar_key is None:
        # Only where none is set: two first requests at once agree on one key.
        db.session.execute(
            sa.update(User)
            .where(User.id == user.id, User.calendar_key.is_(None))
            .values(calendar_key=secrets.token_urlsafe(KEY_BYTES))
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(user, ["calendar_key"])
    assert user.calendar_key is not None  # set just above, by this request or another
    return user.calendar_key


def renew_key(user: User) -> str:
    """A new feed key for the account: every URL made with the old one stops working."""
    user.calendar_key = secrets.token_urlsafe(KEY_BYTES)
    db.session.flush()
    return user.calendar_key


def personal_calendars(user: User) -> list[PersonalCalendar]:
    """One feed per meeting where the account is a participant (the same mailbox), newest first."""
    meetings = db.session.execute(
        sa.select(Meeting.slug, Meeting.title)
        .join(Participant, Participant.meeting_id == Meeting.id)
        .where(Participant.email_key == user.email_key)
        .order_by(Meeting.start_date.desc(), Meeting.slug)
    ).all()
    if not meetings:
        return []
    key = calendar_key(user)
    return [PersonalCalendar(slug, title, feed_url(slug, key)) for slug, title in meetings]


def feed_url(slug: str, key: str) -> str:
    """The absolute URL of the feed, as a calendar application subscribes to it."""
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    return f"{base}/meetings/{quote(slug, safe='')}/calendar/{key}.ics"


def person_for_key(meeting: Meeting, key: str) -> Participant | None:
    """The participant whose active account holds that key; None for an unknown or old key."""
    if not key or len(key) > 64:
        return None
    return db.session.scalar(
        sa.select(Participant)
        .join(User, User.email_key == Participant.email_key)
        .where(
            Participant.meeting_id == meeting.id,
            User.calendar_key == key,
            User.active.is_(True),
        )
    )


def own_session_refs(meeting: Meeting, person: Participant, number: int) -> set[str]:
    """The sessions of that published version the person chairs, speaks at or reports on."""
    version = db.session.scalar(
        sa.select(AgendaVersion).where(
            AgendaVersion.meeting_id == meeting.id, AgendaVersion.number == number
        )
    )
    if version is None:  # pragma: no cover - versions are never deleted
        return set()
    return {
        e["ref"]
        for e in version.sessions
        if person.ref in e["chairs"] or person.ref in e["speakers"] or e["rapporteur"] == person.ref
    }


def personal_agenda(meeting: Meeting, person: Participant) -> published.Agenda:
    """The published agenda narrowed to the person's own sessions, closed ones included."""
    agenda = published.build(meeting, include_closed=True)
    # The people of the very version built (a publication may land in between), by ref:
    # the agenda names only those who may be named in public, and has no rapporteurs.
    # Never published: build() gave the draft, which is nobody's calendar yet.
    refs = set() if agenda.version is None else own_session_refs(meeting, person, agenda.version)
    days = tuple(
        dataclasses.replace(day, items=tuple(i for i in day.items if i.ref in refs))
        for day in agenda.days
    )
    cancelled = tuple(i for i in agenda.cancelled if i.ref in refs)
    return dataclasses.replace(agenda, days=days, cancelled=cancelled)


def personal_feed(meeting: Meeting, person: Participant) -> bytes:
    """The iCalendar text of the person's own sessions; closed ones without a URL."""
    agenda = personal_agenda(meeting, person)
    return ical.calendar(agenda)
