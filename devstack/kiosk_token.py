"""The demo kiosk's identity token: a second SoftHSM2 token beside the seal's, for the kiosk's own key.

Same module and configuration file as the seal token (`devstack.softhsm`), its own label and
random PINs, kept in `kiosk-token.json` (0600) under the same folder. The token starts empty: the
kiosk has the token generate its key pair on first use (`kiosk.adapters.kiosk_key`), as a kiosk
does with the municipality's HSM, and the central enrolls its public key.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from pathlib import Path

from devstack.softhsm import SOFTHSM_MODULE, _util, _write_conf
from kiosk.adapters.kiosk_key import KIOSK_KEY_ID
from printing.token import TokenConfig, find_slot, load_module, unload_module

log = logging.getLogger(__name__)

KIOSK_TOKEN_LABEL = "borne-kiosk"  # noqa: S105 (a label, not a secret)
KIOSK_KEY_LABEL = "kiosk"
_STATE_FILE = "kiosk-token.json"


def kiosk_token_config(*, conf_path: Path, user_pin: str) -> TokenConfig:
    return TokenConfig(
        module_path=SOFTHSM_MODULE,
        token_label=KIOSK_TOKEN_LABEL,
        key_label=KIOSK_KEY_LABEL,
        key_id=KIOSK_KEY_ID,
        conf_path=conf_path,
        user_pin=user_pin,
    )


def kiosk_token_pin(base_dir: Path) -> str | None:
    """The kiosk token's user PIN recorded under `base_dir`, or None when there is no such token."""
    try:
        state = json.loads((base_dir / _STATE_FILE).read_text(encoding="utf-8"))
        return str(state["user_pin"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def ensure_kiosk_token(*, base_dir: Path) -> TokenConfig:
    """The kiosk token under `base_dir` (the seal token's folder), initialised when absent.

    Call after the seal token exists (`devstack.softhsm.ensure_token`), which may wipe the token
    folder when it makes the seal token again: the kiosk token is then made afresh, and with it a
    new kiosk key that the demo enrolls again.
    """
    base_dir = base_dir.resolve()
    conf_path = base_dir / "softhsm2.conf"
    if not conf_path.exists():
        conf_path = _write_conf(base_dir)
    state_path = base_dir / _STATE_FILE
    pin = kiosk_token_pin(base_dir)
    config = None if pin is None else kiosk_token_config(conf_path=conf_path, user_pin=pin)
    if config is not None and find_slot(load_module(config), KIOSK_TOKEN_LABEL) is not None:
        return config
    user_pin = f"{secrets.randbelow(10**8):08d}"
    so_pin = f"{secrets.randbelow(10**8):08d}"
    config = kiosk_token_config(conf_path=conf_path, user_pin=user_pin)
    _util(
        [
            "--init-token",
            "--free",
            "--label",
            KIOSK_TOKEN_LABEL,
            "--so-pin",
            so_pin,
            "--pin",
            user_pin,
        ],
        conf_path=conf_path,
    )
    # a token made by another process is seen once the module is loaded again

    unload_module(config)
    fd = os.open(state_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"user_pin": user_pin}, fh)
    log.info("kiosk key token initialised", extra={"token_label": KIOSK_TOKEN_LABEL})
    return config
