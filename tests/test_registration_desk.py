"""The organisers' registration desk: figures, search, filters, sort, pages, decisions, edits."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from bench.generate import generate_meeting
from eventapp.extensions import db
from eventapp.models import AuditEntry, Meeting, Participant, RegistrationStatus
from eventapp.registration.desk import fold, page_links
from tests.factories import DEMO_SLUG, load, make_account, open_meeting, participant
from tests.helpers import (
    DESK_ORGANISER,
    REGISTRATIONS,
    bearer,
    csrf_token,
    delivered_to,
    mail_text,
    registration_count,
    sign_in,
)

DESK = f"/meetings/{DEMO_SLUG}/manage/"
DECISIONS = f"/meetings/{DEMO_SLUG}/manage/decisions"
ORGANISER = DESK_ORGANISER  # signed in by the `desk` fixture (tests/conftest.py)


def _decide(ref: str, action: str) -> str:
    return f"/meetings/{DEMO_SLUG}/manage/registrations/{ref}/{action}"


def _detail(ref: str) -> str:
    return f"/meetings/{DEMO_SLUG}/manage/registrations/{ref}"


def _refs(html: str) -> list[str]:
    """The registrations the desk lists, in its order."""
    return re.findall(r'<tr id="p-([^"]+)">', html)


def _status(ref: str) -> RegistrationStatus:
    db.session.expire_all()
    status = db.session.scalar(sa.select(Participant.status).where(Participant.ref == ref))
    assert status is not None, ref
    return status


def _listed(client: FlaskClient, query: str = "") -> list[str]:
    response = client.get(DESK + query)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return _refs(response.get_data(as_text=True))


# -- search, filters, sort, pages ------------------------------------------------------------


def test_the_fold_lowers_and_drops_accents() -> None:
    assert fold("Lucía RAMÍREZ") == "lucia ramirez"
    assert fold("Nguyễn Thị") == "nguyen thi"
    assert fold("Gaël Côté") == "gael cote"
    assert fold("ΑΘΗΝΑ Київ") == "αθηνα киів"


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("lucia", {"p-unodc"}),
        ("RAMIREZ", {"p-unodc"}),
        ("Ramírez", {"p-unodc"}),
        ("nguyen", {"p-asean-2"}),
        ("gael marchetti", {"p-wco"}),
        ("p-wco@example", {"p-wco"}),
        ("traffic", {"p-traffic", "p-pending"}),
        ("chloe traffic", {"p-traffic"}),
        ("Thailand", {"p-th-1", "p-late"}),
        ("ASEAN-WEN", {"p-asean-1", "p-asean-2"}),
        ("TOMÁS O'BRIEN", {"p-freeland"}),
        ("p-th-1@example.org", {"p-th-1"}),
        ("(dos)", set()),
        ("[a-z]", set()),
        ("%", set()),
        ("_", set()),
        ("nobody like this", set()),
    ],
)
def test_search_finds_name_address_and_organisation_whatever_the_accents_and_case(
    client: FlaskClient, desk: Meeting, q: str, expected: set[str]
) -> None:
    assert set(_listed(client, f"?q={q}")) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=waitlisted", {"p-late"}),
        ("status=pending", {"p-pending"}),
        ("kind=cso", {"p-traffic", "p-pending", "p-freeland"}),
        ("kind=donor", {"p-dos"}),
        ("organisation=th", {"p-th-1", "p-late"}),
        ("funded=yes", {"p-sawen-1", "p-latf-1", "p-roavis-1", "p-ke-1", "p-vn-1"}),
        ("visa_letter=yes", {"p-sawen-1", "p-latf-1", "p-ke-1"}),
        ("visa_letter=yes&kind=country", {"p-ke-1"}),
        ("organisation=th&status=approved", {"p-th-1"}),
        ("checked_in=yes", set()),
        ("travel_support=yes", set()),
    ],
)
def test_filters_narrow_the_list(
    client: FlaskClient, desk: Meeting, query: str, expected: set[str]
) -> None:
    assert set(_listed(client, "?" + query)) == expected


def test_not_funded_and_checked_in_filters(client: FlaskClient, desk: Meeting) -> None:
    person = db.session.scalar(sa.select(Participant).where(Participant.ref == "p-za-1"))
    assert person is not None
    person.checked_in_at = datetime(2013, 3, 4, 8, 0, tzinfo=UTC)
    db.session.commit()
    assert _listed(client, "?checked_in=yes") == ["p-za-1"]
    everyone = len(desk.participants)
    assert len(_listed(client, "?checked_in=no")) == everyone - 1
    # "no" includes those who said nothing (None) as well as those who said no.
    assert len(_listed(client, "?funded=no")) == everyone - 5


def test_sorts_by_name_organisation_status_and_arrival(client: FlaskClient, desk: Meeting) -> None:
    people = {p.ref: p for p in desk.participants}
    by_name = _listed(client)
    assert by_name == sorted(
        by_name,
        key=lambda ref: (
            fold(people[ref].family_name),
            fold(people[ref].given_name),
            people[ref].id,
        ),
    )
    by_status = _listed(client, "?sort=status")
    order = list(RegistrationStatus)
    assert [order.index(people[r].status) for r in by_status] == sorted(
        order.index(people[r].status) for r in by_status
    )
    by_organisation = _listed(client, "?sort=organisation")
    names = [fold(people[r].delegation.name) for r in by_organisation]
    assert names == sorted(names)
    newest = _listed(client, "?sort=-registered")
    oldest = _listed(client, "?sort=registered")
    assert newest and oldest and len(newest) == len(oldest) == len(people)
    stamps = [people[r].registered_at for r in oldest if people[r].registered_at]
    assert stamps == sorted(stamps)


@pytest.fixture
def big_desk(client: FlaskClient) -> Meeting:
    """A synthetic meeting of about 110 registrations, and its organiser signed in."""
    meeting = load(generate_meeting(1, seed=3))
    make_account(ORGANISER, "organiser", meeting=meeting)
    assert sign_in(client, ORGANISER).status_code == 302
    return meeting


def test_pages_of_fifty_with_links_and_a_count(client: FlaskClient, big_desk: Meeting) -> None:
    total = len(big_desk.participants)
    assert 100 < total <= 150
    desk = f"/meetings/{big_desk.slug}/manage/"
    seen: list[str] = []
    for page in (1, 2, 3):
        html = client.get(f"{desk}?page={page}").get_data(as_text=True)
        refs = _refs(html)
        seen += refs
        first, last = 50 * (page - 1) + 1, min(50 * page, total)
        assert len(refs) == last - first + 1
        assert f"Registrations {first}–{last} of {total}" in html
        current = re.search(
            r'aria-current="page"><span class="visually-hidden">Page </span>(\d+)<', html
        )
        assert current and current[1] == str(page)
    assert len(set(seen)) == total
    # Past the end: the last page.
    assert _refs(client.get(f"{desk}?page=99").get_data(as_text=True)) == seen[100:]
    # The filters stay in the page links.
    html = client.get(f"{desk}?status=approved&sort=status").get_data(as_text=True)
    approved = sum(p.status is RegistrationStatus.APPROVED for p in big_desk.participants)
    if approved > 50:
        assert "status=approved" in re.search(r'href="([^"]*page=2[^"]*)"', html)[1]  # type: ignore[index]


def test_page_links_skip_the_middle() -> None:
    assert page_links(1, 1) == [1]
    assert page_links(1, 10) == [1, 2, 3, None, 10]
    assert page_links(6, 10) == [1, None, 4, 5, 6, 7, 8, None, 10]
    assert page_links(10, 10) == [1, None, 8, 9, 10]


@pytest.mark.parametrize(
    "query", ["status=maybe", "kind=planet", "organisation=atlantis", "page=abc", "sort=salary"]
)
def test_a_bad_filter_is_said_on_the_page(client: FlaskClient, desk: Meeting, query: str) -> None:
    response = client.get(f"{DESK}?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    # The unfiltered list is still shown under the message.
    assert len(_refs(html)) == len(desk.participants)


# -- figures and the chart -------------------------------------------------------------------


def test_counts_by_kind_and_status_and_quotas(client: FlaskClient, desk: Meeting) -> None:
    html = client.get(DESK).get_data(as_text=True)
    table = re.search(
        r"<caption[^>]*>Registrations by kind of organisation and status(.*?)</table>", html, re.S
    )
    assert table
    rows = {
        m[0]: [int(n) for n in re.findall(r"<td>(\d+)</td>", m[1])]
        for m in re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', table[1], re.S)
    }
    # pending, approved, waitlisted, declined, cancelled, total
    assert rows["Civil-society organisation"] == [1, 2, 0, 0, 0, 3]
    assert rows["All"] == [1, 22, 1, 0, 0, 24]
    assert "22 approved of a capacity of 120." in html
    # Quota per intergovernmental organisation 4; six of them, none full, 8 approved.
    quotas = re.findall(r'<tr><th scope="row">([^<]+)</th>((?:<td>\d+</td>)+)</tr>', html)
    igo = [q for q in quotas if q[0] == "Intergovernmental organisation"][-1]
    assert [int(n) for n in re.findall(r"\d+", igo[1])] == [4, 6, 0, 8]
    assert "(full)" not in html
    token = csrf_token(client, DESK)
    client.post(_decide("p-pending", "approve"), data={"csrf_token": token})
    html = client.get(DESK).get_data(as_text=True)
    assert re.search(r"TRAFFIC</a></th><td>[^<]+</td><td>2 <strong>\(full\)", html)


def test_the_chart_is_valid_svg_with_a_title(client: FlaskClient, desk: Meeting) -> None:
    html = client.get(DESK).get_data(as_text=True)
    svg = re.search(r"<svg .*?</svg>", html, re.S)
    assert svg
    root = ElementTree.fromstring(svg[0])
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert root.get("role") == "img"
    title = root.find(f"{ns}title")
    assert title is not None and title.text
    assert root.get("aria-labelledby", "").split()[0] == title.get("id")
    bars = root.findall(f".//{ns}rect")
    assert len(bars) >= 5 + 5  # the legend's five, and a bar per kind at least


# -- decisions -------------------------------------------------------------------------------


@pytest.fixture
def newcomer(client: FlaskClient, desk: Meeting) -> str:
    """A pending registration for TRAFFIC, whose CSO quota (2) has one place left."""
    response = client.post(REGISTRATIONS, json=participant(1, "traffic"), headers=bearer(ORGANISER))
    assert response.status_code == 201
    return str(response.get_json()["ref"])


def _bulk(client: FlaskClient, refs: list[str], action: str, **extra: str) -> dict[str, object]:
    return {
        "csrf_token": csrf_token(client, DESK),
        "action": action,
        "ref": refs,
        "reason": "Welcome to the meeting",
        **extra,
    }


def test_bulk_approval_asks_for_confirmation_first(
    client: FlaskClient, desk: Meeting, newcomer: str
) -> None:
    response = client.post(DECISIONS, data=_bulk(client, ["p-pending", newcomer], "approve"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Approve 2 registrations?" in html
    assert "Sione Fifita" in html and "Person 1 Ndlovu" in html
    assert 'name="confirmed" value="yes"' in html
    assert _status("p-pending") is RegistrationStatus.PENDING
    assert _status(newcomer) is RegistrationStatus.PENDING


def test_bulk_approval_with_a_reason_follows_quotas_audits_and_mails(
    app, client: FlaskClient, desk: Meeting, newcomer: str
) -> None:
    data = _bulk(client, [newcomer, "p-pending", "p-late", "p-th-1"], "approve", confirmed="yes")
    response = client.post(DECISIONS, data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # p-pending registered first: it takes TRAFFIC's last place; the newcomer waits.
    assert _status("p-pending") is RegistrationStatus.APPROVED
    assert _status(newcomer) is RegistrationStatus.WAITLISTED
    assert _status("p-late") is RegistrationStatus.APPROVED
    assert "2 registrations approved." in html
    assert "Person 1 Ndlovu is on the waiting list: TRAFFIC has no place left" in html
    assert "Siriporn Chaiyasit was approved already." in html
    reasons = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "registration.approved")
    ).all()
    assert {e.target.split()[0] for e in reasons if e.details.get("reason")} == {  # type: ignore[union-attr]
        "p-pending",
        "p-late",
    }
    mail = mail_text(delivered_to(app, "p-pending@example.org")[-1])
    assert "Welcome to the meeting" in mail and "approved" in mail
    waiting = mail_text(delivered_to(app, "person1@example.org")[-1])
    assert "Welcome to the meeting" in waiting and "waiting list" in waiting
    assert delivered_to(app, "p-th-1@example.org") == []  # nothing changed for her


def test_bulk_decline_of_an_approved_person_promotes_and_says_so(
    app, client: FlaskClient, desk: Meeting
) -> None:
    # Thailand (country quota 2): p-th-1 approved; a third waits behind p-late.
    data = _bulk(client, ["p-th-1"], "decline", confirmed="yes", reason="")
    html = client.post(DECISIONS, data=data).get_data(as_text=True)
    assert "1 registration declined." in html
    assert _status("p-th-1") is RegistrationStatus.DECLINED
    assert _status("p-late") is RegistrationStatus.APPROVED
    assert "Anan Wongsa was on the waiting list and is now approved" in html
    assert "reason" not in mail_text(delivered_to(app, "p-late@example.org")[-1])


def test_a_refused_transition_is_a_sentence(client: FlaskClient, desk: Meeting) -> None:
    client.post(DECISIONS, data=_bulk(client, ["p-pending"], "cancel", confirmed="yes"))
    html = client.post(
        DECISIONS, data=_bulk(client, ["p-pending", "p-late"], "decline", confirmed="yes")
    ).get_data(as_text=True)
    assert "1 registration declined." in html
    assert "Sione Fifita: A registration with the status “Cancelled” cannot be declined." in html


def test_a_decision_without_a_selection_or_without_csrf_changes_nothing(
    client: FlaskClient, desk: Meeting
) -> None:
    response = client.post(DECISIONS, data=_bulk(client, [], "approve", confirmed="yes"))
    assert response.status_code == 303
    assert "Tick at least one registration" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    data = _bulk(client, ["p-pending"], "approve", confirmed="yes")
    del data["csrf_token"]
    assert client.post(DECISIONS, data=data).status_code == 400
    forged = _bulk(client, ["p-pending"], "delete", confirmed="yes")
    assert client.post(DECISIONS, data=forged).status_code == 303
    assert _status("p-pending") is RegistrationStatus.PENDING


def test_a_single_decline_is_confirmed_then_done_with_its_reason(
    app, client: FlaskClient, desk: Meeting
) -> None:
    token = csrf_token(client, DESK)
    asked = client.post(_decide("p-pending", "decline"), data={"csrf_token": token})
    assert asked.status_code == 200
    assert "Decline 1 registration?" in asked.get_data(as_text=True)
    assert _status("p-pending") is RegistrationStatus.PENDING
    done = client.post(
        _decide("p-pending", "decline"),
        data={"csrf_token": token, "confirmed": "yes", "reason": "The delegation is complete."},
    )
    assert done.status_code == 303
    assert done.headers["Location"].endswith(_detail("p-pending"))
    assert _status("p-pending") is RegistrationStatus.DECLINED
    mail = mail_text(delivered_to(app, "p-pending@example.org")[-1])
    assert "The organisers' reason: The delegation is complete." in mail
    page = client.get(_detail("p-pending")).get_data(as_text=True)
    assert "Reason: The delegation is complete." in page


def test_a_single_approval_from_the_list_needs_no_confirmation(
    client: FlaskClient, desk: Meeting
) -> None:
    token = csrf_token(client, DESK)
    response = client.post(
        _decide("p-pending", "approve"), data={"csrf_token": token, "back": "status=pending"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{DESK}?status=pending#p-p-pending")
    assert _status("p-pending") is RegistrationStatus.APPROVED


def test_back_goes_only_to_the_desk(client: FlaskClient, desk: Meeting) -> None:
    token = csrf_token(client, DESK)
    response = client.post(
        _decide("p-pending", "approve"),
        data={"csrf_token": token, "back": "next=https://evil.example/&slug=x&status=pending"},
    )
    assert response.headers["Location"].endswith(f"{DESK}?status=pending#p-p-pending")


def test_tick_all_on_this_page(client: FlaskClient, desk: Meeting) -> None:
    html = client.get(f"{DESK}?select=page&kind=cso").get_data(as_text=True)
    assert len(re.findall(r'name="ref" value="[^"]+" id="tick-\d+" checked', html)) == 3


# -- a registration's page, edits and additions ----------------------------------------------


def test_the_detail_page_shows_details_and_history_newest_first(
    client: FlaskClient, desk: Meeting
) -> None:
    token = csrf_token(client, DESK)
    client.post(_decide("p-pending", "approve"), data={"csrf_token": token, "reason": "First"})
    client.post(
        _decide("p-pending", "cancel"),
        data={"csrf_token": token, "reason": "Second", "confirmed": "yes"},
    )
    html = client.get(_detail("p-pending")).get_data(as_text=True)
    assert "Sione Fifita" in html and "p-pending@example.org" in html and "TRAFFIC" in html
    assert html.index("Reason: Second") < html.index("Reason: First")
    assert "Chloé" not in html  # another person's history stays out
    assert client.get(_detail("nobody")).status_code == 404


def _edit_form(client: FlaskClient, ref: str, **changes: str) -> dict[str, str]:
    from tests.helpers import form_fields

    path = f"{_detail(ref)}/edit"
    data = form_fields(client.get(path).get_data(as_text=True))
    data.update(changes)
    return data


def test_an_organiser_edits_a_registration(client: FlaskClient, desk: Meeting) -> None:
    data = _edit_form(
        client, "p-pending", given_name="Sione T.", email="sione@example.org", dietary="halal"
    )
    response = client.post(f"{_detail('p-pending')}/edit", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    person = db.session.scalar(sa.select(Participant).where(Participant.ref == "p-pending"))
    assert person is not None
    assert (person.given_name, person.email, person.email_key, person.dietary) == (
        "Sione T.",
        "sione@example.org",
        "sione@example.org",
        "halal",
    )
    assert person.status is RegistrationStatus.PENDING
    html = client.get(_detail("p-pending")).get_data(as_text=True)
    assert "Details changed" in html and "Given name" in html


def test_saving_an_untouched_registration_records_no_change(
    client: FlaskClient, desk: Meeting
) -> None:
    person = db.session.scalar(sa.select(Participant).where(Participant.ref == "p-pending"))
    assert person is not None
    person.funded = person.needs_visa_letter = None  # never asked, as an import may leave it
    db.session.commit()
    data = _edit_form(client, "p-pending")
    response = client.post(f"{_detail('p-pending')}/edit", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    person = db.session.scalar(sa.select(Participant).where(Participant.ref == "p-pending"))
    assert person is not None and person.funded is None and person.needs_visa_letter is None
    assert "Details changed" not in client.get(_detail("p-pending")).get_data(as_text=True)


def test_an_edit_is_checked_like_a_registration(client: FlaskClient, desk: Meeting) -> None:
    path = f"{_detail('p-pending')}/edit"
    taken = client.post(path, data=_edit_form(client, "p-pending", email="P-TRAFFIC@example.org"))
    assert taken.status_code == 400
    assert "already registered" in taken.get_data(as_text=True)
    blank = client.post(path, data=_edit_form(client, "p-pending", family_name=""))
    assert blank.status_code == 400
    # Thailand has its head of delegation, p-th-1: a second head is refused.
    head = client.post(
        f"{_detail('p-za-1')}/edit", data=_edit_form(client, "p-za-1", organisation="th")
    )
    assert head.status_code == 400
    assert "Thailand has a head of delegation already" in head.get_data(as_text=True)
    # p-th-1 approved and a quota of 2 for countries: one place, then none.
    move = client.post(
        f"{_detail('p-za-1')}/edit",
        data=_edit_form(client, "p-za-1", organisation="th", role="delegate"),
    )
    assert move.status_code == 303
    again = client.post(
        f"{_detail('p-ke-1')}/edit",
        data=_edit_form(client, "p-ke-1", organisation="th", role="delegate"),
    )
    assert again.status_code == 400
    assert "Thailand has no approved place left within its quota" in again.get_data(as_text=True)
    db.session.expire_all()
    person = db.session.scalar(sa.select(Participant).where(Participant.ref == "p-ke-1"))
    assert person is not None and person.delegation.ref == "ke"
    assert (
        db.session.scalar(sa.select(Participant.family_name).where(Participant.ref == "p-pending"))
        == "Fifita"
    )


def test_an_organiser_adds_a_registration(app, client: FlaskClient, desk: Meeting) -> None:
    path = f"/meetings/{DEMO_SLUG}/manage/new-registration"
    before = registration_count()
    data = {
        "csrf_token": csrf_token(client, path),
        "organisation": "vn",
        "given_name": "Lan",
        "family_name": "Phạm",
        "email": "lan@example.org",
        "role": "delegate",
        "position": "Director",
    }
    response = client.post(path, data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert registration_count() == before + 1
    person = db.session.scalar(sa.select(Participant).where(Participant.email == "lan@example.org"))
    assert person is not None and person.status is RegistrationStatus.PENDING
    assert response.headers["Location"].endswith(_detail(person.ref))
    assert delivered_to(app, "lan@example.org")
    assert "Registered" in client.get(_detail(person.ref)).get_data(as_text=True)
    again = client.post(path, data={**data, "csrf_token": csrf_token(client, path)})
    assert again.status_code == 400
    assert registration_count() == before + 1


def test_markup_in_names_is_text_on_every_desk_page(client: FlaskClient, desk: Meeting) -> None:
    person = db.session.scalar(sa.select(Participant).where(Participant.ref == "p-pending"))
    assert person is not None
    person.given_name = "<script>alert(1)</script>"
    db.session.commit()
    token = csrf_token(client, DESK)
    pages = [
        client.get(DESK).get_data(as_text=True),
        client.get(_detail("p-pending")).get_data(as_text=True),
        client.post(DECISIONS, data=_bulk(client, ["p-pending"], "decline")).get_data(as_text=True),
        client.post(_decide("p-pending", "cancel"), data={"csrf_token": token}).get_data(
            as_text=True
        ),
    ]
    for html in pages:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert" not in html


# -- who may -------------------------------------------------------------------------------------


ROUTES = [
    ("GET", DESK),
    ("GET", _detail("p-pending")),
    ("GET", f"{_detail('p-pending')}/edit"),
    ("POST", f"{_detail('p-pending')}/edit"),
    ("GET", f"/meetings/{DEMO_SLUG}/manage/new-registration"),
    ("POST", f"/meetings/{DEMO_SLUG}/manage/new-registration"),
    ("POST", DECISIONS),
    ("POST", _decide("p-pending", "approve")),
    ("POST", _decide("p-pending", "decline")),
    ("GET", f"/meetings/{DEMO_SLUG}/manage/registrations.csv"),
    ("GET", f"/meetings/{DEMO_SLUG}/manage/registrations.xlsx"),
]


@pytest.mark.parametrize("persona", ["anonymous", "participant", "rapporteur"])
def test_only_organisers_reach_the_desk(app, persona: str) -> None:
    meeting = open_meeting()
    client = app.test_client()
    if persona != "anonymous":
        make_account(f"{persona}@example.org", persona, meeting=meeting)
        assert sign_in(client, f"{persona}@example.org").status_code == 302
    token = csrf_token(client, "/login")
    for method, path in ROUTES:
        data = {
            "csrf_token": token,
            "ref": "p-pending",
            "action": "approve",
            "confirmed": "yes",
        }
        response = client.open(path, method=method, data=data if method == "POST" else None)
        if persona == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"], path
        else:
            assert response.status_code == 403, path
        assert b"Fifita" not in response.data
    assert _status("p-pending") is RegistrationStatus.PENDING


def test_an_organisation_s_own_quota_is_the_one_the_desk_counts(
    client: FlaskClient, desk: Meeting
) -> None:
    from eventapp.models import Delegation

    traffic = db.session.scalar(sa.select(Delegation).where(Delegation.ref == "traffic"))
    assert traffic is not None
    traffic.quota = 1  # TRAFFIC has one approved: full, though CSOs may have 2
    db.session.commit()
    html = client.get(DESK).get_data(as_text=True)
    assert re.search(
        r"TRAFFIC</a></th><td>[^<]+</td><td>1 <strong>\(full\)</strong></td><td>1</td>", html
    )
    quotas = re.findall(r'<tr><th scope="row">([^<]+)</th>((?:<td>\d+</td>)+)</tr>', html)
    cso = [q for q in quotas if q[0] == "Civil-society organisation"][-1]
    assert [int(n) for n in re.findall(r"\d+", cso[1])] == [2, 2, 1, 2]


def test_a_confirmation_with_nothing_to_do_says_so_and_offers_no_button(
    client: FlaskClient, desk: Meeting
) -> None:
    html = client.post(DECISIONS, data=_bulk(client, ["p-th-1", "p-za-1"], "approve")).get_data(
        as_text=True
    )
    assert "Nothing to decide" in html and "Nothing: approved already." in html
    assert 'name="confirmed"' not in html
