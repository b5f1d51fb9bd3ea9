"""ZVT terminal driver over a serial line (pyserial; any `serial_for_url` address works) or over
TCP/IP (`tcp://host:port`, bare APDUs without DLE/CRC framing or transport ACK).

A plain blocking object: one owner thread (a `DeviceRunner`) calls it; only `abort()` may be called
from another thread. A command the terminal has not accepted raises a typed error (nothing was
charged); once accepted, every ending is returned as an outcome value, `Unknown` when the link broke.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace

import serial

from hardware.payment.errors import (
    DEVICE,
    CommandRefused,
    TerminalBusy,
    TerminalNotReachable,
)
from hardware.payment.model import (
    NOT_CHARGED,
    STATUS_ACCEPTED,
    Approved,
    Cancelled,
    Capabilities,
    EndOfDay,
    PaymentOutcome,
    StatusCallback,
    TerminalStatus,
    Unknown,
)
from hardware.payment.recovery import decide
from hardware.payment.transport import LinkError, Stream, open_stream
from hardware.payment.zvt import messages as msg
from hardware.payment.zvt import results
from hardware.payment.zvt.codec import Apdu, CodecError
from hardware.payment.zvt.fields import StatusInformation
from hardware.payment.zvt.link import (
    ApduLink,
    Corrupted,
    LinkTimeouts,
    NoAck,
    TcpApduLink,
    ZvtLink,
)
from hardware.payment.zvt.results import Transaction

log = logging.getLogger(__name__)

_CURRENCIES = {"EUR": msg.CURRENCY_EUR}


@dataclass(frozen=True, slots=True, kw_only=True)
class ZvtTimeouts:
    """Time budgets in seconds (ZVT T1..T4 plus the kiosk's own budget for the resident)."""

    inter_byte: float = 0.2  # T1: longest gap inside a frame
    command: float = 15.0  # T2: first answer (80 00 00 / 84 xx) after a command
    ack: float = 5.0  # T3: transport ACK/NAK after a frame
    silence: float = 180.0  # T4: longest silence from the terminal while a transaction runs
    customer: float = 120.0  # the resident must present a card within this budget
    # Least time from the end of one money transaction to the next request: a terminal still shows
    # the last result for 4-5 s and refuses requests meanwhile (Worldline, per Odoo's driver).
    between_transactions: float = 5.0

    def scaled(self, factor: float) -> ZvtTimeouts:
        return ZvtTimeouts(
            inter_byte=self.inter_byte * factor,
            command=self.command * factor,
            ack=self.ack * factor,
            silence=self.silence * factor,
            customer=self.customer * factor,
            between_transactions=self.between_transactions * factor,
        )


CANCEL_ON_TERMINAL = "payment.cancel_on_terminal"
"""Prompt sent when the terminal refuses or ignores the kiosk's abort: the resident must press
the terminal's own cancel key."""

GETTING_READY = "payment.terminal_getting_ready"
"""Prompt while the next request waits out `ZvtTimeouts.between_transactions`."""

BUSY_RETRIES = 5  # status enquiries while the terminal says a transaction runs, during recovery


class _Ambiguous(Exception):
    """The terminal may have accepted the command, but the answer was lost."""


class ZvtTerminal:
    def __init__(
        self,
        port: str,
        *,
        baudrate: int = 9600,
        password: str = "000000",  # noqa: S107 - the ZVT factory default, not a secret
        timeouts: ZvtTimeouts | None = None,
        config_byte: int = 0xBE,
    ) -> None:
        msg.password_bytes(password)  # validates early
        self._url = port
        self._baudrate = baudrate
        self._password = password
        self._timeouts = timeouts or ZvtTimeouts()
        self._config_byte = config_byte
        self._stream: Stream | None = None
        self._link: ApduLink | None = None
        self._abort = threading.Event()
        self._last_transaction_end: float | None = None

    # -- connection ---------------------------------------------------------------------------
    def _connect(self) -> ApduLink:
        if self._link is not None:
            return self._link
        t = self._timeouts
        timeouts = LinkTimeouts(inter_byte=t.inter_byte, ack=t.ack)
        try:
            stream, is_tcp = open_stream(
                self._url,
                baudrate=self._baudrate,
                connect_timeout=t.command,
                read_slice=min(t.inter_byte, 0.05),
            )
        except (serial.SerialException, OSError, ValueError) as err:
            raise TerminalNotReachable(
                f"cannot open {self._url}", device=DEVICE, params={"port": self._url}
            ) from err
        link: ApduLink = (
            TcpApduLink(stream, timeouts=timeouts) if is_tcp else ZvtLink(stream, timeouts=timeouts)
        )
        self._stream, self._link = stream, link
        return link

    def _disconnect(self) -> None:
        stream, self._stream, self._link = self._stream, None, None
        if stream is not None:
            try:
                stream.close()
            except (serial.SerialException, OSError):
                log.warning("closing the terminal link failed", extra={"port": self._url})

    def _discard_input(self) -> None:
        if self._link is not None:
            self._link.drain()
        if self._stream is not None:
            try:
                self._stream.discard_input()
            except LinkError:
                self._disconnect()
                self._connect()

    def close(self) -> None:
        self._disconnect()

    # -- command phase ------------------------------------------------------------------------
    def _start(self, apdu: Apdu, *, first_try: bool = True) -> msg.Positive:
        """Send a command and return the terminal's first answer once it accepted it.

        Raises `TerminalNotReachable` / `TerminalBusy` / `CommandRefused` when nothing was done, and
        `_Ambiguous` when the terminal may have accepted the command.
        """
        self._connect()
        self._discard_input()  # may reconnect: take the link afterwards
        link = self._connect()
        try:
            link.send(apdu)
        except NoAck as err:
            self._disconnect()
            if err.refused:
                raise TerminalNotReachable(
                    "terminal refused the frame", device=DEVICE, params={"port": self._url}
                ) from err
            raise _Ambiguous("no transport acknowledgement") from err
        except LinkError as err:
            self._disconnect()
            raise TerminalNotReachable(
                "terminal link broken", device=DEVICE, params={"port": self._url}
            ) from err
        deadline = time.monotonic() + self._timeouts.command
        while True:
            try:
                answer = _receive(link, timeout=max(0.0, deadline - time.monotonic()))
            except LinkError as err:
                self._disconnect()
                raise _Ambiguous("no answer to the command") from err
            if isinstance(answer, msg.ErrorReply):
                return self._refused(apdu, answer.code, first_try=first_try)
            if isinstance(answer, msg.Positive):
                return answer
            # A retransmission left over from the previous dialogue: acknowledged, then ignored.
            log.info("stale terminal message ignored", extra={"kind": type(answer).__name__})

    def _refused(self, apdu: Apdu, code: int, *, first_try: bool) -> msg.Positive:
        if code == msg.RESULT_NOT_REGISTERED and first_try and apdu.command != msg.REGISTRATION:
            log.info("terminal not registered, registering", extra={"port": self._url})
            self.register()
            return self._start(apdu, first_try=False)
        if code in msg.BUSY_CODES:
            raise TerminalBusy("terminal busy", device=DEVICE, params={"code": f"{code:02X}"})
        raise CommandRefused("terminal refused the command", code=code)

    # -- transaction phase --------------------------------------------------------------------
    def _run(
        self, first: msg.Positive, on_status: StatusCallback, *, status_enquiry: bool = False
    ) -> Transaction:
        """Follow the terminal until Completion / Abort; raise `_Ambiguous` if the link breaks."""
        link = self._connect()
        tx = Transaction()
        customer_deadline = time.monotonic() + self._timeouts.customer
        waiting_for_card = False
        del first
        message: msg.TerminalMessage | None = None
        last_key = ""
        while True:
            if message is None:
                try:
                    message = _receive(
                        link, timeout=self._timeouts.silence, status_enquiry=status_enquiry
                    )
                except LinkError as err:
                    self._disconnect()
                    raise _Ambiguous("terminal went silent") from err
            reply: Apdu | None = msg.ack()
            if isinstance(message, msg.IntermediateStatus):
                waiting_for_card = message.code == msg.STATUS_INSERT_CARD
                key = msg.status_key(message.code)
                if tx.ecr_aborted and not tx.abort_refused and key != last_key:
                    # the terminal goes on after our abort: only its own cancel key stops it now
                    self._abort_refused(tx, on_status)
                if key != last_key:
                    on_status(key)
                    last_key = key
                timed_out = waiting_for_card and time.monotonic() > customer_deadline
                if (self._abort.is_set() or timed_out) and not tx.ecr_aborted:
                    reply, tx.ecr_aborted, tx.customer_timed_out = msg.ecr_abort(), True, timed_out
            elif isinstance(message, StatusInformation):
                tx.info = message
            elif isinstance(message, msg.PrintText):
                # The customer's copy (or an unmarked receipt); a merchant copy is not the resident's.
                if message.receipt in (None, msg.RECEIPT_CUSTOMER, msg.RECEIPT_ADMINISTRATION):
                    tx.lines.extend(message.lines)
            elif isinstance(message, msg.Completion):
                tx.completed, tx.completion = True, message
            elif isinstance(message, msg.TerminalAbort):
                tx.abort_code = message.result_code
            elif isinstance(message, (msg.Positive, msg.ErrorReply)):
                reply = None  # an answer (to our abort), not a message to acknowledge
                if isinstance(message, msg.ErrorReply) and tx.ecr_aborted:
                    self._abort_refused(tx, on_status)
            if reply is not None:
                self._reply(link, reply)
            if tx.completed or tx.abort_code is not None:
                return tx
            message = None

    @staticmethod
    def _abort_refused(tx: Transaction, on_status: StatusCallback) -> None:
        tx.abort_refused = True
        log.info("terminal refused the abort; cancel on the terminal")
        on_status(CANCEL_ON_TERMINAL)

    def _reply(self, link: ApduLink, apdu: Apdu) -> None:
        try:
            link.send(apdu)
        except LinkError:
            # The terminal retransmits or goes silent; the silence budget decides.
            log.warning("reply to the terminal not acknowledged", extra={"port": self._url})

    # -- public API ---------------------------------------------------------------------------
    def capabilities(self) -> Capabilities:
        return Capabilities(
            status_enquiry=True,
            abort=True,
            reversal=True,
            refund=True,
            end_of_day=True,
            repeat_receipt=True,
            receipt_text=True,
        )

    def register(self) -> None:
        apdu = msg.registration(password=self._password, config_byte=self._config_byte)
        try:
            first = self._start(apdu)
            tx = self._run(first, _ignore)
        except _Ambiguous as err:
            raise TerminalNotReachable("registration unanswered", device=DEVICE) from err
        if tx.abort_code is not None:
            raise CommandRefused("registration refused", code=tx.abort_code)

    def abort(self) -> None:
        self._abort.set()

    def send_abort(self) -> None:
        """Send a stand-alone Abort (06 B0), e.g. from a service tool while nothing runs here."""
        self._start(msg.ecr_abort())

    def pay(
        self,
        *,
        amount_cents: int,
        currency: str = "EUR",
        reference: str,
        on_status: StatusCallback,
    ) -> PaymentOutcome:
        if amount_cents <= 0:
            raise ValueError("amount must be positive")
        self._abort.clear()
        apdu = msg.authorisation(amount_cents=amount_cents, currency=_CURRENCIES[currency])
        if not self._wait_for_the_gap(on_status):
            log.info("payment cancelled before it was sent", extra={"reference": reference})
            return Cancelled(reference=reference, reason=NOT_CHARGED)
        log.info("payment requested", extra={"reference": reference, "amount": amount_cents})
        try:
            first = self._start(apdu)
            on_status(STATUS_ACCEPTED)
            tx = self._run(first, on_status)
        except _Ambiguous as err:
            log.warning("payment result unknown", extra={"reference": reference})
            return Unknown(reference=reference, detail=str(err))
        finally:
            self._last_transaction_end = time.monotonic()
        info = tx.info
        if info is not None and info.amount_cents is not None and info.amount_cents != amount_cents:
            # The answer echoes another request: never attribute it to this attempt.
            log.warning(
                "terminal answer does not match the request", extra={"reference": reference}
            )
            self._disconnect()
            return Unknown(reference=reference, detail="answer belongs to another request")
        return results.outcome(tx, reference=reference, amount_cents=amount_cents)

    def _wait_for_the_gap(self, on_status: StatusCallback) -> bool:
        """Hold the next money request until `between_transactions` has passed since the last one
        ended; False when the resident cancelled meanwhile (nothing was sent)."""
        if self._last_transaction_end is None:
            return True
        due = self._last_transaction_end + self._timeouts.between_transactions
        left = due - time.monotonic()
        if left <= 0:
            return True
        on_status(GETTING_READY)
        return not self._abort.wait(left)

    def lookup(
        self, *, reference: str, amount_cents: int, last_receipt: str | None = None
    ) -> PaymentOutcome | None:
        """Status enquiry until the terminal is idle, then Repeat Receipt (06 20) of its last
        transaction, judged against `last_receipt` by `recovery.decide`.

        Raises `TerminalBusy` while a transaction still runs, `TerminalNotReachable` when silent.
        """
        self._wait_until_idle()
        try:
            tx = self._repeat_receipt()
        except CommandRefused as err:
            return Unknown(reference=reference, detail=f"repeat receipt refused ({err.code:02X})")
        last = results.last_transaction(tx)
        verdict, why = decide(baseline=last_receipt, last=last, amount_cents=amount_cents)
        log.info("payment looked up", extra={"reference": reference, "verdict": verdict.value})
        return results.looked_up(
            verdict, why=why, tx=tx, reference=reference, amount_cents=amount_cents
        )

    def _wait_until_idle(self) -> None:
        for attempt in range(BUSY_RETRIES):
            try:
                status = self._status_enquiry()
            except TerminalBusy:
                status = None
            if status is not None and status.result_code not in msg.BUSY_CODES:
                return
            if attempt < BUSY_RETRIES - 1:
                time.sleep(self._timeouts.ack / BUSY_RETRIES)
        raise TerminalBusy("a transaction still runs on the terminal", device=DEVICE)

    def _repeat_receipt(self) -> Transaction:
        """06 20: the terminal's last transaction, its status information and receipt."""
        return self._simple(msg.password_command(msg.REPEAT_RECEIPT, password=self._password))

    def last_receipt(self) -> str | None:
        try:
            last = results.last_transaction(self._repeat_receipt())
        except CommandRefused:
            return None
        if last is None:
            return ""
        return last.receipt_number or None

    def status_enquiry(self) -> TerminalStatus:
        """05 01; a terminal that says "initialisation required" (0x51) is initialised once."""
        status = self._status_enquiry()
        if status.terminal_status == msg.TERMINAL_INIT_REQUIRED:
            log.warning("terminal requires initialisation", extra={"port": self._url})
            self.initialise()
            status = self._status_enquiry()
        return status

    def _status_enquiry(self) -> TerminalStatus:
        apdu = msg.password_command(msg.STATUS_ENQUIRY, password=self._password)
        tx = self._simple(apdu, status_enquiry=True)
        code = tx.abort_code if tx.abort_code is not None else msg.RESULT_SUCCESS
        done = tx.completion
        terminal_status = done.terminal_status if done else None
        terminal_id = (done.terminal_id if done else "") or (tx.info.terminal_id if tx.info else "")
        return TerminalStatus(
            ready=code == msg.RESULT_SUCCESS and terminal_status in (None, msg.TERMINAL_READY),
            result_code=code,
            terminal_id=terminal_id,
            software_version=(done.software_version or "") if done else "",
            terminal_status=terminal_status,
        )

    def initialise(self) -> None:
        """06 93: the terminal fetches its parameters from the host."""
        tx = self._simple(msg.password_command(msg.INITIALISATION, password=self._password))
        if tx.abort_code is not None:
            raise CommandRefused("initialisation refused", code=tx.abort_code)

    def diagnosis(self) -> bool:
        """06 70: the terminal checks its host connection; True when it completed."""
        tx = self._simple(msg.password_command(msg.DIAGNOSIS, password=self._password))
        return tx.abort_code is None

    def _simple(self, apdu: Apdu, *, status_enquiry: bool = False) -> Transaction:
        """A command that cannot move money: an ambiguous ending is just 'not reachable'."""
        try:
            return self._run(self._start(apdu), _ignore, status_enquiry=status_enquiry)
        except _Ambiguous as err:
            raise TerminalNotReachable("terminal did not answer", device=DEVICE) from err

    def reverse(self, *, receipt_number: str, reference: str = "") -> PaymentOutcome:
        apdu = msg.reversal(password=self._password, receipt_number=int(receipt_number))
        return self._money_command(apdu, reference=reference, amount_cents=0)

    def refund(self, *, amount_cents: int, reference: str = "") -> PaymentOutcome:
        apdu = msg.refund(
            password=self._password, amount_cents=amount_cents, currency=msg.CURRENCY_EUR
        )
        return self._money_command(apdu, reference=reference, amount_cents=amount_cents)

    def _money_command(self, apdu: Apdu, *, reference: str, amount_cents: int) -> PaymentOutcome:
        self._abort.clear()
        self._wait_for_the_gap(_ignore)
        try:
            tx = self._run(self._start(apdu), _ignore)
        except _Ambiguous as err:
            return Unknown(reference=reference, detail=str(err))
        finally:
            self._last_transaction_end = time.monotonic()
        outcome = results.outcome(tx, reference=reference, amount_cents=amount_cents)
        if isinstance(outcome, Approved) and tx.info and tx.info.amount_cents is not None:
            outcome = replace(outcome, amount_cents=tx.info.amount_cents)
        return outcome

    def end_of_day(self) -> EndOfDay:
        """06 50: the terminal settles with the host; totals per card group from BMP 60."""
        tx = self._simple(msg.password_command(msg.END_OF_DAY, password=self._password))
        code = tx.abort_code if tx.abort_code is not None else msg.RESULT_SUCCESS
        if tx.info is not None and tx.abort_code is None:
            code = tx.info.result_code
        return results.closing(tx, result_code=code)

    def repeat_receipt(self) -> tuple[str, ...]:
        return tuple(self._repeat_receipt().lines)


def _ignore(key: str) -> None:
    del key


def _receive(
    link: ApduLink, *, timeout: float, status_enquiry: bool = False
) -> msg.TerminalMessage:
    """The next terminal message; one that is well framed but unreadable (bad BCD, broken TLV...)
    is a corrupted line, never guessed at: what it said may have been the approval."""
    apdu = link.receive(timeout=timeout)
    try:
        return msg.parse_terminal_message(apdu, status_enquiry=status_enquiry)
    except CodecError as err:
        log.warning("unreadable terminal message", extra={"cls": apdu.cls, "instr": apdu.instr})
        raise Corrupted(str(err)) from err
