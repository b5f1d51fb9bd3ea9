"""Connector to the population register.

The product talks to the register through `RegisterConnector`; `DemoRegister` serves the demo
population of a JSON file (see `data/demo_register.json`). A connector to the real national
register goes behind the same protocol.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from central.errors import RegisterUnavailable
from offline_queue.wire import AddressPeriod, RegisterExtractResponse, RegisterMember, WireAddress


class RegisterConnector(Protocol):
    @property
    def commune_name(self) -> str | None:
        """The municipality whose register this is (shown on the verification page)."""

    def extract(self, national_number: str) -> RegisterExtractResponse | None:
        """The resident's household, or None when the register does not know them."""


def _address(raw: Mapping[str, Any]) -> WireAddress:
    return WireAddress(street=raw["street"], zip_code=raw["zip"], municipality=raw["municipality"])


def _period(raw: Mapping[str, Any]) -> AddressPeriod:
    return AddressPeriod(address=_address(raw), start=raw["from"], end=raw.get("to"))


def _member(raw: Mapping[str, Any]) -> RegisterMember:
    fields = {key: value for key, value in raw.items() if key != "address_history"}
    return RegisterMember(
        **fields, address_history=tuple(_period(p) for p in raw.get("address_history", ()))
    )


def _household(raw: Mapping[str, Any]) -> RegisterExtractResponse:
    return RegisterExtractResponse(
        household_id=raw["id"],
        address=_address(raw["address"]),
        members=tuple(_member(m) for m in raw["members"]),
    )


class DemoRegister:
    """The demo register, loaded once from its JSON file and indexed by national number."""

    def __init__(
        self, households: Mapping[str, RegisterExtractResponse], *, commune: str | None = None
    ) -> None:
        self._by_national_number = dict(households)
        self._commune = commune

    @property
    def commune_name(self) -> str | None:
        return self._commune

    @classmethod
    def load(cls, path: Path) -> DemoRegister:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            households = [_household(raw) for raw in data["households"]]
        except (OSError, ValueError, KeyError, TypeError, ValidationError) as err:
            raise RegisterUnavailable(f"cannot load the register file {path}") from err
        index: dict[str, RegisterExtractResponse] = {}
        for household in households:
            for member in household.members:
                index[member.national_number] = household
        commune = data.get("commune")
        return cls(index, commune=str(commune["name"]) if isinstance(commune, dict) else None)

    def national_numbers(self) -> tuple[str, ...]:
        return tuple(self._by_national_number)

    def extract(self, national_number: str) -> RegisterExtractResponse | None:
        return self._by_national_number.get(national_number)
