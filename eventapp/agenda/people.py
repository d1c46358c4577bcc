"""Finding the meeting's people by what an organiser types: a name, part of one, or an e-mail.

The agenda builder's pickers send text, not a select of 2,000 options: each line is resolved
against the meeting's approved participants (and the people a session already has, who may be
kept even if no longer approved), without regard to case or accents. A text resolves when one
person matches it exactly (name, "Name (ORG)", e-mail or ref) or, failing that, when only one
person has a word starting with each word typed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Response
from jinja2.utils import htmlsafe_json_dumps

from ..extensions import db
from ..models import Delegation, Meeting, Participant, RegistrationStatus

SUGGESTIONS = 20  # at most this many people answer one search
_WORD_BREAK = re.compile(r"[\s()<>\[\],;]+")
_WORD_PART = re.compile(r"[-.@'’_]+")


def folded(text: str) -> str:
    """Lower case, without accents, spaces collapsed: 'Lucía  RAMÍREZ' -> 'lucia ramirez'."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _words(text: str) -> list[str]:
    return [w for w in _WORD_BREAK.split(folded(text)) if w]


@dataclass(frozen=True)
class Person:
    """A participant as the pickers show one: `label` is the text that picks them alone."""

    ref: str
    name: str
    organisation: str
    email: str
    label: str

    def as_dict(self) -> dict[str, str]:
        return {
            "ref": self.ref,
            "name": self.name,
            "organisation": self.organisation,
            "label": self.label,
        }


@dataclass(frozen=True)
class Match:
    """What a text resolved to: one person, or the candidates (none, or several)."""

    text: str
    candidates: tuple[Person, ...]

    @property
    def person(self) -> Person | None:
        return self.candidates[0] if len(self.candidates) == 1 else None


class Directory:
    """The people an organiser may pick, indexed once per request."""

    def __init__(self, people: Iterable[Person]):
        self.people = sorted(people, key=lambda p: (folded(p.name), p.ref))
        self.by_ref = {p.ref: p for p in self.people}
        self._exact: dict[str, list[Person]] = {}
        self._words: list[tuple[Person, frozenset[str]]] = []
        for person in self.people:
            keys = {folded(person.name), folded(person.label), folded(person.email), person.ref}
            keys.add(folded(f"{person.name} ({person.organisation})"))
            for key in keys:
                self._exact.setdefault(key, []).append(person)
            words = set(_words(f"{person.name} {person.organisation} {person.email}"))
            words |= {part for w in words for part in _WORD_PART.split(w) if part}
            self._words.append((person, frozenset(words)))

    def resolve(self, text: str) -> Match:
        """The person the text names, or every candidate (up to SUGGESTIONS) if not one."""
        exact = self._exact.get(folded(text)) or self._exact.get(text.strip())
        if exact:
            return Match(text, tuple(exact[:SUGGESTIONS]))
        return Match(text, tuple(self.search(text)))

    def search(self, text: str, limit: int = SUGGESTIONS) -> list[Person]:
        """The people with a word starting with each word of the text, by name."""
        typed = _words(text)
        if not typed:
            return []
        found = []
        for person, words in self._words:
            if all(any(w.startswith(t) for w in words) for t in typed):
                found.append(person)
                if len(found) == limit:
                    break
        return found

    def suggest(self, text: str, limit: int = SUGGESTIONS) -> list[Person]:
        """What the picker offers while the organiser types: exact matches first."""
        exact = list(self._exact.get(folded(text), []))
        rest = [p for p in self.search(text, limit) if p not in exact]
        return (exact + rest)[:limit]

    def label(self, ref: str) -> str:
        """The text that picks the participant with that ref (the ref itself if unknown)."""
        person = self.by_ref.get(ref)
        return person.label if person is not None else ref


def directory(
    meeting: Meeting,
    keep: Iterable[str] = (),
    among: Collection[RegistrationStatus] = (RegistrationStatus.APPROVED,),
) -> Directory:
    """The meeting's participants of the statuses `among` (approved ones unless said), and
    those with the refs in `keep` (the people a session has now, approved or not), in one
    query."""
    keep = set(keep)
    chosen: sa.ColumnElement[bool] = Participant.status.in_(sorted(among))
    if keep:
        chosen = sa.or_(chosen, Participant.ref.in_(keep))
    rows = db.session.execute(
        sa.select(
            Participant.ref,
            Participant.given_name,
            Participant.family_name,
            Participant.email,
            Delegation.acronym,
            Delegation.name,
        )
        .join(Delegation, Participant.delegation_id == Delegation.id)
        .where(Participant.meeting_id == meeting.id, chosen)
    ).all()
    people = [
        (ref, f"{given} {family}", acronym or organisation, email)
        for ref, given, family, email, acronym, organisation in rows
    ]
    labels = Counter(folded(f"{name} ({org})") for _, name, org, _ in people)
    # Two people of one name and organisation are told apart by their e-mail addresses.
    return Directory(
        Person(ref, name, org, email, _label(name, org, email, labels[folded(f"{name} ({org})")]))
        for ref, name, org, email in people
    )


def _label(name: str, organisation: str, email: str, namesakes: int) -> str:
    label = f"{name} ({organisation})"
    return label if namesakes == 1 else f"{label} {email}"


def suggestions_answer(directory: Directory, text: str) -> Response:
    """A picker's answer as it types: the people matching `text` (name, organisation or e-mail),
    as JSON escaped as for HTML too (a name may be "<script>…"), never kept by a cache."""
    text = text[:200]
    found = directory.suggest(text) if text.strip() else []
    response = Response(
        htmlsafe_json_dumps([p.as_dict() for p in found]), mimetype="application/json"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
