"""Fixtures of the fleet tests: the fleet service on a real database with a test clock, a REAL
SMTP server (aiosmtpd) on loopback, heartbeat factories."""

from __future__ import annotations

import socket
import threading
import tomllib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from central.fleet import FleetService
from central.settings import CentralSettings
from central.store import SqlCentralStore
from offline_queue.managed_config import managed_subset
from offline_queue.wire import DeviceHealth, Heartbeat, IssuanceRecord, PaymentStatus
from tests.sync.conftest import FakeClock


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    """What the SMTP server received; `wait_for` blocks on a condition, never on a fixed sleep."""

    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    _condition: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._condition:
            self.messages.append(message_from_bytes(envelope.content))
            self.envelopes.append((envelope.mail_from, tuple(envelope.rcpt_tos)))
            self._condition.notify_all()
        return "250 OK"

    def wait_for(self, predicate: Callable[[list[Message]], bool], timeout: float = 20.0) -> None:
        with self._condition:
            assert self._condition.wait_for(lambda: predicate(self.messages), timeout=timeout), (
                f"mail not received; got {[m['Subject'] for m in self.messages]}"
            )

    def subjects(self) -> list[str]:
        with self._condition:
            return [str(m["Subject"]) for m in self.messages]


@contextmanager
def running_mailbox() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on a free loopback port."""
    box = Mailbox(host="127.0.0.1", port=free_port())
    controller = Controller(box, hostname=box.host, port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as box:
        yield box


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_fleet(
    db_url: str, clock: FakeClock, **overrides: Any
) -> tuple[FleetService, SqlCentralStore]:
    store = SqlCentralStore(db_url)
    settings = CentralSettings(db_url=db_url, **overrides)
    return FleetService(store.engine, settings=settings, clock=clock), store


@pytest.fixture
def fleet(db_url: str, clock: FakeClock) -> Iterator[FleetService]:
    service, store = make_fleet(db_url, clock)
    try:
        yield service
    finally:
        service.stop()
        store.close()


@pytest.fixture
def kiosk_id() -> str:
    return f"kiosk-{uuid.uuid4().hex[:10]}"


def heartbeat(
    kiosk_id: str,
    *,
    at: float,
    health: dict[str, DeviceHealth] | None = None,
    **fields: Any,
) -> Heartbeat:
    return Heartbeat(
        kiosk_id=kiosk_id,
        version="1.4.0",
        sent_at=datetime.fromtimestamp(at, tz=UTC),
        health=health or {"printer": DeviceHealth(state="ok")},
        **fields,
    )


def record(
    kiosk_id: str,
    *,
    amount_cents: int = 250,
    payment_status: PaymentStatus = PaymentStatus.APPROVED,
    outcome: str = "completed",
    documents: int = 1,
    occurred_at: datetime = datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
) -> IssuanceRecord:
    ids = tuple(f"DOC-{uuid.uuid4().hex[:10]}" for _ in range(documents))
    return IssuanceRecord(
        operation_id=f"op-{uuid.uuid4().hex}",
        kiosk_id=kiosk_id,
        occurred_at=occurred_at,
        outcome=outcome,
        documents=("residence",) * len(ids),
        document_ids=ids,
        amount_cents=amount_cents,
        payment_status=payment_status,
    )


def valid_settings() -> dict[str, object]:
    """The central-managed settings of the demo `kiosk.toml`: a configuration a kiosk applies."""
    data = tomllib.loads((Path(__file__).resolve().parents[3] / "kiosk.toml").read_text("utf-8"))
    return managed_subset(data)
