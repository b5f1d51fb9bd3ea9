"""The screen of each journey step, as its declaration names it (`kiosk.steps.Step.screen`)."""

from __future__ import annotations

import importlib

from kiosk.session import SessionState
from kiosk.steps import steps
from ui.screens.base import Screen


def load_screen(spec: str) -> type[Screen]:
    """The screen class of `spec`, "module:Class"."""
    module_name, _, class_name = spec.partition(":")
    found = getattr(importlib.import_module(module_name), class_name, None)
    if not (isinstance(found, type) and issubclass(found, Screen)):
        raise TypeError(f"{spec!r} names no screen class")
    return found


def screen_classes() -> dict[SessionState, type[Screen]]:
    """{state: its screen class} for every declared step, in declaration order."""
    return {step.state: load_screen(step.screen) for step in steps()}
