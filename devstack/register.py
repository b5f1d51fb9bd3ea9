"""Read the demo population register (`devstack/data/demo_register.json`) into certificate data.

The file is read as data; the central package is not imported (printing must not depend on it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from printing.errors import DocumentError
from printing.model import Address, AddressPeriod, CertificateData, Commune, Person

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_REGISTER = Path(__file__).resolve().parent / "data" / "demo_register.json"
PERSONAS_DIR = REPO_ROOT / "hardware" / "simulators" / "eid" / "personas"

DEMO_COMMUNE = Commune(
    name="Démo-sur-Meuse",
    address="Place communale 1, 5999 Démo-sur-Meuse",
    service="Service Population et État civil",
    official_title="L'Officier de l'état civil délégué",
    kingdom=True,
    province="Province de Namur",
)

_DEMO_TEXTS = {
    "nl": (
        "Dienst Bevolking en Burgerlijke Stand",
        "De gemachtigde ambtenaar van de burgerlijke stand",
    ),
    "de": ("Dienst Bevölkerung und Personenstand", "Der beauftragte Standesbeamte"),
}
_DEMO_PROVINCE = {"nl": "Provincie Namen", "de": "Provinz Namur"}


def demo_commune(language: str) -> Commune:
    """The demo commune with its service and official's title in the certificate's language."""
    if language not in _DEMO_TEXTS:
        return DEMO_COMMUNE
    service, title = _DEMO_TEXTS[language]
    return replace(
        DEMO_COMMUNE, service=service, official_title=title, province=_DEMO_PROVINCE[language]
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterEntry:
    holder: Person
    address: Address
    household: tuple[Person, ...]
    address_history: tuple[AddressPeriod, ...]


def _address(raw: dict[str, Any]) -> Address:
    return Address(
        street=str(raw["street"]), zip_code=str(raw["zip"]), municipality=str(raw["municipality"])
    )


def _period(raw: dict[str, Any]) -> AddressPeriod:
    return AddressPeriod(
        address=_address(raw),
        start=date.fromisoformat(str(raw["from"])),
        end=date.fromisoformat(str(raw["to"])) if raw.get("to") else None,
    )


def _person(raw: dict[str, Any]) -> Person:
    return Person(
        national_number=str(raw["national_number"]),
        surname=str(raw["surname"]),
        first_names=str(raw["first_names"]),
        birth_date=date.fromisoformat(str(raw["birth_date"])),
        birth_place=str(raw.get("birth_place", "")),
        sex=str(raw.get("sex", "")),
        nationality=str(raw.get("nationality", "")),
        relation=str(raw.get("relation", "")),
        noble_title=str(raw.get("noble_title", "")),
        register_type=str(raw.get("register_type", "population")),
        address_history=tuple(_period(p) for p in raw.get("address_history", ())),
    )


def lookup(national_number: str, *, register_path: Path = DEMO_REGISTER) -> RegisterEntry:
    try:
        register = json.loads(register_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise DocumentError(
            f"register unreadable: {register_path}", translation_key="documents.error.register"
        ) from err
    for household in register["households"]:
        for member in household["members"]:
            if member["national_number"] == national_number:
                holder = _person(member)
                return RegisterEntry(
                    holder=holder,
                    address=_address(household["address"]),
                    household=tuple(_person(m) for m in household["members"]),
                    address_history=holder.address_history,
                )
    raise DocumentError(
        "person not in the register", translation_key="documents.error.not_registered"
    )


def persona_national_number(name: str, *, personas_dir: Path = PERSONAS_DIR) -> str | None:
    path = personas_dir / f"{name}.json"
    if not path.is_file():
        return None
    value = json.loads(path.read_text(encoding="utf-8")).get("national_number")
    return str(value) if value else None


def certificate_data(
    entry: RegisterEntry,
    *,
    document_type: str,
    language: str,
    document_id: str,
    issued_at: datetime,
    kiosk_id: str,
    verify_base_url: str,
    fee_cents: int | None = None,
    purpose: str = "",
) -> CertificateData:
    return CertificateData(
        document_type=document_type,
        language=language,
        document_id=document_id,
        issued_at=issued_at,
        kiosk_id=kiosk_id,
        verify_base_url=verify_base_url,
        holder=entry.holder,
        address=entry.address,
        household=entry.household,
        address_history=entry.address_history,
        fee_cents=fee_cents,
        purpose=purpose,
    )
