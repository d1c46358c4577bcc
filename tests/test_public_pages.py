"""The public pages (contract, section 4): what they show, and what they never show."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from eventapp.extensions import db
from tests.conftest import DEMO_SLUG, load

HOME = f"/meetings/{DEMO_SLUG}/"
AGENDA = f"/meetings/{DEMO_SLUG}/agenda"
PARTICIPANTS = f"/meetings/{DEMO_SLUG}/participants"
PAGES = [HOME, AGENDA, PARTICIPANTS]


def page(client, url: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def person(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    return next(p for p in doc["participants"] if p["ref"] == ref)


def session(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    return next(s for s in doc["sessions"] if s["ref"] == ref)


def add_person(doc: dict[str, Any], ref: str, organisation: str, **fields: Any) -> None:
    doc["participants"].append(
        {
            "ref": ref,
            "organisation": organisation,
            "given_name": "Given",
            "family_name": "Family",
            "email": f"{ref}@example.org",
            "role": "delegate",
            "status": "approved",
            "list_consent": True,
        }
        | fields
    )


def day_section(html: str, day: str) -> str:
    """The part of the agenda page that belongs to one day (YYYY-MM-DD)."""
    start = html.index(f'id="day-{day}"')
    end = html.find('<section class="agenda-day"', start)
    return html[start : end if end != -1 else len(html)]


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_home_lists_the_meetings(client, demo_meeting):
    html = page(client, "/")
    assert f'href="{HOME}"' in html
    assert "First Global Meeting of the Wildlife Enforcement Networks" in html
    assert "5 March 2013" in html


def test_index_without_meetings_says_so(client):
    assert "No meetings have been announced yet." in page(client, "/")


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        (HOME, "<h1>First Global Meeting of the Wildlife Enforcement Networks</h1>"),
        (AGENDA, "<h1>Agenda</h1>"),
        (PARTICIPANTS, "<h1>List of participants</h1>"),
    ],
)
def test_meeting_pages_answer_with_their_heading(client, demo_meeting, url, heading):
    html = page(client, url)
    assert heading in html
    assert html.count("<h1") == 1
    # The meeting's own navigation marks the page the reader is on, and only that one.
    assert re.findall(r'<a href="([^"]+)" aria-current="page"', html) == [url]


@pytest.mark.parametrize("suffix", ["", "agenda", "participants"])
def test_unknown_meeting_is_a_404_page(client, demo_meeting, suffix):
    response = client.get(f"/meetings/no-such-meeting/{suffix}")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "<h1>Page not found</h1>" in html
    assert '<html lang="en"' in html


@pytest.mark.parametrize(
    ("slug", "status"),
    [("a%00b", 400), ("x" * 300, 404), ("%F0%9F%90%98", 404), ("..%2F..%2Fetc", 404)],
)
def test_odd_slugs_are_a_4xx_not_a_500(client, demo_meeting, slug, status):
    for suffix in ("", "agenda", "participants"):
        assert client.get(f"/meetings/{slug}/{suffix}").status_code == status


def test_meeting_home_shows_the_facts_and_links(client, demo_meeting):
    html = page(client, HOME)
    assert "GWEN-1" in html
    assert "5 March 2013" in html
    assert "Queen Sirikit National Convention Center" in html
    assert "Bangkok, Thailand" in html
    assert "International Consortium on Combating Wildlife Crime (ICCWC)" in html
    assert "Scanlon" in html  # the chair, who consented to be listed
    assert "<p>All existing networks" in html
    assert f'href="{AGENDA}"' in html
    assert f'href="{PARTICIPANTS}"' in html
    assert f'href="/meetings/{DEMO_SLUG}/reports/chair-summary.pdf"' in html
    assert f'href="/meetings/{DEMO_SLUG}/reports/full-report.pdf"' in html


def test_meeting_home_says_which_reports_are_published(client, demo_meeting):
    from datetime import UTC, datetime

    from eventapp.models import ReportKind, ReportVersion

    for version in (1, 2):
        db.session.add(
            ReportVersion(
                meeting_id=demo_meeting.id,
                kind=ReportKind.CHAIR_SUMMARY,
                language="en",
                version=version,
                sha256="0" * 64,
                filename=f"chair-summary-v{version}.pdf",
                size=1000,
                published_at=datetime(2013, 3, 10 + version, 9, 0, tzinfo=UTC),
            )
        )
    db.session.commit()
    html = page(client, HOME)
    assert "Version 2, published 12 March 2013." in html
    assert html.count("Not yet published.") == 1  # the full report


def test_meeting_home_in_french_names_the_country_in_french(client, demo_meeting):
    html = page(client, HOME + "?lang=fr")
    assert "Bangkok, Thaïlande" in html
    assert "5 mars 2013" in html


def test_chair_without_consent_is_not_named(client, demo_doc):
    person(demo_doc, "chair")["list_consent"] = False
    load(demo_doc)
    for url in PAGES:
        assert "Scanlon" not in page(client, url), url


def test_description_is_escaped_paragraphs(client, demo_doc):
    demo_doc["meeting"]["description"] = "First <b>bold</b> claim.\n\nSecond paragraph."
    load(demo_doc)
    html = page(client, HOME)
    assert "<p>First &lt;b&gt;bold&lt;/b&gt; claim.</p>" in html
    assert "<p>Second paragraph.</p>" in html
    assert "<b>bold</b>" not in html


def test_agenda_shows_public_sessions_with_times_people_and_zone(client, demo_meeting):
    html = page(client, AGENDA)
    assert "Tuesday, 5 March 2013" in html
    assert "All times are local time in Bangkok (Asia/Bangkok)." in html
    assert "UTC+07:00" in html
    assert '<time datetime="2013-03-05T09:30+07:00">09:30</time>' in html
    assert '<time datetime="2013-03-05T11:00+07:00">11:00</time>' in html
    assert "Presentations by the Wildlife Enforcement Networks" in html
    assert "Plenary Hall, Queen Sirikit National Convention Center" in html
    assert "Panel" in html  # the kind, as a reader's label
    assert "Short presentations by each network" in html
    assert "Hargreaves" in html  # a speaker
    assert "Coffee break" in html


def test_agenda_never_shows_closed_sessions(client, demo_doc):
    # Closed by kind, and closed by the public flag alone.
    session(demo_doc, "s-iccwc")["public"] = False
    load(demo_doc)
    html = page(client, AGENDA)
    assert "Closed session of heads of networks" not in html
    assert "Support from ICCWC to the networks" not in html
    assert "Meeting Room B" not in html  # only the closed session was held there
    assert "Presentations by the Wildlife Enforcement Networks" in html


def test_unpublished_agenda_says_so_and_shows_no_session(client, demo_meeting):
    demo_meeting.agenda_published_at = None
    db.session.commit()
    html = page(client, AGENDA)
    assert "The agenda of this meeting has not been published yet." in html
    assert "Presentations by the Wildlife Enforcement Networks" not in html


def test_person_without_consent_is_never_named(client, demo_doc):
    # Tomás O'Brien (p-freeland) is approved but did not consent; make him a speaker too.
    session(demo_doc, "s-non")["speakers"].append("p-freeland")
    load(demo_doc)
    for url in PAGES:
        html = page(client, url)
        assert "O&#39;Brien" not in html and "O'Brien" not in html, url
        assert "Tomás" not in html, url
    assert "Marchetti" in page(client, AGENDA)  # a consenting speaker of the same session
    assert "Freeland Foundation" not in page(client, PARTICIPANTS)  # nobody left to list


@pytest.mark.parametrize("status", ["pending", "waitlisted", "declined", "cancelled"])
def test_only_approved_participants_are_named(client, demo_doc, status):
    add_person(
        demo_doc, "p-x", "traffic", given_name="Xanthe", family_name="Quillfeather", status=status
    )
    session(demo_doc, "s-non")["speakers"].append("p-x")
    load(demo_doc)
    for url in PAGES:
        assert "Quillfeather" not in page(client, url), url


def test_demo_waitlisted_and_pending_people_are_absent(client, demo_doc):
    person(demo_doc, "p-pending")["list_consent"] = True
    load(demo_doc)
    html = page(client, PARTICIPANTS)
    assert "Wongsa" not in html  # waitlisted, consented
    assert "Fifita" not in html  # pending, consented
    assert "Chaiyasit" in html  # approved, of the same delegation as the waitlisted one


def test_no_registration_details_on_any_page(client, demo_doc):
    marked = person(demo_doc, "p-traffic")
    marked |= {
        "dietary": "Dietary-marker-7731",
        "accessibility": "Access-marker-7731",
        "funded": True,
        "needs_visa_letter": True,
    }
    load(demo_doc)
    emails = [p["email"] for p in demo_doc["participants"]]
    for url in ["/", *PAGES]:
        html = page(client, url)
        assert "@" not in html, url
        assert not [e for e in emails if e in html], url
        assert "marker-7731" not in html, url
        assert "visa" not in html.casefold(), url
        assert "funded" not in html.casefold(), url


def test_participants_grouped_by_kind_in_order_with_counts(client, demo_meeting):
    html = page(client, PARTICIPANTS)
    headings = re.findall(r'<h2 id="kind-(\w+)">', html)
    assert headings == ["wen", "country", "igo", "cso", "donor"]
    assert "Wildlife Enforcement Networks <span" in html
    assert "Intergovernmental organizations" in html
    # Counts per kind and in all: 21 approved participants consented.
    assert re.search(r'#kind-wen">Wildlife Enforcement Networks</a></th><td class="num">7<', html)
    assert "(7 participants)" in html
    assert "(1 participant)" in html
    assert re.search(r'Total</th><td class="num">21<', html)
    # Organisation with acronym, person with honorific and position.
    assert 'CITES Secretariat</bdi> <span class="acronym">(<bdi>CITES</bdi>)' in html
    assert '<bdi class="person-name"><span class="honorific">Mr</span> John E. ' in html
    assert "Secretary-General, CITES Secretariat" in html


def test_each_organisation_lists_its_head_of_delegation_first(client, demo_meeting):
    html = page(client, PARTICIPANTS)
    asean = html[html.index("ASEAN-WEN") :]
    # ASEAN-WEN's head, Srisai, comes before its delegate Lan, though L sorts before S.
    assert asean.index("Srisai") < asean.index("Lan")


def test_agenda_in_spanish_uses_spanish_dates(client, demo_meeting):
    html = page(client, AGENDA + "?lang=es")
    assert '<html lang="es"' in html
    assert "martes, 5 de marzo de 2013" in html
    assert "Tuesday" not in html


def test_markup_in_a_name_is_escaped(client, demo_doc):
    add_person(
        demo_doc,
        "p-xss",
        "traffic",
        given_name="<script>alert(1)</script>",
        family_name="<img src=x onerror=alert(2)>",
    )
    session(demo_doc, "s-non")["speakers"].append("p-xss")
    load(demo_doc)
    for url in (AGENDA, PARTICIPANTS):
        html = page(client, url)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
        assert "<script>alert(1)</script>" not in html, url
        assert "&lt;img src=x onerror=alert(2)&gt;" in html, url
        assert "<img src=x" not in html, url
        assert "<script" not in html, url


def test_names_in_several_scripts_render(client, demo_doc):
    add_person(
        demo_doc,
        "p-ar",
        "ke",
        honorific="السيد",
        given_name="ليلى",
        family_name="حداد",
        position="مديرة",
    )
    add_person(demo_doc, "p-ru", "ke", given_name="Анна", family_name="Кузнецова")
    add_person(demo_doc, "p-hi", "ke", given_name="अनिल", family_name="शर्मा")
    session(demo_doc, "s-non")["speakers"].append("p-ar")
    load(demo_doc)
    html = page(client, PARTICIPANTS)
    for text in ["王", "伟", "Nguyễn Thị", "Ngũgĩ", "Côté", "Кузнецова", "अनिल"]:
        assert text in html, text
    # Right-to-left names are isolated so they cannot reorder the text around them.
    assert (
        '<bdi class="person-name"><span class="honorific">السيد</span> '
        'ليلى <span class="family-name">حداد</span></bdi>'
    ) in html
    agenda = page(client, AGENDA)
    assert "王" in agenda
    assert "ليلى" in agenda


def dst_document(doc: dict[str, Any]) -> dict[str, Any]:
    """The demo moved to Zurich around the end of summer time (Sunday 25 October 2026)."""
    doc["meeting"] |= {
        "timezone": "Europe/Zurich",
        "start_date": "2026-10-23",
        "end_date": "2026-10-26",
    }
    doc["meeting"]["venue"] = {"name": "Palais", "city": "Geneva", "country": "CH"}
    days = ["2026-10-23", "2026-10-24", "2026-10-25", "2026-10-26"]
    for n, item in enumerate(doc["sessions"]):
        day = days[n % len(days)]
        item["start"] = day + item["start"][10:]
        item["end"] = day + item["end"][10:]
    return doc


def test_agenda_utc_offset_follows_daylight_saving(client, demo_doc):
    load(dst_document(demo_doc))
    html = page(client, AGENDA)
    assert "All times are local time in Geneva (Europe/Zurich)." in html
    assert "Local time is UTC+02:00." in day_section(html, "2026-10-23")
    assert "Local time is UTC+02:00." in day_section(html, "2026-10-24")
    assert "Local time is UTC+01:00." in day_section(html, "2026-10-25")
    assert "Local time is UTC+01:00." in day_section(html, "2026-10-26")
    assert '<time datetime="2026-10-24T09:30+02:00">09:30</time>' in html
    assert '<time datetime="2026-10-25T11:00+01:00">11:00</time>' in html


def test_day_of_the_clock_change_shows_both_offsets(client, demo_doc):
    doc = dst_document(demo_doc)
    early = session(doc, "s-break")
    early |= {"start": "2026-10-25T01:00", "end": "2026-10-25T01:45", "title": "Night watch"}
    load(doc)
    section = day_section(page(client, AGENDA), "2026-10-25")
    assert "Local time is UTC+02:00 until the clocks change, then UTC+01:00." in section
    assert '<time datetime="2026-10-25T01:00+02:00">01:00</time>' in section
    assert '<span class="offset">UTC+01:00</span>' in section


def test_security_headers(client, demo_meeting):
    response = client.get(AGENDA)
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Referrer-Policy" in response.headers


def test_pages_have_no_inline_scripts_or_styles(client, demo_meeting):
    for url in ["/", *PAGES]:
        html = page(client, url)
        assert "<script" not in html, url
        assert "<style" not in html, url
        assert " style=" not in html, url


def test_language_switch(client, demo_meeting):
    html = page(client, AGENDA + "?lang=fr")
    assert '<html lang="fr"' in html
    assert "mardi 5 mars 2013" in html
    assert re.search(r'href="[^"]*\?lang=fr" hreflang="fr" lang="fr" aria-current="true"', html)
    for code in ("en", "fr", "es"):
        assert f'href="{AGENDA}?lang={code}" hreflang="{code}" lang="{code}"' in html
    # The choice is remembered for the visit, until another is made.
    assert '<html lang="fr"' in page(client, PARTICIPANTS)
    assert '<html lang="en"' in page(client, PARTICIPANTS + "?lang=en")
    assert '<html lang="en"' in page(client, HOME)


def test_unknown_language_is_ignored(client, demo_meeting):
    assert '<html lang="en"' in page(client, HOME + "?lang=xx")


def test_page_has_landmarks_and_skip_link(client, demo_meeting):
    html = page(client, AGENDA)
    for tag in ("<header", "<nav", '<main id="main"', "<footer"):
        assert tag in html, tag
    assert '<a class="skip-link" href="#main">' in html
    levels = [int(n) for n in re.findall(r"<h([1-6])", html)]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels


def test_stylesheet_and_favicon_are_served(client):
    with client.get("/static/style.css") as css:
        assert css.status_code == 200
        # Small: ~8 KB for the public pages plus the shared form and table rules, ~1 KB for
        # tick boxes beside their labels and wide tables that fit a phone, and ~1.5 KB for the
        # record editor's outcomes and two versions side by side with what changed.
        assert len(css.data) < 14_000
        assert b"@media print" in css.data
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200
        assert icon.mimetype == "image/svg+xml"
        assert icon.data.startswith(b"<svg")


def test_the_home_page_gives_the_registration_window_in_the_meetings_zone(client) -> None:
    from tests.factories import demo_document

    doc = demo_document()  # Asia/Bangkok, UTC+7
    doc["meeting"]["registration_opens"] = "2000-01-01T00:00:00Z"
    doc["meeting"]["registration_closes"] = "2999-03-04T17:30:00Z"  # 5 March, 00:30 there
    load(doc)
    html = client.get(f"/meetings/{DEMO_SLUG}/").get_data(as_text=True)
    assert "Registration closes on" in html and "00:30 (Asia/Bangkok)" in html
    assert "17:30" not in html and "(UTC)" not in html
    assert 'datetime="2999-03-05T00:30+07:00"' in html
