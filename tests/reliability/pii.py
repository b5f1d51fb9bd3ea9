"""The search for personal data left on the kiosk's disk, shared by the PII test and `make soak`.

Each persona's PIN, national number (bare and as printed), surname and street are searched for,
in UTF-8 and UTF-16, in the kiosk's logs, SQLite stores (and their -wal), temporary folders, the
CUPS spool, temporary folder, cups-pdf spool and job history, and any crash dump. The exceptions
are the demo's outputs: the printer's output folder (the paper) and, when the demo keeps them, the
sealed copies it hands over in `var/spool`. The simulated card images and the test PKI are not
the kiosk's data and are not searched.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from hardware.simulators.eid import load_persona, persona_pin

SEARCHED = (
    "data",
    "log",
    "console",
    "tmp",
    "run/cups/spool",
    "run/cups/tmp",
    "run/cups/cups-pdf-spool",
)
"""The kiosk's own folders under var/, its console output, the process's TMPDIR (var/tmp) and the
CUPS folders."""
CUPS_HISTORY = ("run/cups/log", "run/cups/state", "run/cups/cache")
PRIVATE = ("data", "log")
PRINTER_OUTPUT = "run/cups/out"
NOT_THE_KIOSKS = ("pki", "hsm", PRINTER_OUTPUT)
"""Under var/: the test PKI and card images, the seal token, the paper."""


def needles(personas: Iterable[str]) -> dict[str, re.Pattern[bytes]]:
    """Label → pattern for every persona's PIN, national number, surname and street."""
    found: dict[str, re.Pattern[bytes]] = {}
    for name in personas:
        persona = load_persona(name)
        nn = persona.national_number
        printed = f"{nn[:2]}.{nn[2:4]}.{nn[4:6]}-{nn[6:9]}.{nn[9:]}"
        for label, text in (
            ("national number", nn),
            ("printed national number", printed),
            ("surname", persona.surname),
            ("street", persona.address.street),
        ):
            for encoding in ("utf-8", "utf-16-le"):
                found[f"{name} {label} ({encoding})"] = re.compile(
                    re.escape(text.encode(encoding)), re.IGNORECASE
                )
        pin = persona_pin(name).encode()
        # a PIN is short: as a value of its own, not inside a longer number or word
        found[f"{name} PIN"] = re.compile(
            rb"(?<![0-9A-Za-z.:\-_/*])" + re.escape(pin) + rb"(?![0-9A-Za-z.\-_/])"
        )
    return found


def kiosk_files(var_dir: Path, *, extra: Sequence[str] = ()) -> list[Path]:
    """The files of `var_dir` that must hold nothing personal (`extra`: more folders of it)."""
    roots = [var_dir / sub for sub in (*SEARCHED, *CUPS_HISTORY, *extra)]
    files = [p for root in roots if root.is_dir() for p in root.rglob("*") if p.is_file()]
    files += [p for p in var_dir.rglob("core*") if p.is_file()]  # crash dumps, wherever
    return files


def tree_files(top: Path, *, skip: Sequence[Path] = (), since: float | None = None) -> list[Path]:
    """Every regular file under `top` (a temporary folder) outside the folders `skip`.

    With `since` (a `time.time()`), only the files changed from then on: what a run wrote into a
    /tmp it shares with others (a test session's), not what was there before it.
    """
    skipped = {s.resolve() for s in skip}
    found: list[Path] = []
    for root, dirs, files in os.walk(top):
        base = Path(root)
        dirs[:] = [d for d in dirs if (base / d).resolve() not in skipped]
        found += [base / f for f in files if _regular_since(base / f, since)]
    return found


def _regular_since(path: Path, since: float | None) -> bool:
    try:
        status = path.lstat()
    except OSError:
        return False  # gone while walking
    if not stat.S_ISREG(status.st_mode):
        return False
    return since is None or max(status.st_mtime, status.st_ctime) >= since


def scan(files: Iterable[Path], patterns: dict[str, re.Pattern[bytes]]) -> list[str]:
    """`path: label` for every pattern found in every file (a file the kiosk's user cannot read
    is not the kiosk's)."""
    hits: list[str] = []
    for path in files:
        try:
            data = path.read_bytes()
        except PermissionError:
            continue
        except OSError as err:
            hits.append(f"{path}: unreadable ({err.strerror})")
            continue
        hits += [f"{path}: {label}" for label, p in patterns.items() if p.search(data)]
    return hits


def loose_permissions(var_dir: Path) -> list[str]:
    """Files and folders of the kiosk's records and logs not 0600/0700 or not the kiosk user's."""
    loose = []
    for sub in PRIVATE:
        folder = var_dir / sub
        for path in [folder, *folder.rglob("*")]:
            info = path.lstat()
            want = 0o700 if path.is_dir() else 0o600
            if stat.S_IMODE(info.st_mode) != want or info.st_uid != os.geteuid():
                loose.append(f"{path.relative_to(var_dir)} {stat.filemode(info.st_mode)}")
    return loose
