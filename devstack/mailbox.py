"""The demo's mail server: an SMTP server on loopback (aiosmtpd) that keeps every message it is
given as a `.eml` file, instead of sending it on.

The simulated stack points the central at it (`BORNE_CENTRAL_SMTP`), so the sealed PDFs a resident
has e-mailed at the kiosk, and the fleet's alert mails, land in `var/run/mail/`: a clerk in
training opens them with any mail program and sees what the resident receives. Files are named
`<sequence>-<recipient domain>.eml` and are the resident's: the folder is private to the user
running the demo (0700) and `kiosk sim down` leaves it for inspection; delete it like the rest of
`var/`.

    with DemoMailbox(directory) as box:
        env["BORNE_CENTRAL_SMTP"] = box.address
"""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller

log = logging.getLogger(__name__)
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every recipient at INFO


class _Keeper:
    """aiosmtpd's handler: one file per message, written whole then renamed into place."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._count = len(list(directory.glob("*.eml")))

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        recipients = [str(r) for r in envelope.rcpt_tos]
        domain = recipients[0].rpartition("@")[2].lower() if recipients else "nobody"
        safe = "".join(c for c in domain if c.isalnum() or c in ".-") or "nobody"
        with self._lock:
            self._count += 1
            name = f"{self._count:04d}-{safe}.eml"
        content = envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        partial = self.directory / f".{name}.part"
        partial.write_bytes(data)
        partial.chmod(0o600)
        partial.rename(self.directory / name)
        log.info("demo_mail_kept", extra={"file": name, "recipients": len(recipients)})
        return "250 kept"


class DemoMailbox:
    """The SMTP server; `address` is what `BORNE_CENTRAL_SMTP` takes ("127.0.0.1:port")."""

    def __init__(self, directory: Path, *, host: str = "127.0.0.1") -> None:
        self.directory = directory
        self.host = host
        self.port = 0
        self._controller: Controller | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def messages(self) -> list[Path]:
        """The kept messages, oldest first."""
        return sorted(self.directory.glob("*.eml"))

    def start(self) -> str:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.directory.chmod(0o700)
        with socket.socket() as probe:
            probe.bind((self.host, 0))
            self.port = int(probe.getsockname()[1])
        controller = Controller(_Keeper(self.directory), hostname=self.host, port=self.port)
        controller.start()
        self._controller = controller
        log.info("demo_mailbox_started", extra={"address": self.address})
        return self.address

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
