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

    @property
    def full_name(self) -> str:
        return f"{self.surname.upper()} {self.first_names}"


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

    @property
    def verify_url(self) -> str:
        return f"{self.verify_base_url.rstrip('/')}/verify/{self.document_id}"
