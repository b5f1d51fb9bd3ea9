"""Input values of the certificate renderer (the document pipeline does not import the kiosk core)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path


class Language(enum.StrEnum):
    FR = "fr"
    NL = "nl"
    DE = "de"


@dataclass(frozen=True, slots=True, kw_only=True)
class Commune:
    name: str
    address: str
    service: str
    official_title: str
    logo_path: Path | None = None
    kingdom: bool = False
    """Print the kingdom's name (in the certificate's language) above the commune's name."""
    province: str = ""
    """The province as the commune prints it ("Province de Namur"), after the kingdom; empty: none."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    street: str
    zip_code: str
    municipality: str

    def one_line(self) -> str:
        return f"{self.street}, {self.zip_code} {self.municipality}"


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressPeriod:
    address: Address
    start: date
    end: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """A person of the register, with their own main residences (not the household's)."""

    national_number: str
    surname: str
    first_names: str
    birth_date: date
    birth_place: str = ""
    sex: str = ""
    nationality: str = ""
    relation: str = ""
    address_history: tuple[AddressPeriod, ...] = ()
    noble_title: str = ""
    """The noble title the register holds (`Baron`, `Comtesse`…), printed after the name."""
    register_type: str = "population"
    """The register the person is inscribed in: `population`, `foreigners` or `waiting`."""

    @property
    def full_name(self) -> str:
        name = f"{self.surname.upper()} {self.first_names}"
        return f"{name}, {self.noble_title}" if self.noble_title else name


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateData:
    document_type: str
    language: str
    document_id: str
    issued_at: datetime
    kiosk_id: str
    verify_base_url: str
    holder: Person
    address: Address
    household: tuple[Person, ...] = ()
    address_history: tuple[AddressPeriod, ...] = ()
    """The holder's own main residences (the certificate certifies the holder's, not the household's)."""
    fee_cents: int | None = None
    """The fee paid for this certificate (0: free); None prints no fee line."""
    purpose: str = ""
    """What the resident said the certificate is for ("délivré pour servir à …"); empty: not said."""

    @property
    def verify_url(self) -> str:
        return f"{self.verify_base_url.rstrip('/')}/verify/{self.document_id}"
