"""The soak's residents and the faults injected while they are served (see `tests.reliability.soak`).

An episode is a few residents of one persona choosing the same documents, with one fault:

- terminal (`Scenario`, the next payment only): `decline`, `timeout` (no card presented; the
  terminal's own card time-out is shortened), `corrupt_crc` (the line garbled: the first frame
  of every answer has a bad CRC), `nak` (the first frames NAKed);
- card: `card_pulled` (the card is pulled out after a few APDUs while it is read), `card_refused`
  (an expired card, a cloned chip, a blocked PIN);
- `printer_stops`: the queue is disabled once the order is paid and issuing (the job times out,
  the charge is reversed);
- `central_down`: the central server is stopped once the first resident's order is on the summary
  (the register extract done), and started again on the same port after the episode; what was
  recorded meanwhile waits in the outbox.
"""

from __future__ import annotations

import enum
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cups

from central.process import RunningCentral, start_central
from devstack.demo_pki import ensure_central_tls
from devstack.register import DEMO_REGISTER
from devstack.sim import SimStack
from hardware.simulators.eid import persona_pin
from hardware.simulators.zvt import Scenario
from kiosk.journey import JourneyView
from kiosk.report import JourneyReport
from kiosk.session import SessionState

S = SessionState
PERSONAS = ("marie", "jan", "anna", "chiara")
REFUSED = ("expired", "cloned", "blocked")
PERSONAS_ALL = (*PERSONAS, *REFUSED)
DOCUMENTS = (("household",), ("residence", "life"), ("household", "residence"), ("life",))
WARMUP_SESSIONS = 20
PRINT_JOB_TIMEOUT_S = 8.0
TERMINAL_CARD_TIMEOUT_S = 2.0
CARD_PULLED_AFTER_APDUS = 6


class Fault(enum.StrEnum):
    NONE = "none"
    DECLINE = "decline"
    TIMEOUT = "timeout"
    GARBLE = "corrupt_crc"
    NAK = "nak"
    CARD_PULLED = "card_pulled"
    CARD_REFUSED = "card_refused"
    PRINTER_STOPS = "printer_stops"
    CENTRAL_DOWN = "central_down"


CYCLE: tuple[tuple[Fault, int], ...] = (
    (Fault.NONE, 4),
    (Fault.DECLINE, 2),
    (Fault.CARD_PULLED, 1),
    (Fault.GARBLE, 2),
    (Fault.PRINTER_STOPS, 1),
    (Fault.TIMEOUT, 2),
    (Fault.CARD_REFUSED, 1),
    (Fault.NAK, 2),
    (Fault.CENTRAL_DOWN, 2),
)
"""One round of faults and how many residents each episode has (17 residents a round)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Episode:
    persona: str
    documents: tuple[str, ...]
    fault: Fault
    sessions: int


def warmup(total: int) -> int:
    """Residents before the first sample: 20, or a fifth of a short soak."""
    return max(1, min(WARMUP_SESSIONS, total // 5))


ROUND = sum(count for _, count in CYCLE)


def first_sample(total: int) -> int:
    """Residents before the `start` sample: the warm-up and, when the soak is long enough for two
    more rounds, one round of every fault (each path has loaded what it keeps once)."""
    first = warmup(total)
    return first + ROUND if total >= first + 2 * ROUND else first


PAYMENT_FAULTS = frozenset({Fault.DECLINE, Fault.TIMEOUT, Fault.GARBLE, Fault.NAK})
"""The faults of the terminal's next payment: their residents must choose a paid document."""


def plan(total: int, *, prices: Mapping[str, int] | None = None) -> Iterator[Episode]:
    """`total` residents: the warm-up without faults, then rounds of `CYCLE`, personas and
    documents turning (a payment fault skips a choice that `prices` makes free, as it would never
    reach the terminal); the last episode is cut to the count."""
    people = itertools.cycle(PERSONAS)
    refused = itertools.cycle(REFUSED)
    choices = itertools.cycle(DOCUMENTS)
    first = warmup(total)
    yield Episode(persona="marie", documents=("household",), fault=Fault.NONE, sessions=first)
    left = total - first
    for fault, count in itertools.cycle(CYCLE):
        if left <= 0:
            return
        persona = next(refused) if fault is Fault.CARD_REFUSED else next(people)
        documents = next(choices)
        if fault in PAYMENT_FAULTS and prices is not None:
            documents = _paid(documents, choices, prices)
        n = min(count, left)
        yield Episode(persona=persona, documents=documents, fault=fault, sessions=n)
        left -= n


def _paid(
    documents: tuple[str, ...], choices: Iterator[tuple[str, ...]], prices: Mapping[str, int]
) -> tuple[str, ...]:
    """`documents`, or the next of `choices` that costs something (one round of them at most)."""
    for _ in DOCUMENTS:
        if sum(prices.get(d, 0) for d in documents) > 0:
            break
        documents = next(choices)
    return documents


@dataclass(slots=True)
class _Session:
    """What the current episode's fault has done so far."""

    fault: Fault
    armed: bool = True
    stopper: threading.Thread | None = None


@dataclass(slots=True)
class Faults:
    """Injects each episode's fault into the running stack and plays the episode."""

    stack: SimStack
    injected: dict[str, int] = field(default_factory=dict)
    _now: _Session = field(default_factory=lambda: _Session(fault=Fault.NONE))
    _cups: Any = None

    def __post_init__(self) -> None:
        assert self.stack.terminal is not None
        terminal = self.stack.terminal
        terminal.timing = replace(terminal.timing, card_timeout=TERMINAL_CARD_TIMEOUT_S)
        if self.stack.cupsd is not None:
            self._cups = cups.Connection(host=self.stack.cupsd.server)

    def play(
        self,
        kiosk: Any,
        episodes: Sequence[Episode],
        *,
        limit_s: float,
        between: Callable[[int], None],
        on_report: Callable[[JourneyReport], None],
    ) -> Any:
        """Run every episode's residents through the real screens, in one window as a kiosk keeps
        for months; the run's `RunResult`. Between two episodes, on the autoplay's card thread
        with the kiosk idle, the earlier episode's fault is cleared, `between(index)` is told
        which episode ended, and the next one's fault armed; when the run ends (done or stuck),
        the same for the episode it ended in. `on_report` hears each resident's report."""
        from kiosk.app import staff_authenticator  # noqa: PLC0415
        from ui.app import run_kiosk  # noqa: PLC0415
        from ui.autoplay import AutoplayRound, AutoplayScript  # noqa: PLC0415

        armed: int | None = None  # the episode armed last

        def prepare(index: int) -> Callable[[], None]:
            def switch() -> None:
                nonlocal armed
                if armed is not None:
                    self._after(episodes[armed])
                    between(armed)
                armed = index
                self._before(episodes[index])

            return switch

        def started(controller: Any, exit_app: Callable[[int], None]) -> None:
            kiosk.start_journey(controller, exit_app)
            controller.on_report(on_report)

        rounds = [
            AutoplayRound(
                script=AutoplayScript(
                    language="fr",
                    pin=persona_pin(episode.persona),
                    documents=episode.documents,
                    document_language="fr",
                ),
                sessions=episode.sessions,
                prepare=prepare(index),
            )
            for index, episode in enumerate(episodes)
        ]
        try:
            return run_kiosk(
                ports=kiosk.ports,
                settings=kiosk.settings,
                alerts=kiosk.alerts,
                on_start=started,
                on_view=self._on_view,
                staff=kiosk.staff or staff_authenticator(kiosk.config),
                maintenance=kiosk.maintenance,
                speech=kiosk.speech,
                autoplay=rounds,
                insert_card=self.stack.insert_card,
                remove_card=self.stack.remove_card,
                autoplay_timeout_s=limit_s,
            )
        finally:
            if armed is not None:
                self._after(episodes[armed])
                between(armed)

    # -- before, during and after an episode -------------------------------------------------
    def _before(self, episode: Episode) -> None:
        card, terminal = self.stack.card, self.stack.terminal
        assert card is not None
        assert terminal is not None
        if card.persona != episode.persona:  # the card is out between residents
            card.swap(episode.persona)
            card.remove()
        self.stack.persona = episode.persona
        self._now = _Session(fault=episode.fault)
        if episode.fault is Fault.NONE:
            return
        self.injected[episode.fault.value] = self.injected.get(episode.fault.value, 0) + 1
        scenario = {
            Fault.DECLINE: Scenario.DECLINE,
            Fault.TIMEOUT: Scenario.TIMEOUT,
            Fault.GARBLE: Scenario.CORRUPT_CRC,
            Fault.NAK: Scenario.NAK,
        }.get(episode.fault)
        if scenario is not None:
            terminal.queue_scenarios(scenario)
        if episode.fault is Fault.CARD_PULLED:
            card.set_faults(remove_after_apdus=CARD_PULLED_AFTER_APDUS)

    def _on_view(self, view: JourneyView) -> None:
        now = self._now
        if not now.armed:
            return
        if now.fault is Fault.PRINTER_STOPS and view.state is S.ISSUING and self._cups:
            assert self.stack.cupsd is not None
            self._cups.disablePrinter(self.stack.cupsd.printer_name)
            now.armed = False
        elif now.fault is Fault.CENTRAL_DOWN and view.state is S.SUMMARY:
            central = self.stack.central
            assert central is not None
            now.stopper = threading.Thread(target=central.stop, name="soak-central-stop")
            now.stopper.start()
            now.armed = False

    def _after(self, episode: Episode) -> None:
        card, terminal = self.stack.card, self.stack.terminal
        assert card is not None
        assert terminal is not None
        card.set_faults(remove_after_apdus=None)
        terminal.set_scenario(Scenario.APPROVE)  # a fault the episode did not reach is dropped
        if self._cups is not None and self.stack.cupsd is not None:
            for job in self._cups.getJobs():
                self._cups.cancelJob(job)
            self._cups.enablePrinter(self.stack.cupsd.printer_name)
        if self._now.stopper is not None:
            self._now.stopper.join()
            self._restart_central()
        if episode.fault is not Fault.NONE:
            self._now.armed = False

    def _restart_central(self) -> None:
        """The central again, on the same port over the same database (as after an outage)."""
        old = self.stack.central
        pki = self.stack.municipal_pki
        endpoints = self.stack.endpoints
        assert old is not None
        assert pki is not None
        assert endpoints is not None
        var_dir = self.stack.var_dir
        tls = ensure_central_tls(var_dir / "pki" / "central")
        self.stack.central = start_central(
            db_path=var_dir / "data" / "central.sqlite",
            log_path=var_dir / "log" / "central.log",
            register_path=DEMO_REGISTER,
            seal_roots=(pki.root_cert_path,),
            citizen_roots=(Path(endpoints.card_test_roots),),
            tls=(tls.cert_path, tls.key_path),
            port=int(old.url.rsplit(":", 1)[1].split("/")[0]),
        )

    def close(self) -> None:
        """Stop a central this soak restarted (the stack stops the one it started)."""
        central: RunningCentral | None = self.stack.central
        if central is not None:
            central.stop()
