"""The virtual card as a vpcd client: "insert" = connect to vpcd's TCP port, "remove" = close.

vpcd (inside pcscd) listens on 35963 + slot; every message is a 2-byte big-endian length then the
payload. One-byte payloads are control messages (00 power off, 01 power on, 02 reset, 04 get ATR,
only the last is answered); anything longer is an APDU, answered with data ‖ SW1 SW2.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import random
import socket
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from hardware.errors import DeviceTimeout
from hardware.simulators.eid.card import EidApplet, parse_apdu
from hardware.simulators.eid.image import build_card_image
from hardware.simulators.eid.persona import Persona, load_persona
from hardware.simulators.eid.pki import default_pki_dir, ensure_card_pki

log = logging.getLogger(__name__)

VPCD_BASE_PORT = 0x8C7B
CTRL_OFF = 0x00
CTRL_ON = 0x01
CTRL_RESET = 0x02
CTRL_ATR = 0x04
RETRY_INTERVAL = 0.1


def frame(payload: bytes) -> bytes:
    """vpcd framing: 2-byte big-endian length, then the payload."""
    if len(payload) > 0xFFFF:
        raise ValueError("vpcd message too long")
    return len(payload).to_bytes(2, "big") + payload


@dataclass(frozen=True, slots=True, kw_only=True)
class CardFaults:
    """Reader and card misbehaviour to exercise the reader's recovery paths."""

    spurious_eof_once: bool = False  # one mid-file READ BINARY answers 6B00
    force_6c: bool = False  # every new READ BINARY is first answered 6Cxx
    drop_after_apdus: int | None = None  # connection drops (no answer) once, then comes back
    remove_after_apdus: int | None = None  # card pulled out instead of answering
    byte_delay: float = 0.0  # slow card: seconds per byte sent or received (10 / baud)
    wrong_sw: int | None = None  # answer with this status word instead of processing ...
    wrong_sw_ins: int | None = None  # ... the commands with this instruction byte (None: all)
    garble_seed: int | None = None  # hostile card: READ BINARY data garbled or cut (seeded)


FAULT_SYNTAX = """faults (repeat --fault or separate with commas):
  remove-after=N   the card is pulled out instead of answering APDU N+1
  drop-after=N     the link drops once instead of answering APDU N+1, then comes back
  slow=BAUD        slow card: every APDU byte costs 10 bits at BAUD (e.g. slow=9600)
  sw=XXXX          answer every command with status word XXXX (e.g. sw=6581)
  sw=INS:XXXX      only commands with instruction byte INS (hex), e.g. sw=B0:6581
  spurious-eof     one READ BINARY in the middle of a file answers 6B00
  force-6c         every new READ BINARY is first answered 6Cxx
  garble=SEED      hostile card: about half the READ BINARY answers carry random bytes, a
                   truncated chunk or a flipped byte instead of the file's data (seeded)
  none             no fault (clears the others)"""


def _count(name: str, value: str) -> int:
    if not value.isdigit():
        raise ValueError(f"{name} wants a number of APDUs, not {value!r}")
    return int(value)


def _status_word(value: str) -> tuple[int | None, int]:
    ins_text, _, sw_text = value.rpartition(":")
    try:
        sw = int(sw_text, 16)
        ins = int(ins_text, 16) if ins_text else None
    except ValueError as err:
        raise ValueError(f"sw wants XXXX or INS:XXXX in hex, not {value!r}") from err
    if not 0x6000 <= sw <= 0x6FFF or (ins is not None and not 0 <= ins <= 0xFF):
        raise ValueError(f"sw wants an error status word 6000..6FFF: {value!r}")
    return ins, sw


def parse_faults(specs: list[str], *, base: CardFaults | None = None) -> CardFaults:
    """`["remove-after=5", "slow=9600,sw=B0:6581"]` → `CardFaults` (see `FAULT_SYNTAX`)."""
    changes: dict[str, object] = {}
    faults = base or CardFaults()
    for spec in specs:
        for item in filter(None, (part.strip() for part in spec.split(","))):
            name, _, value = item.partition("=")
            if name == "none":
                faults, changes = CardFaults(), {}
            elif name == "remove-after":
                changes["remove_after_apdus"] = _count(name, value)
            elif name == "drop-after":
                changes["drop_after_apdus"] = _count(name, value)
            elif name == "slow":
                baud = _count(name, value)
                if baud == 0:
                    raise ValueError("slow wants a baud rate above 0")
                changes["byte_delay"] = 10 / baud
            elif name == "sw":
                changes["wrong_sw_ins"], changes["wrong_sw"] = _status_word(value)
            elif name == "spurious-eof" and not value:
                changes["spurious_eof_once"] = True
            elif name == "force-6c" and not value:
                changes["force_6c"] = True
            elif name == "garble":
                changes["garble_seed"] = _count(name, value)
            else:
                raise ValueError(f"unknown fault {item!r}")
    return replace(faults, **changes)  # type: ignore[arg-type]


def garble_answer(answer: bytes, rng: random.Random) -> bytes:
    """A successful READ BINARY answer (data + 9000) made hostile, or left alone (half the time).

    The data becomes random bytes of the same length, is cut short at a random point (a truncated
    TLV), or has one byte flipped; the status word stays 9000 so the reader takes it as data.
    """
    data, status = answer[:-2], answer[-2:]
    if status != b"\x90\x00" or not data or rng.random() < 0.5:
        return answer
    mode = rng.randrange(3)
    if mode == 0:
        data = rng.randbytes(len(data))
    elif mode == 1:
        data = data[: rng.randrange(len(data))]
    else:
        index = rng.randrange(len(data))
        data = data[:index] + bytes([data[index] ^ (1 << rng.randrange(8))]) + data[index + 1 :]
    return data + status


class LinkState(enum.Enum):
    REMOVED = "removed"
    CONNECTING = "connecting"
    INSERTED = "inserted"
    CLOSED = "closed"


_TRANSITIONS: dict[LinkState, frozenset[LinkState]] = {
    LinkState.REMOVED: frozenset({LinkState.CONNECTING, LinkState.CLOSED}),
    LinkState.CONNECTING: frozenset({LinkState.INSERTED, LinkState.REMOVED, LinkState.CLOSED}),
    LinkState.INSERTED: frozenset({LinkState.CONNECTING, LinkState.REMOVED, LinkState.CLOSED}),
    LinkState.CLOSED: frozenset(),
}


class _Dropped(Exception):
    """The link is being closed on purpose by a fault."""


class VirtualCard:
    """A virtual eID card in a vpcd slot. Thread-safe; one serving thread while inserted."""

    def __init__(
        self,
        persona: Persona | str,
        *,
        host: str = "127.0.0.1",
        port: int = VPCD_BASE_PORT,
        pki_dir: Path | None = None,
        faults: CardFaults | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._pki = ensure_card_pki(pki_dir or default_pki_dir())
        self.faults = faults or CardFaults()
        self.applet = self._build(persona)
        self._lock = threading.Lock()
        self._state = LinkState.REMOVED
        self._connected = threading.Event()
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.apdu_count = 0
        self.bytes_exchanged = 0  # APDU bytes both ways since insertion
        self._last_6c: tuple[int, int] | None = None
        self._eof_done = False
        self._drop_done = False
        self._garble: tuple[int, random.Random] | None = None

    def _build(self, persona: Persona | str) -> EidApplet:
        loaded = load_persona(persona) if isinstance(persona, str) else persona
        return EidApplet(build_card_image(loaded, self._pki))

    # -- state ---------------------------------------------------------------------------------
    @property
    def state(self) -> LinkState:
        return self._state

    def _move(self, target: LinkState) -> None:
        with self._lock:
            if target is self._state:
                return
            if target not in _TRANSITIONS[self._state]:
                raise RuntimeError(f"virtual card cannot go from {self._state} to {target}")
            self._state = target

    @property
    def persona(self) -> str:
        return self.applet.image.persona

    # -- public API ----------------------------------------------------------------------------
    def insert(self, *, wait: float | None = 5.0) -> None:
        """Connect to vpcd (retrying until it listens); with `wait`, block until connected."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self.apdu_count = 0
        self.bytes_exchanged = 0
        self._eof_done = self._drop_done = False
        self._move(LinkState.CONNECTING)
        self._thread = threading.Thread(target=self._run, name=f"vicc-{self.port}", daemon=True)
        self._thread.start()
        if wait is not None and not self._connected.wait(wait):
            self.remove()
            raise DeviceTimeout(
                "vpcd did not accept the virtual card",
                device="eid-simulator",
                params={"port": str(self.port)},
            )

    def remove(self) -> None:
        self._stop.set()
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self._thread = None
        self._connected.clear()
        if self._state is not LinkState.CLOSED:
            self._move(LinkState.REMOVED)

    def swap(self, persona: Persona | str, *, wait: float | None = 5.0) -> None:
        """Pull the card out and insert another persona's card."""
        applet = self._build(persona)  # an unknown persona leaves the current card in place
        self.remove()
        self.applet = applet
        self.insert(wait=wait)

    def close(self) -> None:
        self.remove()
        self._move(LinkState.CLOSED)

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def __enter__(self) -> VirtualCard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- serving thread ------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
            except OSError:
                self._stop.wait(RETRY_INTERVAL)
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
            self._move(LinkState.INSERTED)
            self._connected.set()
            log.info("virtual card inserted", extra={"port": self.port, "persona": self.persona})
            removed_for_good = False
            try:
                self._serve(sock)
            except _Dropped as dropped:
                removed_for_good = bool(dropped.args and dropped.args[0])
            except OSError:
                pass
            finally:
                self._sock = None
                self._connected.clear()
                sock.close()
            self.applet.reset()
            if removed_for_good:
                self._stop.set()
                self._move(LinkState.REMOVED)
                log.info("virtual card pulled out by a fault", extra={"port": self.port})
                break
            if not self._stop.is_set():
                log.info("vpcd link lost; reconnecting", extra={"port": self.port})
                self._move(LinkState.CONNECTING)

    def _recv_exact(self, sock: socket.socket, size: int) -> bytes:
        buffer = bytearray()
        while len(buffer) < size:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            chunk = sock.recv(size - len(buffer))
            if not chunk:
                raise ConnectionResetError("vpcd closed the connection")
            buffer += chunk
        return bytes(buffer)

    def _serve(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            length = int.from_bytes(self._recv_exact(sock, 2), "big")
            message = self._recv_exact(sock, length)
            if length == 1:
                reply = self._control(message[0])
                if reply is not None:
                    sock.sendall(frame(reply))
                continue
            response = self._answer(message)
            self.bytes_exchanged += len(message) + len(response)
            if self.faults.byte_delay:
                time.sleep(self.faults.byte_delay * (len(message) + len(response)))
            sock.sendall(frame(response))

    def _control(self, code: int) -> bytes | None:
        if code == CTRL_ATR:
            return self.applet.atr
        if code in (CTRL_OFF, CTRL_ON, CTRL_RESET):
            self.applet.reset()
            self._last_6c = None
        return None

    def _answer(self, raw: bytes) -> bytes:
        faults = self.faults
        self.apdu_count += 1
        if faults.remove_after_apdus is not None and self.apdu_count > faults.remove_after_apdus:
            raise _Dropped(True)
        if (
            faults.drop_after_apdus is not None
            and not self._drop_done
            and self.apdu_count > faults.drop_after_apdus
        ):
            self._drop_done = True
            raise _Dropped(False)
        apdu = parse_apdu(raw)
        if faults.wrong_sw is not None and (
            faults.wrong_sw_ins is None or (len(raw) > 1 and raw[1] == faults.wrong_sw_ins)
        ):
            return faults.wrong_sw.to_bytes(2, "big")
        if apdu is not None and apdu.cla == 0x00 and apdu.ins == 0xB0:
            offset = (apdu.p1 << 8) | apdu.p2
            if faults.spurious_eof_once and not self._eof_done and offset > 0:
                self._eof_done = True
                return b"\x6b\x00"
            if faults.force_6c:
                want = apdu.le or 256
                if self._last_6c != (offset, want):
                    probe = self.applet.process(raw)
                    if probe[-2] == 0x6C:
                        self._last_6c = (offset, probe[-1] or 256)
                        return probe
                    count = len(probe) - 2
                    if count > 0:
                        self._last_6c = (offset, count)
                        return bytes([0x6C, count & 0xFF])
                    return probe
                self._last_6c = None
            if faults.garble_seed is not None:
                return garble_answer(self.applet.process(raw), self._garbler(faults.garble_seed))
        return self.applet.process(raw)

    def _garbler(self, seed: int) -> random.Random:
        if self._garble is None or self._garble[0] != seed:
            self._garble = (seed, random.Random(seed))
        return self._garble[1]

    def set_faults(self, **changes: object) -> None:
        """Change fault settings while inserted (e.g. `set_faults(remove_after_apdus=3)`).

        APDU counts start again from here; a removal or drop fault can fire again.
        """
        self.faults = replace(self.faults, **changes)  # type: ignore[arg-type]
        self.apdu_count = 0
        self._eof_done = self._drop_done = False

    def apply_faults(self, specs: list[str]) -> None:
        """The command-line / control-socket form: `apply_faults(["remove-after=5"])`."""
        self.faults = parse_faults(specs, base=self.faults)
        self.apdu_count = 0
        self._eof_done = self._drop_done = False
