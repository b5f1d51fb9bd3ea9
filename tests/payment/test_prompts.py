"""The terminal's intermediate status (04 FF) as typed prompts, translated, shown to the resident;
and the "cancel on the terminal" guidance when the terminal refuses the kiosk's abort.

The catalogue is checked against the specification's table (vectors/intermediate_status.txt, as
data); the guidance runs through the adapter, the real driver, a pty and the simulator.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.payment.journal import PaymentJournal
from hardware.payment.service import PaymentService
from hardware.payment.zvt import messages as msg
from hardware.payment.zvt.codec import decode_apdu
from hardware.payment.zvt.driver import CANCEL_ON_TERMINAL, ZvtTerminal
from hardware.payment.zvt.prompts import PROMPT_KEYS, TerminalPrompt, prompt, prompt_key
from hardware.runner import DeviceRunner
from hardware.simulators.zvt import Scenario, TerminalSimulator
from kiosk.adapters.payment import ZvtPaymentAdapter
from kiosk.ports import PaymentStatus
from tests.payment.conftest import FAST

ROOT = Path(__file__).resolve().parents[2]
VECTORS = Path(__file__).parent / "vectors"


def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for raw in (VECTORS / "intermediate_status.txt").read_text(encoding="ascii").splitlines():
        if raw.startswith("#") or not raw.strip():
            continue
        code, _, text = raw.partition(" ")
        table[int(code, 16)] = text
    return table


SPEC = _table()


def test_every_code_of_the_specification_is_typed() -> None:
    assert len(SPEC) == 85
    for code in SPEC:
        assert prompt(code) is not TerminalPrompt.UNLISTED, f"{code:02X}"
    unlisted = [c for c in range(256) if c not in SPEC]
    assert all(prompt(c) is TerminalPrompt.UNLISTED for c in unlisted)
    assert prompt_key(prompt(0x30)) == "payment.status.processing"


@pytest.mark.parametrize(
    ("words", "key"),
    [
        ("remove card", "payment.status.remove_card"),
        ("insert card", "payment.status.insert_card"),
        ("watch pin-pad", "payment.status.enter_pin"),
        ("incorrect pin", "payment.status.wrong_pin"),
        ("pin try limit", "payment.status.pin_blocked"),
        ("expired card", "payment.status.card_expired"),
        ("card not readable", "payment.status.card_not_readable"),
        ("amount-confirmation", "payment.status.confirm_amount"),
        ("declined", "payment.status.declined"),
        ("approved", "payment.status.approved"),
        ("not sufficient", "payment.status.insufficient_funds"),
    ],
)
def test_what_the_resident_is_told_matches_the_specification(words: str, key: str) -> None:
    codes = [c for c, text in SPEC.items() if words in text.lower()]
    assert codes
    # "please remove card!" comes first whatever else the terminal says
    expected = {c: "payment.status.remove_card" for c in codes if "remove card" in SPEC[c].lower()}
    for code in codes:
        assert prompt_key(prompt(code)) == expected.get(code, key), f"{code:02X} {SPEC[code]}"


def test_recorded_intermediate_status_is_a_prompt() -> None:
    # Portalum.Zvt IntermediateStatusInformationParserTest data (vectors/zvt.txt "is_insert_card")
    message = msg.parse_terminal_message(decode_apdu(bytes.fromhex("04FF010A")))
    assert isinstance(message, msg.IntermediateStatus)
    assert prompt(message.code) is TerminalPrompt.INSERT_CARD


def test_every_prompt_is_translated() -> None:
    for language in ("fr", "nl", "de", "en"):
        texts = json.loads((ROOT / "assets" / "i18n" / f"{language}.json").read_text("utf-8"))
        for key in (*PROMPT_KEYS, CANCEL_ON_TERMINAL):
            assert texts.get(key), f"{key} missing in {language}"


@pytest.fixture
def adapter(sim: TerminalSimulator, tmp_path: Path) -> Iterator[ZvtPaymentAdapter]:
    runner = DeviceRunner("payment-prompts")
    runner.start()

    def factory() -> PaymentService:
        terminal = ZvtTerminal(str(sim.link_path), timeouts=FAST)
        return PaymentService(terminal=terminal, journal=PaymentJournal(tmp_path / "p.db"))

    made = ZvtPaymentAdapter(runner=runner, service_factory=factory)
    made.start().result(timeout=30)
    yield made
    runner.stop(close=made.close)


@pytest.mark.serial
def test_refused_abort_tells_the_resident_to_cancel_on_the_terminal(
    adapter: ZvtPaymentAdapter, sim: TerminalSimulator
) -> None:
    sim.set_scenario(Scenario.NO_ECR_ABORT)  # PIN entry: only the terminal's red key stops it
    prompts: list[str] = []
    pin = threading.Event()

    def on_prompt(key: str) -> None:
        prompts.append(key)
        if key == "payment.status.enter_pin" and not pin.is_set():
            pin.set()
            adapter.cancel()  # the resident touches Cancel on the screen

    result = adapter.pay(amount_cents=250, reference="op-7", on_prompt=on_prompt).result(timeout=30)
    assert pin.is_set()
    assert msg.ECR_ABORT in sim.ecr_answers
    assert prompts[-1] == CANCEL_ON_TERMINAL  # shown until the terminal ends the payment
    assert prompts.index("payment.status.insert_card") < prompts.index("payment.status.enter_pin")
    assert result.status is PaymentStatus.CANCELLED
    assert not [r for r in sim.journal.records() if r.kind == "payment"]
