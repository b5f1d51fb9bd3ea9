"""A payment protocol is one module plus one registration: a toy protocol, end to end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.payment.journal import PaymentJournal, PaymentState
from hardware.payment.model import (
    STATUS_ACCEPTED,
    Approved,
    Capabilities,
    EndOfDay,
    PaymentOutcome,
    StatusCallback,
    TerminalStatus,
)
from hardware.payment.registry import (
    TerminalSettings,
    UnknownProtocol,
    create_terminal,
    protocols,
    register_protocol,
    unregister_protocol,
)
from hardware.payment.service import PaymentService
from hardware.payment.zvt.driver import ZvtTerminal
from kiosk.config import load_config
from kiosk.config_reader import ConfigError


class ToyTerminal:
    """Approves every payment at once; keeps what it was asked in memory."""

    def __init__(self, settings: TerminalSettings) -> None:
        self.settings = settings
        self.charged: dict[str, int] = {}
        self.aborted = False

    def register(self) -> None:
        return None

    def pay(
        self, *, amount_cents: int, currency: str = "EUR", reference: str, on_status: StatusCallback
    ) -> PaymentOutcome:
        on_status(STATUS_ACCEPTED)
        on_status("payment.status.insert_card")
        self.charged[reference] = amount_cents
        return Approved(
            amount_cents=amount_cents,
            reference=reference,
            auth_code="TOY",
            receipt_number=f"{len(self.charged):04d}",
        )

    def lookup(
        self, *, reference: str, amount_cents: int, last_receipt: str | None = None
    ) -> PaymentOutcome | None:
        return None

    def last_receipt(self) -> str | None:
        return f"{len(self.charged):04d}" if self.charged else ""

    def status_enquiry(self) -> TerminalStatus:
        return TerminalStatus(ready=True, result_code=0, software_version="toy 1")

    def abort(self) -> None:
        self.aborted = True

    def reverse(self, *, receipt_number: str, reference: str = "") -> PaymentOutcome:
        raise NotImplementedError

    def refund(self, *, amount_cents: int, reference: str = "") -> PaymentOutcome:
        raise NotImplementedError

    def end_of_day(self) -> EndOfDay:
        return EndOfDay(approved=True, result_code=0)

    def repeat_receipt(self) -> tuple[str, ...]:
        return ()

    def capabilities(self) -> Capabilities:
        return Capabilities(status_enquiry=True, abort=True)

    def close(self) -> None:
        return None


@pytest.fixture
def toy() -> Iterator[str]:
    register_protocol("toy", ToyTerminal)
    yield "toy"
    unregister_protocol("toy")


def test_zvt_is_built_in() -> None:
    assert "zvt" in protocols()
    terminal = create_terminal("zvt", TerminalSettings(port="/dev/null-terminal"))
    assert isinstance(terminal, ZvtTerminal)
    terminal.close()


def test_toy_protocol_pays_through_the_journal(toy: str, tmp_path: Path) -> None:
    assert toy in protocols()
    terminal = create_terminal(toy, TerminalSettings(port="toy://1", options={"colour": "red"}))
    assert isinstance(terminal, ToyTerminal)
    assert terminal.settings.options == {"colour": "red"}
    journal = PaymentJournal(tmp_path / "p.db")
    try:
        service = PaymentService(terminal=terminal, journal=journal)
        prompts: list[str] = []
        outcome = service.pay(amount_cents=700, reference="toy-1", on_status=prompts.append)
        assert isinstance(outcome, Approved)
        assert prompts == ["payment.status.insert_card"]
        assert journal.get("toy-1").state is PaymentState.APPROVED
        service.cancel()
        assert terminal.aborted
    finally:
        journal.close()
    assert terminal.charged == {"toy-1": 700}


def test_unknown_and_duplicate_protocols(toy: str) -> None:
    with pytest.raises(UnknownProtocol):
        create_terminal("nope", TerminalSettings(port="x"))
    with pytest.raises(ValueError, match="already registered"):
        register_protocol(toy, ToyTerminal)


REPO = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, **payment: str) -> Path:
    """The shipped kiosk.toml with some `[payment]` values replaced."""
    text = (REPO / "kiosk.toml").read_text(encoding="utf-8")
    head, _, rest = text.partition("[payment]\n")
    section, _, tail = rest.partition("\n\n")
    lines = dict(line.split(" = ", 1) for line in section.splitlines())
    lines.update({key: f'"{value}"' for key, value in payment.items()})
    body = "\n".join(f"{key} = {value}" for key, value in lines.items())
    path = tmp_path / "kiosk.toml"
    path.write_text(f"{head}[payment]\n{body}\n\n{tail}", encoding="utf-8")
    return path


def test_configuration_refuses_an_unknown_protocol_with_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_config(tmp_path, protocol="ctep"), environ={})
    assert caught.value.key == "payment.protocol"
    assert "'ctep'" in str(caught.value)
    assert "zvt" in str(caught.value)


def test_configuration_accepts_a_registered_protocol(toy: str, tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, protocol=toy, port="tcp://127.0.0.1:20007"), environ={})
    assert config.payment.protocol == toy
    assert config.payment.port == "tcp://127.0.0.1:20007"  # a transport URL, not a file path
    serial = load_config(_config(tmp_path, port="var/run/zvt"), environ={})
    assert serial.payment.port == str(tmp_path / "var" / "run" / "zvt")
