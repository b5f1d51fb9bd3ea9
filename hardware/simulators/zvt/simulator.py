"""A ZVT payment terminal on a pseudo-terminal or a loopback TCP port, with fault injection.

The line (pty or TCP, power and cable) is `hardware.simulators.zvt.line`; the scenarios and the
links that inject their faults are `hardware.simulators.zvt.faults`. Over TCP the transport-level
faults (nak, corrupt_crc, swallow_ack) have nothing to act on and behave like `approve`.

It uses the same codec and link layers as the driver, with faults injected in link subclasses.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from pathlib import Path

from hardware.payment.transport import LinkError
from hardware.payment.zvt import messages as msg
from hardware.payment.zvt.codec import Apdu
from hardware.payment.zvt.fields import StatusInformation, status_information
from hardware.simulators.zvt.faults import Scenario, SimLink, SimTiming, TerminalDead
from hardware.simulators.zvt.journal import TerminalJournal, TerminalRecord
from hardware.simulators.zvt.line import TerminalLine
from hardware.simulators.zvt.records import TERMINAL_ID, day_totals, receipt_lines, status_info

log = logging.getLogger(__name__)

SOFTWARE_VERSION = "BORNE-SIM 1.0"

# Registration config byte (06 00), the bits this terminal honours.
CONFIG_ECR_PRINTS_PAYMENT = 0x02  # receipts of payments go to the ECR (else printed here)
CONFIG_ECR_PRINTS_ADMIN = 0x04  # receipts of administration go to the ECR
CONFIG_TEXT_BLOCKS = 0x80  # receipts as text blocks (06 D3), else print lines (06 D1)


class TerminalSimulator(TerminalLine):
    """A ZVT terminal's dialogue: registration, payments, reversals, end of day, receipts."""

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
        super().__init__(link_path=link_path, timing=timing, tcp_port=tcp_port)
        self._journal_path = Path(journal_path) if journal_path is not None else None
        self._scenario = Scenario(scenario)
        self._queue: deque[Scenario] = deque()
        self._lock = threading.Lock()
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

    # -- dialogue ---------------------------------------------------------------------------
    def _handle(self, link: SimLink, apdu: Apdu) -> None:
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

    def _say(self, link: SimLink, apdu: Apdu) -> Apdu:
        """Send a message that the ECR must answer; return its answer."""
        self._pause(self.timing.step)
        link.send(apdu)
        answer = link.receive(timeout=self.timing.reply)
        self.ecr_answers.append(answer.command)
        return answer

    def _finish(self, link: SimLink, apdu: Apdu) -> None:
        """Send the last message of a dialogue; a missing answer no longer matters."""
        self._pause(self.timing.step)
        try:
            link.send(apdu)
            link.receive(timeout=self.timing.reply)
        except LinkError:
            log.info("final answer not acknowledged", extra={"cls": apdu.cls})

    def _registration(self, link: SimLink, command: msg.EcrCommand) -> None:
        link.send(msg.ack())
        if command.config_byte is not None:
            self.config_byte = command.config_byte
        self._finish(link, msg.completion(terminal_id=TERMINAL_ID))

    def _diagnosis(self, link: SimLink, command: msg.EcrCommand) -> None:
        link.send(msg.ack())
        self._print(link, ("DIAGNOSIS", f"TERMINAL {TERMINAL_ID}", "HOST OK"), admin=True)
        self._finish(link, msg.completion(terminal_id=TERMINAL_ID))

    def _initialisation(self, link: SimLink, command: msg.EcrCommand) -> None:
        link.send(msg.ack())
        self.terminal_status = msg.TERMINAL_READY
        self._print(link, ("INITIALISATION", f"TERMINAL {TERMINAL_ID}", "OK"), admin=True)
        self._finish(link, msg.completion(terminal_id=TERMINAL_ID))

    def _log_off(self, link: SimLink, command: msg.EcrCommand) -> None:
        link.send(msg.ack())

    def _status_enquiry(self, link: SimLink, command: msg.EcrCommand) -> None:
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
    def _card_phase(self, link: SimLink, scenario: Scenario) -> int | None:
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

    def _pin_without_ecr_abort(self, link: SimLink) -> int | None:
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

    def _arm_faults(self, link: SimLink, scenario: Scenario) -> None:
        link.corrupt_frames = 1 if scenario is Scenario.CORRUPT_CRC else 0
        link.split_gap = self.timing.split_gap if scenario is Scenario.SPLIT else None
        link.swallow_acks = 1 if scenario is Scenario.SWALLOW_ACK else 0

    def _authorisation(self, link: SimLink, command: msg.EcrCommand) -> None:
        scenario = self._take_scenario()
        if scenario is Scenario.NAK and link.nak_frames == 0 and not self._nak_done:
            # The command frame itself was accepted; NAK the ECR's next frames instead.
            link.nak_frames = self.timing.nak_count
            self._nak_done = True
        self._arm_faults(link, scenario)
        amount = command.amount_cents or 0
        if scenario is Scenario.WRONG_AMOUNT:  # e.g. a stale amount left on the terminal
            amount += self.timing.wrong_amount_delta
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
            lines=receipt_lines(amount=amount, receipt=receipt, trace=trace, result=result),
        )
        self.journal.add(record)
        self._crash_point(scenario)
        self._say(link, status_information(status_info(record)))
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
            raise TerminalDead("power loss")
        if scenario is Scenario.REBOOT:
            self._dead_until = time.monotonic() + self.timing.reboot_time
            raise TerminalDead("reboot")
        if scenario is Scenario.CABLE_PULL:
            self._pull_cable()
            raise TerminalDead("cable pulled")

    def _print(
        self,
        link: SimLink,
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
    def _reversal(self, link: SimLink, command: msg.EcrCommand) -> None:
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
        self._say(link, status_information(status_info(record)))
        self._print(link, record.lines)
        self._finish(link, msg.completion(terminal_id=TERMINAL_ID))

    def _refund(self, link: SimLink, command: msg.EcrCommand) -> None:
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
        self._say(link, status_information(status_info(record)))
        self._print(link, record.lines)
        self._finish(link, msg.completion(terminal_id=TERMINAL_ID))

    def _end_of_day(self, link: SimLink, command: msg.EcrCommand) -> None:
        link.send(msg.ack())
        settled = self.journal.close_day()
        total = sum(r.amount_cents for r in settled)
        info = StatusInformation(
            result_code=msg.RESULT_SUCCESS,
            amount_cents=total,
            terminal_id=TERMINAL_ID,
            totals=day_totals(settled),
        )
        self._say(link, status_information(info))
        self._print(
            link,
            ("END OF DAY", f"COUNT {len(settled)}", f"TOTAL EUR {total / 100:.2f}"),
            admin=True,
        )
        self._finish(link, msg.completion(terminal_id=TERMINAL_ID))

    def _repeat_receipt(self, link: SimLink, command: msg.EcrCommand) -> None:
        """06 20: the status information and receipt of the last transaction, of any kind."""
        link.send(msg.ack())
        last = self.journal.last()
        if last is None:
            self._finish(link, msg.pt_abort(msg.RESULT_FUNCTION_NOT_POSSIBLE))
            return
        self._say(link, status_information(status_info(last)))
        self._print(link, last.lines)
        self._finish(link, msg.completion(terminal_id=TERMINAL_ID))
