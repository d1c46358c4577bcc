"""The meeting's organisations (its delegations): listing, adding, editing and merging them.

An organisation at a meeting is a Delegation; the Organisation behind it is the same entity
across meetings, recognised by kind and folded name, as the importer recognises it. Every
change takes the meeting's lock first and is audited. Countries are every ISO 3166-1 code
(with Kosovo's XK, as the interchange format allows), named in the reader's language.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext, ngettext
from sqlalchemy.orm import selectinload

from .. import audit, localtime
from ..agenda.sessions import _slug
from ..extensions import db
from ..interchange.validate import _countries, is_one_line, maximum
from ..locking import lock_meeting
from ..lookups import find_delegation
from ..models import (
    KIND_ORDER,
    Delegation,
    Meeting,
    Organisation,
    OrganisationKind,
    Outcome,
    Participant,
    ParticipantRole,
    RegistrationStatus,
)

NAME_LENGTH = 300
ACRONYM_LENGTH = 40


class OrganisationProblems(ValueError):
    """Details that cannot be stored: `fields` maps each field at fault to a sentence."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(gettext("The organisation was not saved: correct what is marked."))
        self.fields = fields


class OrganisationGone(LookupError):
    """The meeting has no organisation with that ref (any more: it may have been merged)."""


@dataclass(frozen=True)
class OrganisationDetails:
    """What an organiser states about an organisation at the meeting."""

    name: str
    kind: str
    acronym: str | None = None
    country: str | None = None
    # Its own quota of approved participants; None: its kind's quota.
    quota: int | None = None


@dataclass(frozen=True)
class DelegationRow:
    """One organisation as the organisations page lists it."""

    ref: str
    name: str
    acronym: str | None
    kind: OrganisationKind
    country: str | None
    country_name: str | None
    registrations: int
    approved: int
    quota: int | None
    seat_quota: int | None
    # False: named by a registrant, waiting for an organiser to confirm or merge it.
    confirmed: bool = True
    # For an unconfirmed one, who registered for it: what the organiser decides on.
    people: tuple[str, ...] = ()


@dataclass(frozen=True)
class MergePlan:
    """What merging `source` into `target` would do, shown before it is done."""

    source: Delegation
    target: Delegation
    registrations: int
    warnings: tuple[str, ...]
    # The registrations that move, to be told when an unconfirmed organisation is merged.
    people: tuple[Participant, ...] = ()


# -- countries --------------------------------------------------------------------------------


def valid_country(code: str | None) -> bool:
    """An ISO 3166-1 alpha-2 code the interchange format accepts."""
    return isinstance(code, str) and code in _countries()


def country_name(code: str | None, lang: str | None = None) -> str | None:
    """The country's short name in the language (CLDR, as Babel has it); None for no code."""
    if not code:
        return None
    return _names(lang or localtime.page_language()).get(code, code)


@cache
def _names(lang: str) -> dict[str, str]:
    territories = localtime.babel_locale(lang).territories
    return {code: territories.get(code, code) for code in _countries()}


def _sort_key(name: str) -> str:
    # "Åland" beside "Aland", "Côte d’Ivoire" among the Cs: accents do not decide the order.
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@cache
def country_choices(lang: str) -> tuple[tuple[str, str], ...]:
    """Every country as (code, name in the language), in the order of their names."""
    names = _names(lang)
    return tuple(sorted(names.items(), key=lambda item: (_sort_key(item[1]), item[0])))


# -- reading ----------------------------------------------------------------------------------


def _live(meeting: Meeting, ref: str) -> Delegation:
    delegation = find_delegation(meeting, ref)
    if delegation is None:
        raise OrganisationGone(gettext("The meeting has no organisation %(ref)s.", ref=ref))
    db.session.refresh(delegation)
    return delegation


def delegation_rows(meeting: Meeting) -> list[DelegationRow]:
    """The meeting's organisations by kind and name, with their registrations counted."""
    delegations = db.session.scalars(
        sa.select(Delegation)
        .where(Delegation.meeting_id == meeting.id)
        .options(selectinload(Delegation.participants))
    ).all()
    order = {kind: n for n, kind in enumerate(KIND_ORDER)}
    lang = localtime.page_language()
    rows = []
    for d in sorted(delegations, key=lambda d: (order[d.kind], _sort_key(d.name))):
        statuses = Counter(p.status for p in d.participants)
        rows.append(
            DelegationRow(
                ref=d.ref,
                name=d.name,
                acronym=d.acronym,
                kind=d.kind,
                country=d.country,
                country_name=country_name(d.country, lang),
                registrations=len(d.participants),
                approved=statuses.get(RegistrationStatus.APPROVED, 0),
                quota=d.quota,
                seat_quota=d.seat_quota(),
                confirmed=d.confirmed,
                people=() if d.confirmed else tuple(p.full_name for p in d.participants),
            )
        )
    return rows


# -- checking ---------------------------------------------------------------------------------


def _checked(
    meeting: Meeting, details: OrganisationDetails, *, ignore: Delegation | None
) -> dict[str, Any]:
    """The details cleaned, or OrganisationProblems naming each field at fault."""
    problems: dict[str, str] = {}
    name = (details.name or "").strip()
    acronym = (details.acronym or "").strip() or None
    country = (details.country or "").strip().upper() or None
    if not name:
        problems["name"] = gettext("An organisation needs a name.")
    elif len(name) > NAME_LENGTH or not is_one_line(name) or "\x00" in name:
        problems["name"] = gettext(
            "Write the name on one line, in at most %(num)d characters.", num=NAME_LENGTH
        )
    if acronym is not None and (
        len(acronym) > ACRONYM_LENGTH or not is_one_line(acronym) or "\x00" in acronym
    ):
        problems["acronym"] = gettext(
            "Write the acronym on one line, in at most %(num)d characters.", num=ACRONYM_LENGTH
        )
    if details.kind not in {k.value for k in OrganisationKind}:
        problems["kind"] = gettext("Choose the kind of organisation.")
    if country is not None and not valid_country(country):
        problems["country"] = gettext("Choose a country from the list.")
    top = maximum("meeting", "capacity")
    quota = details.quota
    if quota is not None and (
        not isinstance(quota, int) or isinstance(quota, bool) or not 0 <= quota <= top
    ):
        problems["quota"] = gettext(
            "A quota is a whole number of places from 0 to %(num)d, or empty for the quota of "
            "its kind.",
            num=top,
        )
    if "name" not in problems and "kind" not in problems:
        key = Organisation.key_for(name)
        for other in meeting.delegations:
            if (
                other is not ignore
                and other.kind == details.kind
                and Organisation.key_for(other.name) == key
            ):
                problems["name"] = gettext(
                    "The meeting already has this organisation: %(name)s.", name=other.display_name
                )
    if problems:
        raise OrganisationProblems(problems)
    return {
        "name": name,
        "acronym": acronym,
        "kind": OrganisationKind(details.kind),
        "country": country,
        "quota": quota,
    }


def _organisation(kind: OrganisationKind, name: str) -> Organisation:
    """The organisation of that kind and name across meetings, made if it is new."""
    key = Organisation.key_for(name)
    found = db.session.scalar(
        sa.select(Organisation).where(Organisation.kind == kind, Organisation.name_key == key)
    )
    if found is None:
        found = Organisation(kind=kind, name_key=key, name=name)
        db.session.add(found)
    return found


def _restated(organisation: Organisation, clean: dict[str, Any]) -> Organisation:
    """The newest statement of an organisation's details is the one it is known by."""
    organisation.name = clean["name"]
    organisation.acronym = clean["acronym"] or organisation.acronym
    organisation.country = clean["country"] or organisation.country
    return organisation


def _new_ref(meeting: Meeting, acronym: str | None, name: str) -> str:
    """A readable ref, free in the meeting: from the acronym, else the name ('unodc', 'unodc-2')."""
    base = _slug(acronym or "", 30) or _slug(name, 30) or "organisation"
    taken = set(
        db.session.scalars(sa.select(Delegation.ref).where(Delegation.meeting_id == meeting.id))
    )
    ref, n = base, 1
    while ref in taken:
        n += 1
        ref = f"{base}-{n}"
    return ref


# -- changing ---------------------------------------------------------------------------------


def add_delegation(meeting: Meeting, details: OrganisationDetails) -> Delegation:
    """A new organisation at the meeting; OrganisationProblems if the details are wrong."""
    lock_meeting(meeting)
    clean = _checked(meeting, details, ignore=None)
    return _added(meeting, _restated(_organisation(clean["kind"], clean["name"]), clean), clean)


def _added(
    meeting: Meeting, organisation: Organisation, clean: dict[str, Any], *, confirmed: bool = True
) -> Delegation:
    """The delegation stored and audited ("added" by an organiser, else "proposed")."""
    delegation = Delegation(
        meeting=meeting,
        organisation=organisation,
        ref=_new_ref(meeting, clean["acronym"], clean["name"]),
        confirmed=confirmed,
        **clean,
    )
    db.session.add(delegation)
    db.session.flush()
    audit.log(
        "organisation.added" if confirmed else "organisation.proposed",
        meeting=meeting,
        target=f"{delegation.ref} ({delegation.name})",
        details={k: v.value if isinstance(v, OrganisationKind) else v for k, v in clean.items()},
    )
    return delegation


def _same_organisation(meeting: Meeting, kind: str, name: str) -> Delegation | None:
    """The meeting's organisation of that kind and (folded) name, confirmed or not."""
    key = Organisation.key_for(name or "")
    for other in meeting.delegations:
        if other.kind == kind and Organisation.key_for(other.name) == key:
            return other
    return None


def check_proposal(meeting: Meeting, details: OrganisationDetails) -> None:
    """OrganisationProblems if a registrant's "not listed" organisation cannot be stored.

    One the meeting has already (by kind and name) is no problem: the registrant joins it.
    """
    if _same_organisation(meeting, details.kind, details.name) is None:
        _checked(meeting, replace(details, quota=None), ignore=None)


def proposed_delegation(meeting: Meeting, details: OrganisationDetails) -> Delegation:
    """The organisation a registrant names as not listed: the meeting's own of that kind and
    name if it has one (confirmed, or named by someone before), else a new unconfirmed one."""
    lock_meeting(meeting)
    found = _same_organisation(meeting, details.kind, details.name)
    if found is not None:
        return found
    clean = _checked(meeting, replace(details, quota=None), ignore=None)
    organisation = _organisation(clean["kind"], clean["name"])
    if organisation.id is None:  # new everywhere: the registrant's words are all there is
        _restated(organisation, clean)
    return _added(meeting, organisation, clean, confirmed=False)


def confirm_delegation(meeting: Meeting, ref: str) -> Delegation:
    """An organisation named by a registrant becomes one of the meeting's (once: confirming
    a confirmed one changes nothing). Its people's registrations then follow the approval rule:
    see registration.service.organisation_confirmed."""
    lock_meeting(meeting)
    delegation = _live(meeting, ref)
    if not delegation.confirmed:
        delegation.confirmed = True
        db.session.flush()
        audit.log(
            "organisation.confirmed",
            meeting=meeting,
            target=f"{delegation.ref} ({delegation.name})",
            details={"registrations": len(delegation.participants)},
        )
    return delegation


def change_delegation(
    meeting: Meeting, ref: str, details: OrganisationDetails
) -> tuple[Delegation, tuple[str, ...], list[str]]:
    """The organisation's details changed: (it, the fields that changed, warnings)."""
    lock_meeting(meeting)
    delegation = _live(meeting, ref)
    clean = _checked(meeting, details, ignore=delegation)
    changed = tuple(key for key, value in clean.items() if getattr(delegation, key) != value)
    if not changed:
        return delegation, (), []
    before = {key: getattr(delegation, key) for key in changed}
    for key in changed:
        setattr(delegation, key, clean[key])
    if {"name", "kind"} & set(changed):
        delegation.organisation = _organisation(clean["kind"], clean["name"])
    _restated(delegation.organisation, clean)
    db.session.flush()
    audit.log(
        "organisation.changed",
        meeting=meeting,
        target=f"{delegation.ref} ({delegation.name})",
        details={
            key: {"from": _loggable(before[key]), "to": _loggable(clean[key])} for key in changed
        },
    )
    warnings = _quota_warnings(delegation) if {"quota", "kind"} & set(changed) else []
    return delegation, changed, warnings


def _loggable(value: object) -> object:
    return value.value if isinstance(value, OrganisationKind) else value


def _approved(delegation: Delegation) -> list[Participant]:
    return [p for p in delegation.participants if p.status is RegistrationStatus.APPROVED]


def _quota_warnings(delegation: Delegation, extra: list[Participant] | None = None) -> list[str]:
    approved = len(_approved(delegation)) + len(extra or [])
    quota = delegation.seat_quota()
    if quota is None or approved <= quota:
        return []
    return [
        gettext(
            "%(organisation)s has %(approved)d approved participants, more than its quota of "
            "%(quota)d. Nobody loses their place, but nobody more of it is approved until it is "
            "within its quota.",
            organisation=delegation.display_name,
            approved=approved,
            quota=quota,
        )
    ]


def merge_plan(meeting: Meeting, source_ref: str, target_ref: str) -> MergePlan:
    """What merging one organisation into another would do; nothing is changed."""
    source = _live(meeting, source_ref)
    target = _live(meeting, target_ref)
    if source.id == target.id:
        raise OrganisationProblems(
            {"target": gettext("Choose another organisation to merge this one into.")}
        )
    moving = list(source.participants)
    moving_approved = [p for p in moving if p.status is RegistrationStatus.APPROVED]
    warnings = _quota_warnings(target, moving_approved)
    heads = [
        p
        for p in (*_approved(target), *moving_approved)
        if p.role is ParticipantRole.HEAD_OF_DELEGATION
    ]
    if len(heads) > 1:
        warnings.append(
            ngettext(
                "%(organisation)s would have %(num)d approved heads of delegation: keep one.",
                "%(organisation)s would have %(num)d approved heads of delegation: keep one.",
                len(heads),
                organisation=target.display_name,
            )
        )
    return MergePlan(source, target, len(moving), tuple(warnings), tuple(moving))


def merge_delegations(meeting: Meeting, source_ref: str, target_ref: str) -> MergePlan:
    """Merge one organisation into another: its registrations (and the action items it owns)
    move to the target, and it is gone from the meeting. Returns what was done."""
    lock_meeting(meeting)
    plan = merge_plan(meeting, source_ref, target_ref)
    source, target = plan.source, plan.target
    for person in list(source.participants):
        person.delegation = target
    for outcome in db.session.scalars(sa.select(Outcome).where(Outcome.owner_id == source.id)):
        outcome.owner = target
    db.session.flush()
    meeting.delegations.remove(source)
    db.session.delete(source)
    db.session.flush()
    audit.log(
        "organisation.merged",
        meeting=meeting,
        target=f"{source.ref} ({source.name})",
        details={"into": f"{target.ref} ({target.name})", "registrations": plan.registrations},
    )
    return plan
