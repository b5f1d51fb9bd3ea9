"""What one session did, for the autoplay's JSON output, the bench and the fleet (no personal data)."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from kiosk.session import SessionData

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class JourneyReport:
    """What one session did, for the autoplay's JSON output and the bench (no personal data)."""

    operation_id: str
    outcome: str
    language: str
    document_language: str
    documents: tuple[str, ...]
    document_ids: tuple[str, ...]
    pdf_paths: tuple[str, ...]
    amount_cents: int
    payment_status: str | None
    receipt_number: str | None
    reversal_status: str | None
    error_key: str | None
    steps_ms: Mapping[str, float]
    total_ms: float
    receipt_printed: bool | None = None
    claim_code: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "operation_id": self.operation_id,
            "outcome": self.outcome,
            "language": self.language,
            "document_language": self.document_language,
            "documents": list(self.documents),
            "document_ids": list(self.document_ids),
            "pdf_paths": list(self.pdf_paths),
            "amount_cents": self.amount_cents,
            "payment_status": self.payment_status,
            "receipt_number": self.receipt_number,
            "reversal_status": self.reversal_status,
            "error_key": self.error_key,
            "steps_ms": dict(self.steps_ms),
            "total_ms": self.total_ms,
            "receipt_printed": self.receipt_printed,
            "claim_code": self.claim_code,
        }


def journey_report(s: SessionData, *, now: float) -> JourneyReport:
    """The report of session `s`, ended at `now` (the controller's clock)."""
    payment = s.payment
    return JourneyReport(
        operation_id=s.operation_id,
        outcome=s.outcome,
        language=s.language,
        document_language=s.document_language,
        documents=tuple(d.document_type for d in s.issued),
        document_ids=tuple(d.document_id for d in s.issued),
        pdf_paths=tuple(s.pdf_paths),
        amount_cents=payment.amount_cents if payment is not None else 0,
        payment_status=payment.status.value if payment is not None else None,
        receipt_number=payment.receipt_number if payment is not None else None,
        reversal_status=s.reversal.status.value if s.reversal is not None else None,
        error_key=s.error_key,
        steps_ms=MappingProxyType(dict(s.steps_ms)),
        total_ms=round((now - s.started_at) * 1000.0, 3),
        receipt_printed=s.receipt_printed,
        claim_code=s.claim_code,
    )


class ReportLog:
    """The latest reports (`kept` of them), logged as they come; listeners see every one."""

    def __init__(self, *, kept: int) -> None:
        self._reports: deque[JourneyReport] = deque(maxlen=kept)
        self._listeners: list[Callable[[JourneyReport], None]] = []

    @property
    def reports(self) -> tuple[JourneyReport, ...]:
        return tuple(self._reports)

    def listen(self, listener: Callable[[JourneyReport], None]) -> None:
        self._listeners.append(listener)

    def publish(self, report: JourneyReport) -> None:
        self._reports.append(report)
        log.info(
            "journey_report",
            extra={"operation_id": report.operation_id, "outcome": report.outcome},
        )
        for listener in list(self._listeners):
            listener(report)
