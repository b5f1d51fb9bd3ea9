"""Hostile input from the terminal's line.

Bounded fuzzing of the codec (hypothesis), then a real pty on which a rogue terminal answers the
kiosk's authorisation with random bytes, cut frames or garbage inside valid frames: the driver
never crashes (only an outcome value or a typed error), always returns within its time budgets,
and nothing short of a complete, checked Completion after an approving status information ever
becomes an approval.
"""

from __future__ import annotations

import os
import random
import select
import threading
import tty
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.errors import BorneError
from hardware.payment.model import Approved, Cancelled, Declined, PaymentOutcome, Unknown
from hardware.payment.zvt import messages as msg
from hardware.payment.zvt.codec import (
    Apdu,
    CodecError,
    FrameDecoder,
    FrameReceived,
    decode_apdu,
    encode_apdu,
    encode_frame,
)
from hardware.payment.zvt.driver import ZvtTerminal, ZvtTimeouts
from hardware.payment.zvt.fields import StatusInformation, status_information

# Short budgets: a hostile line must end within these, scaled for the test.
TIMEOUTS = ZvtTimeouts(inter_byte=0.05, command=0.4, ack=0.1, silence=0.4, customer=1.0)
HANG_GUARD = 30.0  # far above every budget: only a hang reaches it

APPROVAL = StatusInformation(
    result_code=msg.RESULT_SUCCESS,
    amount_cents=250,
    trace=7,
    receipt_number=7,
    terminal_id="52500001",
    auth_code="A00007",
)


def frame(apdu: Apdu) -> bytes:
    return encode_frame(encode_apdu(apdu))


# -- codec ----------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_frame_decoder_takes_any_bytes(data: bytes) -> None:
    decoder = FrameDecoder()
    for event in decoder.feed(data):
        if isinstance(event, FrameReceived):
            assert len(event.apdu) <= 65535 + 5


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300), st.booleans())
def test_any_apdu_parses_or_is_refused_as_codec_error(data: bytes, after_enquiry: bool) -> None:
    try:
        message = msg.parse_terminal_message(decode_apdu(data), status_enquiry=after_enquiry)
    except CodecError:
        return
    assert message is not None


@settings(max_examples=300, deadline=None)
@given(st.integers(0x00, 0xFF), st.integers(0x00, 0xFF), st.binary(max_size=250))
def test_any_message_body_parses_or_is_refused(cls: int, instr: int, body: bytes) -> None:
    for command in (
        (cls, instr),
        msg.STATUS_INFORMATION,
        msg.COMPLETION,
        msg.PRINT_LINE,
        msg.TEXT_BLOCK,
    ):
        raw = bytes([*command, len(body)]) + body
        try:
            msg.parse_terminal_message(decode_apdu(raw), status_enquiry=True)
            msg.parse_terminal_message(decode_apdu(raw))
        except CodecError:
            pass


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_cut_or_corrupted_approval_frame_is_never_received(data: st.DataObject) -> None:
    info = encode_apdu(status_information(APPROVAL))
    done = encode_apdu(msg.completion())
    first, second = encode_frame(info), encode_frame(done)
    whole = first + second
    cut = data.draw(st.integers(0, len(whole) - 1))
    received = [e.apdu for e in FrameDecoder().feed(whole[:cut]) if isinstance(e, FrameReceived)]
    assert done not in received  # a cut stream never ends with the Completion
    assert info not in received or cut >= len(first)
    at = data.draw(st.integers(0, len(whole) - 1))
    broken = bytearray(whole)
    broken[at] ^= data.draw(st.integers(1, 255))
    received = [e.apdu for e in FrameDecoder().feed(bytes(broken)) if isinstance(e, FrameReceived)]
    # one damaged byte (CRC-16 catches every one) loses the frame it is in, never forges it
    assert (info if at < len(first) else done) not in received


# -- a rogue terminal on a real pty -----------------------------------------------------------


class RogueTerminal:
    """Owns the master side of a pty; answers the first ECR frame with a script of raw bytes."""

    def __init__(self, *, script: bytes = b"") -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        self.path = os.ttyname(self.slave)
        self.script = script
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> RogueTerminal:
        self._thread.start()
        return self

    def _serve(self) -> None:
        decoder = FrameDecoder()
        answered = False
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.02)
            if not ready:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            frames = [e for e in decoder.feed(data) if isinstance(e, FrameReceived)]
            if frames and not answered:
                answered = True
                os.write(self.master, self.script)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def rogue() -> Iterator[RogueTerminal]:
    terminal = RogueTerminal().start()
    yield terminal
    terminal.stop()


def pay_against(rogue: RogueTerminal) -> PaymentOutcome | BorneError:
    driver = ZvtTerminal(rogue.path, timeouts=TIMEOUTS)
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(
            driver.pay, amount_cents=250, reference="hostile", on_status=lambda _k: None
        )
        try:
            return future.result(timeout=HANG_GUARD)
        except BorneError as err:  # a typed refusal: nothing was charged
            return err
        finally:
            driver.close()


ACCEPT = bytes([0x06]) + frame(msg.ack())  # transport ACK, then 80 00 00


def test_random_bytes_never_crash_nor_approve() -> None:
    seeds = random.Random(0x2B0E)  # a fixed seed: the same rounds on every run
    for round_ in range(12):
        noise = bytes(seeds.getrandbits(8) for _ in range(seeds.randint(1, 400)))
        script = (ACCEPT if round_ % 2 else b"") + noise  # before or after the acceptance
        rogue = RogueTerminal(script=script).start()  # a fresh line for each round
        try:
            result = pay_against(rogue)
        finally:
            rogue.stop()
        assert isinstance(result, Unknown | Declined | Cancelled | BorneError), result


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param(frame(msg.completion())[:-1], id="completion-without-its-last-crc-byte"),
        pytest.param(frame(msg.completion())[:4], id="completion-cut-early"),
        pytest.param(frame(msg.completion())[:-2] + b"\x00\x00", id="completion-with-a-wrong-crc"),
        pytest.param(b"", id="no-completion"),
    ],
)
def test_half_received_completion_is_never_an_approval(rogue: RogueTerminal, tail: bytes) -> None:
    # accepted, approving status information, then the Completion never arrives whole
    rogue.script = ACCEPT + frame(status_information(APPROVAL)) + tail
    result = pay_against(rogue)
    assert isinstance(result, Unknown), result


def test_garbage_inside_a_valid_frame_is_unknown_not_a_crash(rogue: RogueTerminal) -> None:
    # a well-framed, CRC-correct status information whose BCD amount is not BCD
    bad = Apdu(cls=0x04, instr=0x0F, data=bytes.fromhex("2700 04 FFFFFFFFFFFF"))
    rogue.script = ACCEPT + frame(bad) + frame(msg.completion())
    result = pay_against(rogue)
    assert isinstance(result, Unknown), result


def test_whole_approval_is_approved(rogue: RogueTerminal) -> None:
    """The control case: the same script, complete, is an approval."""
    rogue.script = ACCEPT + frame(status_information(APPROVAL)) + frame(msg.completion())
    result = pay_against(rogue)
    assert isinstance(result, Approved), result
    assert result.receipt_number == "0007"
