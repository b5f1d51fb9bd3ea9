"""Citizen services through REAL central servers over HTTPS, with a REAL SMTP server (aiosmtpd).

"E-mail me the sealed PDF": the kiosk that issued a document mails it; the message arrives in the
resident's language with the sealed PDF attached (pdfsig checks its seal); neither the address nor
the PDF is left in the database or the log (every table's every cell is read back); the audit has
the domain only. Refused: another kiosk's document (403), a document issued long ago (403), an
invalid address (422 ErrorBody naming the field, never the value), a PDF that is not that document
(422), too many mails from one kiosk (429); an SMTP server that is down is a clean 503.

"My requests": against a fresh card proof, the documents recorded under the resident's keyed
holder reference (handed out with their register extract); another resident sees none of them, no
proof is a 403, and no national number is stored.
"""

from __future__ import annotations

import base64
import json
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from central.process import RunningCentral, start_central
from devstack.demo_pki import CentralTls, MunicipalPki, ensure_central_tls, ensure_municipal_pki
from devstack.softhsm import ensure_token
from kiosk.adapters.sync import extract_from_wire, record_to_wire
from kiosk.records import issued_record
from offline_queue.client import CentralClient
from offline_queue.errors import CentralRejected, CentralUnauthorized, CentralUnavailable
from offline_queue.wire import IssuanceRecord, PaymentStatus, RecordBatch, RegisterExtractResponse
from printing.render import render
from printing.seal import Sealer
from printing.token import unload_module
from tests.central.databases import BACKENDS, database_url
from tests.central.fleet.conftest import Mailbox, free_port, running_mailbox
from tests.central.kiosks import citizen_proof, citizen_roots, enrolled_client, kiosk_token
from tests.documents.conftest import COMMUNE, make_data

pytestmark = pytest.mark.central

MARIE = "85031412401"
JAN = "72110204529"
ADDRESS = "marie.dupont@example.be"

Seal = Callable[[str], bytes]


@dataclass(frozen=True, slots=True)
class Central:
    server: RunningCentral
    tls: CentralTls
    mailbox: Mailbox | None

    def kiosk(self) -> CentralClient:
        return enrolled_client(
            self.server, f"kiosk-{uuid.uuid4().hex[:10]}", ca_file=self.tls.ca_cert_path
        )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> MunicipalPki:
    return ensure_municipal_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def seal(tmp_path_factory: pytest.TempPathFactory, pki: MunicipalPki) -> Iterator[Seal]:
    """A sealed certificate of a given document id, sealed in SoftHSM2 with the test seal key."""
    config = ensure_token(base_dir=tmp_path_factory.mktemp("hsm"), pki=pki)
    sealer = Sealer(config)

    def _seal(document_id: str) -> bytes:
        data = make_data(document_id=document_id)
        return sealer.seal(render(data, commune=COMMUNE), document_id=document_id)

    yield _seal
    unload_module(config)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> CentralTls:
    return ensure_central_tls(tmp_path_factory.mktemp("central-tls"))


def _start(
    folder: Path, db_url: str, pki: MunicipalPki, tls: CentralTls, env: dict[str, str]
) -> RunningCentral:
    return start_central(
        db_url=db_url,
        log_path=folder / "central.log",
        citizen_roots=citizen_roots(),
        seal_roots=(pki.root_cert_path,),
        tls=(tls.cert_path, tls.key_path),
        env=env,
    )


@pytest.fixture(scope="module", params=BACKENDS)
def central(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pki: MunicipalPki,
    tls: CentralTls,
) -> Iterator[Central]:
    folder = tmp_path_factory.mktemp(f"citizen-{request.param}")
    with running_mailbox() as box:
        env = {
            "BORNE_CENTRAL_SMTP": f"{box.host}:{box.port}",
            "BORNE_CENTRAL_SMTP_FROM": "borne@demo.test",
        }
        with _start(folder, database_url(str(request.param), folder), pki, tls, env) as server:
            yield Central(server=server, tls=tls, mailbox=box)


@pytest.fixture(scope="module")
def central_without_mail(
    tmp_path_factory: pytest.TempPathFactory, pki: MunicipalPki, tls: CentralTls
) -> Iterator[Central]:
    """SMTP configured on a loopback port nobody listens on; at most 3 mails per kiosk."""
    folder = tmp_path_factory.mktemp("citizen-nomail")
    env = {"BORNE_CENTRAL_SMTP": f"127.0.0.1:{free_port()}", "BORNE_CENTRAL_CITIZEN_MAILS": "3"}
    with _start(folder, database_url("sqlite", folder), pki, tls, env) as server:
        yield Central(server=server, tls=tls, mailbox=None)


def _issue(
    kiosk: CentralClient, *, age: timedelta = timedelta(0), holder_ref: str | None = None
) -> str:
    """Report one issued document of `kiosk` (as its outbox does); its id."""
    document_id = f"2026-{uuid.uuid4().hex[:8]}"
    record = IssuanceRecord(
        operation_id=f"issued.{document_id}",
        kiosk_id=kiosk.kiosk_id,
        occurred_at=datetime.now(tz=UTC) - age,
        outcome="issued",
        documents=("household",),
        document_ids=(document_id,),
        document_codes=("1a2b3c4d5e6f",),
        amount_cents=0,
        payment_status=PaymentStatus.APPROVED,
        holder_ref=holder_ref,
    )
    kiosk.post_records(
        RecordBatch(batch_id=uuid.uuid4().hex, kiosk_id=kiosk.kiosk_id, records=(record,))
    )
    return document_id


def _issue_as_the_kiosk_does(kiosk: CentralClient, answer: RegisterExtractResponse) -> str:
    """The kiosk's own path: its extract, its `issued` record, its wire record (holder_ref kept)."""
    document_id = f"2026-{uuid.uuid4().hex[:8]}"
    record = issued_record(
        order_reference="order-1",
        kiosk_id=kiosk.kiosk_id,
        document_id=document_id,
        document_type="household",
        verification_code="1a2b3c4d5e6f",
        paid=True,
        holder_ref=extract_from_wire(answer).holder_ref,
    )
    sent = record_to_wire(record, occurred_at=datetime.now(tz=UTC))
    kiosk.post_records(
        RecordBatch(batch_id=uuid.uuid4().hex, kiosk_id=kiosk.kiosk_id, records=(sent,))
    )
    return document_id


def _cells(central: Central) -> list[str]:
    """Every cell of every table of the central's database, as text."""
    assert central.server.db_url is not None
    engine = sa.create_engine(central.server.db_url)
    try:
        names = sa.inspect(engine).get_table_names()
        with engine.connect() as connection:
            return [
                str(cell)
                for name in names
                for row in connection.execute(sa.text(f'SELECT * FROM "{name}"'))
                for cell in row
            ]
    finally:
        engine.dispose()


def _attachment(message: Message) -> bytes:
    (part,) = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


def test_the_sealed_pdf_arrives_in_the_residents_language_and_nothing_is_kept(
    central: Central, seal: Seal, tmp_path: Path
) -> None:
    assert central.mailbox is not None
    with central.kiosk() as kiosk:
        document_id = _issue(kiosk)
        pdf = seal(document_id)
        kiosk.email_document(document_id, address=ADDRESS, language="nl", pdf=pdf)
    central.mailbox.wait_for(lambda ms: any(document_id in str(m["Subject"]) for m in ms))
    (message,) = [m for m in central.mailbox.messages if document_id in str(m["Subject"])]
    assert str(message["To"]) == ADDRESS
    assert str(message["Subject"]) == f"Uw verzegeld document {document_id}"
    assert message["Content-Language"] == "nl"
    attached = _attachment(message)
    assert attached == pdf
    path = tmp_path / f"{document_id}.pdf"
    path.write_bytes(attached)
    pdfsig = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    assert "Signature is Valid" in pdfsig.stdout
    # neither the address nor the PDF is left anywhere in the database, nor in the log
    cells = _cells(central)
    assert not any(ADDRESS in cell or "marie.dupont" in cell for cell in cells)
    chunk = base64.b64encode(pdf[:300]).decode()[:200]
    assert not any(chunk in cell or "%PDF" in cell for cell in cells)
    assert "example.be" in cells  # the audit keeps the domain
    log = central.server.log_path.read_text(encoding="utf-8")
    assert ADDRESS not in log
    assert "marie.dupont" not in log
    mails = [e for e in map(json.loads, log.splitlines()) if e.get("msg") == "document mail"]
    assert any(e["document_id"] == document_id and e["outcome"] == "sent" for e in mails)


def _raw_email(
    central: Central, token: str, document_id: str, body: dict[str, str]
) -> requests.Response:
    return requests.post(
        f"{central.server.url}/api/v1/documents/{document_id}/email",
        data=json.dumps(body),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        },
        verify=str(central.tls.ca_cert_path),
        timeout=30,
    )


def test_another_kiosks_document_is_refused(central: Central, seal: Seal) -> None:
    with central.kiosk() as issuer, central.kiosk() as other:
        document_id = _issue(issuer)
        with pytest.raises(CentralUnauthorized) as caught:
            other.email_document(document_id, address=ADDRESS, language="fr", pdf=seal(document_id))
    assert caught.value.params == {
        "path": f"/api/v1/documents/{document_id}/email",
        "status": "403",
        "code": "auth.forbidden",
    }


def test_a_document_issued_long_ago_is_refused(central: Central, seal: Seal) -> None:
    with central.kiosk() as kiosk:
        document_id = _issue(kiosk, age=timedelta(hours=2))
        with pytest.raises(CentralUnauthorized) as caught:
            kiosk.email_document(document_id, address=ADDRESS, language="fr", pdf=seal(document_id))
    assert caught.value.params["code"] == "document.too_old"


def test_a_bad_address_is_a_422_naming_the_field_not_the_value(central: Central) -> None:
    kiosk_id = f"kiosk-{uuid.uuid4().hex[:10]}"
    token = kiosk_token(central.server, kiosk_id, ca_file=central.tls.ca_cert_path)
    for address in ("marie.dupont", "marie@localhost", "marie dupont@example.be", "a@b@c.be"):
        answer = _raw_email(
            central,
            token,
            "2026-00000001",
            {"address": address, "language": "fr", "pdf": "JVBERi0x"},
        )
        assert answer.status_code == 422
        body = answer.json()
        assert body["code"] == "request.invalid"
        assert [f["loc"] for f in body["fields"]] == ["body.address"]
        assert address not in answer.text


def test_a_pdf_that_is_not_the_document_is_refused(central: Central, seal: Seal) -> None:
    with central.kiosk() as kiosk:
        document_id = _issue(kiosk)
        other = seal(f"2026-{uuid.uuid4().hex[:8]}")
        with pytest.raises(CentralRejected) as caught:
            kiosk.email_document(document_id, address=ADDRESS, language="fr", pdf=other)
        tampered = bytearray(seal(document_id))
        tampered[len(tampered) // 3] ^= 0x01
        with pytest.raises(CentralRejected) as tampered_caught:
            kiosk.email_document(document_id, address=ADDRESS, language="fr", pdf=bytes(tampered))
    assert (caught.value.status, caught.value.code) == (422, "document.mismatch")
    assert tampered_caught.value.code == "document.mismatch"


def test_smtp_down_is_a_clean_503_and_mails_are_rate_limited(
    central_without_mail: Central, seal: Seal
) -> None:
    central = central_without_mail
    with central.kiosk() as kiosk:
        document_id = _issue(kiosk)
        pdf = seal(document_id)
        for _ in range(3):
            with pytest.raises(CentralUnavailable) as caught:
                kiosk.email_document(document_id, address=ADDRESS, language="de", pdf=pdf)
            assert caught.value.params["status"] == "503"
        with pytest.raises(CentralUnavailable) as limited:
            kiosk.email_document(document_id, address=ADDRESS, language="de", pdf=pdf)
    assert limited.value.params["status"] == "429"
    assert limited.value.retry_after is not None
    assert limited.value.retry_after > 0
    log = central.server.log_path.read_text(encoding="utf-8")
    outcomes = [
        e["outcome"] for e in map(json.loads, log.splitlines()) if e.get("msg") == "document mail"
    ]
    assert outcomes == ["mail_failed"] * 3
    assert ADDRESS not in log


def test_my_requests_lists_the_proved_residents_documents_only(central: Central) -> None:
    with central.kiosk() as kiosk, central.kiosk() as elsewhere:
        marie_ref = kiosk.register_extract(MARIE, citizen_proof(kiosk, MARIE)).holder_ref
        jan_ref = kiosk.register_extract(JAN, citizen_proof(kiosk, JAN, persona="jan")).holder_ref
        assert marie_ref is not None
        assert jan_ref is not None
        assert marie_ref != jan_ref
        assert (
            marie_ref
            == elsewhere.register_extract(MARIE, citizen_proof(elsewhere, MARIE)).holder_ref
        )
        first = _issue(kiosk, age=timedelta(days=3), holder_ref=marie_ref)
        second = _issue_as_the_kiosk_does(
            elsewhere, elsewhere.register_extract(MARIE, citizen_proof(elsewhere, MARIE))
        )
        jans = _issue(kiosk, holder_ref=jan_ref)
        _issue(kiosk)  # an older kiosk's record: no holder reference
        listed = kiosk.citizen_requests(MARIE, citizen_proof(kiosk, MARIE))
        assert [d.document_id for d in listed.documents] == [second, first]
        assert {d.kiosk_id for d in listed.documents} == {kiosk.kiosk_id, elsewhere.kiosk_id}
        assert all(
            (d.document_type, d.verification_code) == ("household", "1a2b3c4d5e6f")
            for d in listed.documents
        )
        jan_listed = kiosk.citizen_requests(JAN, citizen_proof(kiosk, JAN, persona="jan"))
        assert [d.document_id for d in jan_listed.documents] == [jans]
        # a card proves only its own holder
        with pytest.raises(CentralUnauthorized):
            kiosk.citizen_requests(JAN, citizen_proof(kiosk, MARIE))
    cells = _cells(central)
    assert not any(MARIE in cell or JAN in cell for cell in cells)
    log = central.server.log_path.read_text(encoding="utf-8")
    assert MARIE not in log
    lookups = [e for e in map(json.loads, log.splitlines()) if e.get("msg") == "register lookup"]
    assert [e["outcome"] for e in lookups if e["kiosk_id"] == kiosk.kiosk_id][-3:] == [
        "requests_listed",
        "requests_listed",
        "register.proof_refused",
    ]
