"""The headset jack (`hardware.speech.jack`) as a `HeadsetPort`: plugging a headset in starts
the audio mode (`ui.speech.AudioMode.headset_changed`).

`speech.headset = "auto"` watches every headphone jack `/proc/bus/input/devices` lists; a
machine without one (no sound card, or one without jack detection) logs
`headset_detection_unavailable` once and nothing else changes. A configured path watches that
one event device.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from hardware.speech.jack import DEV_INPUT, PROC_DEVICES, HeadsetWatcher, find_headset_devices

log = logging.getLogger(__name__)

AUTO = "auto"


class HeadsetDetector:
    """`HeadsetPort` over one `HeadsetWatcher` (its own daemon thread), built at `start`."""

    def __init__(
        self, *, source: str, proc: Path = PROC_DEVICES, dev_input: Path = DEV_INPUT
    ) -> None:
        """`source`: "auto" or the path of an event device (see the module docstring)."""
        self._source = source
        self._proc = proc
        self._dev_input = dev_input
        self._watcher: HeadsetWatcher | None = None
        self._started = False

    def devices(self) -> tuple[Path, ...]:
        if self._source != AUTO:
            return (Path(self._source),)
        return find_headset_devices(proc=self._proc, dev_input=self._dev_input)

    def start(self, on_change: Callable[[bool], None]) -> None:
        """Watch from now on (once: a second call does nothing)."""
        if self._started:
            return
        self._started = True
        devices = self.devices()
        if not devices:
            log.info("headset_detection_unavailable", extra={"source": self._source})
            return
        self._watcher = HeadsetWatcher(devices=devices, on_change=on_change)
        self._watcher.start()

    @property
    def watching(self) -> bool:
        return self._watcher is not None and self._watcher.running

    def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
