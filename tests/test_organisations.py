"""The meeting's organisations: the organisers' page, adding, editing, merging, own quotas."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from eventapp import create_app
from eventapp.extensions import db
from eventapp.models import AuditEntry, Delegation, Meeting, Participant, RegistrationStatus
from eventapp.registration.service import organisation_choices
from tests.factories import DEMO_SLUG, make_account, open_meeting, participant
from tests.helpers import (
    REGISTRATIONS,
    csrf_token,
    form_fields,
    organiser_headers,
    sign_in,
)

PAGE = f"/meetings/{DEMO_SLUG}/manage/organisations"


@pytest.fixture
def organiser(client: FlaskClient, demo_meeting: Meeting) -> FlaskClient:
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    sign_in(client, "org@example.org")
    return client


def _delegation(ref: str) -> Delegation | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Delegation).where(Delegation.ref == ref))


def _actions(prefix: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action.startswith(prefix)))
    )


def _add_form(client: FlaskClient, **fields: Any) -> dict[str, Any]:
    data = {
        "csrf_token": csrf_token(client, PAGE),
        "name": "Royal Bhutan Police",
        "acronym": "RBP",
        "kind": "country",
        "country": "BT",
        "quota": "",
    }
    data.update(fields)
    return data


def _edit_form(client: FlaskClient, ref: str, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = form_fields(client.get(f"{PAGE}/{ref}").get_data(as_text=True))
    data.update(fields)
    return data


# -- the list ---------------------------------------------------------------------------------


def test_the_page_lists_each_organisation_with_its_registrations(organiser):
    html = organiser.get(PAGE).get_data(as_text=True)
    assert '<div class="table-scroll">' in html
    row = html[html.index("<bdi>CITES Secretariat</bdi>") :]
    row = row[: row.index("</tr>")]
    assert "(CITES)" in row and '<span class="meta">Switzerland</span>' in row
    assert f'<a href="{PAGE}/cites"><bdi>CITES Secretariat</bdi></a>' in html
    heading = html.index('<th scope="colgroup" colspan="3">Intergovernmental organizations</th>')
    assert heading < html.index("<bdi>CITES Secretariat</bdi>")
    assert "<td>3<br>" in row and "3 approved" in row
    assert "<td>4</td>" in row  # the quota of its kind
    thailand = html[html.index("<bdi>Thailand</bdi>") :]
    thailand = thailand[: thailand.index("</tr>")]
    assert '<span class="meta">Thailand</span>' in thailand and "<td>2<br>" in thailand


def test_countries_are_every_iso_3166_country_named_in_the_page_language(organiser):
    english = organiser.get(PAGE).get_data(as_text=True)
    assert '<option value="BT">Bhutan</option>' in english
    assert '<option value="CI">Côte d’Ivoire</option>' in english
    assert english.count("<option value=") >= 249 + 6  # countries, and the kinds
    french = organiser.get(f"{PAGE}?lang=fr").get_data(as_text=True)
    assert '<option value="BT">Bhoutan</option>' in french
    assert '<span class="meta">Thaïlande</span>' in french
    spanish = organiser.get(f"{PAGE}?lang=es").get_data(as_text=True)
    assert '<option value="KE">Kenia</option>' in spanish


# -- adding -----------------------------------------------------------------------------------


def test_an_organiser_adds_an_organisation_that_people_can_then_choose(organiser, demo_meeting):
    response = organiser.post(PAGE, data=_add_form(organiser))
    assert response.status_code == 303
    page = organiser.get(PAGE).get_data(as_text=True)
    assert "Royal Bhutan Police (RBP) is added" in page
    added = _delegation("rbp")
    assert added is not None
    assert (added.name, added.kind.value, added.country, added.quota) == (
        "Royal Bhutan Police",
        "country",
        "BT",
        None,
    )
    assert ("rbp", "Royal Bhutan Police (RBP)") in organisation_choices(demo_meeting)
    [entry] = _actions("organisation.added")
    assert entry.actor == "org@example.org" and entry.details["country"] == "BT"
    # The same acronym again makes another ref.
    organiser.post(PAGE, data=_add_form(organiser, name="Bhutan Customs", kind="igo"))
    assert _delegation("rbp-2") is not None


@pytest.mark.parametrize(
    ("fields", "field", "status"),
    [
        ({"name": ""}, "name", 400),
        ({"name": "Two\tparts"}, "name", 422),
        ({"name": "x" * 301}, "name", 422),
        ({"acronym": "x" * 41}, "acronym", 422),
        ({"country": "ZZ"}, "country", 400),
        ({"kind": "empire"}, "kind", 400),
        ({"quota": "-1"}, "quota", 400),
        ({"quota": "lots"}, "quota", 400),
        ({"name": "  thailand ", "kind": "country"}, "name", 422),
    ],
)
def test_bad_details_are_shown_at_their_field_and_nothing_is_added(
    organiser, fields, field, status
):
    count = db.session.scalar(sa.select(sa.func.count(Delegation.id)))
    response = organiser.post(PAGE, data=_add_form(organiser, **fields))
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html, html
    assert db.session.scalar(sa.select(sa.func.count(Delegation.id))) == count
    assert _actions("organisation.") == []


def test_adding_needs_the_csrf_token(organiser):
    data = _add_form(organiser)
    data.pop("csrf_token")
    assert organiser.post(PAGE, data=data).status_code == 400
    assert _delegation("rbp") is None


# -- editing and the quota of its own -----------------------------------------------------------


def test_an_organiser_edits_an_organisation_and_the_change_is_audited(organiser):
    response = organiser.post(
        f"{PAGE}/th", data=_edit_form(organiser, "th", acronym="THA", quota="3")
    )
    assert response.status_code == 303
    thailand = _delegation("th")
    assert thailand is not None and thailand.acronym == "THA" and thailand.quota == 3
    [entry] = _actions("organisation.changed")
    assert entry.details == {
        "acronym": {"from": None, "to": "THA"},
        "quota": {"from": None, "to": 3},
    }
    html = organiser.get(PAGE).get_data(as_text=True)
    row = html[html.index("<bdi>Thailand</bdi>") :]
    assert "<strong>3</strong>" in row[: row.index("</tr>")]


def test_a_bad_edit_changes_nothing(organiser):
    response = organiser.post(f"{PAGE}/th", data=_edit_form(organiser, "th", name="Kenya"))
    assert response.status_code == 422
    assert "The meeting already has this organisation: Kenya" in response.get_data(as_text=True)
    thailand = _delegation("th")
    assert thailand is not None and thailand.name == "Thailand"
    assert organiser.get(f"{PAGE}/nowhere").status_code == 404


def test_an_organisations_own_quota_replaces_its_kinds(client):
    meeting = open_meeting(approval="automatic")
    headers = organiser_headers(meeting)
    za = _delegation("za")
    vn = _delegation("vn")
    assert za is not None and vn is not None
    za.quota, vn.quota = 4, 1  # countries' quota is 2; each already has one approved
    db.session.commit()

    def register(n: int, ref: str) -> str:
        response = client.post(REGISTRATIONS, json=participant(n, ref), headers=headers)
        assert response.status_code == 201, response.get_data(as_text=True)
        return str(response.get_json()["status"])

    assert [register(n, "za") for n in range(4)] == ["approved"] * 3 + ["waitlisted"]
    assert register(10, "vn") == "waitlisted"
    assert register(11, "ke") == "approved"  # Kenya has its kind's quota of 2
    assert register(12, "ke") == "waitlisted"


def test_an_own_quota_below_the_approved_count_unapproves_nobody(organiser):
    response = organiser.post(
        f"{PAGE}/cites", data=_edit_form(organiser, "cites", quota="1"), follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "has 3 approved participants, more than its quota of 1" in html
    approved = db.session.scalars(
        sa.select(Participant.status).where(Participant.delegation.has(ref="cites"))
    ).all()
    assert approved == [RegistrationStatus.APPROVED] * 3


# -- merging ----------------------------------------------------------------------------------


def test_merging_shows_what_will_happen_then_moves_the_registrations(organiser):
    organiser.post(PAGE, data=_add_form(organiser, name="Thai customs", acronym="", kind="igo"))
    copy = _delegation("thai-customs")
    assert copy is not None
    merge = f"{PAGE}/th/merge"
    choose = organiser.get(merge).get_data(as_text=True)
    assert '<option value="thai-customs">Thai customs</option>' in choose
    assert '<option value="th">' not in choose  # not into itself
    confirm = organiser.get(f"{merge}?into=thai-customs")
    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert "2 registrations of Thailand will move to Thai customs" in text
    assert _delegation("th") is not None  # looking changed nothing
    assert organiser.post(f"{merge}?into=thai-customs", data={}).status_code == 400
    assert _delegation("th") is not None
    token = csrf_token(organiser, f"{merge}?into=thai-customs")
    response = organiser.post(f"{merge}?into=thai-customs", data={"csrf_token": token})
    assert response.status_code == 303
    assert _delegation("th") is None
    moved = db.session.scalars(
        sa.select(Participant.ref).where(Participant.delegation.has(ref="thai-customs"))
    ).all()
    assert len(moved) == 2
    [entry] = _actions("organisation.merged")
    assert entry.target == "th (Thailand)"
    assert entry.details == {"into": "thai-customs (Thai customs)", "registrations": 2}
    assert "Thailand is merged into Thai customs" in organiser.get(PAGE).get_data(as_text=True)


def test_a_merge_that_overfills_the_target_says_so_and_an_unknown_target_is_refused(organiser):
    text = organiser.get(f"{PAGE}/unodc/merge?into=cites").get_data(as_text=True)
    assert "CITES Secretariat (CITES) has 5 approved participants, more than its quota of 4" in text
    assert organiser.get(f"{PAGE}/ke/merge?into=ke").status_code == 400
    assert organiser.get(f"{PAGE}/ke/merge?into=atlantis").status_code == 400


# -- who may ----------------------------------------------------------------------------------


def test_participants_rapporteurs_and_strangers_cannot_reach_the_organisations(
    client, demo_meeting
):
    make_account("someone@example.org", "participant")
    make_account("rap@example.org", "rapporteur", meeting=demo_meeting)
    urls = [PAGE, f"{PAGE}/th", f"{PAGE}/th/merge", f"{PAGE}/th/merge?into=ke"]
    for url in urls:
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for email in ("someone@example.org", "rap@example.org"):
        other = client.application.test_client()
        sign_in(other, email)
        token = csrf_token(other, "/account")
        for url in urls:
            assert other.get(url).status_code == 403
            assert other.post(url, data={"csrf_token": token, "name": "X"}).status_code == 403
    assert _delegation("th") is not None and _actions("organisation.") == []


# -- the migration ----------------------------------------------------------------------------


def test_the_quota_column_comes_and_goes_with_its_migration_keeping_every_row(tmp_path):
    from flask_migrate import downgrade, upgrade

    from eventapp.interchange import import_meeting
    from tests.factories import demo_document

    def columns() -> set[str]:
        return {c["name"] for c in sa.inspect(db.engine).get_columns("delegations")}

    def rows() -> tuple[int, int]:
        count = sa.select(sa.func.count()).select_from
        with db.engine.connect() as conn:
            return (
                conn.scalar(count(sa.table("delegations"))) or 0,
                conn.scalar(count(sa.table("participants"))) or 0,
            )

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'quota.db'}"})
    with app.app_context():
        upgrade()
        import_meeting(demo_document())
        db.session.commit()
        db.session.remove()
        stored = rows()
        assert stored == (19, 24)
        downgrade(revision="a4c0e1d00009")
        assert "quota" not in columns()
        assert rows() == stored
        upgrade(revision="a4c0e1d00010")
        assert "quota" in columns()
        assert rows() == stored
        checks = {c["name"] for c in sa.inspect(db.engine).get_check_constraints("delegations")}
        assert "ck_delegations_quota_not_negative" in checks
        db.engine.dispose()


def test_the_database_refuses_a_negative_quota(demo_meeting):
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(Delegation).where(Delegation.ref == "th").values(quota=-1))
        db.session.flush()
    db.session.rollback()
