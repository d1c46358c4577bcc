#!/usr/bin/env python3
"""Generate synthetic WEN meetings in the ``wen-meeting/1`` interchange format.

Standalone and standard-library only, so that it runs wherever a benchmark or a check runs,
without the application installed. The documents follow
``shared/contract/meeting.schema.json`` and the style of
``shared/contract/examples/first-global-wen-meeting.json``.

Usage::

    python bench/generate.py --scale N [--seed S] [--slug SLUG] [--timezone ZONE] [--out FILE]

or, from the repository root::

    from bench.generate import generate_meeting
    document = generate_meeting(3, seed=7)

Scale N gives about 110*N participants, 16*N sessions, 6*N organisations and max(2, N) rooms,
over 3 + N//5 days (at most 8). The same scale, seed, slug and zone always give the same
document. The meeting spans the first daylight-saving change of its zone on or after
2026-10-01 (for Europe/Zurich: Sunday 2026-10-25, so the meeting starts on Friday 2026-10-23),
and it deliberately carries the edge cases an importer, the public pages and the reports must
survive: names in many scripts, markup and quotes in names and summaries, participants without
consent to be listed, every status, role, session kind, record status and outcome kind, and
optional fields sometimes present and sometimes absent. A zone without daylight saving gets
the default dates and, necessarily, no change to span.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Json = dict[str, Any]

FORMAT = "wen-meeting/1"
DEFAULT_TIMEZONE = "Europe/Zurich"
# The meeting is placed around the first daylight-saving change found from this day on.
DST_SEARCH_FROM = date(2026, 10, 1)
# Days the meeting starts before the day of the change, so that days on both sides exist.
DAYS_BEFORE_CHANGE = 2
MAX_DAYS = 8
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

ORG_KINDS = ("wen", "country", "igo", "cso", "donor", "other")
STATUSES = ("pending", "approved", "waitlisted", "declined", "cancelled")
ROLES = (
    "head_of_delegation",
    "delegate",
    "observer",
    "speaker",
    "chair",
    "rapporteur",
    "organiser",
    "secretariat",
)
SESSION_KINDS = ("plenary", "breakout", "panel", "closed", "side_event", "ceremony", "break")
RECORD_STATUSES = ("draft", "submitted", "approved")
OUTCOME_KINDS = ("decision", "recommendation", "conclusion", "action", "statement")

# ISO 3166-1 alpha-2 codes and their ISO short names (commas, apostrophes and diacritics kept
# on purpose: they are part of the test material).
_COUNTRIES_TEXT = """
AD Andorra
AE United Arab Emirates
AF Afghanistan
AG Antigua and Barbuda
AI Anguilla
AL Albania
AM Armenia
AO Angola
AQ Antarctica
AR Argentina
AS American Samoa
AT Austria
AU Australia
AW Aruba
AX Åland Islands
AZ Azerbaijan
BA Bosnia and Herzegovina
BB Barbados
BD Bangladesh
BE Belgium
BF Burkina Faso
BG Bulgaria
BH Bahrain
BI Burundi
BJ Benin
BL Saint Barthélemy
BM Bermuda
BN Brunei Darussalam
BO Bolivia, Plurinational State of
BQ Bonaire, Sint Eustatius and Saba
BR Brazil
BS Bahamas
BT Bhutan
BV Bouvet Island
BW Botswana
BY Belarus
BZ Belize
CA Canada
CC Cocos (Keeling) Islands
CD Congo, The Democratic Republic of the
CF Central African Republic
CG Congo
CH Switzerland
CI Côte d'Ivoire
CK Cook Islands
CL Chile
CM Cameroon
CN China
CO Colombia
CR Costa Rica
CU Cuba
CV Cabo Verde
CW Curaçao
CX Christmas Island
CY Cyprus
CZ Czechia
DE Germany
DJ Djibouti
DK Denmark
DM Dominica
DO Dominican Republic
DZ Algeria
EC Ecuador
EE Estonia
EG Egypt
EH Western Sahara
ER Eritrea
ES Spain
ET Ethiopia
FI Finland
FJ Fiji
FK Falkland Islands (Malvinas)
FM Micronesia, Federated States of
FO Faroe Islands
FR France
GA Gabon
GB United Kingdom
GD Grenada
GE Georgia
GF French Guiana
GG Guernsey
GH Ghana
GI Gibraltar
GL Greenland
GM Gambia
GN Guinea
GP Guadeloupe
GQ Equatorial Guinea
GR Greece
GS South Georgia and the South Sandwich Islands
GT Guatemala
GU Guam
GW Guinea-Bissau
GY Guyana
HK Hong Kong
HM Heard Island and McDonald Islands
HN Honduras
HR Croatia
HT Haiti
HU Hungary
ID Indonesia
IE Ireland
IL Israel
IM Isle of Man
IN India
IO British Indian Ocean Territory
IQ Iraq
IR Iran, Islamic Republic of
IS Iceland
IT Italy
JE Jersey
JM Jamaica
JO Jordan
JP Japan
KE Kenya
KG Kyrgyzstan
KH Cambodia
KI Kiribati
KM Comoros
KN Saint Kitts and Nevis
KP Korea, Democratic People's Republic of
KR Korea, Republic of
KW Kuwait
KY Cayman Islands
KZ Kazakhstan
LA Lao People's Democratic Republic
LB Lebanon
LC Saint Lucia
LI Liechtenstein
LK Sri Lanka
LR Liberia
LS Lesotho
LT Lithuania
LU Luxembourg
LV Latvia
LY Libya
MA Morocco
MC Monaco
MD Moldova, Republic of
ME Montenegro
MF Saint Martin (French part)
MG Madagascar
MH Marshall Islands
MK North Macedonia
ML Mali
MM Myanmar
MN Mongolia
MO Macao
MP Northern Mariana Islands
MQ Martinique
MR Mauritania
MS Montserrat
MT Malta
MU Mauritius
MV Maldives
MW Malawi
MX Mexico
MY Malaysia
MZ Mozambique
NA Namibia
NC New Caledonia
NE Niger
NF Norfolk Island
NG Nigeria
NI Nicaragua
NL Netherlands
NO Norway
NP Nepal
NR Nauru
NU Niue
NZ New Zealand
OM Oman
PA Panama
PE Peru
PF French Polynesia
PG Papua New Guinea
PH Philippines
PK Pakistan
PL Poland
PM Saint Pierre and Miquelon
PN Pitcairn
PR Puerto Rico
PS Palestine, State of
PT Portugal
PW Palau
PY Paraguay
QA Qatar
RE Réunion
RO Romania
RS Serbia
RU Russian Federation
RW Rwanda
SA Saudi Arabia
SB Solomon Islands
SC Seychelles
SD Sudan
SE Sweden
SG Singapore
SH Saint Helena, Ascension and Tristan da Cunha
SI Slovenia
SJ Svalbard and Jan Mayen
SK Slovakia
SL Sierra Leone
SM San Marino
SN Senegal
SO Somalia
SR Suriname
SS South Sudan
ST Sao Tome and Principe
SV El Salvador
SX Sint Maarten (Dutch part)
SY Syrian Arab Republic
SZ Eswatini
TC Turks and Caicos Islands
TD Chad
TF French Southern Territories
TG Togo
TH Thailand
TJ Tajikistan
TK Tokelau
TL Timor-Leste
TM Turkmenistan
TN Tunisia
TO Tonga
TR Türkiye
TT Trinidad and Tobago
TV Tuvalu
TW Taiwan, Province of China
TZ Tanzania, United Republic of
UA Ukraine
UG Uganda
UM United States Minor Outlying Islands
US United States
UY Uruguay
UZ Uzbekistan
VA Holy See (Vatican City State)
VC Saint Vincent and the Grenadines
VE Venezuela, Bolivarian Republic of
VG Virgin Islands, British
VI Virgin Islands, U.S.
VN Viet Nam
VU Vanuatu
WF Wallis and Futuna
WS Samoa
YE Yemen
YT Mayotte
ZA South Africa
ZM Zambia
ZW Zimbabwe
"""
COUNTRIES: dict[str, str] = dict(
    line.split(" ", 1) for line in _COUNTRIES_TEXT.strip().splitlines()
)

# Given names and family names by script, "|"-separated. Vietnamese, Chinese, Japanese and
# Korean family names are the clan names, as the registration form asks for them.
_NAMES_TEXT: dict[str, tuple[str, str]] = {
    "latin": (
        "Zoë|François|Jürgen|Łukasz|Ségolène|Søren|İlkay|Đorđe|Siobhán|João|Chloé|Björn|Ñusta"
        "|Þóra|Mária|Jiří|Ngũgĩ|Amina|Kofi|Thandiwe|María José|Ana|William|Daniel|Sarah|Emeka"
        "|Aroha|Pieter|Lucía|Gaël|Bonaventure|Somchai|Siriporn",
        "Müller|Weiß|Żółkiewski|Dupré|Kierkegård|Gündoğan|Đokić|Ní Bhriain|da Silva Gonçalves"
        "|Sigurðardóttir|Dvořák|Ochieng'|Mensah|Dlamini|Rodríguez|van der Berg|O'Neill|Smith"
        "|Okonkwo|Ngata|García Márquez|Lefèvre|Côté|Núñez|Kovačević|Mwangi|Hargreaves|Srisai"
        "|Ekambi|Chaiyasit|Fifita",
    ),
    "vietnamese": (
        "Thị Lan|Văn Minh|Thị Hương|Quốc Dũng|Thị Ngọc|Đức Thắng|Thu Hà",
        "Nguyễn|Trần|Phạm|Lê|Đặng|Hoàng|Vũ|Bùi",
    ),
    "cyrillic": (
        "Анастасия|Дмитрий|Олена|Бахыт|Сергей|Татьяна|Айгерим",
        "Иванова|Смирнов|Шевченко|Нұрланұлы|Петров|Ёлкина|Кузнецов",
    ),
    "greek": (
        "Αλέξανδρος|Ελένη|Γιώργος|Κατερίνα|Νίκος",
        "Παπαδόπουλος|Γεωργίου|Οικονόμου|Βασιλείου|Δημητρίου",
    ),
    "arabic": ("محمد|فاطمة|عبد الله|ليلى|يوسف|مريم", "العلي|الزهراء|بن سعيد|الحسيني|المنصوري|حداد"),
    "chinese": ("伟|秀英|志明|丽娟|建国|婷", "王|李|陈|张|刘|欧阳"),
    "japanese": ("太郎|さくら|健一|陽菜|翔太|美咲", "山田|佐藤|髙橋|鈴木|渡邊|伊藤"),
    "thai": ("สมชาย|สุภาพร|ประยุทธ|วันเพ็ญ|อนันต์", "ศรีสวัสดิ์|ใจดี|วงศ์สวัสดิ์|บุญมา|แก้วมณี"),
    "devanagari": ("अनिता|राजेश|प्रिया|सुरेश|लक्ष्मी", "शर्मा|वर्मा|श्रेष्ठ|पटेल|गुप्ता"),
    "amharic": ("አበበ|መሰረት|ቀነኒሳ|ጥሩነሽ|ኃይሌ", "ቢቂላ|ደፋር|በቀለ|ዲባባ|ገብረሥላሴ"),
    "korean": ("민준|서연|지훈|하은", "김|이|박|최"),
    "hebrew": ("נועה|דוד|מיכל|יוסף", "כהן|לוי|מזרחי|פרץ"),
}
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    script: (tuple(given.split("|")), tuple(family.split("|")))
    for script, (given, family) in _NAMES_TEXT.items()
}
# Scripts drawn for people of organisations that are not a national delegation.
SCRIPT_WEIGHTS: dict[str, int] = {
    "latin": 40,
    "vietnamese": 6,
    "cyrillic": 8,
    "greek": 3,
    "arabic": 8,
    "chinese": 8,
    "japanese": 5,
    "thai": 5,
    "devanagari": 6,
    "amharic": 4,
    "korean": 3,
    "hebrew": 2,
}
# National delegations draw names in the country's script; all others draw Latin names.
_SCRIPT_COUNTRIES: dict[str, str] = {
    "vietnamese": "VN",
    "cyrillic": "RU UA KZ BY BG KG MN",
    "greek": "GR CY",
    "arabic": "SA AE EG MA DZ TN JO IQ LB OM QA KW BH YE LY SD SY",
    "chinese": "CN TW HK MO",
    "japanese": "JP",
    "thai": "TH",
    "devanagari": "IN NP",
    "amharic": "ET ER",
    "korean": "KR",
    "hebrew": "IL",
}
COUNTRY_SCRIPT: dict[str, str] = {
    code: script for script, codes in _SCRIPT_COUNTRIES.items() for code in codes.split()
}
# (given name, family name, position or None, status, list_consent): people whose names test
# escaping and encoding. Markup must be shown as text, never executed nor dropped.
EDGE_PEOPLE: tuple[tuple[str, str, str | None, str, bool], ...] = (
    ("<b>Bold</b>", "Tester", "Head of <i>Unit</i> & Deputy", "approved", True),
    ("Alert", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "approved", True),
    ("Tomás", 'O\'Brien & "Sons"', "Programme Director", "approved", False),
    ("Robert'); DROP TABLE participants;--", "Tables", None, "pending", True),
    # Decomposed (NFD) accent, as pasted from some systems: must round-trip unchanged.
    ("Rene\u0301e", "Co\u0302te\u0301", "Foreign Affairs Officer", "approved", True),
    # A character outside the Basic Multilingual Plane.
    ("健太", "𠮷田", "Customs Officer", "approved", True),
    (
        "María de los Ángeles Guadalupe Esperanza",
        "Fernández de Córdoba y Hernández-Ruiz de la Santísima Trinidad",
        "Jefa de la Unidad de Delitos contra la Vida Silvestre y los Recursos Forestales",
        "approved",
        True,
    ),
    ("&amp;", "Entity &lt;Escaped&gt;", None, "waitlisted", True),
)

# Refs of two of them: the one quoted in the approved opening record, and a speaker who gave no
# consent to be listed.
MARKUP_SPEAKER = "p-edge-2"
UNLISTED_SPEAKER = "p-edge-3"
EDGE_SPEAKERS = (MARKUP_SPEAKER, UNLISTED_SPEAKER)

HONORIFICS = ("Mr", "Ms", "Mrs", "Dr", "Prof.", "H.E.", "Mx")
POSITIONS = (
    "Director",
    "Deputy Director, CITES Management Authority",
    "Chief Enforcement Coordinator",
    "Liaison Officer",
    "Senior Investigator",
    "Inspector, Customs & Excise",
    "Prosecutor",
    "Programme Officer",
    "Regional Coordinator",
    "Legal Adviser",
    "Directeur général adjoint",
    "Chargée de mission",
    "Jefe de la Unidad de Delitos Ambientales",
    "Park Warden",
    "Forensic Scientist",
    "Intelligence Analyst",
    "Environmental Police",
    "Minister Counsellor, Permanent Mission",
)
DIETARY = ("vegetarian", "vegan", "halal", "kosher", "no nuts (severe allergy)", "gluten-free")
ACCESSIBILITY = (
    "wheelchair access",
    "sign-language interpretation (IS)",
    "hearing loop",
    "documents in large print",
)

# (ref, name, acronym, country or None, members): the real networks first.
REAL_WENS: tuple[tuple[str, str, str, str | None, str], ...] = (
    (
        "asean-wen",
        "ASEAN Wildlife Enforcement Network",
        "ASEAN-WEN",
        "TH",
        "BN KH ID LA MY MM PH SG TH VN",
    ),
    ("sawen", "South Asia Wildlife Enforcement Network", "SAWEN", "NP", "AF BD BT IN MV NP PK LK"),
    ("latf", "Lusaka Agreement Task Force", "LATF", "KE", "CG KE LS LR TZ UG ZM"),
    (
        "roavis",
        "Central America and Dominican Republic Wildlife Enforcement Network",
        "ROAVIS",
        None,
        "BZ CR SV GT HN NI PA DO",
    ),
    ("naweg", "North American Wildlife Enforcement Group", "NAWEG", None, "CA MX US"),
    (
        "ha-wen",
        "Horn of Africa Wildlife Enforcement Network",
        "HA-WEN",
        "KE",
        "DJ ER ET KE SO SS SD UG",
    ),
    (
        "wawen",
        "West Africa Wildlife Law Enforcement Network",
        "WAWEN",
        "NG",
        "BJ BF CV CI GM GH GN GW LR ML NE NG SN SL TG",
    ),
    (
        "sudwen",
        "South American Wildlife Enforcement Network",
        "SudWEN",
        None,
        "AR BO BR CL CO EC GY PY PE SR UY VE",
    ),
    (
        "eu-twix",
        "EU Trade in Wildlife Information eXchange",
        "EU-TWIX",
        "BE",
        "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE",
    ),
    (
        "nicecg",
        "National Inter-Agency CITES Enforcement Collaboration Group (China)",
        "NICECG",
        "CN",
        "CN",
    ),
)
REAL_IGOS: tuple[tuple[str, str, str, str | None], ...] = (
    ("cites", "CITES Secretariat", "CITES", "CH"),
    ("iccwc", "International Consortium on Combating Wildlife Crime", "ICCWC", None),
    ("interpol", "International Criminal Police Organization", "INTERPOL", "FR"),
    ("unodc", "United Nations Office on Drugs and Crime", "UNODC", "AT"),
    ("worldbank", "World Bank", "WB", "US"),
    ("wco", "World Customs Organization", "WCO", "BE"),
    ("unep", "United Nations Environment Programme", "UNEP", "KE"),
    ("fao", "Food and Agriculture Organization of the United Nations", "FAO", "IT"),
    ("auc", "African Union Commission", "AUC", "ET"),
    ("asean-sec", "ASEAN Secretariat", "ASEAN", "ID"),
    ("cms", "Secretariat of the Convention on the Conservation of Migratory Species", "CMS", "DE"),
    ("oas", "Organization of American States", "OAS", "US"),
)
REAL_CSOS: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("traffic", "TRAFFIC", None, "GB"),
    ("freeland", "Freeland Foundation", None, "TH"),
    ("wwf", "WWF International", "WWF", "CH"),
    ("wcs", "Wildlife Conservation Society", "WCS", "US"),
    ("eia", "Environmental Investigation Agency", "EIA", "GB"),
    ("wjc", "Wildlife Justice Commission", "WJC", "NL"),
    ("wwf-ru", "Всемирный фонд дикой природы (WWF России)", None, "RU"),
    ("traffic-jp", "トラフィック ジャパン", None, "JP"),
    ("egy-wild", "الجمعية المصرية لحماية الحياة البرية", None, "EG"),
    ("ffw", "Fondation Franz Weber", "FFW", "CH"),
)
REAL_DONORS: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("us-dos", "United States Department of State", "DOS", "US"),
    ("eu", "European Union", "EU", "BE"),
    ("giz", "Deutsche Gesellschaft für Internationale Zusammenarbeit", "GIZ", "DE"),
    ("defra", "Department for Environment, Food & Rural Affairs", "Defra", "GB"),
    ("norad", "Norwegian Agency for Development Cooperation", "Norad", "NO"),
    ("jica", "独立行政法人国際協力機構", "JICA", "JP"),
    ("afd", "Agence française de développement", "AFD", "FR"),
)
REAL_OTHERS: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("host", "Host Organising Committee", None, None),
    ("unige", "Université de Genève", "UNIGE", "CH"),
    ("press", 'Press corps "Wildlife & Justice" <accredited media>', None, None),
    ("shipping", "International Shipping Lines' Association", None, "SG"),
)
REGIONS = (
    "Central Africa",
    "Southern Africa",
    "Central Asia",
    "Pacific Islands",
    "Caribbean",
    "Middle East and North Africa",
    "Western Balkans",
    "Mekong",
    "Congo Basin",
    "Andean",
    "Sahel",
    "Great Lakes",
    "Gulf",
    "Baltic",
    "Amazon",
    "Indian Ocean",
)
TOPICS = (
    "ivory and rhino horn trafficking",
    "pangolin scales",
    "illegal logging and timber trade",
    "controlled deliveries across borders",
    "financial investigations & anti-money laundering",
    "wildlife forensics (DNA, isotopes)",
    "cyber-enabled wildlife crime",
    "corruption risks at ports of entry",
    "CITES permits and certificates",
    "live reptile and bird trade",
    "marine species: sharks, rays and eels",
    "great apes",
    "big cats: tigers, lions and jaguars",
    "community engagement and informants",
    "prosecution and sentencing",
    "air cargo and express mail",
    "risk profiling of containers",
    "international cooperation requests",
)
ROOM_NAMES = (
    "Salle Léman",
    "Saal Üetliberg",
    "Room B & C",
    "Sala Bolívar",
    "Gartensaal",
    "Room 5 (Mezzanine)",
    "Salle des Pas-Perdus",
    "Boardroom",
)
SENTENCES = (
    "Participants exchanged information on recent seizures and trafficking routes.",
    "Several networks reported an increase in shipments routed through transit hubs.",
    "The need for timely exchange of intelligence through secure channels was stressed.",
    "Delegates described joint operations and the lessons learnt from them.",
    "Speakers highlighted the role of prosecutors from the start of investigations.",
    "The importance of following the money, not only the wildlife, was underlined.",
    "Participants welcomed the support of ICCWC partners & donors.",
    "Gaps in national legislation were identified as an obstacle to prosecution.",
    "The use of forensic evidence in court was discussed at length.",
    "Participants agreed that corruption undermines every other effort.",
)

# Local wall-clock slots of a day: four main blocks, breaks, and side-event slots.
BLOCKS = (
    (time(9, 0), time(10, 30)),
    (time(11, 0), time(12, 30)),
    (time(14, 0), time(15, 30)),
    (time(16, 0), time(17, 30)),
)
COFFEE = ((time(10, 30), time(11, 0)), (time(15, 30), time(16, 0)))
LUNCH = (time(12, 30), time(14, 0))
SIDE = ((time(12, 45), time(13, 45)), (time(17, 45), time(18, 45)))
# Kinds of the sessions running in parallel to the plenary, once each kind has appeared.
PARALLEL_KINDS = ("breakout", "panel", "closed", "side_event")
PARALLEL_WEIGHTS = (50, 20, 15, 15)


@dataclass(frozen=True)
class _Slot:
    """A place in a day's programme: what goes there, when, and in which room (index)."""

    use: str  # "main", "coffee", "lunch" or "side"
    start: time
    end: time
    room: int | None
    block: int | None = None


def _day_slots(rooms: int) -> list[_Slot]:
    """Slots of one day in the order they are filled, so that small meetings stay plausible."""
    slots = [
        _Slot("main", *BLOCKS[0], 0, 0),
        _Slot("coffee", *COFFEE[0], 0),
        _Slot("main", *BLOCKS[1], 0, 1),
        _Slot("main", *BLOCKS[1], 1, 1),  # the first parallel session
        _Slot("lunch", *LUNCH, None),  # no room: an optional field left out
        _Slot("side", *SIDE[0], 1),
        _Slot("main", *BLOCKS[2], 0, 2),
        _Slot("main", *BLOCKS[2], 1, 2),
        _Slot("coffee", *COFFEE[1], 0),
        _Slot("main", *BLOCKS[3], 0, 3),
        _Slot("main", *BLOCKS[0], 1, 0),
        _Slot("main", *BLOCKS[3], 1, 3),
        _Slot("side", *SIDE[1], 0),
        _Slot("side", *SIDE[1], 1),
    ]
    # Further rooms get one block per round, staggered, so that all rooms see some use.
    for round_ in range(len(BLOCKS)):
        for room in range(2, rooms):
            block = (round_ + room) % len(BLOCKS)
            slots.append(_Slot("main", *BLOCKS[block], room, block))
    for room in range(2, rooms):
        slots.append(_Slot("side", *SIDE[0], room))
        slots.append(_Slot("side", *SIDE[1], room))
    return slots


def _is_plain_local(day: date, at: time, zone: ZoneInfo) -> bool:
    """True when the local time exists and is unambiguous in the zone."""
    local = datetime.combine(day, at)
    return (
        local.replace(tzinfo=zone, fold=0).utcoffset()
        == local.replace(tzinfo=zone, fold=1).utcoffset()
    )


def _slot_fits(day: date, slot: _Slot, zone: ZoneInfo) -> bool:
    """True when the slot neither touches nor straddles a daylight-saving change."""
    if not (_is_plain_local(day, slot.start, zone) and _is_plain_local(day, slot.end, zone)):
        return False
    start = datetime.combine(day, slot.start, zone).utcoffset()
    return start == datetime.combine(day, slot.end, zone).utcoffset()


def find_dst_change(zone: ZoneInfo, since: date = DST_SEARCH_FROM) -> date | None:
    """Return the first day on or after ``since`` whose noon UTC offset differs from the day
    before, or None when the zone has no such change within a year."""
    previous = datetime.combine(since - timedelta(days=1), time(12), zone).utcoffset()
    for offset in range(366):
        day = since + timedelta(days=offset)
        current = datetime.combine(day, time(12), zone).utcoffset()
        if current != previous:
            return day
        previous = current
    return None


def _local(day: date, at: time) -> str:
    return f"{day.isoformat()}T{at:%H:%M}"


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _venue(zone_name: str) -> Json:
    """A venue matching the zone; an unknown zone gets a city from its name and no country."""
    known = {
        "Europe/Zurich": ("Kongresshaus Zürich", "Zürich", "CH"),
        "Europe/Paris": ("Palais des congrès de Paris", "Paris", "FR"),
        "Europe/London": ("Queen Elizabeth II Centre", "London", "GB"),
        "Europe/Berlin": ("World Conference Center Bonn", "Bonn", "DE"),
        "America/New_York": ("United Nations Headquarters", "New York", "US"),
        "America/Mexico_City": ("Centro Citibanamex", "Ciudad de México", "MX"),
        "Australia/Sydney": ("International Convention Centre Sydney", "Sydney", "AU"),
        "Asia/Bangkok": ("Queen Sirikit National Convention Center", "Bangkok", "TH"),
    }
    if zone_name in known:
        name, city, country = known[zone_name]
        return {"name": name, "city": city, "country": country}
    city = zone_name.rsplit("/", 1)[-1].replace("_", " ")
    return {"name": f"{city} Conference Centre", "city": city}


class _Builder:
    """Builds one document; holds the random source and what later parts refer to."""

    def __init__(self, scale: int, seed: int, slug: str, zone_name: str) -> None:
        self.scale = scale
        self.seed = seed
        self.slug = slug
        self.zone_name = zone_name
        self.zone = ZoneInfo(zone_name)
        self.rng = random.Random(seed)
        change = find_dst_change(self.zone)
        # Zones without daylight saving still get a meeting, at the default dates.
        anchor = change or date(2026, 10, 25)
        self.days = [
            anchor - timedelta(days=DAYS_BEFORE_CHANGE) + timedelta(days=i)
            for i in range(min(MAX_DAYS, 3 + scale // 5))
        ]
        self.venue = _venue(zone_name)
        self.reg_opens = datetime.combine(self.days[0] - timedelta(days=120), time(0), UTC)
        self.reg_closes = datetime.combine(self.days[0] - timedelta(days=7), time(23, 59, 59), UTC)
        self.orgs: list[Json] = []
        self.participants: list[Json] = []
        self.rooms: list[Json] = []
        self.sessions: list[Json] = []
        # Local intervals each person is already busy in, to avoid double-booking people.
        self.busy: dict[str, list[tuple[datetime, datetime]]] = {}
        self.usable_rooms = 0
        self.total_sessions = 0
        self.approved_count = 0
        self.silent_speaker_placed = False

    # -- organisations -------------------------------------------------------------------

    def _kind_counts(self) -> dict[str, int]:
        total = 6 * self.scale
        shares = {
            "country": 0.40,
            "wen": 0.15,
            "igo": 0.15,
            "cso": 0.15,
            "donor": 0.10,
            "other": 0.05,
        }
        counts = {kind: max(1, round(total * share)) for kind, share in shares.items()}
        if counts["country"] > len(COUNTRIES):
            # There are only so many countries; the rest become civil-society organisations.
            counts["cso"] += counts["country"] - len(COUNTRIES)
            counts["country"] = len(COUNTRIES)
        return counts

    def _maybe(self, probability: float) -> bool:
        return self.rng.random() < probability

    def _org(
        self,
        ref: str,
        name: str,
        kind: str,
        acronym: str | None,
        country: str | None,
        members: Sequence[str] | None = None,
    ) -> Json:
        org: Json = {"ref": ref, "name": name}
        if acronym:
            org["acronym"] = acronym
        org["kind"] = kind
        if country:
            org["country"] = country
        if members is not None:
            org["members"] = list(members)
        if self._maybe(0.35):
            org["website"] = f"https://www.example.org/{ref.lower()}"
        return org

    def build_organisations(self) -> None:
        """Organisations of every kind, real ones first, then synthetic ones."""
        rng = self.rng
        counts = self._kind_counts()
        codes = sorted(COUNTRIES)
        host = self.venue.get("country")

        country_codes = [c for c in codes if c != host]
        rng.shuffle(country_codes)
        if host:
            country_codes.insert(0, host)
        for code in country_codes[: counts["country"]]:
            self.orgs.append(self._org(code.lower(), COUNTRIES[code], "country", None, code))

        wens = list(REAL_WENS)
        rng.shuffle(wens)
        for i in range(counts["wen"]):
            if i < len(wens):
                ref, name, acronym, country, members = wens[i]
                self.orgs.append(self._org(ref, name, "wen", acronym, country, members.split()))
                continue
            region = REGIONS[i % len(REGIONS)]
            size = 1 if i % 11 == 0 else rng.randint(3, 12)
            members_list = rng.sample(codes, size)
            org = self._org(
                f"wen-{i + 1:03d}",
                f"{region} Wildlife Enforcement Network {i // len(REGIONS) + 1}",
                "wen",
                f"{''.join(w[0] for w in region.split())}-WEN{i + 1}",
                members_list[0] if self._maybe(0.7) else None,
                # Members are optional: some networks leave them out.
                members_list if self._maybe(0.85) else None,
            )
            self.orgs.append(org)

        # The first IGO is the secretariat that chairs and organises the meeting.
        igos = [REAL_IGOS[0], *rng.sample(REAL_IGOS[1:], len(REAL_IGOS) - 1)]
        for i in range(counts["igo"]):
            if i < len(igos):
                self.orgs.append(self._org(*igos[i][:2], "igo", *igos[i][2:]))
                continue
            topic = TOPICS[i % len(TOPICS)]
            self.orgs.append(
                self._org(
                    f"igo-{i + 1:03d}",
                    f"Intergovernmental Commission on {topic} ({i + 1})",
                    "igo",
                    None,
                    rng.choice(codes) if self._maybe(0.8) else None,
                )
            )

        for kind, pool in (("cso", REAL_CSOS), ("donor", REAL_DONORS), ("other", REAL_OTHERS)):
            # The host organising committee stays first among "other"; other pools are shuffled.
            items = list(pool) if kind == "other" else rng.sample(pool, len(pool))
            for i in range(counts[kind]):
                if i < len(items):
                    self.orgs.append(self._org(*items[i][:2], kind, *items[i][2:]))
                    continue
                label = {
                    "cso": "Wildlife Trust",
                    "donor": "Development Fund",
                    "other": "Institute",
                }[kind]
                self.orgs.append(
                    self._org(
                        f"{kind}-{i + 1:03d}",
                        f"{REGIONS[i % len(REGIONS)]} {label} {i + 1}",
                        kind,
                        None,
                        rng.choice(codes) if self._maybe(0.75) else None,
                    )
                )

        # Edge-case refs: the longest allowed, and a single upper-case character.
        csos = [o for o in self.orgs if o["kind"] == "cso"]
        csos[-1]["ref"] = ("Long.Ref_" + csos[-1]["ref"] + "-" + "x" * 64)[:64]
        donors = [o for o in self.orgs if o["kind"] == "donor"]
        donors[-1]["ref"] = "D"

    # -- participants --------------------------------------------------------------------

    def _name(self, org: Json, script: str | None = None) -> tuple[str, str]:
        if script is None and org["kind"] == "country":
            script = COUNTRY_SCRIPT.get(org["country"], "latin")
        if script is None:
            scripts = list(SCRIPT_WEIGHTS)
            script = self.rng.choices(scripts, weights=[SCRIPT_WEIGHTS[s] for s in scripts])[0]
        given, family = NAMES[script]
        return self.rng.choice(given), self.rng.choice(family)

    def _registered_at(self, status: str) -> datetime:
        span = (self.reg_closes - self.reg_opens).total_seconds()
        # Waitlisted and pending people tend to register late.
        low = 0.75 if status in ("waitlisted", "pending") else 0.0
        return self.reg_opens + timedelta(seconds=int(span * self.rng.uniform(low, 1.0)))

    def _participant(
        self,
        ref: str,
        org: Json,
        role: str,
        status: str,
        *,
        name: tuple[str, str] | None = None,
        position: str | None = None,
        consent: bool | None = None,
        registered: bool = True,
    ) -> Json:
        rng = self.rng
        given, family = name or self._name(org)
        person: Json = {"ref": ref, "organisation": org["ref"]}
        if self._maybe(0.85):
            person["honorific"] = rng.choice(HONORIFICS)
        person["given_name"] = given
        person["family_name"] = family
        if position is None and self._maybe(0.8):
            position = rng.choice(POSITIONS)
        if position:
            person["position"] = position
        domain = rng.choices(("example.org", "example.net", "example.com"), (7, 2, 1))[0]
        person["email"] = f"{ref.lower()}@{domain}"
        person["role"] = role
        person["status"] = status
        delegation = org["kind"] in ("country", "wen")
        if self._maybe(0.8):
            person["funded"] = self._maybe(0.35 if delegation else 0.05)
        if self._maybe(0.75):
            foreign = org.get("country") != self.venue.get("country")
            person["needs_visa_letter"] = foreign and self._maybe(0.3)
        if self._maybe(0.12):
            person["dietary"] = rng.choice(DIETARY)
        if self._maybe(0.04):
            person["accessibility"] = rng.choice(ACCESSIBILITY)
        if consent is None:
            # Left out now and then: absence must count as no consent, not as consent.
            consent = None if self._maybe(0.03) else self._maybe(0.9)
        if consent is not None:
            person["list_consent"] = consent
        if registered:
            person["registered_at"] = _instant(self._registered_at(status))
        if status == "approved" and self._maybe(0.3):
            arrival = datetime.combine(
                self.days[0], time(8, rng.randint(0, 59), rng.randint(0, 59)), self.zone
            )
            person["checked_in_at"] = _instant(arrival)
        self.participants.append(person)
        return person

    def build_participants(self) -> None:
        """About 110 participants per scale unit: officers first, then delegations."""
        rng = self.rng
        scale = self.scale
        by_kind: dict[str, list[Json]] = {kind: [] for kind in ORG_KINDS}
        for org in self.orgs:
            by_kind[org["kind"]].append(org)
        secretariat = by_kind["igo"][0]
        host = by_kind["other"][0]

        self._participant(
            "chair", secretariat, "chair", "approved", position="Secretary-General", consent=True
        )
        for i in range(max(1, scale // 4)):
            self._participant(
                f"vice-chair-{i + 1}",
                rng.choice(by_kind["country"]),
                "chair",
                "approved",
                consent=True,
            )
        for i in range(2 + scale):
            self._participant(f"rapp-{i + 1}", rng.choice(self.orgs), "rapporteur", "approved")
        for i in range(1 + scale // 3):
            # Staff added by hand sometimes have no registration instant.
            self._participant(
                f"organiser-{i + 1}", host, "organiser", "approved", registered=self._maybe(0.6)
            )
            self._participant(
                f"sec-{i + 1}", secretariat, "secretariat", "approved", registered=self._maybe(0.6)
            )
        for i, (given, family, position, status, consent) in enumerate(EDGE_PEOPLE):
            ref = "Zz.edge_case-1" if i == 0 else f"p-edge-{i + 1}"
            self._participant(
                ref,
                rng.choice(self.orgs),
                "delegate",
                status,
                name=(given, family),
                position=position or "",
                consent=consent,
            )

        number = 0
        for org in self.orgs:
            number += 1
            self._participant(f"p-{number}", org, "head_of_delegation", "approved")

        weights = {"country": 3.0, "wen": 2.0, "igo": 2.0, "cso": 1.5, "donor": 1.0, "other": 0.5}
        org_weights = [weights[o["kind"]] for o in self.orgs]
        forced = list(STATUSES)  # every status at least once
        forced_scripts = sorted(NAMES)  # and every script, even in the smallest meeting
        role_table = {
            "delegation": (("delegate", 85), ("speaker", 10), ("observer", 5)),
            "igo": (("delegate", 70), ("speaker", 20), ("observer", 10)),
            "observer": (("observer", 70), ("speaker", 15), ("delegate", 15)),
        }
        while len(self.participants) < 110 * scale:
            number += 1
            org = rng.choices(self.orgs, weights=org_weights)[0]
            group = {"country": "delegation", "wen": "delegation", "igo": "igo"}
            table = role_table[group.get(org["kind"], "observer")]
            role = rng.choices([r for r, _ in table], [w for _, w in table])[0]
            status = forced.pop() if forced else rng.choices(STATUSES, (8, 74, 8, 5, 5))[0]
            name = self._name(org, forced_scripts.pop()) if forced_scripts else None
            self._participant(f"p-{number}", org, role, status, name=name)

    # -- rooms and sessions --------------------------------------------------------------

    def build_rooms(self) -> None:
        """max(2, scale) rooms; the plenary hall holds everyone approved."""
        approved = sum(p["status"] == "approved" for p in self.participants)
        count = max(2, self.scale)
        self.rooms.append(
            {
                "ref": "plenary",
                "name": f"Plenary Hall, {self.venue['name']}",
                "capacity": max(100, math.ceil(approved * 1.1 / 50) * 50),
            }
        )
        for i in range(1, count):
            name = ROOM_NAMES[i - 1] if i - 1 < len(ROOM_NAMES) else f"Meeting Room {i + 1}"
            room: Json = {"ref": f"room-{i}", "name": name}
            if i == count - 1 and count >= 4:
                room["name"] = "Interview booth"
                room["capacity"] = 1  # the smallest allowed
            elif i % 6 != 5:  # capacity left out now and then
                room["capacity"] = self.rng.choice((20, 30, 40, 60, 80, 120, 200))
            self.rooms.append(room)
        # The booth is a room nobody can meet in: it stays unused.
        self.usable_rooms = count - 1 if count >= 4 else count

    def _free(self, ref: str, start: datetime, end: datetime) -> bool:
        return all(end <= s or e <= start for s, e in self.busy.get(ref, ()))

    def _take(self, ref: str, start: datetime, end: datetime) -> None:
        self.busy.setdefault(ref, []).append((start, end))

    def _pick(
        self,
        pool: Sequence[str],
        k: int,
        start: datetime,
        end: datetime,
    ) -> list[str]:
        """Up to k people from the pool who are free at that time, marked busy."""
        chosen: list[str] = []
        if k <= 0 or not pool:
            return chosen
        for ref in self.rng.sample(pool, min(len(pool), 4 * k + 4)):
            if len(chosen) == k:
                break
            if ref not in chosen and self._free(ref, start, end):
                chosen.append(ref)
        for ref in chosen:
            self._take(ref, start, end)
        return chosen

    def _schedule(self) -> list[tuple[date, _Slot]]:
        """Choose the slots: 16 per scale unit, spread over the days."""
        target = 16 * self.scale
        per_day, extra = divmod(target, len(self.days))
        chosen: list[tuple[date, _Slot]] = []
        for index, day in enumerate(self.days):
            quota = per_day + (1 if index < extra else 0)
            if index in (0, len(self.days) - 1):
                # Room for the opening ceremony (cut out of the first block) and the closing one.
                quota -= 1
            slots = _day_slots(self.usable_rooms)
            fitting = [s for s in slots if _slot_fits(day, s, self.zone)]
            chosen.extend((day, slot) for slot in fitting[:quota])
        return chosen

    def build_sessions(self) -> None:
        """Sessions in the rooms, none double-booked, all at daytime hours."""
        rng = self.rng
        approved = [p for p in self.participants if p["status"] == "approved"]
        self.approved_count = len(approved)
        speakers_pool = [
            p["ref"] for p in approved if p["role"] in ("speaker", "head_of_delegation", "delegate")
        ]
        speakers_pool += [p["ref"] for p in approved if p["role"] == "speaker"]  # twice as likely
        # The edge-case speakers are placed deliberately, never drawn.
        speakers_pool = [r for r in dict.fromkeys(speakers_pool) if r not in EDGE_SPEAKERS]
        chairs_pool = [
            p["ref"]
            for p in approved
            if p["role"] in ("chair", "head_of_delegation") and p["ref"] != "chair"
        ]
        rapporteurs = [p["ref"] for p in approved if p["role"] == "rapporteur"]
        vice_chairs = [p["ref"] for p in approved if p["ref"].startswith("vice-chair-")]

        parallel_kinds = ["closed", "side_event", "breakout", "panel"]
        planned: list[Json] = []
        for day, slot in self._schedule():
            if slot.use == "main" and slot.block == 0 and slot.room == 0 and day == self.days[0]:
                planned.append(self._plan(day, time(9, 0), time(9, 30), 0, "ceremony", "open"))
                planned.append(self._plan(day, time(9, 30), slot.end, 0, "plenary", "main"))
                continue
            if slot.use in ("coffee", "lunch"):
                kind = "break"
            elif slot.use == "side":
                kind = "side_event"
            elif slot.room == 0:
                kind = "panel" if self._maybe(0.2) else "plenary"
            elif parallel_kinds:
                kind = parallel_kinds.pop(0)
            else:
                kind = rng.choices(PARALLEL_KINDS, PARALLEL_WEIGHTS)[0]
            planned.append(self._plan(day, slot.start, slot.end, slot.room, kind, slot.use))

        # The closing ceremony comes last, in the plenary hall, when nothing else runs.
        last = self.days[-1]
        start = max((p["end"] for p in planned if p["day"] == last), default=time(17, 0))
        end = (datetime.combine(last, start) + timedelta(minutes=30)).time()
        planned.append(self._plan(last, start, end, 0, "ceremony", "close"))
        present = {p["kind"] for p in planned}
        for kind in ("panel", "plenary", "breakout", "closed", "side_event"):
            if kind not in present:
                # Tiny meetings: turn a plain session into the missing kind.
                candidates = [
                    p
                    for p in planned
                    if p["kind"] in ("plenary", "breakout") and p["use"] == "main"
                ]
                if len(candidates) > 1:
                    candidates[-1]["kind"] = kind
                    present = {p["kind"] for p in planned}

        planned.sort(
            key=lambda p: (p["day"], p["start"], p["room"] if p["room"] is not None else -1)
        )
        self._number(planned)
        self.total_sessions = len(planned)
        for index, plan in enumerate(planned):
            self.sessions.append(
                self._session(index, plan, speakers_pool, chairs_pool, rapporteurs, vice_chairs)
            )

    @staticmethod
    def _plan(day: date, start: time, end: time, room: int | None, kind: str, use: str) -> Json:
        return {"day": day, "start": start, "end": end, "room": room, "kind": kind, "use": use}

    @staticmethod
    def _number(planned: list[Json]) -> None:
        """Agenda item numbers: concurrent sessions share an item as 4.1, 4.2, ..."""
        groups: dict[tuple[date, time], list[Json]] = {}
        for plan in planned:
            if plan["kind"] in ("break", "side_event"):
                continue
            groups.setdefault((plan["day"], plan["start"]), []).append(plan)
        for item, key in enumerate(sorted(groups), start=1):
            members = groups[key]
            for sub, plan in enumerate(members, start=1):
                plan["number"] = str(item) if len(members) == 1 else f"{item}.{sub}"
        side = 0
        for plan in planned:
            if plan["kind"] == "side_event":
                side += 1
                if side % 3:  # some side events carry no number at all
                    plan["number"] = f"SE-{side}"

    def _title(self, plan: Json) -> str:
        rng = self.rng
        topic = rng.choice(TOPICS)
        kind = plan["kind"]
        if plan["use"] == "open":
            return "Opening of the meeting and adoption of the agenda"
        if plan["use"] == "close":
            return "Closing of the meeting"
        if kind == "break":
            return "Lunch break" if plan["use"] == "lunch" else "Coffee break"
        if kind == "plenary":
            return rng.choice(
                (
                    f"Regional updates: {topic}",
                    f"Trends in {topic}",
                    "Presentations by the Wildlife Enforcement Networks",
                    "Towards a network of the wildlife enforcement networks",
                )
            )
        if kind == "panel":
            return rng.choice(
                (
                    f"Panel: {topic}",
                    'Panel: "Follow the money" – financial investigations & AML',
                )
            )
        if kind == "breakout":
            return f"Working group {chr(ord('A') + rng.randrange(8))}: {topic}"
        if kind == "closed":
            return rng.choice(
                (
                    "Closed session of heads of networks",
                    f"Closed briefing: operation {rng.choice(('COBRA', 'THUNDERBIRD', 'WENDI'))}",
                )
            )
        org = rng.choice(self.orgs)
        return f"Side event by {org['name']}: {topic}"[:300]

    def _session(
        self,
        index: int,
        plan: Json,
        speakers_pool: list[str],
        chairs_pool: list[str],
        rapporteurs: list[str],
        vice_chairs: list[str],
    ) -> Json:
        rng = self.rng
        day: date = plan["day"]
        start = datetime.combine(day, plan["start"])
        end = datetime.combine(day, plan["end"])
        kind = plan["kind"]
        ref = {"open": "s-open", "close": "s-close"}.get(plan["use"], f"s-{index + 1:04d}")
        session: Json = {"ref": ref}
        if "number" in plan:
            session["number"] = plan["number"]
        session["title"] = self._title(plan)
        session["kind"] = kind
        session["start"] = _local(day, plan["start"])
        session["end"] = _local(day, plan["end"])
        if plan["room"] is not None:
            session["room"] = self.rooms[plan["room"]]["ref"]
        if kind == "closed":
            session["public"] = False
        elif kind == "break" or self._maybe(0.85):
            session["public"] = True  # otherwise left out: the default is public

        chairs: list[str] = []
        speakers: list[str] = []
        if kind != "break":
            if plan["room"] == 0 and self._free("chair", start, end):
                chairs = ["chair"]
                self._take("chair", start, end)
                if vice_chairs and self._maybe(0.3):
                    chairs += self._pick(vice_chairs, 1, start, end)
            elif self._maybe(0.9):
                chairs = self._pick(chairs_pool, rng.choice((1, 1, 2)), start, end)
            counts = {
                "plenary": (2, 6),
                "panel": (3, 5),
                "breakout": (0, 3),
                "closed": (0, 2),
                "side_event": (1, 3),
                "ceremony": (0, 1),
            }
            low, high = counts[kind]
            speakers = self._pick(speakers_pool, rng.randint(low, high), start, end)
            if plan["use"] in ("open", "close"):
                speakers = ["chair", *speakers]
            if plan["use"] == "open":
                # The markup-named participant speaks where the approved record quotes them.
                speakers.append(MARKUP_SPEAKER)
                self._take(MARKUP_SPEAKER, start, end)
            elif plan["use"] == "main" and plan["room"] == 0 and not self.silent_speaker_placed:
                # A speaker who declined to be listed by name.
                speakers.append(UNLISTED_SPEAKER)
                self._take(UNLISTED_SPEAKER, start, end)
                self.silent_speaker_placed = True
        session["chairs"] = chairs
        session["speakers"] = speakers
        if kind != "break" and self._maybe(0.9):
            rapporteur = self._pick(rapporteurs, 1, start, end)
            if rapporteur:
                session["rapporteur"] = rapporteur[0]
        if kind != "break" and self._maybe(0.4):
            session["description"] = self._description(kind)
        record_chance = 1.0 if kind in ("ceremony", "closed") else 0.75
        if kind != "break" and self._maybe(record_chance):
            session["record"] = self._record(index, plan, session)
        return session

    def _description(self, kind: str) -> str:
        text = " ".join(self.rng.sample(SENTENCES, 2))
        if kind == "closed":
            return "Restricted to heads of networks.\nNot for publication."
        if self._maybe(0.3):
            # Line breaks inside a text field.
            return f"{text}\n\nModeration & questions from the floor."
        return text

    # -- records -------------------------------------------------------------------------

    def _record(self, index: int, plan: Json, session: Json) -> Json:
        rng = self.rng
        progress = index / max(1, self.total_sessions)
        if plan["use"] == "close":
            status = "draft"
        elif plan["use"] == "open" or (
            plan["kind"] == "closed"
            and not any(s["kind"] == "closed" and "record" in s for s in self.sessions)
        ):
            # The opening and the first closed session always feed the reports.
            status = "approved"
        elif progress < 0.5:
            status = rng.choices(RECORD_STATUSES, (5, 10, 85))[0]
        else:
            status = rng.choices(RECORD_STATUSES, (25, 25, 50))[0]
        record: Json = {"status": status}
        if self._maybe(0.8):
            record["attendance"] = self._attendance(session)
        if plan["use"] == "open":
            record["summary"] = (
                "The Chair opened the meeting & welcomed all networks. The submitted text "
                "contained <b>markup</b> and a <script>alert('summary')</script> tag, which "
                "must be shown as text. The agenda was adopted without amendment."
            )
        elif self._maybe(0.9):
            sentences = rng.sample(SENTENCES, rng.randint(2, 4))
            if status == "draft":
                sentences.insert(0, "Draft – not yet approved.")
            record["summary"] = " ".join(sentences)
        record["outcomes"] = self._outcomes(plan, session)
        return record

    def _attendance(self, session: Json) -> int:
        room = next((r for r in self.rooms if r["ref"] == session.get("room")), None)
        ceiling = room.get("capacity", 150) if room else 150
        return self.rng.randint(0, max(0, min(ceiling, self.approved_count)))

    def _outcome(self, kind: str, session: Json) -> Json | None:
        rng = self.rng
        topic = rng.choice(TOPICS)
        if kind == "statement":
            voices = session["speakers"] + session["chairs"]
            if not voices:
                return None
            return {
                "kind": kind,
                "speaker": rng.choice(voices),
                "text": f'We must act together against {topic}, "now" & not later.',
            }
        if kind == "action":
            owner = rng.choice(self.orgs)
            due = self.days[-1] + timedelta(days=rng.randint(14, 400))
            return {
                "kind": kind,
                "owner": owner["ref"],
                "due": due.isoformat(),
                "done": self._maybe(0.2),
                "text": f"{owner.get('acronym', owner['name'])} to report on {topic}.",
            }
        texts = {
            "decision": f"The meeting decided to establish a working group on {topic}.",
            "recommendation": f"Networks should share intelligence on {topic} in real time.",
            "conclusion": f"Participants concluded that {topic} requires regional cooperation.",
        }
        return {"kind": kind, "text": texts[kind]}

    def _outcomes(self, plan: Json, session: Json) -> list[Json]:
        rng = self.rng
        if plan["use"] == "open":
            kinds = ["decision", "statement", "statement"]
        else:
            weights = {
                "plenary": (3, 3, 3, 1, 2),
                "panel": (0, 2, 2, 0, 4),
                "breakout": (1, 4, 2, 3, 0),
                "closed": (1, 1, 4, 3, 0),
                "side_event": (0, 1, 2, 0, 2),
                "ceremony": (1, 0, 1, 0, 3),
            }[plan["kind"]]
            kinds = rng.choices(OUTCOME_KINDS, weights, k=rng.choice((0, 1, 2, 2, 3, 4)))
        outcomes = [o for o in (self._outcome(k, session) for k in kinds) if o]
        if plan["use"] == "open":
            # The approved opening record quotes the markup-named participant.
            for outcome in outcomes:
                if outcome["kind"] == "statement":
                    outcome["speaker"] = MARKUP_SPEAKER
                    break
        return outcomes

    def ensure_coverage(self) -> None:
        """Make sure every record status and outcome kind occurs, even in tiny meetings."""
        records = [s["record"] for s in self.sessions if "record" in s]
        statuses = {r["status"] for r in records}
        # The opening, the closing and closed sessions keep their deliberate statuses.
        plain = [
            s
            for s in self.sessions
            if "record" in s and s["ref"] not in ("s-open", "s-close") and s["kind"] != "closed"
        ]
        for status in RECORD_STATUSES:
            if status not in statuses and plain:
                plain.pop()["record"]["status"] = status
                statuses.add(status)
        present = {o["kind"] for r in records for o in r["outcomes"]}
        approved = [
            s for s in self.sessions if "record" in s and s["record"]["status"] == "approved"
        ]
        for kind in OUTCOME_KINDS:
            if kind in present:
                continue
            for session in approved:
                outcome = self._outcome(kind, session)
                if outcome:
                    session["record"]["outcomes"].append(outcome)
                    break
        # Text fields have room for long summaries: one approved record uses it.
        for session in approved:
            if session["ref"] != "s-open" and "summary" in session["record"]:
                paragraphs = [" ".join(self.rng.sample(SENTENCES, 6)) for _ in range(10)]
                session["record"]["summary"] = "\n\n".join(paragraphs)
                break

    # -- meeting -------------------------------------------------------------------------

    def meeting(self) -> Json:
        """The meeting object, with quotas and capacity that the approved counts fit."""
        approved = [p for p in self.participants if p["status"] == "approved"]
        kind_of = {o["ref"]: o["kind"] for o in self.orgs}
        per_org = Counter(p["organisation"] for p in approved)
        quotas: dict[str, int] = {}
        for kind in ORG_KINDS:
            highest = max((n for ref, n in per_org.items() if kind_of[ref] == kind), default=0)
            quotas[kind] = highest + self.rng.randint(0, 2)  # sometimes exactly full
        scale = self.scale
        return {
            "slug": self.slug,
            "title": f"Global Meeting of the Wildlife Enforcement Networks (synthetic, scale "
            f"{scale}, seed {self.seed})",
            "short_title": f"GWEN-S{scale}",
            "document_symbol": f"ICCWC/GWEN/S{scale}-{self.seed}",
            "host": "International Consortium on Combating Wildlife Crime (ICCWC)",
            "description": (
                "Synthetic meeting for benchmarks and checks. Networks, countries, "
                "intergovernmental & civil-society organisations meet to strengthen "
                "cooperation against wildlife and forest crime.\n\nThe meeting spans a "
                "daylight-saving change."
            ),
            "venue": self.venue,
            "timezone": self.zone_name,
            "start_date": self.days[0].isoformat(),
            "end_date": self.days[-1].isoformat(),
            "languages": ["en", "fr", "es"],
            "registration_opens": _instant(self.reg_opens),
            "registration_closes": _instant(self.reg_closes),
            "capacity": len(approved) + self.rng.randint(0, 5 * scale),
            "quotas": quotas,
            "approval": "manual",
            "chair": "chair",
        }


def default_slug(scale: int, seed: int) -> str:
    """The slug used when none is given, e.g. ``bench-s3-seed7``."""
    return f"bench-s{scale}-seed{seed}"


def generate_meeting(
    scale: int, seed: int = 1, slug: str | None = None, timezone_name: str = DEFAULT_TIMEZONE
) -> Json:
    """Return a synthetic ``wen-meeting/1`` document.

    ``scale`` (at least 1) sets the size: about 110*scale participants and 16*scale sessions.
    The same arguments always give the same document. Raises ValueError for a scale below 1
    or a slug that does not match the schema, and ZoneInfoNotFoundError for an unknown zone.
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    slug = slug or default_slug(scale, seed)
    if not SLUG_RE.match(slug):
        raise ValueError(f"slug {slug!r} does not match {SLUG_RE.pattern}")
    builder = _Builder(scale, seed, slug, timezone_name)
    builder.build_organisations()
    builder.build_participants()
    builder.build_rooms()
    builder.build_sessions()
    builder.ensure_coverage()
    return {
        "format": FORMAT,
        "meeting": builder.meeting(),
        "organisations": builder.orgs,
        "participants": builder.participants,
        "rooms": builder.rooms,
        "sessions": builder.sessions,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write one generated meeting as JSON to a file or to standard output."""
    parser = argparse.ArgumentParser(
        description="Generate a synthetic WEN meeting in the wen-meeting/1 format."
    )
    parser.add_argument(
        "--scale", type=int, required=True, help="size: about 110*N participants, 16*N sessions"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--slug", help="meeting slug (default bench-sN-seedS)")
    parser.add_argument(
        "--timezone",
        default=DEFAULT_TIMEZONE,
        help=f"IANA zone of the meeting (default {DEFAULT_TIMEZONE})",
    )
    parser.add_argument("--out", help="output file (default: standard output)")
    args = parser.parse_args(argv)
    try:
        document = generate_meeting(args.scale, args.seed, args.slug, args.timezone)
    except (ValueError, ZoneInfoNotFoundError) as error:
        parser.error(str(error))
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
