"""Payment protocols by name (`payment.protocol` in the kiosk configuration).

A protocol is one module with a driver implementing `PaymentTerminal` and one registration:
``register_protocol("name", factory)``. The factory receives the protocol-neutral
`TerminalSettings`; the transports (serial, TCP) are shared in `hardware.payment.transport`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from hardware.errors import BorneError
from hardware.payment.model import PaymentTerminal
from hardware.payment.zvt.driver import ZvtTerminal, ZvtTimeouts


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminalSettings:
    port: str  # serial port, pyserial URL or tcp://host:port
    baudrate: int = 9600
    timeout_scale: float = 1.0
    between_transactions_s: float | None = None  # None: the protocol's own least gap, scaled
    options: dict[str, str] = field(default_factory=dict)  # protocol-specific settings


TerminalFactory = Callable[[TerminalSettings], PaymentTerminal]


class UnknownProtocol(BorneError):
    translation_key = "payment.unsupported"


def _zvt(settings: TerminalSettings) -> PaymentTerminal:
    timeouts = ZvtTimeouts().scaled(settings.timeout_scale)
    if settings.between_transactions_s is not None:
        timeouts = replace(timeouts, between_transactions=settings.between_transactions_s)
    return ZvtTerminal(settings.port, baudrate=settings.baudrate, timeouts=timeouts)


# The protocols shipped with the product; another module adds its own with `register_protocol`.
_PROTOCOLS: dict[str, TerminalFactory] = {"zvt": _zvt}


def register_protocol(name: str, factory: TerminalFactory, *, replace: bool = False) -> None:
    """Make `name` available as `payment.protocol`; a second registration needs `replace`."""
    if name in _PROTOCOLS and not replace:
        raise ValueError(f"payment protocol {name!r} is already registered")
    _PROTOCOLS[name] = factory


def unregister_protocol(name: str) -> None:
    _PROTOCOLS.pop(name, None)


def protocols() -> tuple[str, ...]:
    return tuple(sorted(_PROTOCOLS))


def create_terminal(protocol: str, settings: TerminalSettings) -> PaymentTerminal:
    factory = _PROTOCOLS.get(protocol)
    if factory is None:
        raise UnknownProtocol(
            f"no payment protocol {protocol!r}", params={"known": ", ".join(sorted(_PROTOCOLS))}
        )
    return factory(settings)
