"""The virtual Belgian eID card (TEST data only) behind pcscd's vpcd driver."""

from hardware.simulators.eid.card import EidApplet
from hardware.simulators.eid.image import CardImage, build_card_image
from hardware.simulators.eid.inprocess import InProcessCardTransport
from hardware.simulators.eid.persona import (
    Persona,
    PersonaInfo,
    UnknownPersona,
    list_personas,
    load_persona,
    persona_pin,
)
from hardware.simulators.eid.pki import CardPki, default_pki_dir, ensure_card_pki
from hardware.simulators.eid.vicc import CardFaults, LinkState, VirtualCard

__all__ = [
    "CardFaults",
    "CardImage",
    "CardPki",
    "EidApplet",
    "InProcessCardTransport",
    "LinkState",
    "Persona",
    "PersonaInfo",
    "UnknownPersona",
    "VirtualCard",
    "build_card_image",
    "default_pki_dir",
    "ensure_card_pki",
    "list_personas",
    "load_persona",
    "persona_pin",
]
