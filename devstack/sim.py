"""The simulated hardware stack: real daemons and the product's own simulators, owned by this code.

`SimStack` starts, in order, the test PKI and the SoftHSM2 seal token, pcscd with the vpcd reader
and the virtual eID card, the ZVT terminal simulator on a pty, a private cupsd with a cups-pdf
queue, and the central server over HTTPS (TEST CA) on a free loopback port, with the kiosk
enrolled under its own key (`devstack.enrollment`). Tests, `kiosk demo` and `kiosk sim up` all
use it, so what is tested is what is demonstrated. A part that fails to start stops the parts
already started and raises `SimStartError` naming the part, the reason and its log tail.

Where a daemon cannot be installed (a laptop without apt), its part falls back to an in-process
stand-in (`devstack.fallbacks`), announced loudly and recorded in `SimStack.fallbacks` (and in the
endpoints). The ZVT simulator and the central server need nothing from apt and always run for
real. `kiosk sim up / down / serve` run the stack in a detached process (`devstack.sim_process`).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from smartcard import scard

from central.db import sqlite_url
from central.process import RunningCentral, start_central
from central.settings import SMTP_ENV, SMTP_FROM_ENV
from devstack.cupsd import CupsdService
from devstack.demo_pki import MunicipalPki, ensure_central_tls, ensure_municipal_pki
from devstack.enrollment import DEMO_KIOSK_ID, enroll_demo_kiosk, kiosk_key_path
from devstack.fallbacks import Fallback, SimStartError, plan_fallbacks
from devstack.folder_printer import FolderPrinter
from devstack.kiosk_token import ensure_kiosk_token
from devstack.mailbox import DemoMailbox
from devstack.register import DEMO_REGISTER
from devstack.softhsm import ensure_token
from devstack.software_seal import SoftwareSealer
from hardware.eid import transport as eid_transport
from hardware.simulators.eid import (
    CardPki,
    InProcessCardTransport,
    VirtualCard,
    ensure_card_pki,
    persona_pin,
)
from hardware.simulators.eid.pinpad import SimulatedPinpad
from hardware.simulators.pcscd import PcscdService, list_readers
from hardware.simulators.zvt import TerminalSimulator
from kiosk.adapters.kiosk_key import Pkcs11KioskKey
from printing.seal import Sealer
from printing.token import TokenConfig

log = logging.getLogger(__name__)

DEMO_SENDER = "borne@demo.invalid"
"""The sender of what the demo's central mails (the demo mail server keeps it all)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SimEndpoints:
    """Where each simulated part listens (printed as one JSON line by `kiosk sim up`)."""

    persona: str
    pcscd_socket: str
    reader_prefix: str
    vpcd_port: int
    payment_port: str
    printer: str
    cups_server: str
    print_output: str
    central_url: str
    card_test_roots: str
    municipal_root: str
    softhsm_conf: str
    pid: int
    fallbacks: tuple[str, ...] = ()
    """Parts simulated in-process (see `FALLBACK_PARTS`); empty on the real stack."""
    central_ca: str = ""
    """The central's TEST CA, which the kiosk pins (the central is served over HTTPS)."""
    kiosk_id: str = ""
    kiosk_key: str = ""
    """The enrolled kiosk's own key file (0600), where SoftHSM2 is missing: the kiosk signs in with
    it, no shared token."""
    kiosk_key_token: str = ""
    """The PKCS#11 token (in `softhsm_conf`) holding the enrolled kiosk's own key."""
    mail_output: str = ""
    """Where the demo's mail server keeps what the central mails (`devstack.mailbox`)."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def prepare_pki(var_dir: Path) -> tuple[CardPki, MunicipalPki]:
    """Test PKI for the cards and the municipality (idempotent; needs nothing from apt)."""
    card = ensure_card_pki(var_dir / "pki" / "card")
    municipal = ensure_municipal_pki(var_dir / "pki" / "municipal")
    return card, municipal


def prepare_credentials(var_dir: Path) -> tuple[Path, Path, TokenConfig]:
    """Test PKI for the cards and the municipality, and the SoftHSM2 seal token (idempotent)."""
    card, municipal = prepare_pki(var_dir)
    token = ensure_token(base_dir=var_dir / "hsm", pki=municipal)
    return card.test_roots_pem, municipal.root_cert_path, token


class SimStack:
    """Starts and stops the whole simulated stack; also drives the virtual card (insert/remove).

    A daemon that is not installed is replaced by its in-process stand-in (`fallbacks`, decided
    by `plan_fallbacks` at `start`); `require_real` (default: `BORNE_REQUIRE_REAL_STACK`) forbids it.
    """

    def __init__(
        self,
        *,
        var_dir: Path,
        persona: str = "marie",
        card_inserted: bool = False,
        require_real: bool | None = None,
        kiosk_id: str = DEMO_KIOSK_ID,
        pinpad: bool = False,
    ) -> None:
        """`pinpad`: the vpcd reader is a pinpad reader (`hardware.simulators.eid.pinpad`, at the
        SCardControl level; the card and pcscd stay real); `type_on_reader` is its keypad."""
        self.var_dir = var_dir.resolve()
        self._pinpad_wanted = pinpad
        self.pinpad: SimulatedPinpad | None = None
        self.kiosk_id = kiosk_id
        self.persona = persona
        self._card_inserted_at_start = card_inserted
        self._require_real = require_real
        self.fallbacks: tuple[Fallback, ...] = ()
        self.token: TokenConfig | None = None
        self.municipal_pki: MunicipalPki | None = None
        self.pcscd: PcscdService | None = None
        self.card: VirtualCard | None = None
        self.card_transport: InProcessCardTransport | None = None
        self.folder_printer: FolderPrinter | None = None
        self.terminal: TerminalSimulator | None = None
        self.cupsd: CupsdService | None = None
        self.central: RunningCentral | None = None
        self.mailbox: DemoMailbox | None = None
        self.endpoints: SimEndpoints | None = None
        self._stops: list[Callable[[], object]] = []
        self._removed_at = 0.0
        self.reader_name = ""

    @property
    def pin(self) -> str:
        return persona_pin(self.persona)

    def type_on_reader(self, pin: str) -> None:
        """Type `pin` and OK on the simulated pinpad (queued until the kiosk asks)."""
        if self.pinpad is None:
            raise RuntimeError("this stack's reader has no pinpad")
        self.pinpad.type_pin(pin)

    # -- life cycle -------------------------------------------------------------------------
    def simulated(self, part: str) -> bool:
        """True when `part` ("pcscd", "cupsd", "softhsm2") runs in-process in this stack."""
        return any(f.part == part for f in self.fallbacks)

    def sealer_factory(self, *, location: str) -> Callable[[], Sealer] | None:
        """The software sealer's factory when SoftHSM2 fell back (None: use the token)."""
        pki = self.municipal_pki
        if not self.simulated("softhsm2") or pki is None:
            return None
        return lambda: SoftwareSealer(pki=pki, location=location)

    def start(self) -> SimEndpoints:
        self.fallbacks = plan_fallbacks(require_real=self._require_real)
        for fallback in self.fallbacks:
            log.warning(
                "sim_fallback",
                extra={"part": fallback.part, "announcement": fallback.announcement},
            )
        try:
            return self._start_all()
        except BaseException:
            self.stop()
            raise

    def _start_all(self) -> SimEndpoints:
        for sub in ("run", "log", "data"):
            (self.var_dir / sub).mkdir(parents=True, exist_ok=True, mode=0o755)
        card_pki, self.municipal_pki = self._step("test PKI", lambda: prepare_pki(self.var_dir))
        card_roots, municipal_root = card_pki.test_roots_pem, self.municipal_pki.root_cert_path
        if not self.simulated("softhsm2"):
            municipal = self.municipal_pki
            self.token = self._step(
                "seal token",
                lambda: ensure_token(base_dir=self.var_dir / "hsm", pki=municipal),
            )

        if self.simulated("pcscd"):
            self._start_card_in_process(card_pki)
        else:
            self._start_card_on_pcscd(card_roots)

        link = self.var_dir / "run" / "zvt"
        self.terminal = TerminalSimulator(
            link_path=link, journal_path=self.var_dir / "data" / "zvt-terminal.json"
        )
        self._step("ZVT terminal simulator", self.terminal.start)
        self._stops.append(self.terminal.stop)

        printer, cups_server, print_output = self._start_printer()
        central_ca, kiosk_token = self._start_central(
            municipal_root=municipal_root, card_roots=card_roots
        )
        assert self.central is not None

        self.endpoints = SimEndpoints(
            persona=self.persona,
            pcscd_socket="" if self.card is None else "/run/pcscd/pcscd.comm",
            reader_prefix=self.reader_name,
            vpcd_port=0 if self.card is None else self.card.port,
            payment_port=str(link),
            printer=printer,
            cups_server=cups_server,
            print_output=str(print_output),
            central_url=self.central.url,
            central_ca=str(central_ca),
            kiosk_id=self.kiosk_id,
            kiosk_key="" if kiosk_token is not None else str(kiosk_key_path(self.var_dir)),
            kiosk_key_token="" if kiosk_token is None else kiosk_token.token_label,
            mail_output="" if self.mailbox is None else str(self.mailbox.directory),
            card_test_roots=str(card_roots),
            municipal_root=str(municipal_root),
            softhsm_conf="" if self.token is None else str(self.token.conf_path),
            pid=os.getpid(),
            fallbacks=tuple(f.part for f in self.fallbacks),
        )
        log.info("sim_stack_up", extra={"endpoints": asdict(self.endpoints)})
        return self.endpoints

    def _start_printer(self) -> tuple[str, str, Path]:
        """The private cupsd with its cups-pdf queue, or the folder printer: (queue, server, out)."""
        if self.simulated("cupsd"):
            self.folder_printer = FolderPrinter(self.var_dir / "run" / "print-out")
            return "", "", self.folder_printer.directory
        cups_dir = self.var_dir / "run" / "cups"
        cups_dir.mkdir(parents=True, exist_ok=True)
        cups_dir.chmod(0o755)
        self.cupsd = CupsdService(cups_dir, queue_name="borne-pdf")
        self._step("cupsd", self.cupsd.start, log_tail=self.cupsd.log_tail)
        self._stops.append(self.cupsd.stop)
        return self.cupsd.printer_name, self.cupsd.server, self.cupsd.output_dir

    def _start_central(
        self, *, municipal_root: Path, card_roots: Path
    ) -> tuple[Path, TokenConfig | None]:
        """The central server over HTTPS, with this kiosk enrolled: (its CA to pin, the kiosk's
        key token, None where the key is a file)."""
        tls = self._step(
            "central TLS", lambda: ensure_central_tls(self.var_dir / "pki" / "central")
        )
        central_db = self.var_dir / "data" / "central.sqlite"
        mailbox = DemoMailbox(self.var_dir / "run" / "mail")
        self._step("demo mail server", mailbox.start)
        self._stops.append(mailbox.stop)
        self.mailbox = mailbox
        self.central = self._step(
            "central server",
            lambda: start_central(
                db_path=central_db,
                log_path=self.var_dir / "log" / "central.log",
                register_path=DEMO_REGISTER,
                seal_roots=(municipal_root,),
                citizen_roots=(card_roots,),
                tls=(tls.cert_path, tls.key_path),
                env={**os.environ, SMTP_ENV: mailbox.address, SMTP_FROM_ENV: DEMO_SENDER},
            ),
        )
        self._stops.append(self.central.stop)
        central_url = self.central.url
        kiosk_token = None
        if self.token is not None:
            kiosk_token = self._step(
                "kiosk key token", lambda: ensure_kiosk_token(base_dir=self.var_dir / "hsm")
            )
        self._step(
            "kiosk enrollment",
            lambda: self._enroll(
                central_url=central_url,
                db_url=sqlite_url(central_db),
                token=kiosk_token,
                ca_file=tls.ca_cert_path,
            ),
        )
        return Path(tls.ca_cert_path), kiosk_token

    def _enroll(
        self, *, central_url: str, db_url: str, token: TokenConfig | None, ca_file: Path
    ) -> None:
        """Enroll the kiosk with the key its token makes, or with a key file without SoftHSM2."""
        key = None if token is None else Pkcs11KioskKey.open_or_create(token)
        try:
            enroll_demo_kiosk(
                central_url=central_url,
                db_url=db_url,
                kiosk_id=self.kiosk_id,
                key_path=kiosk_key_path(self.var_dir) if key is None else None,
                key=key,
                ca_file=ca_file,
            )
        finally:
            if key is not None:
                key.close()

    def _start_card_on_pcscd(self, card_roots: Path) -> None:
        self.pcscd = PcscdService(
            log_path=self.var_dir / "log" / "pcscd.log",
            debug=os.environ.get("BORNE_PCSCD_DEBUG") == "1",
        )
        self._step("pcscd", self.pcscd.start, log_tail=self.pcscd.log_tail)
        self._stops.append(self.pcscd.stop)

        slot, self.reader_name = self._step("vpcd slot", self._free_slot)
        self.card = VirtualCard(
            self.persona,
            host=self.pcscd.vpcd_host,
            port=self.pcscd.vpcd_port(slot),
            pki_dir=card_roots.parent,
        )
        self._stops.append(self.card.close)
        if self._pinpad_wanted:
            pinpad, reader = SimulatedPinpad(), self.reader_name
            eid_transport.set_control_handler(reader, pinpad)
            self._stops.append(lambda: eid_transport.set_control_handler(reader, None))
            self.pinpad = pinpad
        if self._card_inserted_at_start:
            self._step("virtual eID card", self.card.insert)

    def _start_card_in_process(self, card_pki: CardPki) -> None:
        """The virtual card in a reader of this process, reachable by its name (no pcscd)."""
        if self._pinpad_wanted:
            log.warning("sim_pinpad_needs_pcscd")  # the in-process reader has no pinpad
        transport = InProcessCardTransport(
            self.persona, pki_dir=card_pki.directory, inserted=self._card_inserted_at_start
        )
        self.card_transport = transport
        self.reader_name = transport.reader_name
        eid_transport.plug_in(transport.reader_name, transport)
        self._stops.append(lambda: eid_transport.unplug(transport.reader_name))

    def _free_slot(self) -> tuple[int, str]:
        """The first vpcd slot with no card in it and not reserved by another stack on this host.

        A pcscd already running may serve other stacks too; each stack reserves its slot for its
        lifetime (`VpcdSlotReservation`), so two stacks whose cards are both out at start-up do not
        pick the same slot.
        """
        assert self.pcscd is not None
        names = sorted(n for n in list_readers() if n.startswith(self.pcscd.reader_prefix))
        for slot, name in enumerate(names):
            if reader_shows_card(name, present=True, timeout=0.0):
                continue
            reservation = VpcdSlotReservation.take(slot)
            if reservation is not None:
                self._stops.append(reservation.release)
                return slot, name
        msg = f"every vpcd slot holds a card or is reserved by another stack ({len(names)} readers)"
        raise RuntimeError(msg)

    def _step(
        self, part: str, action: Callable[[], Any], *, log_tail: Callable[[], str] | None = None
    ) -> Any:
        try:
            return action()
        except SimStartError:
            raise
        except Exception as err:
            tail = getattr(err, "log_tail", "") or (log_tail() if log_tail else "")
            raise SimStartError(
                part=part,
                reason=str(err).splitlines()[0] if str(err) else type(err).__name__,
                log_tail=tail,
            ) from err

    def stop(self) -> None:
        while self._stops:
            stop = self._stops.pop()
            try:
                stop()
            except Exception:
                log.exception("sim_part_stop_failed")
        self.endpoints = None

    def __enter__(self) -> SimStack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the resident's hand ----------------------------------------------------------------
    def insert_card(self) -> None:
        """Insert the card as a hand would, and wait until pcscd reports it.

        pcscd polls vpcd about every 0.4 s; a card pushed back within a poll of being pulled out
        can go unseen, which no hand is quick enough to do with a real reader. The simulated hand
        therefore leaves a poll between removal and insertion, and re-seats a card pcscd missed.
        """
        if self.card_transport is not None:
            self.card_transport.insert()  # the in-process reader sees it at once
            return
        assert self.card is not None
        assert self.pcscd is not None
        pause = threading.Event()
        since_removal = time.monotonic() - self._removed_at
        if since_removal < REINSERT_GAP_S:
            pause.wait(REINSERT_GAP_S - since_removal)
        for _ in range(3):
            self.card.insert()
            if reader_shows_card(self.reader_name, present=True, timeout=2.0):
                return
            log.warning("sim_card_not_seen_reseating")
            self.card.remove()
            reader_shows_card(self.reader_name, present=False, timeout=2.0)
        raise SimStartError(part="virtual eID card", reason="pcscd does not see the inserted card")

    def remove_card(self) -> None:
        if self.card_transport is not None:
            self.card_transport.remove()
            return
        assert self.card is not None
        self.card.remove()
        self._removed_at = time.monotonic()


REINSERT_GAP_S = 0.6


class VpcdSlotReservation:
    """A vpcd slot held by one stack: an abstract Unix socket bound under the slot's name.

    Abstract sockets belong to the network namespace, as vpcd's TCP ports do; the kernel frees
    the name when the holder exits, even after SIGKILL, so no stale reservation survives.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    @classmethod
    def take(cls, slot: int) -> VpcdSlotReservation | None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(f"\0borne-vpcd-slot-{slot}")
        except OSError:
            sock.close()
            return None
        return cls(sock)

    def release(self) -> None:
        self._sock.close()


def reader_shows_card(reader_prefix: str, *, present: bool, timeout: float) -> bool:
    """Wait until pcscd reports a card present (or absent) in the first reader named so."""
    code, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if code != scard.SCARD_S_SUCCESS:
        return False
    try:
        deadline = time.monotonic() + timeout
        state = scard.SCARD_STATE_UNAWARE
        while True:
            code, names = scard.SCardListReaders(context, [])
            name = next((n for n in names or [] if n.startswith(reader_prefix)), None)
            if name is None:
                return False
            remaining_ms = int(max(0.0, deadline - time.monotonic()) * 1000)
            code, states = scard.SCardGetStatusChange(context, remaining_ms, [(name, state)])
            if code == scard.SCARD_S_SUCCESS and states:
                state = states[0][1] & ~scard.SCARD_STATE_CHANGED
                if bool(state & scard.SCARD_STATE_PRESENT) == present:
                    return True
            elif code != scard.SCARD_E_TIMEOUT:
                return False
            if time.monotonic() >= deadline:
                return False
    finally:
        scard.SCardReleaseContext(context)
