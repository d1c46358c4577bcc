"""Telling participants that their own sessions changed in a newly published version.

One message per approved participant who chairs, speaks at or reports on a session the version
changed (before or after it: someone taken off a session is told too), closed sessions included,
since the message is theirs alone. It goes into the outbox in the publication's transaction, so
it leaves only if the version is committed. Each message is in the participant's language, else
the meeting's first language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext, ngettext

from .. import localtime, mail
from ..extensions import db
from ..models import AgendaVersion, Change, Meeting, Participant, RegistrationStatus, Room
from ..vocabulary import label


@dataclass(frozen=True)
class ChangedSession:
    """One changed session as a person is told of it."""

    entry: dict[str, Any]  # as the new version holds it
    changes: tuple[Change, ...]
    # False for someone the version took off the session.
    still_in: bool


def people_of(entry: dict[str, Any] | None) -> set[str]:
    """The refs of the session's chairs, speakers and rapporteur."""
    if entry is None:
        return set()
    found = {*entry["chairs"], *entry["speakers"]}
    if entry.get("rapporteur"):
        found.add(entry["rapporteur"])
    return found


def changed_sessions(
    before: list[dict[str, Any]], version: AgendaVersion
) -> dict[str, list[ChangedSession]]:
    """Person ref -> the sessions of theirs the version changed, in agenda order."""
    old = {e["ref"]: e for e in before}
    new = {e["ref"]: e for e in version.sessions}
    changes: dict[str, list[Change]] = {}
    for c in version.changes:
        changes.setdefault(c["ref"], []).append(Change(c["change"]))
    told: dict[str, list[ChangedSession]] = {}
    for ref in sorted(changes, key=lambda r: (new[r]["start_local"], new[r]["end_local"], r)):
        entry = new[ref]
        now_in = people_of(entry)
        for person in sorted(now_in | people_of(old.get(ref))):
            told.setdefault(person, []).append(
                ChangedSession(entry, tuple(changes[ref]), person in now_in)
            )
    return told


def tell_people(meeting: Meeting, before: list[dict[str, Any]], version: AgendaVersion) -> int:
    """Queue the messages about `version` (published after entries `before`); how many."""
    told = changed_sessions(before, version)
    if not told:
        return 0
    people = db.session.scalars(
        sa.select(Participant)
        .where(
            Participant.meeting_id == meeting.id,
            Participant.ref.in_(sorted(told)),
            Participant.status == RegistrationStatus.APPROVED,
        )
        .order_by(Participant.ref)
    ).all()
    rooms = {
        ref: name
        for ref, name in db.session.execute(
            sa.select(Room.ref, Room.name).where(Room.meeting_id == meeting.id)
        )
    }
    for person in people:
        with force_locale(recipient_language(meeting, person)):
            subject, body = _message(meeting, version, person, told[person.ref], rooms)
            mail.send(mail.compose(person.email, subject, body))
    return len(people)


def recipient_language(meeting: Meeting, person: Participant) -> str:
    """The language of every message to the person: theirs, else the meeting's first one."""
    return mail.language(person.language, *(meeting.languages or ()))


def meeting_title(meeting: Meeting, lang: str) -> str:
    """The meeting's title in that language where the meeting gives one."""
    return ((meeting.translations or {}).get(lang) or {}).get("title") or meeting.title


def _when(meeting: Meeting, entry: dict[str, Any], lang: str) -> str:
    """'Tuesday, 5 March 2013, 09:00–09:30 (UTC+07:00)', in the meeting's zone."""
    tz = meeting.zone
    start = datetime.fromisoformat(entry["start_utc"]).astimezone(tz)
    end = datetime.fromisoformat(entry["end_utc"]).astimezone(tz)
    return gettext(
        "%(day)s, %(start)s–%(end)s (%(offset)s)",
        day=localtime.format_day(start.date(), lang),
        start=localtime.format_clock(start, lang),
        end=localtime.format_clock(end, lang),
        offset=localtime.utc_offset_label(tz, start.replace(tzinfo=None)),
    )


def _part(entry: dict[str, Any], ref: str) -> str:
    parts = []
    if ref in entry["chairs"]:
        parts.append(gettext("chair"))
    if ref in entry["speakers"]:
        parts.append(gettext("speaker"))
    if entry.get("rapporteur") == ref:
        parts.append(gettext("rapporteur"))
    return ", ".join(parts)


def _heading(entry: dict[str, Any]) -> str:
    return f"{entry['number']}. {entry['title']}" if entry.get("number") else entry["title"]


def _lines(
    meeting: Meeting,
    person: Participant,
    session: ChangedSession,
    rooms: dict[str, str],
    lang: str,
    base: str,
) -> list[str]:
    entry = session.entry
    when = _when(meeting, entry, lang)
    lines = [f"* {_heading(entry)}"]
    if entry["cancelled"]:
        lines.append("  " + gettext("Cancelled. It was to be held on %(when)s.", when=when))
        return lines
    place = rooms.get(entry["room"] or "") or meeting.venue_name or meeting.venue_city
    lines.append(f"  {when}" + (f", {place}" if place else ""))
    if session.still_in:
        lines.append("  " + gettext("Your part: %(part)s", part=_part(entry, person.ref)))
        changed = ", ".join(label(c) for c in session.changes)
        lines.append("  " + gettext("What changed: %(changes)s", changes=changed))
    else:
        lines.append("  " + gettext("You are no longer listed in this session."))
    public = bool(entry["public"]) and entry["kind"] != "closed"
    if public:
        slug, ref = quote(meeting.slug, safe=""), quote(entry["ref"], safe="")
        lines.append(f"  {base}/meetings/{slug}/sessions/{ref}")
    else:
        lines.append("  " + gettext("A closed session: it is not shown on the public pages."))
    return lines


def _message(
    meeting: Meeting,
    version: AgendaVersion,
    person: Participant,
    sessions: list[ChangedSession],
    rooms: dict[str, str],
) -> tuple[str, str]:
    lang = recipient_language(meeting, person)
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    title = meeting_title(meeting, lang)
    account = base + "/account#calendars"
    listed = "\n\n".join("\n".join(_lines(meeting, person, s, rooms, lang, base)) for s in sessions)
    body = "\n\n".join(
        [
            gettext("Dear %(name)s,", name=person.full_name),
            ngettext(
                "Version %(version)d of the agenda of %(meeting)s is published. It changes a "
                "session you chair, speak at or report on:",
                "Version %(version)d of the agenda of %(meeting)s is published. It changes "
                "%(num)d sessions you chair, speak at or report on:",
                len(sessions),
                version=version.number,
                meeting=title,
            ),
            listed,
            gettext("All times are local time at the meeting (%(zone)s).", zone=meeting.zone.key),
            gettext(
                "Your account page has a calendar of your own sessions, closed ones included, "
                "which follows every published version: %(url)s (sign in with this e-mail "
                "address).",
                url=account,
            ),
        ]
    )
    subject = gettext("Changes to your sessions: %(meeting)s", meeting=title)
    return subject, body
