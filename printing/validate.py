"""Check and clean the register data before it is laid out.

Every text that reaches the page is NFC-normalised and checked against the embedded fonts. A
character the fonts lack is replaced by its compatibility decomposition when that is printable (a
visible, faithful degradation: "ﬁ" → "fi", "Ⅳ" → "IV"); otherwise the field is refused. Missing or
over-long fields are refused too. Refusals are `DocumentError`s whose `params["field"]` names the
field (e.g. `household[3].surname`), so staff know what to correct in the register; the kiosk
never hands out a certificate with a blank or clipped value.
"""

from __future__ import annotations

import dataclasses
import unicodedata

from printing.errors import DocumentError, RegisterDataError
from printing.fonts import printable_code_points
from printing.model import Address, AddressPeriod, CertificateData, Person

MAX_LENGTHS: dict[str, int] = {
    "surname": 160,
    "first_names": 160,
    "birth_place": 100,
    "street": 160,
    "zip_code": 10,
    "municipality": 100,
}
"""Longest accepted value per field (a 110-character name still fits, wrapped)."""

MAX_HOUSEHOLD = 60
MAX_HISTORY = 80


def _refuse(field: str, problem: str, message: str) -> DocumentError:
    return DocumentError(
        f"{field}: {message}",
        translation_key=f"documents.error.field_{problem}",
        params={"field": field},
    )


def clean_text(value: str, *, field: str, required: bool = False) -> str:
    """`value` normalised and printable with the embedded fonts, or a DocumentError naming `field`."""
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if required and not text:
        raise _refuse(field, "missing", "missing")
    limit = MAX_LENGTHS.get(field.rsplit(".", 1)[-1])
    if limit is not None and len(text) > limit:
        raise _refuse(field, "too_long", f"{len(text)} characters, at most {limit}")
    printable = printable_code_points()
    if all(ord(ch) in printable for ch in text):
        return text
    out: list[str] = []
    for ch in text:
        if ord(ch) in printable:
            out.append(ch)
            continue
        if unicodedata.category(ch).startswith("C"):
            raise _refuse(field, "charset", f"control or unassigned character U+{ord(ch):04X}")
        fallback = unicodedata.normalize("NFKC", ch)
        if fallback == ch or not all(ord(c) in printable for c in fallback):
            raise _refuse(field, "charset", f"character U+{ord(ch):04X} cannot be printed")
        out.append(fallback)
    text = "".join(out)
    if limit is not None and len(text) > limit:
        raise _refuse(field, "too_long", f"{len(text)} characters, at most {limit}")
    return text


def _national_number(value: str, *, field: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    if not digits:
        raise _refuse(field, "missing", "missing")
    if len(digits) != 11:
        raise _refuse(field, "invalid", "a national number has 11 digits")
    return digits


def _person(person: Person, *, field: str) -> Person:
    return dataclasses.replace(
        person,
        national_number=_national_number(person.national_number, field=f"{field}.national_number"),
        surname=clean_text(person.surname, field=f"{field}.surname", required=True),
        first_names=clean_text(person.first_names, field=f"{field}.first_names"),
        birth_place=clean_text(person.birth_place, field=f"{field}.birth_place"),
    )


def _address(address: Address, *, field: str) -> Address:
    return Address(
        street=clean_text(address.street, field=f"{field}.street", required=True),
        zip_code=clean_text(address.zip_code, field=f"{field}.zip_code", required=True),
        municipality=clean_text(address.municipality, field=f"{field}.municipality", required=True),
    )


def check_history(person: Person, periods: tuple[AddressPeriod, ...]) -> None:
    """Refuse a history the register must not certify: a residence before birth, or one that ends
    before it starts. `RegisterDataError` names the bad period; nothing is printed."""
    for i, period in enumerate(periods):
        field = f"address_history[{i}]"
        if period.start < person.birth_date:
            raise RegisterDataError(
                f"{field}: starts before the holder's birth",
                translation_key="documents.error.history_before_birth",
                params={"field": field},
            )
        if period.end is not None and period.end < period.start:
            raise RegisterDataError(
                f"{field}: ends before it starts",
                translation_key="documents.error.history_order",
                params={"field": field},
            )


def checked(data: CertificateData) -> CertificateData:
    """`data` with every printed text validated and cleaned; DocumentError naming the bad field."""
    check_history(data.holder, data.address_history)
    if len(data.household) > MAX_HOUSEHOLD:
        raise _refuse("household", "too_long", f"{len(data.household)} members")
    if len(data.address_history) > MAX_HISTORY:
        raise _refuse("address_history", "too_long", f"{len(data.address_history)} periods")
    if not data.document_id.strip():
        raise _refuse("document_id", "missing", "missing")
    return dataclasses.replace(
        data,
        holder=_person(data.holder, field="holder"),
        address=_address(data.address, field="address"),
        household=tuple(_person(p, field=f"household[{i}]") for i, p in enumerate(data.household)),
        address_history=tuple(
            AddressPeriod(
                address=_address(p.address, field=f"address_history[{i}].address"),
                start=p.start,
                end=p.end,
            )
            for i, p in enumerate(data.address_history)
        ),
    )
