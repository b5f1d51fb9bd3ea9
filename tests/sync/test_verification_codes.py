"""The verification code of each issued document: wire, store, page, and the REAL central server."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from pydantic import ValidationError

from central.db import current_revision, head_revision, sqlite_url
from central.process import RunningCentral
from central.store import DocumentIssue, SqlCentralStore
from central.verify_page import Verdict, judge, render_verify_page
from kiosk.adapters.sync import record_to_wire
from kiosk.ports import IssuanceRecord as PortRecord
from offline_queue.client import CentralClient
from offline_queue.wire import (
    IssuanceRecord,
    RecordBatch,
    format_verification_code,
    normalise_verification_code,
)
from tests.sync.factories import issuance_record

CODE = "1a2b3c4d5e6f"
PRINTED = "1A2B-3C4D-5E6F"
AT = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)

MATCH_EN = "This paper matches the document issued on 2026-11-23 11:30 by kiosk"  # Brussels time
MISMATCH_EN = "the code on this paper does not match: it may have been altered"


# -- wire ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", [CODE, PRINTED, "1A2B3C4D5E6F", " 1a2b-3C4D-5e6f ", "1a2b 3c4d 5e6f"]
)
def test_codes_are_normalised(text: str) -> None:
    assert normalise_verification_code(text) == CODE


@pytest.mark.parametrize("text", ["", "1a2b3c4d5e6", "1a2b3c4d5e6f0", "1a2b3c4d5e6g", "x" * 100])
def test_malformed_codes_are_not_codes(text: str) -> None:
    assert normalise_verification_code(text) is None


def test_format_groups_the_code_as_printed() -> None:
    assert format_verification_code(CODE) == PRINTED


def test_record_codes_are_normalised_and_one_per_document() -> None:
    record = issuance_record(
        kiosk_id="k1", document_ids=("D-1", "D-2"), document_codes=(PRINTED, "ABCDEF012345")
    )
    assert record.document_codes == (CODE, "abcdef012345")
    assert IssuanceRecord.model_validate_json(record.model_dump_json()) == record
    with pytest.raises(ValidationError):
        issuance_record(kiosk_id="k1", document_ids=("D-1", "D-2"), document_codes=(CODE,))
    with pytest.raises(ValidationError):
        issuance_record(kiosk_id="k1", document_ids=("D-1",), document_codes=("not-a-code",))


def test_records_of_older_kiosks_without_codes_are_accepted() -> None:
    legacy = issuance_record(kiosk_id="k1", document_ids=("D-1",)).model_dump(mode="json")
    del legacy["document_codes"]
    assert IssuanceRecord.model_validate(legacy).document_codes == ()


def test_the_kiosk_maps_its_codes_onto_the_wire() -> None:
    record = PortRecord(
        operation_id="op-1",
        kiosk_id="k1",
        outcome="completed",
        documents=("household",),
        document_ids=("D-1",),
        amount_cents=250,
        payment_status="approved",
        receipt_number="R-1",
        document_codes=(PRINTED,),
    )
    assert record_to_wire(record, occurred_at=AT).document_codes == (CODE,)


# -- store and page --------------------------------------------------------------------------------


# The first schema of the hand-written SQLite store (its `user_version` 1), as such files hold it.
_VERSION_1_SCHEMA = """
CREATE TABLE records (
    seq INTEGER PRIMARY KEY, kiosk_id TEXT NOT NULL, operation_id TEXT NOT NULL,
    occurred_at TEXT NOT NULL, received_at TEXT NOT NULL, outcome TEXT NOT NULL,
    record_json TEXT NOT NULL, UNIQUE (kiosk_id, operation_id)
);
CREATE TABLE documents (
    document_id TEXT PRIMARY KEY, record_seq INTEGER NOT NULL REFERENCES records(seq),
    kiosk_id TEXT NOT NULL, document_type TEXT, issued_at TEXT NOT NULL
);
CREATE TABLE kiosks (
    kiosk_id TEXT PRIMARY KEY, received_at TEXT NOT NULL, heartbeat_json TEXT NOT NULL
);
"""


def test_a_version_1_database_is_migrated_and_keeps_its_documents(tmp_path: Path) -> None:
    path = tmp_path / "central.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(_VERSION_1_SCHEMA)
    db.execute(
        "INSERT INTO records VALUES (1, 'k1', 'op-1', ?, ?, 'completed', '{}')",
        (AT.isoformat(), AT.isoformat()),
    )
    db.execute("INSERT INTO documents VALUES ('D-OLD', 1, 'k1', 'household', ?)", (AT.isoformat(),))
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()

    store = SqlCentralStore(sqlite_url(path))
    try:
        old = store.find_document("D-OLD")
        assert old is not None
        assert old.verification_code is None
        batch = RecordBatch(
            batch_id="b",
            kiosk_id="k1",
            records=(
                issuance_record(kiosk_id="k1", document_ids=("D-NEW",), document_codes=(PRINTED,)),
            ),
        )
        store.add_records(batch, received_at=AT)
        new = store.find_document("D-NEW")
        assert new is not None
        assert new.verification_code == CODE
        assert current_revision(store.engine) == head_revision()
    finally:
        store.close()


def _issue(code: str | None) -> DocumentIssue:
    return DocumentIssue(
        document_id="D-1",
        document_type="household",
        kiosk_id="k1",
        issued_at=AT,
        verification_code=code,
    )


@pytest.mark.parametrize(
    ("issue", "presented", "verdict"),
    [
        (None, CODE, Verdict.NOT_FOUND),
        (_issue(CODE), CODE, Verdict.MATCH),
        (_issue(CODE), PRINTED, Verdict.MATCH),
        (_issue(CODE), "ffffffffffff", Verdict.MISMATCH),
        (_issue(CODE), "garbage", Verdict.MISMATCH),
        (_issue(CODE), None, Verdict.ISSUED),
        (_issue(CODE), "", Verdict.ISSUED),
        (_issue(None), CODE, Verdict.NO_CODE),
        (_issue(None), None, Verdict.NO_CODE),
    ],
)
def test_judge(issue: DocumentIssue | None, presented: str | None, verdict: Verdict) -> None:
    assert judge(issue, presented) is verdict


def test_a_third_party_sees_type_commune_kiosk_and_local_time_only() -> None:
    summer = DocumentIssue(
        document_id="D-7",
        document_type="residence_history",
        kiosk_id="k1",
        issued_at=datetime(2026, 7, 1, 8, 5, tzinfo=UTC),
        verification_code=CODE,
    )
    page = render_verify_page("D-7", summer, presented=CODE, commune="Démo-sur-Meuse")
    # Europe/Brussels: UTC+2 in summer, UTC+1 in winter (AT is 10:30 UTC in November)
    assert "2026-07-01 10:05" in page
    assert "UTC" not in page
    for name in (
        "Certificat de résidence avec historique",
        "Bewijs van woonst met historiek",
        "Wohnsitzbescheinigung mit Verlauf",
        "Certificate of residence with history",
    ):
        assert name in page
    for label in (
        "<dt>Commune</dt><dd>Démo-sur-Meuse</dd>",
        "<dt>Gemeente</dt>",
        "<dt>Gemeinde</dt>",
    ):
        assert label in page
    assert render_verify_page("D-1", _issue(CODE)).count("11:30") == 4


def test_a_document_without_a_recorded_code_is_only_said_issued() -> None:
    page = render_verify_page("D-1", _issue(None), presented=CODE)
    assert page.count('data-verdict="issued"') == 4
    assert page.count('data-code="none"') == 4
    assert "No verification code was recorded for this document." in page


# -- the real central server -----------------------------------------------------------------------


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def recorded(client: CentralClient, kiosk_id: str) -> str:
    """A document recorded on the central server with the code `CODE`; its id."""
    document_id = f"DOC-{uuid.uuid4().hex[:12]}"
    record = issuance_record(
        kiosk_id=kiosk_id, document_ids=(document_id,), document_codes=(PRINTED,)
    )
    client.post_records(
        RecordBatch(batch_id=f"b-{uuid.uuid4().hex}", kiosk_id=kiosk_id, records=(record,))
    )
    return document_id


def _verify(http: requests.Session, url: str, document_id: str, h: str | None) -> requests.Response:
    params = {"h": h} if h is not None else {}
    return http.get(f"{url}/verify/{document_id}", params=params, timeout=5)


@pytest.mark.central
@pytest.mark.parametrize("h", [CODE, PRINTED, PRINTED.lower(), CODE.upper()])
def test_verify_page_says_the_paper_matches(
    central: RunningCentral, http: requests.Session, recorded: str, kiosk_id: str, h: str
) -> None:
    page = _verify(http, central.url, recorded, h)
    assert page.status_code == 200
    assert page.text.count('data-verdict="match"') == 4
    assert f"{MATCH_EN} {kiosk_id}." in page.text
    assert "correspond au document délivré le 2026-11-23 11:30 par la borne" in page.text
    assert "komt overeen met het document" in page.text
    assert "entspricht dem Dokument" in page.text


@pytest.mark.central
def test_verify_page_warns_when_the_code_differs(
    central: RunningCentral, http: requests.Session, recorded: str
) -> None:
    for h in ("ffff-ffff-ffff", "<script>alert(1)</script>"):
        page = _verify(http, central.url, recorded, h)
        assert page.status_code == 200
        assert page.text.count('data-verdict="mismatch"') == 4
        assert MISMATCH_EN in page.text
        assert "Contact the commune." in page.text
        assert "contactez la commune" in page.text.lower()
        assert "Neem contact op met de gemeente." in page.text
        assert "Wenden Sie sich an die Gemeinde." in page.text
        assert PRINTED not in page.text  # the expected code is not handed to a forger
        assert "ffff" not in page.text.lower()
        assert "<script>" not in page.text


@pytest.mark.central
def test_verify_page_without_h_shows_the_expected_code(
    central: RunningCentral, http: requests.Session, recorded: str
) -> None:
    page = _verify(http, central.url, recorded, None)
    assert page.status_code == 200
    assert page.text.count('data-verdict="issued"') == 4
    assert page.text.count(PRINTED) == 4
    assert "Compare it with the code printed under the QR code." in page.text


@pytest.mark.central
def test_verify_page_for_an_unknown_document_is_not_found(
    central: RunningCentral, http: requests.Session
) -> None:
    page = _verify(http, central.url, f"DOC-{uuid.uuid4().hex[:12]}", CODE)
    assert page.status_code == 404
    assert page.text.count('data-verdict="not-found"') == 4
    assert CODE not in page.text
