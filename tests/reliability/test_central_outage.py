"""The central server out of reach: the kiosk stops taking residents, then resumes by itself.

The register lives at the central, so without it nothing can be delivered. The real central
(over TLS, the kiosk signed in with its own key) sits behind a TCP link the test can cut, as a
network outage would: connections are refused and open ones dropped. Two failed contacts
(heartbeats or look-ups) take an idle kiosk out of service with a staff alert, and the resident
who chose a language meanwhile is told before the card is asked for; the first heartbeat that
gets through again brings the kiosk back to the attract screen.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from devstack.sim import SimStack
from kiosk import app
from kiosk.config import KioskConfig
from kiosk.flows.delivery import KEY_NOTHING_DELIVERABLE
from kiosk.flows.service import REASON_CENTRAL_UNREACHABLE
from kiosk.session import SessionState as S
from tests.journey.conftest import Rig, ready_rig

pytestmark = pytest.mark.serial
WAIT_S = 30.0


class CuttableLink:
    """A TCP forwarder on loopback whose link can be cut and restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._up = True
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="cuttable-link", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def cut(self) -> None:
        with self._lock:
            self._up = False
            dropped, self._open = self._open, []
        for sock in dropped:
            _close(sock)

    def restore(self) -> None:
        with self._lock:
            self._up = True

    def close(self) -> None:
        self._closed = True
        self.cut()
        _close(self._listener)
        self._thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                up = self._up
            if not up:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        _close(sink)
        _close(source)


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.close()


@contextmanager
def behind_a_link(
    stack: SimStack, config: KioskConfig, folder: Path
) -> Iterator[tuple[Rig, CuttableLink]]:
    url = urlsplit(config.central.url)
    assert url.hostname is not None
    assert url.port is not None
    link = CuttableLink((url.hostname, url.port))
    central = replace(
        config.central,
        url=urlunsplit(url._replace(netloc=f"{url.hostname}:{link.port}")),
        timeout_s=2.0,
        heartbeat_s=3600.0,  # the test sends the heartbeats itself
    )
    assert stack.token is not None
    kiosk = app.build(
        replace(config, central=central),
        token=stack.token,
        print_output=config.printing.output_dir,
        keep_issued=True,
    )
    rig = ready_rig(kiosk, stack)
    try:
        yield rig, link
    finally:
        kiosk.stop(flush_timeout_s=1.0)
        link.close()


def _reachable(rig: Rig) -> bool:
    return rig.kiosk.sync.reachability.reachable


def _beat(rig: Rig) -> None:
    rig.kiosk.sync.send_heartbeat().result(timeout=WAIT_S)


def test_an_unreachable_central_takes_the_kiosk_out_of_service_until_it_answers_again(
    stack: SimStack, base_config: KioskConfig, tmp_path: Path
) -> None:
    with behind_a_link(stack, base_config, tmp_path) as (rig, link):
        c = rig.controller
        _beat(rig)
        assert _reachable(rig)
        link.cut()
        _beat(rig)  # one lost call is not an outage
        assert _reachable(rig)
        assert c.state is S.ATTRACT
        _beat(rig)
        assert not _reachable(rig)
        rig.state(S.OUT_OF_SERVICE, timeout=WAIT_S)
        assert [a.reason for a in c.alerts] == [REASON_CENTRAL_UNREACHABLE]
        assert c.view.alert_keys == ("out_of_service.reason.central_unreachable",)

        link.restore()
        _beat(rig)
        rig.state(S.ATTRACT, timeout=WAIT_S)
        assert c.alerts == ()
        c.touch()  # the next resident is served
        rig.state(S.LANGUAGE)
        c.cancel()


def test_a_resident_is_told_before_the_card_when_the_central_is_out_of_reach(
    stack: SimStack, base_config: KioskConfig, tmp_path: Path
) -> None:
    with behind_a_link(stack, base_config, tmp_path) as (rig, link):
        c = rig.controller
        c.touch()
        rig.state(S.LANGUAGE)
        link.cut()
        _beat(rig)
        _beat(rig)  # the central is lost while the resident reads the language screen
        c.choose_language("nl")
        view = rig.pump.until(c, lambda v: v.state is S.ERROR, timeout=WAIT_S)
        assert view.error_key == KEY_NOTHING_DELIVERABLE
        assert REASON_CENTRAL_UNREACHABLE in [a.reason for a in c.alerts]
        link.restore()
        _beat(rig)
        c.cancel()
        rig.state(S.ATTRACT, timeout=WAIT_S)
