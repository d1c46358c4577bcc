"""One vocabulary: every enum value people read has one label, in every language, everywhere."""

from __future__ import annotations

import enum
import re
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale

from eventapp.models import AccountRole, OrganisationKind, RegistrationStatus
from eventapp.vocabulary import HEADINGS, LABELS, NAMED_ENUMS, label
from tests.factories import DEMO_SLUG as MEETING
from tests.factories import make_account
from tests.helpers import sign_in

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
WAITLISTED_EMAIL = "p-late@example.org"  # the demo's one registration on the waiting list


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
@pytest.mark.parametrize("enum_cls", NAMED_ENUMS, ids=lambda cls: cls.__name__)
def test_every_value_has_a_label_that_is_not_its_raw_value(
    app: Flask, enum_cls: type[enum.Enum], lang: str
) -> None:
    with app.test_request_context(), force_locale(lang):
        for value in enum_cls:
            text = label(value)
            assert text.strip(), f"{value!r} has an empty label in {lang}"
            assert text not in {value.value, value.name}, f"{value!r} reads as its raw value"


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_headings_are_named_and_differ_from_the_single_label(app: Flask, lang: str) -> None:
    assert set(HEADINGS[OrganisationKind]) == set(OrganisationKind)
    with app.test_request_context(), force_locale(lang):
        for value in (v for table in HEADINGS.values() for v in table):
            assert label(value, heading=True).strip()
            if lang == "en":  # French "Pays" is one country and several
                assert label(value, heading=True) != label(value)


def test_each_enum_has_its_own_table_of_exactly_its_values() -> None:
    import eventapp.models as models

    every_enum = {
        v for v in vars(models).values() if isinstance(v, type) and issubclass(v, enum.Enum)
    }
    # A new enum of the models is shown to someone sooner or later: it needs its words here.
    assert set(NAMED_ENUMS) == every_enum
    for enum_cls, table in (*LABELS.items(), *HEADINGS.items()):
        assert all(type(value) is enum_cls for value in table), enum_cls
    for enum_cls, table in LABELS.items():
        assert set(table) == set(enum_cls), enum_cls


def test_a_bare_string_is_refused(app: Flask) -> None:
    # "approved" is a registration's status and a record's: the enum says which.
    with app.test_request_context(), pytest.raises(TypeError):
        label("approved")  # type: ignore[arg-type]


def test_the_template_filter_reads_the_vocabulary(app: Flask) -> None:
    with app.test_request_context(), force_locale("fr"):
        assert render_template_string(
            "{{ status|label }}", status=RegistrationStatus.WAITLISTED
        ) == label(RegistrationStatus.WAITLISTED)
        assert render_template_string(
            "{{ kind|label(heading=True) }}", kind=OrganisationKind.CSO
        ) == label(OrganisationKind.CSO, heading=True)


def _values_pattern() -> re.Pattern[str]:
    values = sorted({str(v.value) for cls in NAMED_ENUMS for v in cls}, key=len, reverse=True)
    return re.compile(r"\{\s*[\"'](" + "|".join(map(re.escape, values)) + r")[\"']\s*:")


def test_no_template_keeps_a_label_table_of_its_own() -> None:
    pattern = _values_pattern()
    tables = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for match in pattern.finditer(path.read_text("utf-8"))
    ]
    assert tables == []


def test_a_status_reads_the_same_on_the_desk_and_for_the_participant(client, demo_meeting) -> None:  # type: ignore[no-untyped-def]
    """The organisers' desk, the participant's account and their registration page agree."""
    make_account("organiser@example.org", "organiser", meeting=demo_meeting)
    make_account(WAITLISTED_EMAIL)
    waiting = label(RegistrationStatus.WAITLISTED)
    person = next(p for p in demo_meeting.participants if p.email == WAITLISTED_EMAIL)

    sign_in(client, "organiser@example.org")
    desk = client.get(f"/meetings/{MEETING}/manage/").get_data(as_text=True)
    assert f'<span class="status status-waitlisted">{waiting}</span>' in desk
    client.post("/logout", data={})
    client.delete_cookie("session")

    sign_in(client, WAITLISTED_EMAIL)
    account = client.get("/account").get_data(as_text=True)
    own = client.get(f"/account/registrations/{person.id}").get_data(as_text=True)
    assert f'<span class="status status-waitlisted">{waiting}</span>' in account
    assert f"<dd>{waiting}</dd>" in own
    for html in (desk, account, own):
        assert "on the waiting list</" not in html


def test_an_appointed_role_reads_as_its_label(client, demo_meeting) -> None:  # type: ignore[no-untyped-def]
    make_account("organiser@example.org", "organiser", meeting=demo_meeting)
    make_account("rapp@example.org", "rapporteur", meeting=demo_meeting)
    sign_in(client, "organiser@example.org")
    team = client.get(f"/meetings/{MEETING}/manage/team").get_data(as_text=True)
    assert f"<td>{label(AccountRole.RAPPORTEUR)}</td>" in team
    assert f"<td>{label(AccountRole.ORGANISER)}</td>" in team
