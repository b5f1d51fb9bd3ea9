"""No crash injection ships in the product: the kill-and-restart tests inject it themselves."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("kiosk", "ui", "hardware", "printing", "offline_queue", "central")
# A simulator may simulate its own power loss; the product never kills itself.
ALLOWED = {ROOT / "hardware" / "simulators"}


def _is_call_to(node: ast.AST, name: str) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Attribute) and func.attr == name) or (
        isinstance(func, ast.Name) and func.id == name
    )


def _kills_itself(tree: ast.AST) -> bool:
    """`os.kill(os.getpid(), ...)` (or `signal.raise_signal`) anywhere in the module."""
    for node in ast.walk(tree):
        if _is_call_to(node, "raise_signal"):
            return True
        if (
            _is_call_to(node, "kill")
            and isinstance(node, ast.Call)
            and node.args
            and _is_call_to(node.args[0], "getpid")
        ):
            return True
    return False


def test_no_product_module_can_sigkill_its_own_process() -> None:
    offenders = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            if any(parent in ALLOWED for parent in path.parents):
                continue
            if _kills_itself(ast.parse(path.read_text(encoding="utf-8"))):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_no_product_module_reads_a_crash_switch_from_the_environment() -> None:
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            assert "TEST_CRASH" not in path.read_text(encoding="utf-8"), path
