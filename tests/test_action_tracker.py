"""The organisers' action tracker (/meetings/<slug>/actions): who sees it, its filters and
counts, marking actions done (a FOLLOWED_UP revision that keeps the record's status), stale
rows, the CSV export, and the open actions of the same organisations from earlier meetings."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from eventapp.extensions import db
from eventapp.lookups import find_session
from eventapp.models import (
    AuditEntry,
    Meeting,
    Outcome,
    OutcomeKind,
    RecordRevision,
    RecordStatus,
    RevisionChange,
    User,
)
from eventapp.records import service, tracker
from tests.factories import DEMO_SLUG, demo_document, load, make_account
from tests.helpers import csrf_token, organiser_headers, sign_in

ACTIONS = f"/meetings/{DEMO_SLUG}/actions"
FOLLOW_UP = f"{ACTIONS}/follow-up"
ORGANISER = "tracker-organiser@example.org"
ICCWC_FIRST = "ICCWC to facilitate increased interaction amongst WENs"
ICCWC_SECOND = "ICCWC partners to develop a strategy"

# Added to the draft record of s-close (besides the two approved ICCWC actions of s-iccwc).
EXTRA_ACTIONS: list[dict[str, Any]] = [
    {"kind": "decision", "text": "Not an action."},
    {"kind": "action", "text": "Circulate the report.", "owner": "cites", "done": True},
    {"kind": "action", "text": "=cmd|' /C calc'!A0", "owner": "th", "due": "2099-01-31"},
    {"kind": "action", "text": "Someone should follow up."},
]


def write_record(meeting: Meeting, ref: str, user: User, **changes: Any) -> None:
    """The session's record as it stands with these changes, saved by `user`, committed."""
    db.session.expire_all()
    session = find_session(meeting, ref)
    assert session is not None
    data = {**service.document(session), **changes}
    service.replace(meeting, session, data, user=user, read_current=lambda tag: True)
    db.session.commit()


@pytest.fixture
def organiser(demo_meeting: Meeting) -> User:
    user = make_account(ORGANISER, "organiser", meeting=demo_meeting)
    write_record(
        demo_meeting,
        "s-close",
        user,
        outcomes=[
            *service.document(find_session(demo_meeting, "s-close")).get("outcomes", []),
            *EXTRA_ACTIONS,
        ],  # type: ignore[arg-type]
    )
    return user


def rows(html: str) -> list[str]:
    """The text of each action's row on the page, in order."""
    found = []
    for row in re.findall(r'<tr id="action-\d+">(.*?)</tr>', html, re.S):
        # What a sighted reader sees: not the tick box's label, nor the buttons' hidden words.
        row = re.sub(r'<td class="tick">.*?</td>|<span class="visually-hidden">.*?</span>', "", row)
        found.append(" ".join(re.sub(r"<[^>]+>", " ", row).split()))
    return found


def tokens(html: str) -> list[str]:
    return re.findall(r'name="action" value="([^"]+)"', html)


def counts(html: str) -> tuple[int, int, int]:
    found = [
        int(re.search(rf">{word}: (\d+)</a>", html)[1])  # type: ignore[index]
        for word in ("Open", "Overdue", "Done")
    ]
    return found[0], found[1], found[2]


def outcome(text_start: str) -> Outcome:
    db.session.expire_all()
    found = db.session.scalar(sa.select(Outcome).where(Outcome.text.startswith(text_start)))
    assert found is not None
    return found


# -- who --------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient, demo_meeting):
    for path in (ACTIONS, f"{ACTIONS}.csv"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    assert client.post(FOLLOW_UP).status_code in (302, 400)


def test_a_participant_without_a_role_is_refused(client, demo_meeting):
    make_account("p-th-1@example.org")
    sign_in(client, "p-th-1@example.org")
    assert client.get(ACTIONS).status_code == 403
    assert client.get(f"{ACTIONS}.csv").status_code == 403


def test_a_rapporteur_reads_their_sessions_actions_without_marking(client, organiser):
    make_account("rapp-2@example.org")  # rapporteur of s-iccwc and s-close
    make_account("rapp-1@example.org")  # of sessions without actions
    sign_in(client, "rapp-2@example.org")
    html = client.get(ACTIONS).get_data(as_text=True)
    assert len(rows(html)) == 5
    assert "follow-up" not in html and not tokens(html)
    assert "Open actions" not in html  # no earlier meetings' section for them
    token = csrf_token(client, "/account")
    response = client.post(FOLLOW_UP, data={"csrf_token": token, "mark": "done"})
    assert response.status_code == 403
    client.post("/logout", data={"csrf_token": token})
    sign_in(client, "rapp-1@example.org")
    html = client.get(ACTIONS).get_data(as_text=True)
    assert rows(html) == []
    assert "No record of this meeting states an action yet." in html


@pytest.mark.parametrize("who", ["organiser", "chair"])
def test_the_organisers_and_the_chair_see_every_action_and_mark_them(client, organiser, who):
    email = ORGANISER if who == "organiser" else "chair@example.org"
    if who == "chair":
        make_account(email)
    sign_in(client, email)
    html = client.get(ACTIONS).get_data(as_text=True)
    assert len(rows(html)) == 5 and len(tokens(html)) == 5
    assert "Mark the selected done" in html
    # The management pages' links are for organisers; the chair is not one.
    assert ("Meeting management" in html) is (who == "organiser")


# -- what the list shows -------------------------------------------------------------------------


def test_each_row_says_session_owner_due_state_and_record_status(client, organiser):
    sign_in(client, ORGANISER)
    shown = rows(client.get(ACTIONS).get_data(as_text=True))
    # Agenda order: s-iccwc (approved), then s-close (a draft).
    assert shown[0].startswith(ICCWC_FIRST)
    assert "5. Support from ICCWC to the networks" in shown[0]
    assert "International Consortium on Combating Wildlife Crime (ICCWC)" in shown[0]
    assert "31 December 2013" in shown[0] and " Overdue " in shown[0]
    assert " Approved " in shown[0] and "not in the reports" not in shown[0]
    assert shown[2].startswith("Circulate the report.") and " Done " in shown[2]
    assert "Draft (not approved yet: not in the reports)" in shown[2]
    assert " Open " in shown[3] and "Overdue" not in shown[3]  # due in 2099
    assert "nobody named" in shown[4] and "no date" in shown[4]


def test_the_page_escapes_the_texts(client, organiser, demo_meeting):
    write_record(
        demo_meeting,
        "s-close",
        organiser,
        outcomes=[{"kind": "action", "text": "<script>alert(1)</script>"}],
    )
    sign_in(client, ORGANISER)
    html = client.get(ACTIONS).get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("args", "listed", "wanted_counts"),
    [
        ("", 5, (4, 2, 1)),
        ("?state=open", 4, (4, 2, 1)),
        ("?state=done", 1, (4, 2, 1)),
        ("?state=overdue", 2, (4, 2, 1)),
        ("?organisation=iccwc", 2, (2, 2, 0)),
        ("?organisation=cites&state=done", 1, (0, 0, 1)),
        ("?session=s-close", 3, (2, 0, 1)),
        ("?due_before=2014-01-01", 1, (1, 1, 0)),
        ("?q=STRATEGY+iccwc", 1, (1, 1, 0)),
        ("?q=report", 1, (0, 0, 1)),
    ],
)
def test_filters_and_counts(client, organiser, args, listed, wanted_counts):
    sign_in(client, ORGANISER)
    response = client.get(ACTIONS + args)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert len(rows(html)) == listed
    assert counts(html) == wanted_counts


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("", [ICCWC_FIRST, ICCWC_SECOND, "Circulate", "=cmd", "Someone"]),  # agenda order
        ("due", [ICCWC_FIRST, ICCWC_SECOND, "=cmd", "Circulate", "Someone"]),  # undated last
        # By the organisation's name (CITES, International…, Thailand), the unowned last.
        ("owner", ["Circulate", ICCWC_FIRST, ICCWC_SECOND, "=cmd", "Someone"]),
    ],
)
def test_sorting(client, organiser, sort, order):
    sign_in(client, ORGANISER)
    shown = rows(client.get(f"{ACTIONS}?sort={sort}").get_data(as_text=True))
    assert len(shown) == len(order)
    assert all(row.startswith(text) for row, text in zip(shown, order, strict=True)), shown


@pytest.mark.parametrize(
    "args", ["?state=sometimes", "?organisation=nobody", "?session=s-nowhere", "?due_before=x"]
)
def test_a_forged_filter_is_a_400_with_a_sentence(client, organiser, args):
    sign_in(client, ORGANISER)
    response = client.get(ACTIONS + args)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert len(rows(html)) == 5  # the whole list, unfiltered


def test_an_action_due_today_is_not_overdue_until_tomorrow(demo_meeting):
    found = tracker.meeting_actions(demo_meeting, None, today=date(2013, 12, 31))
    assert [r.overdue for r in found.rows] == []  # nobody: no rapporteur's sessions
    user = make_account("o@example.org", "organiser", meeting=demo_meeting)
    on_the_day = tracker.meeting_actions(demo_meeting, user, today=date(2013, 12, 31)).rows
    after = tracker.meeting_actions(demo_meeting, user, today=date(2014, 1, 1)).rows
    assert [r.overdue for r in on_the_day] == [False, False]
    assert [r.overdue for r in after] == [True, False]


# -- marking done ----------------------------------------------------------------------------------


def test_marking_an_action_done_keeps_the_approved_record_approved(client, organiser, demo_meeting):
    sign_in(client, ORGANISER)
    html = client.get(f"{ACTIONS}?organisation=iccwc").get_data(as_text=True)
    first = tokens(html)[0]
    version = db.session.get(Meeting, demo_meeting.id).content_version  # type: ignore[union-attr]
    response = client.post(
        FOLLOW_UP,
        data={
            "csrf_token": csrf_token(client, ACTIONS),
            "row": f"done:{first}",
            "back": "organisation=iccwc",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{ACTIONS}?organisation=iccwc")
    assert outcome(ICCWC_FIRST).done is True
    assert outcome(ICCWC_SECOND).done is False
    session = find_session(demo_meeting, "s-iccwc")
    assert session is not None and session.record is not None
    assert session.record.status is RecordStatus.APPROVED
    history = service.revisions(session)
    # The record as imported (EARLIER), then the follow-up, which keeps its status.
    assert [(r.change, r.status) for r in history] == [
        (RevisionChange.EARLIER, RecordStatus.APPROVED),
        (RevisionChange.FOLLOWED_UP, RecordStatus.APPROVED),
    ]
    assert history[0].document["outcomes"][0]["done"] is False
    assert history[1].document["outcomes"][0]["done"] is True
    assert history[1].saved_by == ORGANISER
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "record.followed-up")
    )
    assert entry is not None and entry.actor == ORGANISER
    assert "s-iccwc" in (entry.target or "")
    # A public session's approved record: the public pages' version moves on.
    db.session.expire_all()
    assert db.session.get(Meeting, demo_meeting.id).content_version > version  # type: ignore[union-attr]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 action marked done." in html
    assert counts(html) == (1, 1, 1)
    # And back to not done, the same way.
    second = tokens(html)[0]
    client.post(
        FOLLOW_UP, data={"csrf_token": csrf_token(client, ACTIONS), "row": f"open:{second}"}
    )
    assert outcome(ICCWC_FIRST).done is False
    assert [r.change for r in service.revisions(session)][-1] is RevisionChange.FOLLOWED_UP
    assert len(service.revisions(session)) == 3


def test_the_api_still_answers_as_before_and_sees_the_follow_up(client, organiser, demo_meeting):
    headers = organiser_headers(demo_meeting, "api-organiser@example.org")
    before = client.get(f"/api/v1/meetings/{DEMO_SLUG}/actions?owner=iccwc", headers=headers)
    assert before.status_code == 200
    assert [a["done"] for a in before.get_json()] == [False, False]
    assert set(before.get_json()[0]) == {
        "session",
        "text",
        "owner",
        "due",
        "done",
        "record_status",
    }
    sign_in(client, ORGANISER)
    first = tokens(client.get(ACTIONS).get_data(as_text=True))[0]
    client.post(FOLLOW_UP, data={"csrf_token": csrf_token(client, ACTIONS), "row": f"done:{first}"})
    after = client.get(f"/api/v1/meetings/{DEMO_SLUG}/actions?owner=iccwc", headers=headers)
    assert [(a["done"], a["record_status"]) for a in after.get_json()] == [
        (True, "approved"),
        (False, "approved"),
    ]


def test_bulk_marks_the_ticked_ones_with_one_revision_per_record(client, organiser, demo_meeting):
    sign_in(client, ORGANISER)
    html = client.get(ACTIONS).get_data(as_text=True)
    ticked = tokens(html)
    response = client.post(
        FOLLOW_UP,
        data={"csrf_token": csrf_token(client, ACTIONS), "mark": "done", "action": ticked},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert all(
        o.done
        for o in db.session.scalars(sa.select(Outcome).where(Outcome.kind == OutcomeKind.ACTION))
    )
    for ref, status in (("s-iccwc", RecordStatus.APPROVED), ("s-close", RecordStatus.DRAFT)):
        session = find_session(demo_meeting, ref)
        assert session is not None
        changes = [r.change for r in service.revisions(session)]
        assert changes.count(RevisionChange.FOLLOWED_UP) == 1, (ref, changes)
        assert session.record is not None and session.record.status is status
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "4 actions marked done." in html  # the fifth was done already
    # Nothing ticked: said so, nothing done.
    response = client.post(
        FOLLOW_UP, data={"csrf_token": csrf_token(client, ACTIONS), "mark": "open"}
    )
    assert response.status_code == 303
    assert "Tick at least one action first." in client.get(ACTIONS).get_data(as_text=True)


def test_a_row_whose_record_was_saved_since_is_stale_and_nothing_is_done(
    client, organiser, demo_meeting
):
    sign_in(client, ORGANISER)
    html = client.get(ACTIONS).get_data(as_text=True)
    shown = tokens(html)
    # Meanwhile the record of s-close is saved again: its actions are new rows.
    write_record(demo_meeting, "s-close", organiser, summary="Saved again.")
    count = db.session.scalar(sa.select(sa.func.count(RecordRevision.id)))
    response = client.post(
        FOLLOW_UP,
        data={"csrf_token": csrf_token(client, ACTIONS), "mark": "done", "action": shown},
    )
    assert response.status_code == 303
    page = client.get(ACTIONS).get_data(as_text=True)
    assert "3 actions you chose were changed or removed since this page was shown" in page
    assert not outcome(ICCWC_FIRST).done  # not even the rows that were still current
    assert db.session.scalar(sa.select(sa.func.count(RecordRevision.id))) == count


@pytest.mark.parametrize(
    "row", ["done:abc", "done:99999999.0", "done:", "done:1.x", "sometimes:1.0", "done:1.0.0"]
)
def test_a_forged_row_is_a_message_never_a_500(client, organiser, row):
    sign_in(client, ORGANISER)
    response = client.post(FOLLOW_UP, data={"csrf_token": csrf_token(client, ACTIONS), "row": row})
    assert response.status_code == 303
    html = client.get(ACTIONS).get_data(as_text=True)
    assert "nothing was done" in html or "Choose whether" in html


def test_the_follow_up_needs_the_csrf_token(client, organiser):
    sign_in(client, ORGANISER)
    first = tokens(client.get(ACTIONS).get_data(as_text=True))[0]
    response = client.post(FOLLOW_UP, data={"row": f"done:{first}"})
    assert response.status_code in (303, 400)
    assert not outcome(ICCWC_FIRST).done


# -- CSV -----------------------------------------------------------------------------------------


def test_the_csv_is_the_filtered_list_with_formulas_made_inert(client, organiser):
    sign_in(client, ORGANISER)
    response = client.get(f"{ACTIONS}.csv?organisation=th")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert table[0] == [
        "Session",
        "Action",
        "Organisation",
        "Due",
        "Done",
        "Overdue",
        "Record status",
        "Meeting",
    ]
    assert table[1] == [
        "6. Closing of the meeting",
        "'=cmd|' /C calc'!A0",
        "Thailand",
        "2099-01-31",
        "no",
        "no",
        "Draft",
        "First Global Meeting of the Wildlife Enforcement Networks",
    ]
    assert len(table) == 2
    everything = client.get(f"{ACTIONS}.csv").get_data().decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(everything)))) == 6
    assert client.get(f"{ACTIONS}.csv?state=never").status_code == 400


# -- earlier meetings -----------------------------------------------------------------------------


def second_meeting() -> Meeting:
    """A later meeting of the same organisations, a year on, with an action of its own."""
    doc = demo_document()
    doc["meeting"].update(
        slug="second-global-wen-meeting",
        title="Second Global Meeting of the Wildlife Enforcement Networks",
        start_date="2014-03-05",
        end_date="2014-03-05",
        document_symbol="ICCWC/GWEN/2",
    )
    doc["meeting"].pop("registration_opens")
    doc["meeting"].pop("registration_closes")
    for s in doc["sessions"]:
        s["start"] = s["start"].replace("2013-", "2014-")
        s["end"] = s["end"].replace("2013-", "2014-")
        if s.get("record"):
            s["record"]["outcomes"] = [o for o in s["record"]["outcomes"] if o["kind"] != "action"]
    iccwc = next(s for s in doc["sessions"] if s["ref"] == "s-iccwc")
    iccwc["record"]["outcomes"].append(
        {"kind": "action", "text": "ICCWC to report on the follow-up.", "owner": "iccwc"}
    )
    return load(doc)


def test_open_actions_of_the_organisation_from_earlier_meetings(client, organiser, demo_meeting):
    # The first meeting: one ICCWC action done, one open; a draft record's action never shows.
    outcome(ICCWC_FIRST).done = True
    db.session.commit()
    write_record(
        demo_meeting,
        "s-close",
        organiser,
        outcomes=[{"kind": "action", "text": "A draft's ICCWC action.", "owner": "iccwc"}],
    )
    later = second_meeting()
    make_account("second-organiser@example.org", "organiser", meeting=later)
    sign_in(client, "second-organiser@example.org")
    url = "/meetings/second-global-wen-meeting/actions"
    html = client.get(f"{url}?organisation=iccwc").get_data(as_text=True)
    section = html.split('id="earlier-heading"')[1]
    iccwc = "International Consortium on Combating Wildlife Crime (ICCWC)"
    assert f"Open actions of {iccwc} from earlier meetings" in html
    assert ICCWC_SECOND in section
    assert ICCWC_FIRST not in section  # done
    assert "A draft" not in section  # not approved
    assert "First Global Meeting of the Wildlife Enforcement Networks" in section
    assert "ICCWC to report on the follow-up." not in section  # this meeting's, listed above
    # Another organisation: none of them.
    html = client.get(f"{url}?organisation=cites").get_data(as_text=True)
    assert "No open action from an earlier meeting." in html
    # Every organisation of the meeting at once.
    html = client.get(f"{url}?earlier=y").get_data(as_text=True)
    assert "from earlier meetings of every organisation of this meeting" in html
    assert ICCWC_SECOND in html.split('id="earlier-heading"')[1]
    # No section without the question; and the earlier meeting sees nothing later.
    assert 'id="earlier-heading"' not in client.get(url).get_data(as_text=True)
    assert tracker.earlier_open_actions(demo_meeting, None) == []


def test_a_long_list_is_paged_and_the_csv_has_every_row(client, organiser, monkeypatch):
    monkeypatch.setattr(tracker, "PAGE_SIZE", 2)
    sign_in(client, ORGANISER)
    html = client.get(f"{ACTIONS}?sort=due").get_data(as_text=True)
    assert "Actions 1–2 of 5" in html and len(rows(html)) == 2
    assert counts(html) == (4, 2, 1)  # of every page
    assert 'rel="next"' in html and "sort=due" in html.split('rel="next"')[0].rsplit("<a", 1)[1]
    last = client.get(f"{ACTIONS}?sort=due&page=3").get_data(as_text=True)
    assert "Actions 5–5 of 5" in last and rows(last)[0].startswith("Someone")
    assert len(rows(client.get(f"{ACTIONS}?page=99").get_data(as_text=True))) == 1  # the last
    assert client.get(f"{ACTIONS}?page=0").status_code == 400
    table = client.get(f"{ACTIONS}.csv?page=2").get_data().decode("utf-8-sig").splitlines()
    assert len(table) == 6  # every action, whatever the page


def test_earlier_meetings_open_actions_are_capped_with_a_sentence(
    client, organiser, demo_meeting, monkeypatch
):
    monkeypatch.setattr(tracker, "PAGE_SIZE", 1)
    later = second_meeting()
    make_account("second-organiser@example.org", "organiser", meeting=later)
    sign_in(client, "second-organiser@example.org")
    html = client.get("/meetings/second-global-wen-meeting/actions?earlier=y").get_data(
        as_text=True
    )
    section = html.split('id="earlier-heading"')[1]
    assert "Only the first 1 of 2 are shown" in section
    assert ICCWC_FIRST in section and ICCWC_SECOND not in section


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ["Mesures de suivi", "En retard", "Marquer comme achevée", "31 décembre 2013"]),
        ("es", ["Medidas de seguimiento", "Vencida", "Marcar como cumplida", "31 de diciembre"]),
    ],
)
def test_the_tracker_speaks_french_and_spanish(client, organiser, lang, words):
    sign_in(client, ORGANISER)
    html = client.get(f"{ACTIONS}?lang={lang}").get_data(as_text=True)
    for word in words:
        assert word in html, word
    table = client.get(f"{ACTIONS}.csv?lang={lang}").get_data().decode("utf-8-sig")
    assert table.splitlines()[0].split(",")[0] in ("Séance", "Sesión")
