"""Child process of the kill-and-restart test: pays once through PaymentService, then exits.

    python -m tests.payment.crash_pay --port PTY --journal DB --reference REF --flow FLOW

With `--crash-after STATE` this process SIGKILLs itself right after the journal committed that
state (`tests.crash_points`: the injection lives in the tests, never in the product). Flows: `deliver` (pay, deliver, complete), `undeliverable` (pay,
then the delivery fails), `pay` (pay only).
"""

from __future__ import annotations

import argparse
import json
import sys

from hardware.errors import BorneError
from hardware.payment.journal import PaymentJournal, PaymentState
from hardware.payment.model import Approved
from hardware.payment.service import PaymentService
from hardware.payment.zvt.driver import ZvtTerminal, ZvtTimeouts
from tests.crash_points import arm_journal

TIMEOUTS = ZvtTimeouts(inter_byte=0.2, command=1.0, ack=0.3, silence=1.0, customer=5.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", required=True)
    parser.add_argument("--journal", required=True)
    parser.add_argument("--reference", required=True)
    parser.add_argument("--flow", choices=("deliver", "undeliverable", "pay"), required=True)
    parser.add_argument("--customer", type=float, default=TIMEOUTS.customer)
    parser.add_argument("--crash-after", choices=[s.value for s in PaymentState], default=None)
    args = parser.parse_args(argv)
    if args.crash_after is not None:
        arm_journal(PaymentState(args.crash_after))
    journal = PaymentJournal(args.journal)
    terminal = ZvtTerminal(
        args.port,
        timeouts=ZvtTimeouts(
            inter_byte=TIMEOUTS.inter_byte,
            command=TIMEOUTS.command,
            ack=TIMEOUTS.ack,
            silence=TIMEOUTS.silence,
            customer=args.customer,
        ),
    )
    service = PaymentService(terminal=terminal, journal=journal)
    try:
        outcome = service.pay(amount_cents=250, reference=args.reference)
    except BorneError as err:
        print(json.dumps({"error": type(err).__name__}))
        return 0
    if isinstance(outcome, Approved) and args.flow != "pay":
        service.mark_delivering(args.reference)
        if args.flow == "deliver":
            service.mark_completed(args.reference)
        else:
            service.mark_delivery_failed(args.reference)
    print(json.dumps({"outcome": type(outcome).__name__}))
    terminal.close()
    journal.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
