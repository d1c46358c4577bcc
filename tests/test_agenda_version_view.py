"""Organisers can read an earlier version of the agenda as it was published, with its changes."""

from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskClient

from eventapp.agenda import versions
from eventapp.extensions import db
from eventapp.models import Meeting, Session
from tests.factories import make_account
from tests.helpers import AGENDA_MANAGE, sign_in

CLOSED_TITLE = "Closed session of heads of networks"
NEW_TITLE = "Networks report, as revised"


def _version(n: int) -> str:
    return f"{AGENDA_MANAGE}/versions/{n}"


def _retitle_and_publish(meeting: Meeting) -> str:
    """Version 2: the networks' report renamed. Returns its title in version 1."""
    net = db.session.scalar(sa.select(Session).where(Session.ref == "s-net"))
    assert net is not None
    old = net.title
    net.title = NEW_TITLE
    versions.publish(meeting, by="org@example.org")
    db.session.commit()
    return old


def test_an_earlier_version_shows_the_agenda_as_it_was_published(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    sign_in(client, "org@example.org")
    old_title = _retitle_and_publish(demo_meeting)

    first = client.get(_version(1))
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert old_title in page and NEW_TITLE not in page
    # Organisers see closed sessions too, marked so.
    assert CLOSED_TITLE in page and "not public" in page
    # Its times in the meeting's zone, its rooms, and the way back.
    assert '<time datetime="2013-03-05T09:00+07:00">09:00</time>' in page
    assert "Plenary" in page
    assert f'href="{AGENDA_MANAGE}"' in page
    assert f'href="{_version(2)}"' in page and f'href="{_version(0)}"' not in page

    second = client.get(_version(2)).get_data(as_text=True)
    assert NEW_TITLE in second and old_title not in second
    # Its changes: the session retitled, and who published it.
    assert "New title" in second and "(s-net)" in second
    assert "org@example.org" in second
    assert f'href="{_version(1)}"' in second and f'href="{_version(3)}"' not in second


def test_an_unknown_version_is_404(client: FlaskClient, demo_meeting: Meeting) -> None:
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    sign_in(client, "org@example.org")
    assert client.get(_version(1)).status_code == 200
    for n in (0, 2, 99):
        assert client.get(_version(n)).status_code == 404
    assert client.get(f"{AGENDA_MANAGE}/versions/one").status_code == 404
    assert client.get("/meetings/no-such-meeting/manage/agenda/versions/1").status_code == 404


def test_only_organisers_may_read_versions(client: FlaskClient, demo_meeting: Meeting) -> None:
    anonymous = client.get(_version(1))
    assert anonymous.status_code in (302, 303, 401, 403)
    make_account("someone@example.org", "participant")
    sign_in(client, "someone@example.org")
    assert client.get(_version(1)).status_code == 403
