"""The sealed PDFs by e-mail through the whole stack: `kiosk demo --autoplay --email ADDRESS` types
the address on the on-screen keyboard of the real screens, the kiosk's sync client sends each
sealed PDF over TLS to the real central, which checks the seal and mails it through a real SMTP
server (the demo's mail server, aiosmtpd). The mail holds exactly the PDF handed out, pdfsig
accepts its signature, and the address is in no log of the kiosk or the central."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.journey.conftest import lp_readable_dir, run_autoplay

pytestmark = [
    pytest.mark.ui,
    pytest.mark.pcsc,
    pytest.mark.hsm,
    pytest.mark.cups,
    pytest.mark.central,
    pytest.mark.serial,
    pytest.mark.slow,
]

SESSIONS = 2
LOCAL = "marie.dupont-7"
ADDRESS = f"{LOCAL}@example.be"


@pytest.fixture(scope="module")
def email_run() -> Iterator[tuple[dict[str, Any], Path, str]]:
    var_dir = lp_readable_dir("borne-email-")
    done = run_autoplay(var_dir, sessions=SESSIONS, args=("--email", ADDRESS))
    assert done.returncode == 0, done.stderr[-3000:]
    yield json.loads(done.stdout.splitlines()[-1]), var_dir, done.stderr
    shutil.rmtree(var_dir, ignore_errors=True)


def _mails(var_dir: Path) -> list[EmailMessage]:
    files = sorted((var_dir / "run" / "mail").glob("*.eml"))
    return [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]


def _attachment(message: EmailMessage) -> bytes:
    (part,) = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


def test_each_resident_receives_the_sealed_pdf_they_were_handed(
    email_run: tuple[dict[str, Any], Path, str], tmp_path: Path
) -> None:
    result, var_dir, _ = email_run
    assert result["outcome"] == "completed"
    assert result["completed"] == SESSIONS
    mails = _mails(var_dir)
    assert len(mails) == SESSIONS  # one document each, mailed once
    by_document = {}
    for message in mails:
        assert str(message["To"]) == ADDRESS
        (document_id,) = [
            j["document_ids"][0]
            for j in result["journeys"]
            if j["document_ids"][0] in str(message["Subject"])
        ]
        by_document[document_id] = message
    for journey in result["journeys"]:
        (document_id,) = journey["document_ids"]
        attached = _attachment(by_document[document_id])
        (sealed,) = [Path(p) for p in journey["sealed_pdfs"]]
        assert attached == sealed.read_bytes()
        path = tmp_path / f"{document_id}.pdf"
        path.write_bytes(attached)
        pdfsig = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
        assert "Signature is Valid" in pdfsig.stdout, pdfsig.stdout + pdfsig.stderr
    assert {j["steps_ms"].get("email.household") is not None for j in result["journeys"]} == {True}


def test_the_address_is_in_no_log_and_the_central_audits_its_domain_only(
    email_run: tuple[dict[str, Any], Path, str],
) -> None:
    _, var_dir, stderr = email_run
    logs = [p.read_text(encoding="utf-8", errors="replace") for p in (var_dir / "log").glob("*")]
    for text in [*logs, stderr]:
        assert LOCAL not in text
    events = [
        json.loads(line) for line in (var_dir / "log" / "kiosk.jsonl").read_text().splitlines()
    ]
    assert sum(e.get("event") == "document_emailed" for e in events) == SESSIONS
    assert [
        e["to"] for e in events if e.get("event") == "state_change" and e.get("from") == "emailing"
    ] == ["take_documents"] * SESSIONS
    with sqlite3.connect(var_dir / "data" / "central.sqlite") as db:
        rows = db.execute("SELECT outcome, address_domain FROM citizen_mailings").fetchall()
    assert rows == [("sent", "example.be")] * SESSIONS
