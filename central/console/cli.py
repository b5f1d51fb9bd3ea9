"""`python -m central operators …` and `python -m central screenshots --out DIR`."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TextIO

from central.console.accounts import AccountError, OperatorRole, OperatorStore
from central.errors import StoreError
from central.store import SqlCentralStore


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    operators = commands.add_parser("operators", help="accounts of the fleet console")
    operators.add_argument("--db", default=None, help="database URL or SQLite file (as for serve)")
    actions = operators.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add an operator; the password is read from stdin")
    add.add_argument("--role", choices=[r.value for r in OperatorRole], required=True)
    add.add_argument("name")
    shots = commands.add_parser(
        "screenshots", help="write a PNG of each console page (demo data, headless Chromium)"
    )
    shots.add_argument("--out", type=Path, required=True)


def _read_password(stdin: TextIO) -> str:
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise AccountError("the two passwords differ", code="mismatch")
        return first
    return stdin.readline().rstrip("\r\n")


def operators_command(*, db_url: str, name: str, role: str, stdin: TextIO | None = None) -> int:
    """Add an operator account (the password from the terminal, or the first line of stdin)."""
    try:
        password = _read_password(stdin or sys.stdin)
        store = SqlCentralStore(db_url)
    except (AccountError, StoreError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    try:
        OperatorStore(store.engine).add(name, password, OperatorRole(role))
    except (AccountError, StoreError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"operator {name} added ({role})")
    return 0


def screenshots_command(*, out: Path) -> int:
    from central.console.screenshots import write_screenshots  # noqa: PLC0415 (Playwright is a dev dependency)

    try:
        written = write_screenshots(out)
    except (OSError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0
