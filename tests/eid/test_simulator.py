from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest

from hardware.simulators.eid import (
    CardPki,
    LinkState,
    UnknownPersona,
    VirtualCard,
    ensure_card_pki,
    list_personas,
    load_persona,
    persona_pin,
)
from hardware.simulators.eid.cli import main as simulator_cli
from hardware.simulators.eid.vicc import frame
from hardware.simulators.pcscd import PcscdService, list_readers

REGISTER = Path(__file__).resolve().parents[2] / "devstack" / "data" / "demo_register.json"


def test_personas_are_people_of_the_demo_register() -> None:
    register = json.loads(REGISTER.read_text(encoding="utf-8"))
    people = {
        member["national_number"]: (member, household["address"])
        for household in register["households"]
        for member in household["members"]
    }
    infos = list_personas()
    assert {info.name for info in infos} >= {
        "marie",
        "jan",
        "anna",
        "chiara",
        "expired",
        "blocked",
        "tampered",
        "long",
        "emma",
        "lucas",
        "cloned",
    }
    for info in infos:
        member, _address = people[info.national_number]
        persona = load_persona(info.name)
        # The card holds two given names and the initial of the third one.
        card_names = f"{persona.first_names} {persona.third_initial}".strip()
        assert persona.surname == member["surname"]
        assert member["first_names"].startswith(card_names)
        assert persona.birth_date.isoformat() == member["birth_date"]
        assert persona_pin(info.name) == "1234"


def test_cli_list_names_every_persona_and_what_it_exercises(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert simulator_cli(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    infos = list_personas()
    assert len(lines) == len(infos)
    for info, line in zip(infos, lines, strict=True):
        assert line.startswith(info.name)
        assert info.exercises in line


def test_unknown_persona_is_typed() -> None:
    with pytest.raises(UnknownPersona):
        persona_pin("nobody")
    with pytest.raises(UnknownPersona):
        persona_pin("../marie")


def test_pki_is_idempotent(card_pki: CardPki) -> None:
    again = ensure_card_pki(card_pki.directory)
    assert again.root_ec.certificate == card_pki.root_ec.certificate
    assert "TEST" in card_pki.root_ec.certificate.subject.rfc4514_string()


def _recv_exact(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        assert chunk
        data += chunk
    return data


def test_vpcd_wire_protocol_with_a_fake_vpcd(card_pki: CardPki) -> None:
    """The card as a TCP client: control bytes, ATR, APDU framing, reconnect after a drop."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    card = VirtualCard("jan", port=port, pki_dir=card_pki.directory)
    accepted: list[socket.socket] = []
    ready = threading.Event()

    def accept_two() -> None:
        for _ in range(2):
            conn, _peer = listener.accept()
            accepted.append(conn)
            ready.set()

    thread = threading.Thread(target=accept_two, daemon=True)
    thread.start()
    try:
        card.insert()
        assert ready.wait(5)
        conn = accepted[0]
        conn.sendall(frame(b"\x04"))
        length = int.from_bytes(_recv_exact(conn, 2), "big")
        assert _recv_exact(conn, length).hex().upper() == "3B9813400AA503010101AD1311"
        conn.sendall(frame(b"\x01"))
        conn.sendall(frame(bytes.fromhex("80E400001C")))
        length = int.from_bytes(_recv_exact(conn, 2), "big")
        answer = _recv_exact(conn, length)
        assert answer[-2:] == b"\x90\x00"
        assert answer[21] == 0x17
        ready.clear()
        conn.close()
        assert ready.wait(5), "the card reconnects when vpcd drops it"
        thread.join(5)
    finally:
        card.close()
        listener.close()
        for conn in accepted:
            conn.close()
    assert card.state is LinkState.CLOSED


def test_second_service_reuses_the_running_pcscd(pcscd: PcscdService) -> None:
    with PcscdService() as second:
        assert not second.started_here
        assert any(name.startswith(second.reader_prefix) for name in list_readers())
    assert any(name.startswith(pcscd.reader_prefix) for name in list_readers())
