"""A ZVT payment terminal on a pseudo-terminal or a loopback TCP port, with fault injection.

Serial: the simulator owns the pty master and keeps its own slave fd open, so the ECR may close and
reopen the port (at `link_path`, a symlink to the slave) without the master seeing EIO. With
`SimTiming.baudrate` set, it paces what it writes at the 8N2 character time (11 bits per byte),
which a pty does not do by itself.

TCP (`tcp_port`): the simulator listens on 127.0.0.1 and speaks bare APDUs (ZVT over TCP/IP has no
DLE/CRC framing and no transport ACK), one ECR connection at a time. The transport-level faults
(nak, corrupt_crc, swallow_ack) have nothing to act on there and behave like `approve`.

It uses the same codec and link layers as the driver, with faults injected in link subclasses.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import threading
import time
import tty
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType

from hardware.payment.transport import LinkError
from hardware.payment.zvt import messages as msg
from hardware.payment.zvt import totals
from hardware.payment.zvt.codec import Apdu, FrameReceived, Transport, TransportByte
from hardware.payment.zvt.link import LinkTimeouts, TcpApduLink, ZvtLink
from hardware.simulators.zvt.journal import TerminalJournal, TerminalRecord

log = logging.getLogger(__name__)

TERMINAL_ID = "52500001"
SOFTWARE_VERSION = "BORNE-SIM 1.0"

# Registration config byte (06 00), the bits this terminal honours.
CONFIG_ECR_PRINTS_PAYMENT = 0x02  # receipts of payments go to the ECR (else printed here)
CONFIG_ECR_PRINTS_ADMIN = 0x04  # receipts of administration go to the ECR
CONFIG_TEXT_BLOCKS = 0x80  # receipts as text blocks (06 D3), else print lines (06 D1)


class Scenario(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    CANCEL = "cancel"  # the resident presses the red key
    TIMEOUT = "timeout"  # no card is presented
    BUSY = "busy"  # every command refused with 84 A0
    SLOW = "slow"  # approval after `slow_delay`
    NAK = "nak"  # NAK the first `nak_count` frames of the command
    CORRUPT_CRC = "corrupt_crc"  # the first frame of every answer has a bad CRC
    SPLIT = "split"  # answers written in small pieces with gaps
    SWALLOW_ACK = "swallow_ack"  # ignore the ECR's first ACK: the terminal retransmits
    LOST_FINAL_ACK = "lost_final_ack"  # ignore the ACKs to the completion
    POWER_LOSS = "power_loss"  # approved and journaled, then dead until `restart()`
    REBOOT = "reboot"  # approved and journaled, then silent for `reboot_time`
    CABLE_PULL = "cable_pull"  # approved and journaled, then the master fd closes
    NO_ECR_ABORT = "no_ecr_abort"  # PIN entry refuses the ECR's abort; the red key ends it


@dataclass(frozen=True, slots=True, kw_only=True)
class SimTiming:
    step: float = 0.0  # pause between terminal messages
    slow_delay: float = 2.0
    status_interval: float = 1.0  # "insert card" repeated while waiting for a card
    card_timeout: float = 30.0  # the terminal's own card time-out
    reply: float = 5.0  # how long the terminal waits for the ECR's 80 00 00
    ack: float = 1.0  # how long the terminal waits for a transport ACK before retransmitting
    reboot_time: float = 2.0
    nak_count: int = 2
    split_gap: float = 0.05
    baudrate: int = 0  # 0: no pacing; else bytes leave at the 8N2 character time of this rate

    @property
    def char_time(self) -> float:
        """Seconds per byte on the line: 8N2 = start bit + 8 data bits + 2 stop bits."""
        return char_time(self.baudrate)

    def scaled(self, factor: float) -> SimTiming:
        return SimTiming(
            baudrate=round(self.baudrate / factor) if self.baudrate else 0,
            step=self.step * factor,
            slow_delay=self.slow_delay * factor,
            status_interval=self.status_interval * factor,
            card_timeout=self.card_timeout * factor,
            reply=self.reply * factor,
            ack=self.ack * factor,
            reboot_time=self.reboot_time * factor,
            nak_count=self.nak_count,
            split_gap=self.split_gap * factor,
        )


BITS_PER_CHAR_8N2 = 11


def char_time(baudrate: int, *, bits: int = BITS_PER_CHAR_8N2) -> float:
    """Time one character takes on an asynchronous serial line; 0 when `baudrate` is 0 (unpaced)."""
    if baudrate < 0:
        raise ValueError("baud rate must not be negative")
    return bits / baudrate if baudrate else 0.0


class _Dead(Exception):
    """The simulated terminal lost power / link in the middle of a dialogue."""


class _Disconnected(Exception):
    """The ECR closed its TCP connection."""


class _FdStream:
    def __init__(self, fd: int, stop: threading.Event, *, char_time: float = 0.0) -> None:
        self.fd = fd
        self._stop = stop
        self._char_time = char_time
        self.bytes_written = 0

    def read(self, *, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while not self._stop.is_set():
            wait = min(0.05, max(0.0, deadline - time.monotonic()))
            ready, _, _ = select.select([self.fd], [], [], wait)
            if ready:
                return os.read(self.fd, 4096)
            if time.monotonic() >= deadline:
                return b""
        raise _Dead("stopped")

    def write(self, data: bytes) -> None:
        if self._char_time <= 0:
            self._write_all(data)
            return
        start = time.monotonic()
        for index in range(len(data)):
            self._write_all(data[index : index + 1])
            due = start + (index + 1) * self._char_time
            if self._stop.wait(max(0.0, due - time.monotonic())):
                raise _Dead("stopped")

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]
        self.bytes_written += len(data)


class _SockStream:
    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self.sock = sock
        self._stop = stop
        self.bytes_written = 0

    def read(self, *, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while not self._stop.is_set():
            wait = min(0.05, max(0.0, deadline - time.monotonic()))
            ready, _, _ = select.select([self.sock], [], [], wait)
            if ready:
                data = self.sock.recv(4096)
                if not data:
                    raise _Disconnected("ECR closed the connection")
                return data
            if time.monotonic() >= deadline:
                return b""
        raise _Dead("stopped")

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)
        self.bytes_written += len(data)


class _FaultyLink(ZvtLink):
    def __init__(
        self,
        stream: _FdStream,
        *,
        timeouts: LinkTimeouts,
        stop: threading.Event,
        deaf: Callable[[], bool],
    ) -> None:
        super().__init__(stream, timeouts=timeouts)
        self.stream = stream
        self._stop = stop
        self._deaf = deaf
        self.nak_frames = 0
        self.corrupt_frames = 0
        self.swallow_acks = 0
        self.split_gap: float | None = None
        self.trace: deque[tuple[str, bytes]] = deque(maxlen=500)

    def _write_frame(self, frame: bytes) -> None:
        self.trace.append(("pt", frame))
        if self.corrupt_frames > 0:
            self.corrupt_frames -= 1
            frame = frame[:-1] + bytes([frame[-1] ^ 0xFF])
        if self.split_gap is None:
            self.stream.write(frame)
            return
        for start in range(0, len(frame), 3):
            self.stream.write(frame[start : start + 3])
            self._stop.wait(self.split_gap)

    def _refuse_frame(self, apdu: bytes) -> bool:
        self.trace.append(("ecr", apdu))
        if self.nak_frames > 0:
            self.nak_frames -= 1
            return True
        return False

    def _sort(self, event: object) -> None:
        if isinstance(event, FrameReceived) and self._deaf():
            self.trace.append(("ecr-unheard", event.apdu))
            return  # a terminal without power acknowledges nothing
        if (
            isinstance(event, Transport)
            and event.byte is TransportByte.ACK
            and self.swallow_acks > 0
        ):
            self.swallow_acks -= 1
            return
        super()._sort(event)


class _FaultyTcpLink(TcpApduLink):
    """TCP has no transport layer: only `split_gap` applies; the other counters stay unused."""

    def __init__(
        self, stream: _SockStream, *, timeouts: LinkTimeouts, stop: threading.Event
    ) -> None:
        super().__init__(stream, timeouts=timeouts)
        self.stream = stream
        self._stop = stop
        self.nak_frames = 0
        self.corrupt_frames = 0
        self.swallow_acks = 0
        self.split_gap: float | None = None
        self.trace: deque[tuple[str, bytes]] = deque(maxlen=500)

    def _write_apdu(self, raw: bytes) -> None:
        self.trace.append(("pt", raw))
        if self.split_gap is None:
            self.stream.write(raw)
            return
        for start in range(0, len(raw), 3):
            self.stream.write(raw[start : start + 3])
            self._stop.wait(self.split_gap)

    def receive(self, *, timeout: float) -> Apdu:
        apdu = super().receive(timeout=timeout)
        self.trace.append(("ecr", bytes([apdu.cls, apdu.instr]) + apdu.data))
        return apdu


_SimLink = _FaultyLink | _FaultyTcpLink


class TerminalSimulator:
    def __init__(
        self,
        *,
        link_path: str | Path | None = None,
        journal_path: str | Path | None = None,
        scenario: Scenario | str = Scenario.APPROVE,
        timing: SimTiming | None = None,
        tcp_port: int | None = None,
    ) -> None:
        """Serial on a pty at `link_path`, or TCP on 127.0.0.1:`tcp_port` (0 picks a free port)."""
        if (link_path is None) == (tcp_port is None):
            raise ValueError("give exactly one of link_path and tcp_port")
        self._link_path = Path(link_path) if link_path is not None else None
        self.tcp_port = tcp_port
        self._journal_path = Path(journal_path) if journal_path is not None else None
        self._scenario = Scenario(scenario)
        self._queue: deque[Scenario] = deque()
        self.timing = timing or SimTiming()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._listener: socket.socket | None = None
        self._conn: socket.socket | None = None
        self._link: _SimLink | None = None
        self._dead_until: float | None = None
        self._nak_done = False
        self.journal = TerminalJournal(self._journal_path)
        self.config_byte = 0xBE  # until an ECR registers with its own
        self.terminal_status = msg.TERMINAL_READY  # 0x51 makes the ECR initialise the terminal
        self.card = ("Bancontact", "670300******1234")  # brand and masked PAN of the next payments
        self.pin_prompts = 20  # PIN prompts of `NO_ECR_ABORT` before the resident goes on
        self.commands: deque[tuple[int, int]] = deque(maxlen=200)
        self.received: deque[Apdu] = deque(maxlen=200)  # the ECR's commands, as sent
        # What the ECR answered to terminal messages (80 00 00, or 06 B0 to abort).
        self.ecr_answers: deque[tuple[int, int]] = deque(maxlen=200)
        self.bytes_written = 0

    @property
    def link_path(self) -> Path:
        if self._link_path is None:
            raise ValueError("a TCP simulator has no link path; use `address`")
        return self._link_path

    @property
    def address(self) -> str:
        """What to give the driver: the pty link path, or `tcp://127.0.0.1:PORT`."""
        if self._link_path is not None:
            return str(self._link_path)
        return f"tcp://127.0.0.1:{self.tcp_port}"

    def wait_idle(self, timeout: float) -> bool:
        """True once no dialogue is running (e.g. after the ECR vanished mid-payment)."""
        return self._idle.wait(timeout)

    def wait_booted(self, timeout: float) -> bool:
        """True once a `reboot` is over (False if it takes longer than `timeout`, or power is off)."""
        deadline = time.monotonic() + timeout
        while True:
            dead_until = self._dead_until
            if dead_until is None or time.monotonic() >= dead_until:
                return True
            remaining = min(dead_until, deadline) - time.monotonic()
            if time.monotonic() >= deadline or self._stop.wait(max(0.0, remaining)):
                return False

    def _deaf(self) -> bool:
        dead_until = self._dead_until
        return dead_until is not None and time.monotonic() < dead_until

    # -- control ------------------------------------------------------------------------------
    def set_scenario(self, scenario: Scenario | str) -> None:
        with self._lock:
            self._scenario = Scenario(scenario)
            self._queue.clear()

    def queue_scenarios(self, *scenarios: Scenario | str) -> None:
        """Scenarios for the next payments, in order; then the default applies again."""
        with self._lock:
            self._queue.extend(Scenario(s) for s in scenarios)

    @property
    def scenario(self) -> Scenario:
        with self._lock:
            return self._queue[0] if self._queue else self._scenario

    def _take_scenario(self) -> Scenario:
        with self._lock:
            return self._queue.popleft() if self._queue else self._scenario

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> TerminalSimulator:
        if self._thread is not None:
            return self
        self._stop.clear()
        if self._link_path is not None:
            self._open_pty()
            target = self._serve
        else:
            self._listen()
            target = self._serve_tcp
        self._thread = threading.Thread(target=target, name="zvt-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)
        self._close_pty()
        self._close_tcp()
        self._idle.set()
        if self._link_path is not None:
            with contextlib.suppress(FileNotFoundError):
                if self._link_path.is_symlink():
                    self._link_path.unlink()

    @property
    def journal_path(self) -> Path | None:
        """Where the terminal keeps its own transaction journal (None: in memory)."""
        return self._journal_path

    def restart(self) -> None:
        """Power-cycle: a fresh process over the same journal and link path (or TCP port)."""
        self.stop()
        self.journal = TerminalJournal(self._journal_path)
        self._dead_until = None
        self.start()

    def __enter__(self) -> TerminalSimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.tcp_port or 0))
        listener.listen(1)
        listener.settimeout(0.05)
        self.tcp_port = listener.getsockname()[1]
        self._listener = listener

    def _close_tcp(self) -> None:
        for sock in (self._conn, self._listener):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
        self._conn = self._listener = None

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        self._master, self._slave = master, slave
        tmp = self.link_path.with_name(self.link_path.name + ".new")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(os.ttyname(slave))
        tmp.replace(self.link_path)
        t = self.timing
        stream = _FdStream(master, self._stop, char_time=t.char_time)
        self._link = _FaultyLink(
            stream,
            timeouts=LinkTimeouts(inter_byte=0.5, ack=max(t.ack, 0.02)),
            stop=self._stop,
            deaf=self._deaf,
        )

    def _close_pty(self) -> None:
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None

    # -- serving ------------------------------------------------------------------------------
    def _serve(self) -> None:
        while not self._stop.is_set():
            link = self._link
            if link is None:
                return
            try:
                apdu = link.receive(timeout=0.1)
            except LinkError:
                continue
            except (_Dead, _Disconnected, OSError):
                return
            self._dispatch(link, apdu)

    def _serve_tcp(self) -> None:
        listener = self._listener
        while listener is not None and not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conn = conn
            t = self.timing
            link = _FaultyTcpLink(
                _SockStream(conn, self._stop),
                timeouts=LinkTimeouts(inter_byte=0.5, ack=max(t.ack, 0.02)),
                stop=self._stop,
            )
            self._link = link
            with conn:
                while not self._stop.is_set():
                    try:
                        apdu = link.receive(timeout=0.1)
                    except LinkError:
                        continue
                    except (_Dead, _Disconnected, OSError):
                        break
                    if not self._dispatch(link, apdu):
                        break

    def _dispatch(self, link: _SimLink, apdu: Apdu) -> bool:
        """Handle one command; False when the (TCP) connection is gone."""
        if self._deaf():
            return True
        self._dead_until = None
        self._idle.clear()
        try:
            self._handle(link, apdu)
        except _Dead:
            log.info("simulated terminal went dead", extra={"scenario": self.scenario})
        except _Disconnected:
            return False
        except (LinkError, OSError) as err:
            log.info("simulated terminal dialogue broken", extra={"error": str(err)})
        finally:
            self.bytes_written = link.stream.bytes_written
            self._idle.set()
        return True

    def _handle(self, link: _SimLink, apdu: Apdu) -> None:
        if apdu.cls in (msg.ACK_CLASS, msg.ERROR_CLASS):
            return  # a late answer to a dialogue the terminal already gave up
        self.commands.append(apdu.command)
        self.received.append(apdu)
        command = msg.parse_ecr_command(apdu)
        if self.scenario is Scenario.BUSY and command.command != msg.STATUS_ENQUIRY:
            link.send(msg.error_reply(msg.RESULT_RECEIVER_NOT_READY))
            return
        handlers = {
            msg.DIAGNOSIS: self._diagnosis,
            msg.INITIALISATION: self._initialisation,
            msg.REGISTRATION: self._registration,
            msg.AUTHORISATION: self._authorisation,
            msg.STATUS_ENQUIRY: self._status_enquiry,
            msg.REVERSAL: self._reversal,
            msg.REFUND: self._refund,
            msg.END_OF_DAY: self._end_of_day,
            msg.REPEAT_RECEIPT: self._repeat_receipt,
            msg.LOG_OFF: self._log_off,
            msg.ECR_ABORT: self._log_off,
        }
        handler = handlers.get(command.command)
        if handler is None:
            link.send(msg.error_reply(msg.RESULT_FUNCTION_NOT_POSSIBLE))
            return
        handler(link, command)

    def _pause(self, seconds: float) -> None:
        if seconds > 0 and self._stop.wait(seconds):
            raise _Dead("stopped")

    def _say(self, link: _SimLink, apdu: Apdu) -> Apdu:
        """Send a message that the ECR must answer; return its answer."""
        self._pause(self.timing.step)
        link.send(apdu)
        answer = link.receive(timeout=self.timing.reply)
        self.ecr_answers.append(answer.command)
        return answer

    def _finish(self, link: _SimLink, apdu: Apdu) -> None:
        """Send the last message of a dialogue; a missing answer no longer matters."""
        self._pause(self.timing.step)
        try:
            link.send(apdu)
            link.receive(timeout=self.timing.reply)
        except LinkError:
            log.info("final answer not acknowledged", extra={"cls": apdu.cls})

    def _registration(self, link: _SimLink, command: msg.EcrCommand) -> None:
        link.send(msg.ack())
        if command.config_byte is not None:
            self.config_byte = command.config_byte
        self._finish(link, msg.completion(terminal_id=TERMINAL_ID))

    def _diagnosis(self, link: _SimLink, command: msg.EcrCommand) -> None:
        link.send(msg.ack())
        self._print(link, ("DIAGNOSIS", f"TERMINAL {TERMINAL_ID}", "HOST OK"), admin=True)
        self._finish(link, msg.completion(terminal_id=TERMINAL_ID))

    def _initialisation(self, link: _SimLink, command: msg.EcrCommand) -> None:
        link.send(msg.ack())
        self.terminal_status = msg.TERMINAL_READY
        self._print(link, ("INITIALISATION", f"TERMINAL {TERMINAL_ID}", "OK"), admin=True)
        self._finish(link, msg.completion(terminal_id=TERMINAL_ID))

    def _log_off(self, link: _SimLink, command: msg.EcrCommand) -> None:
        link.send(msg.ack())

    def _status_enquiry(self, link: _SimLink, command: msg.EcrCommand) -> None:
        link.send(msg.ack())
        version = None if command.service_byte == 0x02 else SOFTWARE_VERSION
        self._finish(
            link,
            msg.status_completion(
                software_version=version,
                terminal_status=self.terminal_status,
                terminal_id=TERMINAL_ID,
            ),
        )

    # -- payment ------------------------------------------------------------------------------
    def _card_phase(self, link: _SimLink, scenario: Scenario) -> int | None:
        """Insert card / PIN / wait; return an abort result code, or None to go on."""
        deadline = time.monotonic() + self.timing.card_timeout
        while True:
            answer = self._say(link, msg.intermediate_status(msg.STATUS_INSERT_CARD))
            if answer.command == msg.ECR_ABORT:
                return msg.RESULT_ABORTED
            if scenario is Scenario.CANCEL:
                return msg.RESULT_ABORTED
            if scenario is not Scenario.TIMEOUT:
                break
            if time.monotonic() >= deadline:
                return msg.RESULT_ABORTED
            self._pause(self.timing.status_interval)
        if scenario is Scenario.NO_ECR_ABORT:
            return self._pin_without_ecr_abort(link)
        for status in (msg.STATUS_ENTER_PIN, msg.STATUS_PLEASE_WAIT):
            answer = self._say(link, msg.intermediate_status(status))
            if answer.command == msg.ECR_ABORT:
                return msg.RESULT_ABORTED
        return None

    def _pin_without_ecr_abort(self, link: _SimLink) -> int | None:
        """PIN entry that only the terminal's own cancel key stops: an ECR abort is refused
        (84 83), and the resident, told so, presses the red key at the next prompt."""
        refused = False
        for _ in range(self.pin_prompts):
            answer = self._say(link, msg.intermediate_status(msg.STATUS_ENTER_PIN))
            if refused:
                return msg.RESULT_ABORTED
            if answer.command == msg.ECR_ABORT:
                link.send(msg.error_reply(msg.RESULT_FUNCTION_NOT_POSSIBLE))
                refused = True
            else:
                self._pause(self.timing.status_interval)
        return None

    def _arm_faults(self, link: _SimLink, scenario: Scenario) -> None:
        link.corrupt_frames = 1 if scenario is Scenario.CORRUPT_CRC else 0
        link.split_gap = self.timing.split_gap if scenario is Scenario.SPLIT else None
        link.swallow_acks = 1 if scenario is Scenario.SWALLOW_ACK else 0

    def _authorisation(self, link: _SimLink, command: msg.EcrCommand) -> None:
        scenario = self._take_scenario()
        if scenario is Scenario.NAK and link.nak_frames == 0 and not self._nak_done:
            # The command frame itself was accepted; NAK the ECR's next frames instead.
            link.nak_frames = self.timing.nak_count
            self._nak_done = True
        self._arm_faults(link, scenario)
        amount = command.amount_cents or 0
        link.send(msg.ack())
        abort_code = self._card_phase(link, scenario)
        if abort_code is not None:  # no card was charged: no receipt number is used
            self._finish(link, msg.pt_abort(abort_code))
            return
        receipt, trace = self.journal.next_numbers()
        if abort_code is None and scenario is Scenario.SLOW:
            self._pause(self.timing.slow_delay)
        result = msg.RESULT_DECLINED if scenario is Scenario.DECLINE else msg.RESULT_SUCCESS
        record = TerminalRecord(
            kind="payment",
            receipt=receipt,
            trace=trace,
            amount_cents=amount,
            result=result,
            auth_code=f"A{trace:05d}" if result == msg.RESULT_SUCCESS else "",
            masked_pan=self.card[1],
            brand=self.card[0],
            lines=_receipt_lines(amount=amount, receipt=receipt, trace=trace, result=result),
        )
        self.journal.add(record)
        self._crash_point(scenario)
        self._say(link, msg.status_information(_info(record)))
        self._print(link, record.lines, copies=(msg.RECEIPT_MERCHANT, msg.RECEIPT_CUSTOMER))
        if result != msg.RESULT_SUCCESS:
            self._finish(link, msg.pt_abort(result))
            return
        if scenario is Scenario.LOST_FINAL_ACK:
            link.swallow_acks = 3
        self._finish(link, msg.completion(terminal_id=TERMINAL_ID))
        link.swallow_acks = 0

    def _crash_point(self, scenario: Scenario) -> None:
        if scenario is Scenario.POWER_LOSS:
            self._dead_until = float("inf")
            raise _Dead("power loss")
        if scenario is Scenario.REBOOT:
            self._dead_until = time.monotonic() + self.timing.reboot_time
            raise _Dead("reboot")
        if scenario is Scenario.CABLE_PULL:
            self._pull_cable()
            raise _Dead("cable pulled")

    def _pull_cable(self) -> None:
        """Plug a fresh line in at the link path, then close the old one (the ECR sees EIO).

        Over TCP: the connection is closed; the ECR may connect again."""
        if self._link_path is None:
            if self._conn is not None:
                with contextlib.suppress(OSError):
                    self._conn.shutdown(socket.SHUT_RDWR)
            return
        old = (self._master, self._slave)
        self._open_pty()
        for fd in old:
            if fd is not None:
                os.close(fd)

    def _print(
        self,
        link: _SimLink,
        lines: tuple[str, ...],
        *,
        admin: bool = False,
        copies: tuple[int, ...] = (),
    ) -> None:
        """Hand a receipt to the ECR as the registration config byte asks, or keep it here.

        `copies` lists the receipt kinds (TLV 1F07) to send, e.g. merchant then customer.
        """
        to_ecr = CONFIG_ECR_PRINTS_ADMIN if admin else CONFIG_ECR_PRINTS_PAYMENT
        if not self.config_byte & to_ecr:
            return
        kinds = copies or ((msg.RECEIPT_ADMINISTRATION,) if admin else (msg.RECEIPT_CUSTOMER,))
        for kind in kinds:
            if self.config_byte & CONFIG_TEXT_BLOCKS:
                self._say(link, msg.text_block(list(lines), receipt=kind))
                continue
            for line in lines:
                self._say(link, msg.print_line(line, receipt=kind))

    # -- other money commands -----------------------------------------------------------------
    def _reversal(self, link: _SimLink, command: msg.EcrCommand) -> None:
        link.send(msg.ack())
        original = self.journal.by_receipt(command.receipt_number or -1)
        if (
            original is None
            or original.result != msg.RESULT_SUCCESS
            or self.journal.closed(original.receipt)
        ):
            self._finish(link, msg.pt_abort(msg.RESULT_REVERSAL_NOT_POSSIBLE))
            return
        if original.reversed:
            self._finish(link, msg.pt_abort(msg.RESULT_ALREADY_REVERSED))
            return
        receipt, trace = self.journal.next_numbers()
        self.journal.mark_reversed(original.receipt)
        record = TerminalRecord(
            kind="reversal",
            receipt=receipt,
            trace=trace,
            amount_cents=original.amount_cents,
            result=msg.RESULT_SUCCESS,
            auth_code=original.auth_code,
            lines=("REVERSAL", f"RECEIPT {original.receipt:04d}"),
        )
        self.journal.add(record)
        self._say(link, msg.status_information(_info(record)))
        self._print(link, record.lines)
        self._finish(link, msg.completion(terminal_id=TERMINAL_ID))

    def _refund(self, link: _SimLink, command: msg.EcrCommand) -> None:
        link.send(msg.ack())
        receipt, trace = self.journal.next_numbers()
        record = TerminalRecord(
            kind="refund",
            receipt=receipt,
            trace=trace,
            amount_cents=command.amount_cents or 0,
            result=msg.RESULT_SUCCESS,
            auth_code=f"R{trace:05d}",
            lines=("REFUND", f"EUR {(command.amount_cents or 0) / 100:.2f}"),
        )
        self.journal.add(record)
        self._say(link, msg.status_information(_info(record)))
        self._print(link, record.lines)
        self._finish(link, msg.completion(terminal_id=TERMINAL_ID))

    def _end_of_day(self, link: _SimLink, command: msg.EcrCommand) -> None:
        link.send(msg.ack())
        settled = self.journal.close_day()
        total = sum(r.amount_cents for r in settled)
        info = msg.StatusInformation(
            result_code=msg.RESULT_SUCCESS,
            amount_cents=total,
            terminal_id=TERMINAL_ID,
            totals=_totals(settled),
        )
        self._say(link, msg.status_information(info))
        self._print(
            link,
            ("END OF DAY", f"COUNT {len(settled)}", f"TOTAL EUR {total / 100:.2f}"),
            admin=True,
        )
        self._finish(link, msg.completion(terminal_id=TERMINAL_ID))

    def _repeat_receipt(self, link: _SimLink, command: msg.EcrCommand) -> None:
        """06 20: the status information and receipt of the last transaction, of any kind."""
        link.send(msg.ack())
        last = self.journal.last()
        if last is None:
            self._finish(link, msg.pt_abort(msg.RESULT_FUNCTION_NOT_POSSIBLE))
            return
        self._say(link, msg.status_information(_info(last)))
        self._print(link, last.lines)
        self._finish(link, msg.completion(terminal_id=TERMINAL_ID))


# The card group (BMP 60) each brand the simulator knows is counted under.
_GROUPS = {"girocard": "girocard", "Visa": "Visa", "Mastercard": "Eurocard", "Amex": "Amex"}


def _totals(settled: tuple[TerminalRecord, ...]) -> totals.IndividualTotals:
    counts: dict[str, tuple[int, int]] = {}
    for record in settled:
        group = _GROUPS.get(record.brand, "other")
        count, amount = counts.get(group, (0, 0))
        counts[group] = (count + 1, amount + record.amount_cents)
    receipts = [r.receipt for r in settled]
    return totals.IndividualTotals(
        first_receipt=min(receipts, default=0),
        last_receipt=max(receipts, default=0),
        groups=tuple(
            totals.GroupTotal(group=name, count=count, amount_cents=amount)
            for name, (count, amount) in counts.items()
        ),
    )


def _receipt_lines(*, amount: int, receipt: int, trace: int, result: int) -> tuple[str, ...]:
    verdict = "APPROVED" if result == msg.RESULT_SUCCESS else "DECLINED"
    return (
        "BANCONTACT",
        f"TERMINAL {TERMINAL_ID}",
        f"RECEIPT {receipt:04d}  TRACE {trace:06d}",
        "CARD ************1234",
        f"AMOUNT EUR {amount / 100:.2f}",
        verdict,
    )


def _info(record: TerminalRecord) -> msg.StatusInformation:
    return msg.StatusInformation(
        result_code=record.result,
        amount_cents=record.amount_cents,
        trace=record.trace,
        receipt_number=record.receipt,
        terminal_id=TERMINAL_ID,
        auth_code=record.auth_code,
        masked_pan=record.masked_pan,
        card_name=record.brand,
        currency=msg.CURRENCY_EUR,
    )
