"""The headset jack, where the platform tells: Linux evdev switch events.

A sound card with jack detection exposes an input device (`/dev/input/eventN`) whose switch
capabilities (`B: SW=` in `/proc/bus/input/devices`) include SW_HEADPHONE_INSERT. Plugging a
headset sends `EV_SW SW_HEADPHONE_INSERT 1` then `EV_SYN SYN_REPORT`; removing it sends the same
with 0. This module holds the pure parts (the `struct input_event` codec, the devices list parser,
the switch tracker) and `HeadsetWatcher`, which owns one daemon thread reading the device(s) and
calls `on_change(plugged)` after each report in which the headphone switch changed. Layouts:
the kernel's `include/uapi/linux/input.h`, `input-event-codes.h` and Documentation/input/input.rst.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import selectors
import struct
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

EVENT_FORMAT = "llHHi"
"""`struct input_event` on 64-bit Linux: struct timeval (two longs), u16 type, u16 code, s32 value."""
EVENT_SIZE = struct.calcsize(EVENT_FORMAT)  # 24 on a 64-bit kiosk
_EVENT = struct.Struct(EVENT_FORMAT)

EV_SYN = 0x00
EV_SW = 0x05
SYN_REPORT = 0
SYN_DROPPED = 3
"""The kernel's buffer overflowed: drop events up to the next SYN_REPORT, then re-read the state."""

SW_HEADPHONE_INSERT = 0x02
SW_MICROPHONE_INSERT = 0x04
SW_LINEOUT_INSERT = 0x06
SW_JACK_PHYSICAL_INSERT = 0x07
SW_MAX = 0x10

PROC_DEVICES = Path("/proc/bus/input/devices")
DEV_INPUT = Path("/dev/input")

_IOC_READ = 2
_IOC_NRSHIFT, _IOC_TYPESHIFT, _IOC_SIZESHIFT, _IOC_DIRSHIFT = 0, 8, 16, 30
SWITCH_BYTES = 8
"""The switch bitmap read back: SW_CNT (17) bits rounded up to one 64-bit long."""


def _ioc(direction: int, kind: str, number: int, size: int) -> int:
    """`_IOC(dir, type, nr, size)` of the kernel's `include/uapi/asm-generic/ioctl.h`."""
    return (
        (direction << _IOC_DIRSHIFT)
        | (size << _IOC_SIZESHIFT)
        | (ord(kind) << _IOC_TYPESHIFT)
        | (number << _IOC_NRSHIFT)
    )


EVIOCGSW = _ioc(_IOC_READ, "E", 0x1B, SWITCH_BYTES)
"""`EVIOCGSW(len) = _IOC(_IOC_READ, 'E', 0x1b, len)` (input.h): (2 << 30) | (8 << 16) | (0x45 << 8)
| 0x1b = 0x8008451B for an 8-byte buffer."""


# -- the event codec (pure) -------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class InputEvent:
    """One `struct input_event`."""

    type: int
    code: int
    value: int
    seconds: int = 0
    microseconds: int = 0


def encode_event(event: InputEvent) -> bytes:
    return _EVENT.pack(event.seconds, event.microseconds, event.type, event.code, event.value)


def decode_events(buffer: bytes) -> tuple[tuple[InputEvent, ...], bytes]:
    """The whole events in `buffer`, and the partial trailing bytes left for the next read."""
    whole = len(buffer) - len(buffer) % EVENT_SIZE
    events = tuple(
        InputEvent(type=t, code=c, value=v, seconds=s, microseconds=us)
        for s, us, t, c, v in _EVENT.iter_unpack(buffer[:whole])
    )
    return events, buffer[whole:]


class EventDecoder:
    """Decodes a byte stream read in arbitrary chunks into events."""

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, chunk: bytes) -> tuple[InputEvent, ...]:
        events, self._rest = decode_events(self._rest + chunk)
        return events


@dataclass(slots=True)
class HeadsetTracker:
    """The headphone switch's state, changed only by a completed report (pure)."""

    plugged: bool = False
    needs_resync: bool = False
    """A SYN_DROPPED was seen and its report is over: the caller re-reads the state (`resync`)."""
    _pending: bool | None = field(default=None, repr=False)
    _dropping: bool = field(default=False, repr=False)

    def feed(self, events: Iterable[InputEvent]) -> list[bool]:
        """Each change of the headphone switch the events complete, in order."""
        changes: list[bool] = []
        for event in events:
            if event.type == EV_SYN and event.code == SYN_DROPPED:
                self._dropping, self._pending = True, None
            elif event.type == EV_SYN and event.code == SYN_REPORT:
                if self._dropping:
                    self._dropping, self.needs_resync = False, True
                elif self._pending is not None and self._pending != self.plugged:
                    self.plugged = self._pending
                    changes.append(self.plugged)
                self._pending = None
            elif event.type == EV_SW and event.code == SW_HEADPHONE_INSERT and not self._dropping:
                self._pending = event.value != 0
        return changes

    def resync(self, plugged: bool | None) -> bool | None:
        """The state re-read after a drop (None: unknown, kept); the change it makes, if any."""
        self.needs_resync = False
        if plugged is None or plugged == self.plugged:
            return None
        self.plugged = plugged
        return plugged


# -- /proc/bus/input/devices (pure) ---------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class InputDevice:
    """One block of `/proc/bus/input/devices`."""

    name: str
    handlers: tuple[str, ...]
    switches: frozenset[int]

    @property
    def event_node(self) -> str | None:
        """The `eventN` handler, the node under /dev/input."""
        return next((h for h in self.handlers if re.fullmatch(r"event\d+", h)), None)

    @property
    def has_headphone_switch(self) -> bool:
        return SW_HEADPHONE_INSERT in self.switches


def parse_bitmap(text: str, *, word_bits: int = 64) -> frozenset[int]:
    """The bits set in a capability bitmap: hex words, most significant first, bit n of the
    lowest (last) word is bit n. A 64-bit kernel prints 64-bit words."""
    bits: set[int] = set()
    for index, word in enumerate(reversed(text.split())):
        value = int(word, 16)
        bits.update(index * word_bits + n for n in range(word_bits) if value >> n & 1)
    return frozenset(bits)


def parse_devices(text: str, *, word_bits: int = 64) -> tuple[InputDevice, ...]:
    """Every device block of `/proc/bus/input/devices` (blocks are separated by blank lines)."""
    devices: list[InputDevice] = []
    for block in re.split(r"\n\s*\n", text):
        name, switches = "", frozenset[int]()
        handlers: tuple[str, ...] = ()
        for line in block.splitlines():
            tag, _, rest = line.partition(": ")
            if tag == "N" and rest.startswith("Name="):
                name = rest.removeprefix("Name=").strip().strip('"')
            elif tag == "H" and rest.startswith("Handlers="):
                handlers = tuple(rest.removeprefix("Handlers=").split())
            elif tag == "B" and rest.startswith("SW="):
                switches = parse_bitmap(rest.removeprefix("SW="), word_bits=word_bits)
        if handlers:
            devices.append(InputDevice(name=name, handlers=handlers, switches=switches))
    return tuple(devices)


def headset_devices(text: str, *, dev_input: Path = DEV_INPUT) -> tuple[Path, ...]:
    """The event devices whose switches include SW_HEADPHONE_INSERT."""
    return tuple(
        dev_input / node
        for device in parse_devices(text)
        if device.has_headphone_switch and (node := device.event_node) is not None
    )


def find_headset_devices(
    *, proc: Path = PROC_DEVICES, dev_input: Path = DEV_INPUT
) -> tuple[Path, ...]:
    """The headphone-jack event devices this machine lists (none when it lists nothing)."""
    try:
        text = proc.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    return headset_devices(text, dev_input=dev_input)


# -- the device ---------------------------------------------------------------------------------
def headphone_state(fd: int) -> bool | None:
    """SW_HEADPHONE_INSERT now, by EVIOCGSW; None when the ioctl fails (not an evdev device)."""
    buffer = bytearray(SWITCH_BYTES)
    try:
        fcntl.ioctl(fd, EVIOCGSW, buffer, True)
    except OSError:
        return None
    return bool(int.from_bytes(buffer, "little") >> SW_HEADPHONE_INSERT & 1)


class HeadsetGone(OSError):
    """The device ended (end of file) or failed; its watch stops."""


@dataclass(slots=True, kw_only=True)
class _Watched:
    path: Path
    fd: int
    decoder: EventDecoder = field(default_factory=EventDecoder)
    tracker: HeadsetTracker = field(default_factory=HeadsetTracker)


READ_BYTES = EVENT_SIZE * 64


class HeadsetWatcher:
    """Reads the headset's event device(s) on one daemon thread; see the module docstring.

    The state found at start is the baseline and is not reported; every later change is, once
    its report is complete. A device that fails or disappears is logged and dropped; the thread
    ends when none is left, or at `stop()` (prompt: a pipe wakes the thread's `select`).
    """

    def __init__(self, *, devices: Sequence[Path], on_change: Callable[[bool], None]) -> None:
        self._paths = tuple(devices)
        self._on_change = on_change
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = -1, -1

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (once: a stopped watcher stays stopped)."""
        if self._thread is not None:
            return
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="dev-headset", daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> None:
        """Wait for the thread to end by itself (every device gone)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def stop(self, *, timeout: float = 2.0) -> None:
        """End the thread and close the devices (idempotent)."""
        thread = self._thread
        if thread is None or self._wake_w < 0:
            return
        os.write(self._wake_w, b"x")  # the pipe is this object's: open until the thread is joined
        thread.join(timeout)
        if thread.is_alive():
            log.warning("headset_watch_stop_timed_out")
            return  # the thread may still select on the pipe: it is left open
        os.close(self._wake_r)
        os.close(self._wake_w)
        self._wake_r, self._wake_w = -1, -1

    # -- the thread -----------------------------------------------------------------------------
    def _run(self) -> None:
        watched: list[_Watched] = []
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self._wake_r, selectors.EVENT_READ)
                for path in self._paths:
                    device = self._open(path)
                    if device is not None:
                        watched.append(device)
                        selector.register(device.fd, selectors.EVENT_READ, device)
                self._loop(selector, watched)
        except Exception:  # the thread's top-level guard: the kiosk goes on without the jack
            log.exception("headset_watch_failed", extra={"reason": "unexpected"})
        finally:
            for device in watched:
                os.close(device.fd)

    def _open(self, path: Path) -> _Watched | None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as err:
            _failed(path, err)
            return None
        device = _Watched(path=path, fd=fd)
        device.tracker.plugged = headphone_state(fd) is True
        log.info(
            "headset_watch_started",
            extra={"device": path.name, "plugged": device.tracker.plugged},
        )
        return device

    def _loop(self, selector: selectors.BaseSelector, watched: list[_Watched]) -> None:
        while watched:
            for key, _mask in selector.select():
                if key.fd == self._wake_r:
                    return
                device: _Watched = key.data
                try:
                    self._read(device)
                except HeadsetGone as err:
                    _failed(device.path, err)
                    selector.unregister(device.fd)
                    watched.remove(device)
                    os.close(device.fd)

    def _read(self, device: _Watched) -> None:
        try:
            chunk = os.read(device.fd, READ_BYTES)
        except BlockingIOError:
            return
        except OSError as err:  # ENODEV: the card went away
            raise HeadsetGone(err.errno, err.strerror) from err
        if not chunk:
            raise HeadsetGone(errno.ENODEV, "end of file")
        tracker = device.tracker
        changes = tracker.feed(device.decoder.feed(chunk))
        if tracker.needs_resync:
            change = tracker.resync(headphone_state(device.fd))
            if change is not None:
                changes.append(change)
        for plugged in changes:
            log.info(
                "headset_plugged" if plugged else "headset_removed",
                extra={"device": device.path.name},
            )
            self._on_change(plugged)


def _failed(path: Path, err: OSError) -> None:
    log.warning(
        "headset_watch_failed",
        extra={"device": path.name, "error": errno.errorcode.get(err.errno or 0, "unknown")},
    )
