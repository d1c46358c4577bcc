"""The French and Spanish catalogues: complete, faithful to the English, current, and in use.

A failure here after a change to the code or the templates usually means one thing: run
`make translations`, translate what it adds to eventapp/translations/{fr,es}/LC_MESSAGES/
messages.po (no fuzzy entries), and compile again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskCliRunner

from .conftest import DEMO_SLUG, ROOT

TRANSLATIONS = ROOT / "eventapp" / "translations"
POT = TRANSLATIONS / "messages.pot"
LANGUAGES = ("fr", "es")
# Two forms each, as the United Nations' French and Spanish write them: French uses the
# singular for 0 and 1, Spanish only for 1.
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);", "es": "nplurals=2; plural=(n != 1);"}
# What `make translations` runs, so the test extracts exactly what the Makefile would.
EXTRACT = ["-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext"]

PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([sdifr%])")
MARKUP = re.compile(r"<[A-Za-z/!]|&[#A-Za-z0-9]+;")

RUN_TRANSLATIONS = (
    "run `make translations`, translate the new entries of the fr and es catalogues and "
    "compile them again"
)


def po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def read_catalog(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def messages(catalog: Catalog) -> Iterator[Message]:
    """Every message but the header."""
    return (m for m in catalog if m.id)


def forms(message: Message) -> list[tuple[str, str]]:
    """(English, translation) for each form: the plural forms pair with the English plural."""
    if not message.pluralizable:
        return [(str(message.id), str(message.string or ""))]
    singular, plural = message.id
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return [(singular if i == 0 else plural, s or "") for i, s in enumerate(strings)]


def placeholders(text: str) -> list[str]:
    """The printf placeholders of a text, sorted: '%(name)s', '%(n)d'... but not '%%'."""
    return sorted(
        f"%({name})" + kind if name else "%" + kind
        for name, kind in PLACEHOLDER.findall(text)
        if kind != "%"
    )


def key(message: Message) -> str:
    return str(message.id[0] if message.pluralizable else message.id)


@pytest.fixture(scope="module", params=LANGUAGES)
def catalogue(request: pytest.FixtureRequest) -> tuple[str, Catalog]:
    return request.param, read_catalog(po_path(request.param), request.param)


# --- (1) every message translated, faithfully -------------------------------------------------


def test_catalogue_declares_two_plural_forms(catalogue):
    lang, catalog = catalogue
    assert str(catalog.locale) == lang
    assert catalog.num_plurals == 2
    assert catalog.plural_forms == PLURAL_FORMS[lang]


def test_every_message_is_translated_and_not_fuzzy(catalogue):
    lang, catalog = catalogue
    untranslated = [key(m) for m in messages(catalog) if not all(s for _, s in forms(m))]
    fuzzy = [key(m) for m in messages(catalog) if m.fuzzy]
    wrong_forms = [
        key(m) for m in messages(catalog) if m.pluralizable and len(forms(m)) != catalog.num_plurals
    ]
    assert not untranslated, f"{lang}: untranslated: {untranslated}"
    assert not fuzzy, f"{lang}: fuzzy (check, correct, then remove the flag): {fuzzy}"
    assert not wrong_forms, f"{lang}: plural forms missing: {wrong_forms}"


def test_every_translation_keeps_the_placeholders_of_its_english(catalogue):
    lang, catalog = catalogue
    problems = [
        f"{english!r} -> {translation!r}"
        for m in messages(catalog)
        for english, translation in forms(m)
        if placeholders(english) != placeholders(translation)
    ]
    assert not problems, f"{lang}: placeholders differ:\n" + "\n".join(problems)


def test_every_translation_formats_as_python_does(catalogue):
    """Babel's own checks (python-format, plural forms), and a real formatting of each text."""
    lang, catalog = catalogue
    errors = [f"{key(m)!r}: {errs}" for m, errs in catalog.check() if errs]
    assert not errors, f"{lang}:\n" + "\n".join(errors)
    for m in messages(catalog):
        if not m.python_format:
            continue
        for english, translation in forms(m):
            values: dict[str, Any] = {
                name: 1 if kind in "di" else "x" for name, kind in PLACEHOLDER.findall(english)
            }
            assert isinstance(translation % values, str), (lang, english)


def test_text_stays_text(catalogue):
    """No markup appears in a translation whose English has none: templates escape it."""
    lang, catalog = catalogue
    problems = [
        translation
        for m in messages(catalog)
        for english, translation in forms(m)
        if not MARKUP.search(english) and MARKUP.search(translation)
    ]
    assert not problems, f"{lang}: markup in a translation: {problems}"


def test_french_typography():
    """A no-break space before : and inside « », a narrow one before ; ? ! — never a plain space."""
    catalog = read_catalog(po_path("fr"), "fr")
    problems = []
    for m in messages(catalog):
        for _, text in forms(m):
            if re.search(r"[ \t][:;?!»]|« ", text):
                problems.append(f"plain space: {text!r}")
            if re.search(r"[^\s\u00a0\u202f][:;?!](?:\s|$)", text):
                problems.append(f"no space before the punctuation: {text!r}")
            if re.search(r"«(?!\u00a0)|(?<!\u00a0)»", text):
                problems.append(f"guillemets without no-break spaces: {text!r}")
    assert not problems, "\n".join(problems)


def test_spanish_typography():
    """No space before : ; ? ! and an opening ¿ for every question mark."""
    catalog = read_catalog(po_path("es"), "es")
    problems = []
    for m in messages(catalog):
        for _, text in forms(m):
            if re.search(r"\s[:;?!]", text):
                problems.append(f"space before the punctuation: {text!r}")
            if text.count("?") != text.count("¿") or text.count("!") != text.count("¡"):
                problems.append(f"unpaired question or exclamation mark: {text!r}")
    assert not problems, "\n".join(problems)


# --- (2) the template and the catalogues follow the sources -----------------------------------


def ids(catalog: Catalog) -> set[Any]:
    return {m.id for m in messages(catalog)}


def test_template_is_up_to_date_with_the_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    extracted = tmp_path / "messages.pot"
    monkeypatch.chdir(ROOT)
    CommandLineInterface().run(["pybabel", "-q", "extract", *EXTRACT, "-o", str(extracted), "."])
    now, committed = ids(read_catalog(extracted)), ids(read_catalog(POT))
    new, gone = sorted(map(str, now - committed)), sorted(map(str, committed - now))
    assert not new and not gone, (
        f"eventapp/translations/messages.pot is out of date ({RUN_TRANSLATIONS}).\n"
        f"Marked in the sources but not in the catalogues: {new}\n"
        f"In the catalogues but no longer in the sources: {gone}"
    )


def test_extraction_reaches_every_kind_of_source():
    """Python (gettext, lazy_gettext, ngettext) and every template: none silently skipped."""
    catalog = read_catalog(POT)
    files = {filename for m in messages(catalog) for filename, _ in m.locations}
    templates = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "templates").rglob("*.html")
        if re.search(r"\b(?:_|gettext|ngettext)\(", p.read_text("utf-8"))
    }
    assert templates <= files, f"templates with no extracted message: {sorted(templates - files)}"
    # gettext in a module, lazy_gettext in a table of words, both reached.
    assert {"eventapp/disclosure.py", "eventapp/vocabulary.py"} <= files
    assert any(m.pluralizable for m in messages(catalog))


def test_catalogues_are_merged_with_the_template(catalogue):
    lang, catalog = catalogue
    expected = ids(read_catalog(POT))
    missing, stale = expected - ids(catalog), ids(catalog) - expected
    assert not missing and not stale, (
        f"{lang}: messages.po is not merged with messages.pot ({RUN_TRANSLATIONS}).\n"
        f"Missing: {sorted(map(str, missing))}\nNo longer used: {sorted(map(str, stale))}"
    )


# --- (3) the compiled catalogues are those of the .po files -----------------------------------


def translations_of(catalog: Catalog) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        return tuple(value) if isinstance(value, list | tuple) else value

    return {key(m): plain(m.string) for m in messages(catalog)}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_is_up_to_date(lang: str):
    mo = po_path(lang).with_suffix(".mo")
    assert mo.exists(), (
        f"{mo.relative_to(ROOT)} is missing: pybabel compile -d eventapp/translations"
    )
    with mo.open("rb") as f:
        compiled = translations_of(read_mo(f))
    source = translations_of(read_catalog(po_path(lang), lang))
    assert compiled == source, (
        f"{mo.relative_to(ROOT)} is older than its .po: pybabel compile -d eventapp/translations"
    )


# --- (4) the pages speak the visitor's language -----------------------------------------------

AGENDA = f"/meetings/{DEMO_SLUG}/agenda"
PARTICIPANTS = f"/meetings/{DEMO_SLUG}/participants"

PAGE_TEXTS = {
    "fr": {
        AGENDA: [
            "<h1>Ordre du jour</h1>",
            "<title>Ordre du jour — ",
            'aria-label="Pages de la réunion"',
            "Toutes les heures sont indiquées en heure locale de Bangkok",
            "<dt>Salle</dt>",
            "Séance plénière",
        ],
        PARTICIPANTS: [
            "<h1>Liste des participants</h1>",
            "<caption>Participants par type d’organisation</caption>",
            "Réseaux de lutte contre la fraude liée aux espèces sauvages",
            "Organisations intergouvernementales",
            "(7 participants)",
            "(1 participant)",
        ],
    },
    "es": {
        AGENDA: [
            "<h1>Programa</h1>",
            "<title>Programa — ",
            'aria-label="Páginas de la reunión"',
            "Todas las horas corresponden a la hora local de Bangkok",
            "<dt>Sala</dt>",
            "Sesión plenaria",
        ],
        PARTICIPANTS: [
            "<h1>Lista de participantes</h1>",
            "<caption>Participantes por tipo de organización</caption>",
            "Redes de observancia de la legislación sobre vida silvestre",
            "Organizaciones intergubernamentales",
            "(7 participantes)",
            "(1 participante)",
        ],
    },
}
ENGLISH_TEXTS = {
    AGENDA: ["<h1>Agenda</h1>", "All times are local time", "<dd>Plenary</dd>"],
    PARTICIPANTS: ["<h1>List of participants</h1>", "Intergovernmental organizations"],
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("url", [AGENDA, PARTICIPANTS])
def test_public_pages_in_the_asked_language(client, demo_meeting, lang: str, url: str):
    response = client.get(f"{url}?lang={lang}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}"' in html
    for text in PAGE_TEXTS[lang][url]:
        assert text in html, (lang, url, text)
    for text in ENGLISH_TEXTS[url]:
        assert text not in html, (lang, url, text)


def test_public_pages_stay_english_by_default(client, demo_meeting):
    html = client.get(AGENDA).get_data(as_text=True)
    assert "<h1>Agenda</h1>" in html and "Ordre du jour" not in html


# --- (5) the reports are written in the asked language ----------------------------------------

REPORT_TEXTS = {
    ("fr", "full-report"): [
        "Rapport de la réunion",
        "<dt>Distribution\u00a0:</dt> <dd>Générale</dd>",
        "<dt>Original\u00a0:</dt> <dd>anglais</dd>",
        "Table des matières",
        "Point 1 de l’ordre du jour",
        "Liste des participants",
        "5 mars 2013",
    ],
    ("es", "full-report"): [
        "Informe de la reunión",
        "<dt>Distribución:</dt> <dd>General</dd>",
        "<dt>Original:</dt> <dd>inglés</dd>",
        "Índice",
        "Tema 1 del programa",
        "Lista de participantes",
        "5 de marzo de 2013",
    ],
    ("fr", "chair-summary"): [
        "Résumé du Président",
        "<dt>Original\u00a0:</dt> <dd>anglais</dd>",
        "Cote du document",
        "(Signé) John E. Scanlon, Président",
    ],
    ("es", "chair-summary"): [
        "Resumen de la Presidencia",
        "<dt>Original:</dt> <dd>inglés</dd>",
        "Signatura del documento",
        "(Firmado) John E. Scanlon, Presidente",
    ],
}
ENGLISH_REPORT_TEXTS = [
    "Report of the meeting",
    "Chair&#39;s summary",
    "Distribution:",
    "Original:</dt> <dd>English",
    "PREVIEW – NOT PUBLISHED",
    "Agenda item",
]


@pytest.mark.parametrize(("lang", "kind"), list(REPORT_TEXTS))
def test_report_render_in_the_asked_language(
    demo_meeting, runner: FlaskCliRunner, tmp_path: Path, lang: str, kind: str
):
    out = tmp_path / f"{kind}-{lang}.html"
    args = ["report", "render", DEMO_SLUG, "--kind", kind, "--lang", lang, "--out", str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    html = out.read_text("utf-8")
    assert f'<html lang="{lang}"' in html
    assert "Original" in html
    for text in REPORT_TEXTS[(lang, kind)]:
        assert text in html, (lang, kind, text)
    for text in ENGLISH_REPORT_TEXTS:
        assert text not in html, (lang, kind, text)
