"""Issuing (render + seal on the signer's thread) and printing (CUPS on the printer's thread)."""

from __future__ import annotations

import hashlib
import io
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from datetime import UTC, date, datetime
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader

from hardware.errors import BorneError
from hardware.runner import DeviceRunner
from kiosk import health
from kiosk.claim_slip import ClaimSlip
from kiosk.health import HealthBoard
from kiosk.i18n import translate
from kiosk.issued import IssuanceLog, IssuedRow
from kiosk.ports import (
    CardHolder,
    DeviceCheck,
    HouseholdMember,
    IssuedDocument,
    IssueRequest,
    PostalAddress,
    PrintOutcome,
    ReceiptRequest,
    RegisterExtract,
)
from printing import receipt as receipts
from printing.model import CertificateData, Commune, Person
from printing.printer import CupsPrinter, JobResult, JobState, find_job_output
from printing.render import render, verification_code
from printing.seal import Sealer
from printing.spool import sweep

log = logging.getLogger(__name__)


def certificate_data(
    request: IssueRequest, *, kiosk_id: str, verify_base_url: str, issued_at: datetime
) -> CertificateData:
    """Map the journey's view of the resident and the register onto the renderer's input."""
    extract = request.extract
    members = extract.members
    holder = next(
        (p for p in members if p.national_number == request.holder.national_number),
        None,
    ) or _person_from_card(request.holder)
    return CertificateData(
        document_type=request.document_type,
        language=request.language,
        document_id=request.document_id,
        issued_at=issued_at,
        kiosk_id=kiosk_id,
        verify_base_url=verify_base_url,
        holder=holder,
        address=extract.address,
        household=members,
        address_history=holder.address_history,
        fee_cents=request.fee_cents,
        purpose=request.purpose,
    )


def _person_from_card(holder: CardHolder) -> Person:
    if holder.birth_date is None:
        msg = "the card gives no full birth date and the register does not list the holder"
        raise ValueError(msg)
    return Person(
        national_number=holder.national_number,
        surname=holder.surname,
        first_names=holder.first_names,
        birth_date=holder.birth_date,
        sex=holder.sex,
        nationality=holder.nationality,
        relation="reference",
    )


def count_pages(pdf: bytes) -> int:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return int(reader.root["/Pages"]["/Count"])


_SPECIMEN_ADDRESS = PostalAddress(street="Specimen 1", zip_code="1000", municipality="Specimen")
_SPECIMEN_PERSON = HouseholdMember(
    national_number="00010100204",
    surname="Specimen",
    first_names="Specimen",
    birth_date=date(2000, 1, 1),
    sex="F",
    nationality="BE",
    relation="reference",
)
_SPECIMEN = IssueRequest(
    document_id="specimen",
    document_type="household",
    language="fr",
    holder=CardHolder(
        national_number=_SPECIMEN_PERSON.national_number,
        surname="Specimen",
        first_names="Specimen",
        birth_date=date(2000, 1, 1),
        sex="F",
        nationality="BE",
        address=_SPECIMEN_ADDRESS,
        card_valid_until=date(2099, 1, 1),
    ),
    extract=RegisterExtract(
        household_id="specimen", address=_SPECIMEN_ADDRESS, members=(_SPECIMEN_PERSON,)
    ),
)
"""A made-up certificate, rendered and sealed once at start-up and never printed."""


class SealedDocumentIssuer:
    """`IssuerPort`: renders a certificate and seals it with the municipality's token.

    The token belongs to the signer runner's thread: the `Sealer` is created there on first use and
    keeps its key handle for the life of the process.
    """

    def __init__(
        self,
        *,
        runner: DeviceRunner,
        sealer_factory: Callable[[], Sealer],
        commune: Commune,
        kiosk_id: str,
        verify_base_url: str,
        spool_dir: Path,
        clock: Callable[[], datetime] = lambda: datetime.now(tz=UTC),
        health_board: HealthBoard | None = None,
        commune_by_language: Mapping[str, Commune] | None = None,
        issuance_log: IssuanceLog | None = None,
    ) -> None:
        """`issuance_log` gets a row for each sealed document of an order, before it is printed."""
        self._runner = runner
        self._health = health_board
        self._issued = issuance_log
        self._sealer_factory = sealer_factory
        self._sealer: Sealer | None = None
        self._commune = commune
        self._communes = dict(commune_by_language or {})
        self._kiosk_id = kiosk_id
        self._verify_base_url = verify_base_url
        self._spool = spool_dir
        self._clock = clock

    def use_communes(self, commune: Commune, by_language: Mapping[str, Commune]) -> None:
        """The commune's texts changed (central configuration): used from the next document."""
        self._commune, self._communes = commune, dict(by_language)

    def preflight(self) -> Future[None]:
        """Check the token can seal, and warm the pipeline up with a specimen certificate.

        Loading fonts and the PDF libraries takes tens of milliseconds of interpreter time; doing it
        here keeps it away from the first resident (and from the UI thread's share of the GIL).
        """
        return self._runner.submit(self._preflight)

    def check(self) -> Future[None]:
        """`IssuerPort.check`: the token can seal now (no specimen)."""
        return self._runner.submit(self._check)

    def _check(self) -> None:
        try:
            self._ensure_sealer()
            assert self._sealer is not None
            token = self._sealer.preflight()
        except BorneError:
            self._seen("unavailable")
            raise
        self._seen("ok")
        if self._health is not None and token.certificate_not_after is not None:
            self._health.set_detail(
                health.SEAL_TOKEN, certificate_not_after=token.certificate_not_after
            )

    def _seen(self, state: str) -> None:
        if self._health is not None:
            self._health.set(health.SEAL_TOKEN, state)

    def _preflight(self) -> None:
        self._check()
        assert self._sealer is not None
        specimen = certificate_data(
            _SPECIMEN,
            kiosk_id=self._kiosk_id,
            verify_base_url=self._verify_base_url,
            issued_at=self._clock(),
        )
        self._sealer.seal(
            render(specimen, commune=self._commune), document_id=_SPECIMEN.document_id
        )

    def issue(self, request: IssueRequest) -> Future[IssuedDocument]:
        return self._runner.submit(self._issue, request)

    def _ensure_sealer(self) -> None:
        if self._sealer is None:
            self._sealer = self._sealer_factory()

    def _issue(self, request: IssueRequest) -> IssuedDocument:
        self._runner.assert_owner_thread()
        self._ensure_sealer()
        assert self._sealer is not None
        data = certificate_data(
            request,
            kiosk_id=self._kiosk_id,
            verify_base_url=self._verify_base_url,
            issued_at=self._clock(),
        )
        sealed = self._sealer.seal(
            render(data, commune=self._communes.get(request.language, self._commune)),
            document_id=request.document_id,
        )
        self._spool.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self._spool / f"{request.document_id}.pdf"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(sealed)
        code = verification_code(data)
        if self._issued is not None and request.order_reference:
            self._issued.add(
                order_reference=request.order_reference,
                document_id=request.document_id,
                document_type=request.document_type,
                verification_code=code,
                order_size=request.order_size,
            )
        log.info(
            "document_issued",
            extra={"document_id": request.document_id, "document_type": request.document_type},
        )
        return IssuedDocument(
            document_id=request.document_id,
            document_type=request.document_type,
            language=request.language,
            pdf_path=path,
            sha256=hashlib.sha256(sealed).hexdigest(),
            pages=count_pages(sealed),
            verification_code=code,
            sealed=sealed,
        )


class CupsPrinterAdapter:
    """`PrinterPort`: hands a sealed PDF to CUPS and follows the job to its end."""

    def __init__(
        self,
        *,
        runner: DeviceRunner,
        printer: CupsPrinter,
        job_timeout_s: float,
        output_dir: Path | None = None,
        keep_spool: bool = False,
        sweep_dirs: tuple[Path, ...] = (),
        receipt_printer: CupsPrinter | None = None,
        commune: Commune | None = None,
        commune_by_language: Mapping[str, Commune] | None = None,
        kiosk_id: str = "",
        health_board: HealthBoard | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(tz=UTC),
        issuance_log: IssuanceLog | None = None,
    ) -> None:
        """`issuance_log` keeps each document's CUPS job id, for recovery after a crash."""
        self._runner = runner
        self._issued = issuance_log
        self._printer = printer
        self._timeout = job_timeout_s
        self._output_dir = output_dir
        self._keep = keep_spool
        self._sweep_dirs = sweep_dirs
        self._receipt_printer = receipt_printer
        self._commune = commune
        self._communes = dict(commune_by_language or {})
        self._kiosk_id = kiosk_id
        self._health = health_board
        self._clock = clock

    def use_communes(self, commune: Commune, by_language: Mapping[str, Commune]) -> None:
        """The commune's texts changed (central configuration): used from the next document."""
        self._commune, self._communes = commune, dict(by_language)

    def print_document(self, document: IssuedDocument) -> Future[PrintOutcome]:
        return self._runner.submit(self._print, document)

    def print_receipt(self, receipt: ReceiptRequest) -> Future[PrintOutcome]:
        return self._runner.submit(self._print_receipt, receipt)

    def print_test_page(self, *, lines: Sequence[str]) -> Future[PrintOutcome]:
        """A one-page test print (no personal data), on the receipt printer when there is one."""

        def job() -> PrintOutcome:
            result = receipts.print_claim_slip(
                receipt_printer=self._receipt_printer,
                document_printer=self._printer,
                timeout=self._timeout,
                title="Borne — test page",
                lines=list(lines),
            )
            return self._outcome(result, what="test_page", operation_id="test-page")

        return self._runner.submit(job)

    def print_claim_slip(self, slip: ClaimSlip, *, language: str) -> Future[PrintOutcome]:
        return self._runner.submit(self._print_claim_slip, slip, language)

    def check(self) -> Future[DeviceCheck]:
        return self._runner.submit(self._check)

    def delivered(self, rows: tuple[IssuedRow, ...]) -> Future[dict[str, bool | None]]:
        """Start-up: did each sealed document come out of the printer?

        True: its job completed. False: no job, or the job ended without printing, or it was
        still queued after the job time-out and is cancelled now (nothing came out). None: not
        known (the printer cannot be asked, or a job that cannot be cancelled).
        """
        return self._runner.submit(self._delivered, rows)

    # -- owner thread -----------------------------------------------------------------------
    def _check(self) -> DeviceCheck:
        try:
            status = self._printer.status()
        except BorneError:
            self._seen(health.PRINTER, "unreachable")
            raise
        self._seen(health.PRINTER, status.state.value)
        if status.paper is not None:
            self._seen(health.PAPER, "low" if status.paper.low else "ok")
            self._seen(health.PAPER_REMAINING, str(status.paper.remaining))
        if not status.can_print:
            log.warning("printer_not_ready", extra={"state": status.state.value})
        return DeviceCheck(
            ready=status.can_print, state=status.state.value, key=status.state.translation_key
        )

    def _seen(self, device: str, state: str) -> None:
        if self._health is not None:
            self._health.set(device, state)

    def _print_receipt(self, receipt: ReceiptRequest) -> PrintOutcome:
        if self._commune is None:
            msg = "the printer adapter was built without the commune: no receipt"
            raise ValueError(msg)
        language = receipt.language if receipt.language in ("fr", "nl", "de") else "fr"
        result = receipts.print_receipt(
            receipt_printer=self._receipt_printer,
            document_printer=self._printer,
            timeout=self._timeout,
            commune=self._communes.get(language, self._commune),
            language=language,
            issued_at=self._clock(),
            kiosk_id=self._kiosk_id,
            documents=[
                receipts.ReceiptDocument(
                    document_type=i.document_type,
                    document_id=i.document_id,
                    price_cents=i.price_cents,
                )
                for i in receipt.items
            ],
            terminal_lines=receipt.terminal_lines,
        )
        return self._outcome(result, what="receipt", operation_id=receipt.operation_id)

    def _print_claim_slip(self, slip: ClaimSlip, language: str) -> PrintOutcome:
        result = receipts.print_claim_slip(
            receipt_printer=self._receipt_printer,
            document_printer=self._printer,
            timeout=self._timeout,
            title=translate(slip.title.key, language, **slip.title.params_dict()),
            lines=[translate(line.key, language, **line.params_dict()) for line in slip.lines],
        )
        return self._outcome(result, what="claim_slip", operation_id=slip.reference)

    def _after_job(self, result: JobResult) -> None:
        """A finished job leaves no copy behind; a job still running keeps its files."""
        if result.state.final:
            sweep(self._sweep_dirs)

    def _outcome(self, result: JobResult, *, what: str, operation_id: str) -> PrintOutcome:
        self._after_job(result)
        on_main = self._receipt_printer is None
        output = None
        if result.completed and on_main and self._output_dir is not None:
            output = find_job_output(self._output_dir, result.job_id)
        log.info(
            f"{what}_printed" if result.completed else f"{what}_print_failed",
            extra={"operation_id": operation_id, "job_id": result.job_id},
        )
        return PrintOutcome(
            job_id=result.job_id,
            completed=result.completed,
            output_path=output,
            reason=None if result.completed else (result.message or result.state.name.lower()),
        )

    def _delivered(self, rows: tuple[IssuedRow, ...]) -> dict[str, bool | None]:
        return {row.document_id: self._came_out(row) for row in rows}

    def _came_out(self, row: IssuedRow) -> bool | None:
        try:
            jobs = set(self._jobs_titled(row.document_id))
        except BorneError as err:
            log.error(
                "print_job_lookup_failed",
                extra={"document_id": row.document_id, "error": type(err).__name__},
            )
            return None
        if row.job_id is not None:
            jobs.add(row.job_id)
        verdicts = [self._job_came_out(job_id) for job_id in sorted(jobs)]
        if any(v is True for v in verdicts):
            return True
        if any(v is None for v in verdicts):
            return None
        return False

    def _jobs_titled(self, title: str) -> tuple[int, ...]:
        find = getattr(self._printer, "find_jobs", None)
        if not callable(find):
            return ()
        return tuple(find(title, document_name=f"{title}.pdf"))  # the spool file's name

    def _job_came_out(self, job_id: int) -> bool | None:
        """Follow a job left by the dead process: completed, ended, or cancelled after time-out."""
        try:
            result = self._printer.wait(job_id, timeout=self._timeout)
        except BorneError as err:
            log.warning("print_job_left", extra={"job_id": job_id, "error": type(err).__name__})
            result = None
        if result is not None and result.state.final:
            log.info("print_job_found", extra={"job_id": job_id, "state": result.state.name})
            return result.completed
        try:
            self._printer.cancel(job_id)
        except BorneError as err:
            log.error(
                "print_job_not_cancelled", extra={"job_id": job_id, "error": type(err).__name__}
            )
            return None
        if result is not None and result.state is JobState.PROCESSING:
            return None  # a page may be half out: staff look
        log.warning("print_job_cancelled_at_start", extra={"job_id": job_id})
        return False

    def _print(self, document: IssuedDocument) -> PrintOutcome:
        self._runner.assert_owner_thread()
        try:
            job_id = self._printer.submit(document.pdf_path, title=document.document_id)
            if self._issued is not None:
                self._issued.set_job(document.document_id, job_id)
            result = self._printer.wait(job_id, timeout=self._timeout)
        finally:
            if not self._keep:  # the personal copy leaves the disk once CUPS has it, or failed
                document.pdf_path.unlink(missing_ok=True)
        self._after_job(result)
        output = None
        if result.completed and self._output_dir is not None:
            output = find_job_output(self._output_dir, job_id)
        log.info(
            "document_printed" if result.completed else "print_failed",
            extra={
                "document_id": document.document_id,
                "job_id": job_id,
                "state": result.state.name,
            },
        )
        return PrintOutcome(
            job_id=job_id,
            completed=result.completed,
            output_path=output,
            reason=None if result.completed else (result.message or result.state.name.lower()),
        )
