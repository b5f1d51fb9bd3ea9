"""The seal key on a PKCS#11 token: where the module is, which token and key, and how to reach them.

Vendor-neutral: the municipal HSM's module, or any other PKCS#11 module the configuration names.
There is no default module; the set-up of a development token lives outside the product.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import PyKCS11

from printing.errors import TokenError

MODULE_CONF_ENV = "SOFTHSM2_CONF"
"""The environment variable through which a file-configured module (SoftHSM2) finds its tokens."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenConfig:
    """How to reach the seal key. PINs never appear in `repr` (and never in logs)."""

    module_path: Path
    token_label: str
    key_label: str
    key_id: bytes
    user_pin: str = field(repr=False)
    conf_path: Path | None = None
    """A configuration file the module reads from `MODULE_CONF_ENV`; None for a module needing none."""
    so_pin: str = field(default="", repr=False)


_module_lock = threading.Lock()
_loaded: dict[Path, tuple[Path | None, PyKCS11.PyKCS11Lib]] = {}


def load_module(config: TokenConfig) -> PyKCS11.PyKCS11Lib:
    """Load the PKCS#11 module once per process (its configuration is exported before it initialises).

    One token configuration per module and process: asking for another configuration finalises
    the module and loads it again, which invalidates sessions opened on the previous one.
    """
    with _module_lock:
        current = _loaded.get(config.module_path)
        if current is not None and current[0] == config.conf_path:
            return current[1]
        if current is not None:
            current[1].unload()
            del _loaded[config.module_path]
        if config.conf_path is not None:
            os.environ[MODULE_CONF_ENV] = str(config.conf_path)
        lib = PyKCS11.PyKCS11Lib()
        try:
            lib.load(str(config.module_path))
        except PyKCS11.PyKCS11Error as err:
            raise TokenError(
                f"cannot load PKCS#11 module {config.module_path}",
                translation_key="documents.error.seal_token_missing",
            ) from err
        _loaded[config.module_path] = (config.conf_path, lib)
        return lib


def unload_module(config: TokenConfig) -> None:
    """Forget the loaded module (tests that switch token directories call this)."""
    with _module_lock:
        current = _loaded.pop(config.module_path, None)
        if current is not None:
            current[1].unload()


def find_slot(lib: PyKCS11.PyKCS11Lib, token_label: str) -> int | None:
    """The slot holding the token labelled `token_label`, or None."""
    for slot in lib.getSlotList(tokenPresent=True):
        if lib.getTokenInfo(slot).label.strip() == token_label:
            return int(slot)
    return None
