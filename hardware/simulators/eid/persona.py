"""Personas of the virtual eID: data files under `personas/<name>.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from hardware.errors import BorneError

PERSONA_DIR = Path(__file__).resolve().parent / "personas"


class UnknownPersona(BorneError):
    translation_key = "eid.simulator.unknown_persona"


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonaFaults:
    tamper_address: bool = False
    pin_blocked: bool = False
    cloned_chip: bool = False  # EF 4040 copied from another card: the chip's key does not match


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonaAddress:
    street: str
    zip_code: str
    municipality: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Persona:
    name: str
    exercises: str
    card_kind: str  # "1.8" (ECC) or "1.7" (RSA)
    card_language: str  # "fr", "nl", "de"
    national_number: str
    card_number: str
    document_type: str
    surname: str
    first_names: str
    third_initial: str
    nationality: str
    birth_place: str
    birth_date: date
    sex: str  # "M" or "F"; written on the card in the card's language
    nobility: str
    issuing_municipality: str
    validity_begin: date
    validity_end: date
    address: PersonaAddress
    pin: str
    faults: PersonaFaults
    zero_length_tags: bool = False  # optional tags written with length 0, as on some real cards
    certificates: tuple[str, ...] = ("authentication", "signature")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Persona:
        address = data["address"]
        faults = data.get("faults", {})
        return cls(
            name=data["name"],
            exercises=data["exercises"],
            card_kind=data["card_kind"],
            card_language=data["card_language"],
            national_number=data["national_number"],
            card_number=data["card_number"],
            document_type=data["document_type"],
            surname=data["surname"],
            first_names=data["first_names"],
            third_initial=data.get("third_initial", ""),
            nationality=data["nationality"],
            birth_place=data["birth_place"],
            birth_date=date.fromisoformat(data["birth_date"]),
            sex=data["sex"],
            nobility=data.get("nobility", ""),
            issuing_municipality=data["issuing_municipality"],
            validity_begin=date.fromisoformat(data["validity_begin"]),
            validity_end=date.fromisoformat(data["validity_end"]),
            address=PersonaAddress(
                street=address["street"],
                zip_code=address["zip"],
                municipality=address["municipality"],
            ),
            pin=data["pin"],
            faults=PersonaFaults(
                tamper_address=bool(faults.get("tamper_address", False)),
                pin_blocked=bool(faults.get("pin_blocked", False)),
                cloned_chip=bool(faults.get("cloned_chip", False)),
            ),
            zero_length_tags=bool(data.get("zero_length_tags", False)),
            certificates=tuple(data.get("certificates", ("authentication", "signature"))),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonaInfo:
    name: str
    exercises: str
    card_kind: str
    card_language: str
    national_number: str
    display_name: str


def load_persona(name: str) -> Persona:
    path = PERSONA_DIR / f"{name}.json"
    if not name.isidentifier() or not path.is_file():
        raise UnknownPersona("no such persona", translation_key=None, params={"persona": name})
    persona = Persona.from_json(json.loads(path.read_text(encoding="utf-8")))
    if persona.name != name:
        raise UnknownPersona("persona file names another persona", params={"persona": name})
    return persona


def list_personas() -> list[PersonaInfo]:
    infos = []
    for path in sorted(PERSONA_DIR.glob("*.json")):
        persona = load_persona(path.stem)
        infos.append(
            PersonaInfo(
                name=persona.name,
                exercises=persona.exercises,
                card_kind=persona.card_kind,
                card_language=persona.card_language,
                national_number=persona.national_number,
                display_name=f"{persona.first_names} {persona.surname}",
            )
        )
    return infos


def persona_pin(name: str) -> str:
    """The PIN of a persona's card (the demo types it on the on-screen keypad)."""
    return load_persona(name).pin
