"""Each certificate's words, in each language, against a reviewed golden text.

The golden files in `golden/` were read as a French-, a Dutch- and a German-speaking official would
read them: agreement in gender and number, the legal basis, the fee, the purpose, the register, the
kingdom and province. A change of wording shows up here as a diff to review; after reviewing it,
`BORNE_UPDATE_GOLDEN=1 pytest tests/documents/test_golden_texts.py` rewrites the files.

The text is what `pdftotext -layout` (poppler, an independent reader) extracts from the rendered
PDF, trailing spaces removed and runs of blank lines folded, so that the layout of the words is
checked too, not only the strings we passed to the renderer.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devstack.register import DEMO_REGISTER, certificate_data, demo_commune, lookup
from kiosk.flows.purpose import printed
from printing.documents import texts
from printing.documents.purposes import OTHER
from printing.model import Person
from printing.render import render

GOLDEN = Path(__file__).parent / "golden"
ISSUED_AT = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
"""00:30 on 2 December in Brussels: the printed date must be the 2nd, not the UTC 1st."""

MARIE = "85031412401"
JAN = "72110204529"
CHIARA = "94011730205"
HENRI = "60050507701"
EMMA = "15093021271"

CASES = [
    # (document, national number, fee in cents, purpose, golden name)
    ("household", MARIE, 250, "la caisse d'allocations familiales", "household"),
    ("household", JAN, 250, "", "household-single"),
    ("residence", HENRI, 250, "", "residence-noble"),
    ("residence_history", MARIE, 300, "", "residence_history"),
    ("residence_history", EMMA, 300, "", "residence_history-child"),
    ("nationality", MARIE, 250, "", "nationality"),
    ("life", MARIE, 0, "", "life"),
    ("life", MARIE, 0, "typed", "life-typed-purpose"),
    ("registration", CHIARA, 250, "", "registration-foreigner"),
]

PURPOSES = {
    "fr": "la caisse d'allocations familiales",
    "nl": "het kinderbijslagfonds",
    "de": "die Familienbeihilfekasse",
}


TYPED_PURPOSES = {
    "fr": "  inscription à l'Académie de musique d'Écaussinnes (cours du soir)",
    "nl": "inschrijving in de crèche 't Kindercafé,  Sint-Niklaas",
    "de": "Anmeldung beim Fußballverein Kelmis / Schülerausweis",
}
"""Typed on the kiosk's keyboard (accents, ß, punctuation, stray spaces), printed as kept."""


def _purpose(purpose: str, language: str) -> str:
    if purpose == "typed":
        return printed(OTHER, language, text=TYPED_PURPOSES[language])
    return PURPOSES[language] if purpose else ""


def _text(pdf: Path) -> str:
    raw = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    lines = [line.rstrip() for line in raw.replace("\f", "\n").splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
    # the verification code is a digest of the rendered file (which carries its creation time)
    return _CODE.sub("XXXX-XXXX-XXXX", text)


_CODE = re.compile(r"\b[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}\b")


def _render(
    tmp_path: Path, *, document: str, national_number: str, language: str, fee: int, purpose: str
) -> Path:
    data = certificate_data(
        lookup(national_number, register_path=DEMO_REGISTER),
        document_type=document,
        language=language,
        document_id="2026-0000ABCD",
        issued_at=ISSUED_AT,
        kiosk_id="DEMO-01",
        verify_base_url="https://certificats.demo-sur-meuse.be",
        fee_cents=fee,
        purpose=_purpose(purpose, language),
    )
    out = tmp_path / f"{document}.{language}.pdf"
    out.write_bytes(render(data, commune=demo_commune(language)))
    return out


@pytest.mark.parametrize("language", ["fr", "nl", "de"])
@pytest.mark.parametrize(("document", "national_number", "fee", "purpose", "name"), CASES)
def test_certificate_reads_as_the_reviewed_text(
    tmp_path: Path,
    document: str,
    national_number: str,
    fee: int,
    purpose: str,
    name: str,
    language: str,
) -> None:
    text = _text(
        _render(
            tmp_path,
            document=document,
            national_number=national_number,
            language=language,
            fee=fee,
            purpose=purpose,
        )
    )
    golden = GOLDEN / f"{name}.{language}.txt"
    if os.environ.get("BORNE_UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"no reviewed text {golden.name}: write it with BORNE_UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("language", ["fr", "nl", "de"])
def test_no_certificate_hedges_gender_or_number(tmp_path: Path, language: str) -> None:
    """ "(e)", "(s)", "/personen", "(en)", "zijn of haar", "il ou elle": never on paper."""
    hedges = re.compile(
        r"\((?:e|s|es|en)\)|/person|zijn of haar|seinen oder ihren|il ou elle|hij of zij"
    )
    for document, national_number, fee, purpose, _ in CASES:
        text = _text(
            _render(
                tmp_path,
                document=document,
                national_number=national_number,
                language=language,
                fee=fee,
                purpose=purpose,
            )
        )
        assert hedges.search(text) is None, (document, language, hedges.findall(text))


def _person(sex: str) -> Person:
    return Person(
        national_number=MARIE,
        surname="Dupont",
        first_names="Alex",
        birth_date=datetime(1985, 3, 14, tzinfo=UTC).date(),
        birth_place="Namur",
        sex=sex,
    )


@pytest.mark.parametrize(
    ("sex", "expected"),
    [
        ("F", "née le 14 mars 1985 à Namur"),
        ("M", "né le 14 mars 1985 à Namur"),
        ("X", "date et lieu de naissance : 14 mars 1985, Namur"),
        ("", "date et lieu de naissance : 14 mars 1985, Namur"),
    ],
)
def test_birth_line_agrees_with_the_register_or_stays_neutral(sex: str, expected: str) -> None:
    assert texts.birth_line(_person(sex), "fr") == expected
    assert texts.birth_line(_person(sex), "nl") == "geboren op 14 maart 1985 te Namur"


def test_a_neutral_holder_gets_neutral_wording_on_paper(tmp_path: Path) -> None:
    entry = lookup(MARIE, register_path=DEMO_REGISTER)
    entry = replace(entry, holder=replace(entry.holder, sex="X"))
    data = certificate_data(
        entry,
        document_type="residence",
        language="fr",
        document_id="2026-0000ABCD",
        issued_at=ISSUED_AT,
        kiosk_id="DEMO-01",
        verify_base_url="https://x.example",
        fee_cents=250,
    )
    out = tmp_path / "x.pdf"
    out.write_bytes(render(data, commune=demo_commune("fr")))
    text = " ".join(_text(out).split())
    assert "date et lieu de naissance : 14 mars 1985, Namur" in text
    assert "à la demande de la personne concernée" in text


@pytest.mark.parametrize(
    ("cents", "printed"), [(250, "2,50\u00a0€"), (1000, "10,00\u00a0€"), (5, "0,05\u00a0€")]
)
def test_fee_is_printed_with_a_decimal_comma(cents: int, printed: str) -> None:
    assert texts.amount(cents, "fr") == printed
