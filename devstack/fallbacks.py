"""Which parts of the simulated stack run in-process, and why: a daemon not installed, or forced.

Where a daemon cannot be installed (a laptop without apt), its part falls back to an in-process
stand-in: pcscd → the virtual card in an in-process reader, cupsd → the folder printer, SoftHSM2 →
the TEST seal key read from its PEM file. `BORNE_REQUIRE_REAL_STACK=1` (set by `make test`, so CI)
turns a missing daemon back into a `SimStartError`. `BORNE_FORCE_FALLBACK=pcscd,cupsd,softhsm2`
(tests only) takes the fallback even where the daemon is installed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hardware.errors import BorneError

REQUIRED_PROGRAMS = {"pcscd": "pcscd", "cupsd": "cups", "softhsm2-util": "softhsm2"}
REQUIRE_REAL_ENV = "BORNE_REQUIRE_REAL_STACK"
FORCE_FALLBACK_ENV = "BORNE_FORCE_FALLBACK"


class SimStartError(BorneError):
    """A part of the simulated stack could not be started."""

    translation_key = "error.device_unavailable"

    def __init__(self, *, part: str, reason: str, log_tail: str = "") -> None:
        detail = f"\n--- {part} log (last lines) ---\n{log_tail}" if log_tail else ""
        super().__init__(f"{part} could not be started: {reason}{detail}", params={"part": part})
        self.part = part
        self.log_tail = log_tail


@dataclass(frozen=True, slots=True, kw_only=True)
class FallbackPart:
    """A daemon that the demo can do without, and what stands in for it in-process."""

    part: str  # the daemon: "pcscd", "cupsd", "softhsm2"
    package: str  # its Debian package, as `missing_programs` names it
    aliases: tuple[str, ...]
    stand_in: str


FALLBACK_PARTS = (
    FallbackPart(
        part="pcscd",
        package="pcscd",
        aliases=("pcscd", "pcsc", "vpcd"),
        stand_in="the eID card is simulated in-process",
    ),
    FallbackPart(
        part="cupsd",
        package="cups",
        aliases=("cupsd", "cups"),
        stand_in="documents are written as PDF files instead of being printed",
    ),
    FallbackPart(
        part="softhsm2",
        package="softhsm2",
        aliases=("softhsm2", "softhsm", "softhsm2-util", "hsm"),
        stand_in="documents are sealed with a demo-only software key",
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Fallback:
    """One part of the stack simulated in-process, and why."""

    part: str
    stand_in: str
    forced: bool

    @property
    def announcement(self) -> str:
        if self.forced:
            return f"{self.part} bypassed ({FORCE_FALLBACK_ENV}): {self.stand_in}"
        return f"{self.part} not installed: {self.stand_in}; run `make setup` for the real stack"


def _forced_parts(value: str) -> set[str]:
    names = {n.strip().lower() for n in value.split(",") if n.strip()}
    if "all" in names:
        return {p.part for p in FALLBACK_PARTS}
    known = {alias: p.part for p in FALLBACK_PARTS for alias in p.aliases}
    unknown = sorted(names - set(known))
    if unknown:
        raise SimStartError(
            part=FORCE_FALLBACK_ENV,
            reason=f"unknown part {', '.join(unknown)} (pcscd, cupsd, softhsm2 or all)",
        )
    return {known[n] for n in names}


def describe_fallbacks(parts: tuple[str, ...] | list[str]) -> list[str]:
    """Announcements for parts another process reported (`SimEndpoints.fallbacks`)."""
    missing = set(missing_programs())
    return [
        Fallback(part=p.part, stand_in=p.stand_in, forced=p.package not in missing).announcement
        for p in FALLBACK_PARTS
        if p.part in parts
    ]


def require_real_stack(environ: Mapping[str, str] | None = None) -> bool:
    """True when a missing daemon is an error, not a fallback (`BORNE_REQUIRE_REAL_STACK=1`)."""
    env = os.environ if environ is None else environ
    return env.get(REQUIRE_REAL_ENV, "").strip().lower() in {"1", "true", "yes"}


def plan_fallbacks(
    *, require_real: bool | None = None, environ: Mapping[str, str] | None = None
) -> tuple[Fallback, ...]:
    """Which parts run in-process: missing programs, plus those forced off for tests.

    With `require_real` (default: `BORNE_REQUIRE_REAL_STACK`) any of them raises `SimStartError`.
    """
    env = os.environ if environ is None else environ
    missing = set(missing_programs())
    forced = _forced_parts(env.get(FORCE_FALLBACK_ENV, ""))
    plan = tuple(
        Fallback(part=p.part, stand_in=p.stand_in, forced=p.package not in missing)
        for p in FALLBACK_PARTS
        if p.package in missing or p.part in forced
    )
    if plan and (require_real_stack(env) if require_real is None else require_real):
        absent = sorted(p.package for p in FALLBACK_PARTS if p.package in missing)
        if absent:
            reason = f"missing {', '.join(absent)}: run `make setup` (installs them with apt)"
        else:
            reason = f"{FORCE_FALLBACK_ENV} asks for in-process parts"
        raise SimStartError(
            part="system packages",
            reason=f"{reason}; {REQUIRE_REAL_ENV}=1 allows no in-process fallback",
        )
    return plan


def missing_programs() -> list[str]:
    """Debian packages whose programs are absent (a developer laptop without apt)."""
    return sorted(
        package
        for program, package in REQUIRED_PROGRAMS.items()
        if shutil.which(program) is None and not Path("/usr/sbin", program).exists()
    )
