"""No word or number is ever split across lines, read back from the PDF's word positions.

Rendered: the longest personas of the demo register and a synthetic 48-member household with long
names, in French, Dutch and German. Every word of the printed data (names, places, streets, dates,
national numbers) must come back from `pdftotext -bbox` (poppler, an independent reader) as one
word, or as hyphen-separated parts when the line was broken after a hyphen, which is allowed.
"""

from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest

from devstack.register import certificate_data, lookup, persona_national_number
from printing.documents import household, texts
from printing.documents.base import make_styles
from printing.fonts import register_fonts
from printing.model import CertificateData, Person
from printing.render import render
from printing.tables import column_layout
from tests.documents.conftest import ADDRESS, COMMUNE, HOLDER, make_data

LANGUAGES = ("fr", "nl", "de")
LONGEST_PERSONAS = ("long", "chiara", "marie")
_PAGE = re.compile(r"<page [^>]*>(.*?)</page>", re.S)
_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', re.S
)

SURNAMES = (
    "Van den Heuvel-d'Outremont de la Chapelle-Saint-Étienne-Würzbürg-Ødegård",
    "Vanderschueren-Oosterlinck",
    "Łukasiewicz-Çağlar",
    "de Hemptinne de Crombrugghe de Picquendaele",
    "Nguyen",
)
FIRST_NAMES = (
    "Jean-Édouard François-Xavier Maximilien",
    "Marie-Thérèse Ghislaine",
    "Żaneta",
    "Aloysius Constantijn Wilhelmus",
)


def household_header(language: str) -> list[str]:
    t = household._TEXT[language]
    return [t[k] for k in ("h_name", "h_birth", "h_sex", "h_nat", "h_nn", "h_rel")]


def big_household(members: int = 48) -> tuple[Person, ...]:
    people = [HOLDER]
    for i in range(members - 1):
        people.append(
            Person(
                national_number=f"{(i % 90) + 10:02d}0{(i % 9) + 1}{(i % 28) + 1:02d}{i:03d}{i % 97:02d}",
                surname=SURNAMES[i % len(SURNAMES)],
                first_names=FIRST_NAMES[i % len(FIRST_NAMES)],
                birth_date=date(1930 + i, 1 + i % 12, 1 + i % 28),
                birth_place="Sint-Pieters-Woluwe" if i % 2 else "Ottignies-Louvain-la-Neuve",
                sex="F" if i % 2 else "M",
                nationality="BE" if i % 3 else "IT",
                relation="child" if i else "spouse",
            )
        )
    return tuple(people)


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def _pdf_pages(pdf: bytes, path: Path) -> list[list[Word]]:
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [
        [
            Word(html.unescape(m[4]), float(m[0]), float(m[1]), float(m[2]), float(m[3]))
            for m in _WORD.findall(page)
        ]
        for page in _PAGE.findall(out)
    ]


def _expected_words(data: CertificateData) -> set[str]:
    """Words of the printed data, each a unit that must never be cut."""
    values: list[str] = []
    for person in (data.holder, *data.household):
        values += [person.surname, person.first_names, person.birth_place]
        values.append(texts.format_national_number(person.national_number))
        values.append(texts.short_date(person.birth_date, data.language))
        values.append(texts.long_date(person.birth_date, data.language))
    for address in (data.address, *(p.address for p in data.address_history)):
        values += [address.street, address.zip_code, address.municipality]
    for period in data.address_history:
        values.append(texts.short_date(period.start, data.language))
    return {w.strip(",.;:()") for value in values for w in value.split()} - {""}


def _splits(pages: list[list[Word]], expected: set[str]) -> list[tuple[str, str]]:
    """Pairs (end of a line, start of the next line below it) that together are one data word.

    Two pieces are one word when their concatenation occurs inside a word of the data (data words
    hold no spaces, so two separate words never concatenate into one); a piece ending with a
    hyphen is an allowed break.
    """
    found = []
    for words in pages:
        for first in words:
            if first.text.endswith("-"):
                continue
            height = first.y1 - first.y0
            for second in words:
                below = 0.5 * height < second.y0 - first.y0 < 2.0 * height
                if not below or second.x0 > first.x1 or second.x1 < first.x0 - 300:
                    continue
                joined = first.text + second.text
                if any(joined in word for word in expected):
                    found.append((first.text, second.text))
    return found


def _printed_whole(word: str, printed: set[str]) -> bool:
    """`word` is printed whole, or as lines each holding a run of its hyphen-ended parts."""
    parts = [p for p in re.split(r"(?<=-)", word) if p]
    reachable = {0}
    for end in range(1, len(parts) + 1):
        if any("".join(parts[start:end]) in printed for start in reachable if start < end):
            reachable.add(end)
    return len(parts) in reachable


def _assert_no_split(data: CertificateData, tmp_path: Path, name: str) -> None:
    pages = _pdf_pages(render(data, commune=COMMUNE), tmp_path / f"{name}.pdf")
    expected = _expected_words(data)
    printed = {w.text.strip(",.;:()") for page in pages for w in page}
    assert printed & expected, "no data word found in the PDF"
    assert _splits(pages, expected) == [], name
    # The words that are printed come back whole, or cut only after their hyphens.
    people = data.household if data.document_type == "household" else (data.holder,)
    for person in people:
        for word in person.surname.upper().split() + person.birth_place.split():
            assert _printed_whole(word, printed), (name, word)
    # Every data word that is printed is whole (the surname and national number always are).
    for person in data.household if data.document_type == "household" else ():
        assert texts.format_national_number(person.national_number) in printed, name


PERSONA_CASES = [
    (persona, document_type)
    for persona in LONGEST_PERSONAS
    for document_type in ("household", "residence_history", "residence")
    if (persona, document_type) != ("long", "residence_history")  # "long" has no history
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("persona", "document_type"), PERSONA_CASES)
def test_personas_never_split_a_word(
    persona: str, document_type: str, language: str, tmp_path: Path
) -> None:
    national_number = persona_national_number(persona)
    assert national_number is not None
    data = certificate_data(
        lookup(national_number),
        document_type=document_type,
        language=language,
        document_id="2026-SPLIT-1",
        issued_at=make_data().issued_at,
        kiosk_id="K-TEST-01",
        verify_base_url="https://verify.example.test",
    )
    _assert_no_split(data, tmp_path, f"{persona}-{document_type}-{language}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_48_member_household_never_splits_a_word(language: str, tmp_path: Path) -> None:
    members = big_household()
    data = replace(
        make_data(language=language, document_type="household"),
        holder=members[0],
        household=members,
        address=replace(
            ADDRESS, street="Avenue de la Forêt-de-Soignes-et-des-Étangs-de-Boitsfort 1234 boîte 56"
        ),
    )
    _assert_no_split(data, tmp_path, f"household48-{language}")


def test_table_too_wide_for_any_font_becomes_one_block_per_member(tmp_path: Path) -> None:
    register_fonts()
    styles = make_styles()
    header = household_header("de")
    giant = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaftschaferswessen"
    rows = [[giant, "01.01.1990", "M", "Belgier", "90.01.01-123.45", "Sohn"]]
    assert column_layout(header=header, rows=rows, cell=styles.cell, head=styles.cell_head) is None
    members = tuple(replace(p, surname=giant) for p in big_household(6))
    data = replace(
        make_data(language="de", document_type="household"), holder=members[0], household=members
    )
    _assert_no_split(data, tmp_path, "blocks-de")
    pages = _pdf_pages(render(data, commune=COMMUNE), tmp_path / "blocks-again.pdf")
    labels = [w.text for page in pages for w in page]
    # Each member's block repeats the labels, so the national-number label appears per member.
    assert labels.count("Nationalregisternr.") == len(members)
