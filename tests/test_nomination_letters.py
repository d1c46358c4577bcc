"""Letters of nomination: checked by content, kept once by SHA-256, served only to those who
speak for the delegation (issue 11, requirement 2)."""

from __future__ import annotations

import hashlib
import io
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
import weasyprint
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from eventapp.extensions import db
from eventapp.models import AuditEntry, NominationLetter
from tests.factories import demo_document, load, make_account, make_focal_point
from tests.helpers import csrf_token, sign_in

FOCAL = "focal@example.org"  # speaks for asean-wen
OTHER_FOCAL = "sawen-focal@example.org"  # speaks for sawen
ORGANISER = "org@example.org"


@pytest.fixture
def uploads_dir(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOADS_DIR", folder)
    return folder


@pytest.fixture
def meeting(uploads_dir: Path):  # type: ignore[no-untyped-def]
    meeting = load(demo_document())
    make_focal_point(FOCAL, meeting, "asean-wen")
    make_focal_point(OTHER_FOCAL, meeting, "sawen")
    make_account(ORGANISER, "organiser", meeting=meeting)
    return meeting


def _letters_url(meeting, ref: str = "asean-wen") -> str:  # type: ignore[no-untyped-def]
    return f"/meetings/{meeting.slug}/delegations/{ref}/letters"


def _pdf(text: str = "The Ministry nominates the following delegation.") -> bytes:
    return weasyprint.HTML(string=f"<h1>Letter of nomination</h1><p>{text}</p>").write_pdf()


def _rewritten(pdf: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _upload(  # type: ignore[no-untyped-def]
    client: FlaskClient,
    meeting,
    data: bytes | None,
    filename: str = "letter.pdf",
    content_type: str = "application/pdf",
    ref: str = "asean-wen",
    token: str | None = None,
):
    url = _letters_url(meeting, ref)
    form: dict[str, object] = {"csrf_token": token or csrf_token(client, url)}
    if data is not None:
        form["letter"] = FileStorage(io.BytesIO(data), filename, content_type=content_type)
    # The body encoded in memory: the test client would spool a large one to a file it never
    # closes (a ResourceWarning, an error here).
    boundary, body = encode_multipart(form)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _stored(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _rows() -> list[NominationLetter]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(NominationLetter)))


def _uploaded_audits() -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "delegation.letter_uploaded")
    )


def _signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def test_a_letter_is_kept_under_its_sha256_and_listed(app, client, meeting, uploads_dir):
    pdf = _pdf()
    digest = hashlib.sha256(pdf).hexdigest()
    sign_in(client, FOCAL)

    sent = _upload(client, meeting, pdf, filename="Nomination ASEAN-WEN.pdf")

    assert sent.status_code == 303
    assert sent.headers["Location"].endswith("#letters")
    path = uploads_dir / "letters" / digest[:2] / f"{digest}.pdf"
    assert _stored(uploads_dir) == [path]
    assert path.read_bytes() == pdf
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    [row] = _rows()
    assert (row.sha256, row.filename, row.size) == (digest, "Nomination ASEAN-WEN.pdf", len(pdf))
    assert row.uploaded_by is not None and row.uploaded_by.email == FOCAL
    assert row.delegation.ref == "asean-wen"
    assert _uploaded_audits() == 1
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Nomination ASEAN-WEN.pdf" in page
    assert f"/letters/{digest}.pdf" in page
    assert f"{-(-len(pdf) // 1024)} KB" in page
    assert FOCAL in page


@pytest.mark.parametrize("who", [FOCAL, ORGANISER])
def test_the_focal_point_and_an_organiser_download_it(app, meeting, who):
    pdf = _pdf()
    digest = hashlib.sha256(pdf).hexdigest()
    uploader = _signed_in(app, FOCAL)
    assert _upload(uploader, meeting, pdf, "Lettre – Côte d’Ivoire.pdf").status_code == 303

    got = _signed_in(app, who).get(f"{_letters_url(meeting)}/{digest}.pdf")

    assert got.status_code == 200
    assert got.data == pdf
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["Content-Disposition"].startswith(
        'attachment; filename="Lettre - Cote d\'Ivoire.pdf"'
    )
    assert "filename*=UTF-8''Lettre%20%E2%80%93%20C%C3%B4te" in got.headers["Content-Disposition"]
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Cache-Control"] == "private, no-store"


def test_nobody_else_gets_the_letters(app, client, meeting):
    pdf = _pdf()
    digest = hashlib.sha256(pdf).hexdigest()
    assert _upload(_signed_in(app, FOCAL), meeting, pdf).status_code == 303
    file_url = f"{_letters_url(meeting)}/{digest}.pdf"

    anonymous = client.get(file_url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    other = _signed_in(app, OTHER_FOCAL)
    assert other.get(file_url).status_code == 403
    assert other.get(_letters_url(meeting)).status_code == 403
    assert _upload(other, meeting, _pdf("another letter")).status_code == 403
    # Their own delegation's address does not serve another delegation's letter either.
    assert other.get(f"{_letters_url(meeting, 'sawen')}/{digest}.pdf").status_code == 404
    participant = make_account("someone@example.org")
    assert participant is not None
    assert _signed_in(app, "someone@example.org").get(file_url).status_code == 403
    assert len(_rows()) == 1


@pytest.mark.parametrize(
    "name",
    ["0" * 64, "A" * 64, "a" * 63, "../../secret_key", "999999"],
)
def test_an_unknown_or_malformed_hash_is_404(app, meeting, name):
    assert _upload(_signed_in(app, FOCAL), meeting, _pdf()).status_code == 303
    got = _signed_in(app, ORGANISER).get(f"{_letters_url(meeting)}/{name}.pdf")
    assert got.status_code == 404


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG")
    return out.getvalue()


def _encrypted() -> bytes:
    return _rewritten(_pdf(), lambda writer: writer.encrypt("secret"))


def _script_opening() -> bytes:
    return _rewritten(_pdf(), lambda writer: writer.add_open_action(JavaScript("app.alert(1);")))


def _script_in_a_link() -> bytes:
    def link(writer: PdfWriter) -> None:
        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert(2);"),
            }
        )
        annotation = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (0, 0, 10, 10)]),
                NameObject("/A"): action,
            }
        )
        writer.pages[0][NameObject("/Annots")] = ArrayObject([annotation])

    return _rewritten(_pdf(), link)


def _no_pages() -> bytes:
    out = io.BytesIO()
    PdfWriter().write(out)
    return out.getvalue()


REFUSED = {
    "a text file named .pdf": (
        b"Dear organisers,\nplease find our delegation.\n",
        "text/plain",
        "not a PDF",
    ),
    "a PNG declared as PDF": (_png(), "application/pdf", "not a PDF"),
    "%PDF- then garbage": (
        b"%PDF-1.7\n" + bytes(range(256)) * 20,
        "application/pdf",
        "cannot be opened",
    ),
    "an encrypted PDF": (_encrypted(), "application/pdf", "encrypted"),
    "JavaScript run on opening": (_script_opening(), "application/pdf", "JavaScript"),
    "JavaScript in a link": (_script_in_a_link(), "application/pdf", "JavaScript"),
    "a PDF without pages": (_no_pages(), "application/pdf", "no pages"),
    "an empty file": (b"", "application/pdf", "empty"),
    "no file at all": (None, "", "Choose the letter"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_what_is_not_a_letter_is_refused_and_nothing_kept(app, meeting, uploads_dir, case):
    data, content_type, reason = REFUSED[case]
    client = _signed_in(app, FOCAL)

    sent = _upload(client, meeting, data, "letter.pdf", content_type)

    assert sent.status_code == 400
    page = sent.get_data(as_text=True)
    assert reason in page
    assert 'aria-invalid="true"' in page and 'id="letter-file-error"' in page
    assert _stored(uploads_dir) == []
    assert _rows() == []
    assert _uploaded_audits() == 0


def test_a_letter_over_the_limit_is_refused_while_it_is_read(app, meeting, uploads_dir):
    client = _signed_in(app, ORGANISER)
    too_big = b"%PDF-1.7\n" + b"0" * app.config["NOMINATION_LETTER_MAX_BYTES"]

    sent = _upload(client, meeting, too_big)

    assert sent.status_code == 400
    assert "larger than 5 MB" in sent.get_data(as_text=True)
    assert _stored(uploads_dir) == [] and _rows() == []


def test_the_limit_is_the_configured_one(app, meeting, uploads_dir, monkeypatch):
    pdf = _pdf()
    monkeypatch.setitem(app.config, "NOMINATION_LETTER_MAX_BYTES", len(pdf) - 1)
    sent = _upload(_signed_in(app, FOCAL), meeting, pdf)
    assert sent.status_code == 400
    assert "larger than" in sent.get_data(as_text=True)
    assert _stored(uploads_dir) == [] and _rows() == []


def test_a_body_over_the_request_limit_gets_the_form_and_a_sentence(
    app, meeting, uploads_dir, monkeypatch
):
    pdf = _pdf()
    focal = _signed_in(app, FOCAL)
    other = _signed_in(app, OTHER_FOCAL)
    form_token = csrf_token(focal, _letters_url(meeting))
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", len(pdf) // 2)

    sent = _upload(focal, meeting, pdf, token=form_token)
    assert sent.status_code == 413
    page = sent.get_data(as_text=True)
    assert "larger than 5 MB" in page and 'id="letter-file"' in page
    # Someone who may not see the delegation's letters gets the plain page, not its list.
    refused = _upload(other, meeting, pdf, token="none")
    assert refused.status_code == 413
    assert 'id="letter-file"' not in refused.get_data(as_text=True)
    assert _stored(uploads_dir) == [] and _rows() == []


def test_the_same_letter_twice_is_one_file_and_one_row(app, meeting, uploads_dir):
    pdf = _pdf()
    client = _signed_in(app, FOCAL)
    assert _upload(client, meeting, pdf, "first.pdf").status_code == 303
    again = _upload(client, meeting, pdf, "second.pdf")
    assert again.status_code == 303
    assert "uploaded already" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert len(_stored(uploads_dir)) == 1
    assert [r.filename for r in _rows()] == ["first.pdf"]
    assert _uploaded_audits() == 1
    # Another delegation's copy of the same letter: its own row, the same one file.
    organiser = _signed_in(app, ORGANISER)
    assert _upload(organiser, meeting, pdf, "sawen.pdf", ref="sawen").status_code == 303
    assert len(_stored(uploads_dir)) == 1
    assert sorted(r.delegation.ref for r in _rows()) == ["asean-wen", "sawen"]


def test_a_file_gone_from_disk_is_said_so_and_uploading_it_again_restores_it(
    app, meeting, uploads_dir
):
    pdf = _pdf()
    digest = hashlib.sha256(pdf).hexdigest()
    client = _signed_in(app, FOCAL)
    assert _upload(client, meeting, pdf, "kept.pdf").status_code == 303
    [path] = _stored(uploads_dir)
    path.unlink()

    gone = client.get(f"{_letters_url(meeting)}/{digest}.pdf")
    assert gone.status_code == 410
    assert "kept.pdf" in gone.get_data(as_text=True)
    assert "no longer on the server" in gone.get_data(as_text=True)

    assert _upload(client, meeting, pdf, "kept.pdf").status_code == 303
    assert path.read_bytes() == pdf
    assert client.get(f"{_letters_url(meeting)}/{digest}.pdf").data == pdf


def test_the_uploaded_name_is_only_shown_never_a_path(app, meeting, uploads_dir):
    pdf = _pdf()
    digest = hashlib.sha256(pdf).hexdigest()
    client = _signed_in(app, FOCAL)
    assert (
        _upload(client, meeting, pdf, "../../instance/secret\u202e\x07 key.pdf").status_code == 303
    )
    [row] = _rows()
    assert row.filename == "secret key.pdf"
    assert _stored(uploads_dir) == [uploads_dir / "letters" / digest[:2] / f"{digest}.pdf"]


def test_the_partial_renders_from_the_delegation_and_its_letters(app, meeting):
    from eventapp.delegations import letters, service

    assert _upload(_signed_in(app, FOCAL), meeting, _pdf(), "mine.pdf").status_code == 303
    delegation = service.delegation(meeting, "asean-wen")
    assert delegation is not None
    with app.test_request_context("/"):
        html = render_template_string(
            '{% include "delegations/_letters.html" %}',
            delegation=delegation,
            letters=letters.letters_of(delegation),
        )
    assert "mine.pdf" in html
    assert f'action="{_letters_url(meeting)}"' in html
    assert 'type="file"' in html and 'accept="application/pdf,.pdf"' in html
    assert "at most 5 MB" in html
    assert 'name="csrf_token"' in html


def test_the_uploads_folder_is_made_and_the_limit_read_from_the_environment(tmp_path, monkeypatch):
    from eventapp.config import ConfigurationError, load_config

    monkeypatch.setenv("UPLOADS_DIR", str(tmp_path / "files" / "uploads"))
    monkeypatch.setenv("NOMINATION_LETTER_MAX_BYTES", "2097152")
    config = load_config(tmp_path / "instance")
    assert config["UPLOADS_DIR"] == tmp_path / "files" / "uploads"
    assert (tmp_path / "files" / "uploads").is_dir()
    assert config["NOMINATION_LETTER_MAX_BYTES"] == 2 * 1024 * 1024
    monkeypatch.delenv("UPLOADS_DIR")
    assert load_config(tmp_path / "instance")["UPLOADS_DIR"] == tmp_path / "instance" / "uploads"
    monkeypatch.setenv("NOMINATION_LETTER_MAX_BYTES", "5MB")
    with pytest.raises(ConfigurationError, match="NOMINATION_LETTER_MAX_BYTES"):
        load_config(tmp_path / "instance")
