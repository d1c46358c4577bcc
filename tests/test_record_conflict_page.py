"""Someone saved the record while the rapporteur was writing: both versions side by side, and
everything typed still in the form, ready to be saved over theirs."""

from __future__ import annotations

import re
from html import unescape

import pytest

from eventapp.extensions import db
from eventapp.lookups import find_session
from eventapp.models import Meeting, RevisionChange, User
from eventapp.records import service
from tests.factories import DEMO_SLUG, make_account
from tests.helpers import form_fields, sign_in

CLOSE = f"/meetings/{DEMO_SLUG}/records/s-close"  # a draft in the demo; rapporteur: rapp-2
MINE = "My summary, <em>typed</em> in the room."
THEIRS = "The chair's summary."


@pytest.fixture
def chair(demo_meeting: Meeting) -> User:
    make_account("rapp-2@example.org")
    return make_account("chair@example.org")


def saved_meanwhile(meeting: Meeting, chair: User) -> None:
    """The chair saves the record of s-close, with an attendance and a statement."""
    session = find_session(meeting, "s-close")
    assert session is not None
    data = {
        "status": "submitted",
        "summary": THEIRS,
        "attendance": 55,
        "outcomes": [{"kind": "statement", "text": "We thank the hosts.", "speaker": "p-wco"}],
    }
    service.replace(meeting, session, data, user=chair, read_current=lambda tag: True)
    db.session.commit()


def typed(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The editor as the rapporteur opened it, then typed into."""
    fields = form_fields(client.get(CLOSE).get_data(as_text=True))
    fields.update(
        {
            "summary": MINE,
            "attendance": "41",
            "outcomes-1-kind": "action",
            "outcomes-1-text": "Write to every network by May.",
            "outcomes-1-owner": "za",
        }
    )
    return fields


def test_the_conflict_page_shows_both_versions_and_keeps_what_was_typed(
    client, chair, demo_meeting
):
    sign_in(client, "rapp-2@example.org")
    fields = typed(client)
    saved_meanwhile(demo_meeting, chair)
    response = client.post(CLOSE, data=fields)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else saved this record after you opened it" in html
    theirs = html[html.index('id="theirs"') : html.index('id="yours"')]
    yours = html[html.index('id="yours"') : html.index("<form", html.index('id="yours"'))]
    # Theirs: who saved it, when, its status, summary, attendance and outcomes.
    assert "chair@example.org" in theirs and "Revision 2" in theirs
    assert "Submitted" in theirs and "55" in theirs
    assert re.search(r"The chair.{1,6}s summary\.", theirs)
    assert "We thank the hosts." in theirs
    # Yours, as typed, escaped.
    assert "My summary, &lt;em&gt;typed&lt;/em&gt; in the room." in yours
    assert "41" in yours and "Write to every network by May." in yours
    # And what differs, word by word.
    differences = html[
        html.index('class="differences"') : html.index("<form", html.index('id="yours"'))
    ]
    assert re.search(r"<del>.*55.*</del> → <ins>.*41.*</ins>", differences)
    assert ">Added</span>" in differences and "Write to every network by May." in differences
    # The form still holds everything typed, and now names their version.
    again = {name: unescape(value) for name, value in form_fields(html).items()}
    for name in ("summary", "attendance", "outcomes-1-kind", "outcomes-1-text", "outcomes-1-owner"):
        assert again[name] == fields[name], name
    session = find_session(demo_meeting, "s-close")
    assert session is not None
    db.session.expire_all()
    assert again["etag"] == service.etag(session) != fields["etag"]
    assert "Save mine over theirs" in html
    assert re.search(
        rf'<a class="button secondary" href="{CLOSE}">Discard mine and open theirs', html
    )

    # One click: saved over theirs, as a new revision; theirs stays in the history.
    saved = client.post(CLOSE, data=again)
    assert saved.status_code == 303
    db.session.expire_all()
    revisions = service.revisions(session)
    assert [r.change for r in revisions] == [RevisionChange.EARLIER] + [RevisionChange.SAVED] * 2
    assert revisions[-2].document["summary"] == THEIRS
    assert revisions[-1].document["summary"] == MINE
    assert revisions[-1].document["attendance"] == 41


def test_nothing_is_saved_by_the_conflict_itself(client, chair, demo_meeting):
    sign_in(client, "rapp-2@example.org")
    fields = typed(client)
    saved_meanwhile(demo_meeting, chair)
    assert client.post(CLOSE, data=fields).status_code == 409
    session = find_session(demo_meeting, "s-close")
    assert session is not None
    db.session.expire_all()
    assert service.document(session)["summary"] == THEIRS
    assert len(service.revisions(session)) == 2
