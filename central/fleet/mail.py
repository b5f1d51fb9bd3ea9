"""Alert e-mails through SMTP (smtplib), sent from one background thread.

A mail names the kiosk, the alert and what to do about it (in the configured languages); it holds
no personal data (alerts have none). A mail that cannot be sent is logged for staff and dropped:
the alert itself stays in the database and on the console.
"""

from __future__ import annotations

import logging
import queue
import smtplib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Final

from central.fleet.alerts import AlertKind
from central.fleet.texts import describe, text

logger = logging.getLogger(__name__)

_STOP: Final = object()


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertMail:
    alert_id: int
    kiosk_id: str
    kind: AlertKind
    detail: str
    opened_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MailSettings:
    host: str
    port: int
    sender: str
    recipients: Mapping[str, tuple[str, ...]]
    languages: tuple[str, ...]


def recipients_for(kind: AlertKind, configured: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    listed = (*configured.get(kind.value, ()), *configured.get("*", ()))
    return tuple(dict.fromkeys(listed))


def compose(mail: AlertMail, *, settings: MailSettings, to: tuple[str, ...]) -> EmailMessage:
    """The message of one alert: subject with kiosk and alert title, body with what to do."""
    first = settings.languages[0] if settings.languages else "en"
    message = EmailMessage()
    title = text(mail.kind.title_key, first)
    message["Subject"] = f"[Borne] {text('fleet.mail.subject', first)}: {mail.kiosk_id}: {title}"
    message["From"] = settings.sender
    message["To"] = ", ".join(to)
    opened = datetime.fromtimestamp(mail.opened_at, tz=UTC).isoformat(timespec="seconds")
    lines = [
        f"kiosk: {mail.kiosk_id}",
        f"alert: {mail.kind.value} #{mail.alert_id}",
        f"opened: {opened}",
        f"detail: {mail.detail}" if mail.detail else "",
        "",
    ]
    for language in settings.languages:
        lines += [
            f"[{language}] {text(mail.kind.title_key, language)}",
            *([describe(mail.detail, language)] if mail.detail else []),
            text(mail.kind.action_key, language),
            "",
        ]
    message.set_content("\n".join(line for line in lines if line is not None))
    return message


class AlertMailer:
    """Queues alert mails and sends them from its own thread; `stop()` drains and joins."""

    def __init__(self, settings: MailSettings, *, timeout: float = 10.0) -> None:
        self._settings = settings
        self._timeout = timeout
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="fleet-mailer", daemon=True)
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def stop(self) -> None:
        if self._started:
            self._queue.put(_STOP)
            self._thread.join(timeout=self._timeout * 2)
            self._started = False

    def submit(self, mail: AlertMail) -> None:
        if recipients_for(mail.kind, self._settings.recipients):
            self._queue.put(mail)

    def _run(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            if isinstance(item, AlertMail):
                self._send(item)

    def _send(self, mail: AlertMail) -> None:
        to = recipients_for(mail.kind, self._settings.recipients)
        message = compose(mail, settings=self._settings, to=to)
        try:
            with smtplib.SMTP(
                self._settings.host, self._settings.port, timeout=self._timeout
            ) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as err:
            logger.warning(
                "alert mail not sent",
                extra={
                    "alert_id": mail.alert_id,
                    "kind": mail.kind.value,
                    "error": repr(err)[:200],
                },
            )
            return
        logger.info(
            "alert mailed",
            extra={"alert_id": mail.alert_id, "kind": mail.kind.value, "recipients": len(to)},
        )
