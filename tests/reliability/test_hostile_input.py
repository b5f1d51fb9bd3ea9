"""Hostile input while a resident's journey runs on the real stack (pcscd + vpcd, the ZVT
simulator, SoftHSM2, cupsd): a card whose file reads come back garbled or truncated (the virtual
card's `garble` fault, seeded, a bounded number of seeds), and a central that answers 500, answers
JSON that is not JSON, or never answers. The kiosk never crashes: it shows a translated error,
charges nothing, and once the card is out the session holds nothing of the resident."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devstack.sim import SimStack
from hardware.simulators.eid import CardFaults
from hardware.simulators.eid.vicc import garble_answer, parse_faults
from kiosk import app
from kiosk.config import KioskConfig
from kiosk.session import SessionState as S
from tests.journey.conftest import Rig, ready_rig

pytestmark = [pytest.mark.pcsc, pytest.mark.hsm, pytest.mark.cups, pytest.mark.serial]

REPO = Path(__file__).resolve().parents[2]
CARD_SEEDS = range(6)
"""Bounded fuzzing: each seed is one hostile card, replayable with `garble=SEED`."""


def _catalogues() -> dict[str, dict[str, str]]:
    folder = REPO / "assets" / "i18n"
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8")) for path in folder.glob("*.json")
    }


def assert_translated(key: str | None) -> None:
    assert key is not None
    catalogues = _catalogues()
    assert set(catalogues) >= {"fr", "nl", "de", "en"}
    for language, texts in catalogues.items():
        assert key in texts, (language, key)


def assert_wiped(rig: Rig) -> None:
    """The card is out: back to the start, nothing of the resident left in the session."""
    view = rig.state(S.ATTRACT)
    assert view.selected == ()
    assert view.pin_dots == 0
    assert view.error_key is None
    session = rig.controller._s  # the controller's own session object
    assert session.holder is None
    assert session.extract is None


def charged(stack: SimStack) -> int:
    assert stack.terminal is not None
    return sum(1 for r in stack.terminal.journal.records() if r.kind == "payment")


def test_garble_answer_keeps_the_status_word_and_changes_the_data() -> None:
    answer = bytes(range(200)) + b"\x90\x00"
    rng = random.Random(7)
    seen = {garble_answer(answer, rng) for _ in range(200)}
    assert answer in seen  # about half the answers are left alone
    assert all(out.endswith(b"\x90\x00") for out in seen)
    assert any(len(out) < len(answer) for out in seen)  # truncated
    assert any(len(out) == len(answer) and out != answer for out in seen)  # garbled or flipped
    assert garble_answer(b"\x6a\x82", rng) == b"\x6a\x82"  # errors pass through
    assert parse_faults(["garble=3"]) == CardFaults(garble_seed=3)


@pytest.mark.parametrize("seed", CARD_SEEDS)
def test_a_card_answering_garbled_files_ends_in_a_translated_error_and_a_wiped_session(
    rig: Rig, seed: int
) -> None:
    stack = rig.stack
    assert stack.card is not None, "the real pcscd + vpcd stack is needed"
    before = charged(stack)
    c = rig.controller
    c.touch()
    rig.state(S.LANGUAGE)
    c.choose_language("fr")
    rig.state(S.INSERT_CARD)
    stack.card.set_faults(garble_seed=seed)
    try:
        stack.insert_card()
        view = rig.pump.until(c, lambda v: v.state in (S.ERROR, S.PIN), timeout=60)
        assert view.state is S.ERROR  # every byte read is signed or hashed: nothing slips by
        assert_translated(view.error_key)
        assert view.error_key is not None
        assert view.error_key.startswith("eid.error.")
    finally:
        stack.card.set_faults(garble_seed=None)
        stack.remove_card()
    assert_wiped(rig)
    assert charged(stack) == before


# -- a hostile central ------------------------------------------------------------------------


class HostileCentral(ThreadingHTTPServer):
    """Answers every request in one hostile way; `hang` holds each request until released."""

    daemon_threads = True

    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _Hostile)
        self.mode = mode
        self.release = threading.Event()
        self.requests = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Hostile(BaseHTTPRequestHandler):
    server: HostileCentral

    def _answer(self) -> None:
        self.server.requests += 1
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        mode = self.server.mode
        if mode == "hang":
            self.server.release.wait()
            return
        body = b'{"code": "internal"}' if mode == "500" else b'{"accepted": [tru'
        self.send_response(500 if mode == "500" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def hostile_central(mode: str) -> Iterator[HostileCentral]:
    server = HostileCentral(mode)
    thread = threading.Thread(target=server.serve_forever, name=f"hostile-{mode}", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def rig_against(stack: SimStack, config: KioskConfig, url: str, folder: Path) -> Iterator[Rig]:
    """The journey's rig, but its central is `url` (a short time-out, a fresh outbox and key)."""
    central = replace(
        config.central,
        url=url,
        ca_file=None,
        timeout_s=1.0,
        outbox=folder / "outbox.sqlite",
        key_file=folder / "kiosk.key",
        enrollment_code="hostile-test-code",
    )
    assert stack.token is not None
    kiosk = app.build(
        replace(config, central=central),
        token=stack.token,
        print_output=config.printing.output_dir,
        keep_issued=True,
    )
    rig = ready_rig(kiosk, stack)
    try:
        yield rig
    finally:
        kiosk.stop(flush_timeout_s=1.0)


@pytest.mark.parametrize("mode", ["500", "invalid_json", "hang"])
def test_a_central_that_fails_or_hangs_ends_in_a_translated_error_and_a_wiped_session(
    stack: SimStack, base_config: KioskConfig, tmp_path: Path, mode: str
) -> None:
    before = charged(stack)
    with (
        hostile_central(mode) as central,
        rig_against(stack, base_config, central.url, tmp_path) as rig,
    ):
        c = rig.controller
        c.touch()
        rig.state(S.LANGUAGE)
        c.choose_language("fr")
        rig.state(S.INSERT_CARD)
        try:
            stack.insert_card()
            rig.state(S.PIN, timeout=60)
            for digit in stack.pin:
                c.pin_digit(digit)
            c.pin_submit()
            view = rig.pump.until(c, lambda v: v.state is S.ERROR, timeout=60)
            assert view.error_key == "error.central_unavailable"
            assert_translated(view.error_key)
            assert central.requests > 0  # the kiosk did ask the hostile central
        finally:
            stack.remove_card()
        assert_wiped(rig)
        # the next resident is not sent in to meet the same failure: once the central's loss is
        # certain (a second failed call), the kiosk is out of service
        rig.kiosk.sync.send_heartbeat().result(timeout=30)
        rig.kiosk.sync.send_heartbeat().result(timeout=30)
        rig.state(S.OUT_OF_SERVICE)
        assert "central_unreachable" in [a.reason for a in c.alerts]
    assert charged(stack) == before
