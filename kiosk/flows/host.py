"""What a flow needs of the controller that composes it, and the plumbing every flow shares.

A flow never imports the journey: the controller hands each flow a `Host`, a set of callables
that read the current session and state and move the session machine. All of them are called on
the controller's thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol, TypeVar

from kiosk.flows.steps import Post, Steps, call
from kiosk.ports import Ports, StaffAlert
from kiosk.session import SessionData, SessionState

T = TypeVar("T")


class Go(Protocol):
    def __call__(self, target: SessionState, *, reason: str) -> None: ...


class ShowError(Protocol):
    def __call__(
        self,
        key: str,
        *,
        outcome: str,
        retry: SessionState | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Host:
    """The controller, as the flows see it."""

    session: Callable[[], SessionData]
    state: Callable[[], SessionState]
    go: Go
    error: ShowError
    refresh: Callable[[], None]
    raise_alert: Callable[[StaffAlert], None]


class HostedFlow:
    """Base of the flows: the current session, moves, errors and awaited port calls."""

    def __init__(self, *, ports: Ports, steps: Steps, post: Post, host: Host) -> None:
        self._ports = ports
        self._steps = steps
        self._post = post
        self._host = host

    @property
    def _s(self) -> SessionData:
        return self._host.session()

    @property
    def state(self) -> SessionState:
        return self._host.state()

    def _go(self, target: SessionState, *, reason: str) -> None:
        self._host.go(target, reason=reason)

    def _error(
        self,
        key: str,
        *,
        outcome: str,
        retry: SessionState | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        self._host.error(key, outcome=outcome, retry=retry, params=params)

    def _refresh(self) -> None:
        self._host.refresh()

    def raise_alert(self, alert: StaffAlert) -> None:
        self._host.raise_alert(alert)

    def _call(self, start: Callable[[], Future[T]]) -> Future[T]:
        return call(start)

    def _await(
        self,
        start: Callable[[], Future[T]],
        *,
        step: str,
        then: Callable[[T], None],
        failed: Callable[[BaseException], None] | None = None,
        stale: Callable[[Future[T]], None] | None = None,
        keep_on_stale: bool = False,
    ) -> None:
        """Start a port call and continue on the controller's thread when it settles."""
        self._steps.await_(
            start,
            session=self._s,
            step=step,
            then=then,
            failed=failed,
            stale=stale,
            keep_on_stale=keep_on_stale,
        )
