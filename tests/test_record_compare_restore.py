"""A record's revisions compared two by two, and an earlier revision restored as a new one."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from eventapp.extensions import db
from eventapp.lookups import find_session
from eventapp.models import (
    AuditEntry,
    Meeting,
    RecordStatus,
    ReportKind,
    RevisionChange,
    Session,
    User,
)
from eventapp.records import service
from eventapp.records.compare import Piece, compare, words
from eventapp.reports.render import report_html
from tests.factories import DEMO_SLUG, make_account
from tests.helpers import form_fields, sign_in

RECORDS = f"/meetings/{DEMO_SLUG}/records"
CLOSE = f"{RECORDS}/s-close"  # a draft in the demo; rapporteur: rapp-2
COMPARE = f"{CLOSE}/revisions/compare"


@pytest.fixture
def people(demo_meeting: Meeting) -> dict[str, User]:
    """The rapporteur of s-close and s-open, the meeting's chair, and another rapporteur."""
    return {
        "rapporteur": make_account("rapp-2@example.org"),
        "chair": make_account("chair@example.org"),
        "other": make_account("rapp-1@example.org"),
    }


def session_of(meeting: Meeting, ref: str = "s-close") -> Session:
    db.session.expire_all()
    session = find_session(meeting, ref)
    assert session is not None
    return session


def save(meeting: Meeting, user: User, ref: str = "s-close", **fields: Any) -> None:
    """The session's record written whole by `user` (a draft unless told), committed."""
    data = {"status": "draft", "outcomes": [], **fields}
    service.replace(
        meeting, session_of(meeting, ref), data, user=user, read_current=lambda tag: True
    )
    db.session.commit()


def history(meeting: Meeting, ref: str = "s-close") -> list[tuple[int, RevisionChange, str]]:
    return [
        (r.number, r.change, r.status.value) for r in service.revisions(session_of(meeting, ref))
    ]


# -- the comparison, as data ---------------------------------------------------------------------


def test_words_keep_what_stays_and_mark_what_changed():
    assert words("The networks met.\nThey agreed.", "The networks met twice.\nThey agreed.") == (
        Piece("same", "The networks "),
        Piece("removed", "met."),
        Piece("added", "met twice."),
        Piece("same", "\nThey agreed."),
    )
    assert words("", "") == ()


def test_outcomes_are_matched_by_kind_and_text_then_by_place():
    older = [
        {"kind": "decision", "text": "Adopt the alert format."},
        {"kind": "action", "text": "Write to the networks.", "owner": "za", "done": False},
        {"kind": "statement", "text": "We support it.", "speaker": "p-wco"},
    ]
    newer = [
        {"kind": "action", "text": "Write to the networks.", "owner": "th", "done": True},
        {"kind": "decision", "text": "Adopt the alert format by June."},
        {"kind": "conclusion", "text": "A good meeting."},
    ]
    changes = compare(
        {"status": "draft", "outcomes": older}, {"status": "draft", "outcomes": newer}
    )
    assert [(c.kind, (c.after or c.before or {})["text"]) for c in changes.outcomes] == [
        ("changed", "Write to the networks."),  # the same text: the same outcome
        ("removed", "We support it."),  # where it stood
        ("changed", "Adopt the alert format by June."),  # moved, and its text edited
        ("added", "A good meeting."),
    ]
    assert changes.outcomes[0].details == ("owner", "done")
    assert changes.outcomes[2].text == (
        Piece("same", "Adopt the alert "),
        Piece("removed", "format."),
        Piece("added", "format by June."),
    )
    assert not changes.same and not changes.status_changed and changes.outcomes_changed


# -- the compare page --------------------------------------------------------------------------


def test_two_revisions_compared(client, people, demo_meeting):
    save(demo_meeting, people["rapporteur"], summary="The networks met.", attendance=30)
    save(
        demo_meeting,
        people["rapporteur"],
        status="submitted",
        summary="The networks met twice. <script>alert(1)</script>",
        attendance=41,
        outcomes=[{"kind": "decision", "text": "Adopt <b>it</b>."}],
    )
    sign_in(client, "rapp-2@example.org")
    editor = client.get(CLOSE).get_data(as_text=True)
    assert 'action="/meetings/first-global-wen-meeting/records/s-close/revisions/compare"' in (
        editor
    )
    response = client.get(f"{COMPARE}?a=3&b=2")  # either order: older to newer
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Revisions 2 and 3 compared" in html
    assert re.search(r"<del>.*Draft</del> → <ins>.*Submitted</ins>", html)
    assert re.search(r"<del>.*30</del> → <ins>.*41</ins>", html)
    # What was typed is shown as text, never run: escaped in the diff.
    assert "<script>alert(1)</script>" not in html and "<b>it</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;it&lt;/b&gt;" in html
    # Marked in words for screen readers, not by colour alone.
    assert re.search(r'<ins><span class="visually-hidden">\[added:\] </span>met\.', html) is None
    assert '<span class="visually-hidden">[added:] </span>twice.' in html or "twice." in html
    assert "[removed:]" in html and "[added:]" in html
    assert ">Added</span>" in html


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("", 400, "Choose the two revisions to compare."),
        ("?a=1&b=x", 400, "Choose the two revisions to compare."),
        ("?a=1&b=99", 404, "This record has no revision 99."),
        ("?a=-1&b=2", 404, "This record has no revision -1."),
        ("?a=1&b=99999999999999999999", 404, "This record has no revision"),
    ],
)
def test_bad_numbers_show_the_form_with_the_error(
    client, people, demo_meeting, query, status, message
):  # type: ignore[no-untyped-def]
    save(demo_meeting, people["rapporteur"], summary="Once.")
    sign_in(client, "rapp-2@example.org")
    response = client.get(COMPARE + query)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert message in html
    assert 'name="a"' in html and 'name="b"' in html


def test_only_the_records_keepers_compare(client, people, demo_meeting):
    save(demo_meeting, people["rapporteur"], summary="Once.")
    sign_in(client, "rapp-1@example.org")  # another session's rapporteur
    assert client.get(f"{COMPARE}?a=1&b=2").status_code == 403


# -- restoring ---------------------------------------------------------------------------------


def restore_page(client, number: int) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    response = client.get(f"{CLOSE}/revisions/{number}/restore")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html, form_fields(html)


def test_a_rapporteur_restores_a_revision_as_a_new_draft(client, people, demo_meeting):
    save(demo_meeting, people["rapporteur"], summary="First words.", attendance=12)
    save(demo_meeting, people["rapporteur"], status="submitted", summary="Second words.")
    sign_in(client, "rapp-2@example.org")
    revision = client.get(f"{CLOSE}/revisions/2").get_data(as_text=True)
    assert f'href="{CLOSE}/revisions/2/restore"' in revision
    assert "Restore this revision" in revision

    html, fields = restore_page(client, 2)
    assert "The record becomes a draft" in html
    # What restoring changes: the words of now struck through, those of then added.
    assert re.search(r"<del>(<span[^>]*>[^<]*</span>)?Second.{0,80}</del><ins>.{0,80}First", html)
    response = client.post(f"{CLOSE}/revisions/2/restore", data=fields)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/records/s-close")
    assert "Revision 2 is restored, as revision 4." in client.get(CLOSE).get_data(as_text=True)

    assert history(demo_meeting) == [
        (1, RevisionChange.EARLIER, "draft"),
        (2, RevisionChange.SAVED, "draft"),
        (3, RevisionChange.SAVED, "submitted"),
        (4, RevisionChange.RESTORED, "draft"),
    ]
    session = session_of(demo_meeting)
    revisions = service.revisions(session)
    assert revisions[3].document == revisions[1].document  # the history itself is untouched
    assert revisions[3].saved_by == "rapp-2@example.org"
    assert service.document(session)["summary"] == "First words."
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "record.restored"))
    assert entry is not None and entry.details == {"status": "draft", "restored": 2, "revision": 4}


def test_a_restore_from_a_stale_page_is_refused(client, people, demo_meeting):
    save(demo_meeting, people["rapporteur"], summary="First words.")
    sign_in(client, "rapp-2@example.org")
    _, fields = restore_page(client, 1)
    save(demo_meeting, people["chair"], summary="The chair's words.")  # meanwhile
    response = client.post(f"{CLOSE}/revisions/1/restore", data=fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Someone changed the record after you opened this page: nothing was restored." in html
    assert "chair&#39;s" in html  # what restoring would change now: the chair's words go
    assert len(history(demo_meeting)) == 3
    # The page now names the current version: restoring again, knowingly, works.
    again = client.post(f"{CLOSE}/revisions/1/restore", data=form_fields(html))
    assert again.status_code == 303
    assert history(demo_meeting)[-1] == (4, RevisionChange.RESTORED, "draft")


def test_restoring_the_record_as_it_stands_changes_nothing(client, people, demo_meeting):
    save(demo_meeting, people["rapporteur"], summary="Words.")
    sign_in(client, "rapp-2@example.org")
    _, fields = restore_page(client, 2)
    response = client.post(f"{CLOSE}/revisions/2/restore", data=fields, follow_redirects=True)
    assert "The record already reads as revision 2: nothing was changed." in response.get_data(
        as_text=True
    )
    assert len(history(demo_meeting)) == 2


@pytest.mark.parametrize(
    ("email", "status"), [("rapp-1@example.org", 403), ("chair@example.org", 200)]
)
def test_who_may_restore(client, people, demo_meeting, email, status):  # type: ignore[no-untyped-def]
    save(demo_meeting, people["rapporteur"], summary="Words.")
    sign_in(client, email)
    assert client.get(f"{CLOSE}/revisions/1/restore").status_code == status


def test_restore_needs_its_csrf_token_and_a_revision_that_exists(client, people, demo_meeting):
    save(demo_meeting, people["rapporteur"], summary="Words.")
    sign_in(client, "rapp-2@example.org")
    _, fields = restore_page(client, 1)
    fields.pop("csrf_token")
    assert client.post(f"{CLOSE}/revisions/1/restore", data=fields).status_code == 400
    assert client.get(f"{CLOSE}/revisions/9/restore").status_code == 404
    assert len(history(demo_meeting)) == 2


def _in_full_report(meeting: Meeting, text: str) -> bool:
    db.session.expire_all()
    return text in report_html(meeting, ReportKind.FULL_REPORT, "en", preview=True)


def restoring_approved(client, people, meeting: Meeting, email: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """s-open approved twice by the chair ("Old words.", then "New words."); the page that
    restores the first of the two, as `email` opens it: its address and its HTML."""
    for summary in ("Old words.", "New words."):
        save(meeting, people["chair"], ref="s-open", status="approved", summary=summary)
    sign_in(client, email)
    url = f"{RECORDS}/s-open/revisions/2/restore"
    return url, client.get(url).get_data(as_text=True)


def test_a_rapporteur_restoring_an_approved_record_takes_it_out_of_the_reports(
    client, people, demo_meeting
):
    url, html = restoring_approved(client, people, demo_meeting, "rapp-2@example.org")
    assert "The record becomes a draft" in html
    assert "It is approved now: it leaves" in html
    assert _in_full_report(demo_meeting, "New words.")
    assert client.post(url, data=form_fields(html)).status_code == 303
    assert history(demo_meeting, "s-open")[-1] == (4, RevisionChange.RESTORED, "draft")
    assert not _in_full_report(demo_meeting, "Old words.")
    assert not _in_full_report(demo_meeting, "New words.")


def test_the_chair_restores_an_approved_record_and_it_stays_approved(client, people, demo_meeting):
    url, html = restoring_approved(client, people, demo_meeting, "chair@example.org")
    assert not _in_full_report(demo_meeting, "Old words.")
    assert "The record keeps its status: Approved." in html
    assert "The reports show the restored text from now on." in html
    assert client.post(url, data=form_fields(html)).status_code == 303
    assert history(demo_meeting, "s-open")[-1] == (4, RevisionChange.RESTORED, "approved")
    assert _in_full_report(demo_meeting, "Old words.")


def test_restored_status_is_a_draft_for_a_rapporteur_and_kept_for_an_approver():
    for current in (None, *RecordStatus):
        assert service.restored_status(current, approver=False) is RecordStatus.DRAFT
        assert service.restored_status(current, approver=True) is (current or RecordStatus.DRAFT)


def test_a_revision_compared_with_itself_differs_in_nothing(client, people, demo_meeting):
    save(demo_meeting, people["rapporteur"], summary="Words.")
    sign_in(client, "rapp-2@example.org")
    html = client.get(f"{COMPARE}?a=2&b=2").get_data(as_text=True)
    assert "Nothing differs: the two read the same." in html
    assert "<ins>" not in html and "<del>" not in html


def test_the_revision_page_offers_to_compare_it_with_the_newest(client, people, demo_meeting):
    save(demo_meeting, people["rapporteur"], summary="Once.")
    save(demo_meeting, people["rapporteur"], summary="Twice.")
    sign_in(client, "rapp-2@example.org")
    html = client.get(f"{CLOSE}/revisions/1").get_data(as_text=True)
    assert re.search(r'name="a">.*<option value="1" selected>', html, re.S)
    assert re.search(r'name="b">.*<option value="3" selected>', html, re.S)
    newest = client.get(f"{CLOSE}/revisions/3").get_data(as_text=True)
    assert "This is the newest revision" in newest and "/restore" not in newest
