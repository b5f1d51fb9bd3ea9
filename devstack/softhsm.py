"""The development seal token on SoftHSM2: a private configuration, token initialisation and key import.

SoftHSM2 stands in for the municipal HSM in tests and demonstrations. Everything lives under one
base directory (configuration, token store, PIN file), so nothing touches the system's tokens.

    python -m devstack.softhsm init --dir var/hsm --pki var/pki/municipal
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import PyKCS11
from cryptography.hazmat.primitives import hashes, serialization

from devstack.demo_pki import KeyType, MunicipalPki, ensure_municipal_pki
from printing.errors import TokenError
from printing.token import TokenConfig, find_slot, load_module, unload_module

_log = logging.getLogger(__name__)

SOFTHSM_MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
SOFTHSM_UTIL = "softhsm2-util"
TOKEN_LABEL = "borne-seal"  # noqa: S105 (a label, not a secret)
KEY_LABEL = "seal"
KEY_ID = b"\x01"
ROOT_LABEL = "root"
ROOT_ID = b"\x10"
_STATE_FILE = "token.json"


def token_config(*, conf_path: Path, user_pin: str, so_pin: str = "") -> TokenConfig:
    """The product's token configuration for the development SoftHSM2 token."""
    return TokenConfig(
        module_path=SOFTHSM_MODULE,
        token_label=TOKEN_LABEL,
        key_label=KEY_LABEL,
        key_id=KEY_ID,
        conf_path=conf_path,
        user_pin=user_pin,
        so_pin=so_pin,
    )


def _util(args: list[str], *, conf_path: Path) -> str:
    env = {**os.environ, "SOFTHSM2_CONF": str(conf_path)}
    binary = shutil.which(SOFTHSM_UTIL)
    if binary is None:
        raise TokenError(
            f"{SOFTHSM_UTIL} not installed", translation_key="documents.error.seal_token_missing"
        )
    proc = subprocess.run([binary, *args], env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        # The command line carries PINs: report only the sub-command and softhsm2-util's own words.
        raise TokenError(
            f"{SOFTHSM_UTIL} {args[0]} failed: {proc.stderr.strip() or proc.stdout.strip()}"
        )
    return proc.stdout


def _write_conf(base_dir: Path) -> Path:
    tokens = base_dir / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = base_dir / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\n"
        "objectstore.backend = file\n"
        "log.level = ERROR\n"
        "slots.removable = false\n",
        encoding="utf-8",
    )
    return conf


def _import_certificates(config: TokenConfig, *, pki: MunicipalPki) -> None:
    lib = load_module(config)
    slot = find_slot(lib, config.token_label)
    if slot is None:
        raise TokenError(f"token {config.token_label!r} not found after initialisation")
    session = lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION | PyKCS11.CKF_RW_SESSION)
    try:
        session.login(config.user_pin)
        for cert, label, key_id in (
            (pki.seal_certificate(), config.key_label, config.key_id),
            (pki.root_certificate(), ROOT_LABEL, ROOT_ID),
        ):
            der = cert.public_bytes(serialization.Encoding.DER)
            session.createObject(
                [
                    (PyKCS11.CKA_CLASS, PyKCS11.CKO_CERTIFICATE),
                    (PyKCS11.CKA_CERTIFICATE_TYPE, PyKCS11.CKC_X_509),
                    (PyKCS11.CKA_TOKEN, PyKCS11.CK_TRUE),
                    (PyKCS11.CKA_PRIVATE, PyKCS11.CK_FALSE),
                    (PyKCS11.CKA_LABEL, label),
                    (PyKCS11.CKA_ID, tuple(key_id)),
                    (PyKCS11.CKA_SUBJECT, tuple(cert.subject.public_bytes())),
                    (PyKCS11.CKA_ISSUER, tuple(cert.issuer.public_bytes())),
                    (PyKCS11.CKA_VALUE, tuple(der)),
                ]
            )
        session.logout()
    finally:
        session.closeSession()


def _read_state(base_dir: Path) -> dict[str, str] | None:
    path = base_dir / _STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict):
        return None
    return {str(k): str(v) for k, v in state.items()}


def _make_token(base_dir: Path, *, config: TokenConfig, pki: MunicipalPki, conf_path: Path) -> None:
    """A fresh token in place of any earlier one: the seal key imported, then its certificates."""
    tokens = base_dir / "tokens"
    shutil.rmtree(tokens)
    tokens.mkdir()
    _util(
        [
            "--init-token",
            "--free",
            "--label",
            config.token_label,
            "--so-pin",
            config.so_pin,
            "--pin",
            config.user_pin,
        ],
        conf_path=conf_path,
    )
    _util(
        [
            "--import",
            str(pki.seal_key_path.resolve()),
            "--token",
            config.token_label,
            "--label",
            config.key_label,
            "--id",
            config.key_id.hex(),
            "--pin",
            config.user_pin,
        ],
        conf_path=conf_path,
    )
    _import_certificates(config, pki=pki)


def _write_state(base_dir: Path, *, config: TokenConfig, seal_fingerprint: str) -> None:
    """`token.json` (0600), written last: its presence marks the token complete."""
    state_path = base_dir / _STATE_FILE
    fd = os.open(state_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(
            {"user_pin": config.user_pin, "so_pin": config.so_pin, "seal_sha256": seal_fingerprint},
            fh,
        )


def ensure_token(*, base_dir: Path, pki: MunicipalPki) -> TokenConfig:
    """Create (or reuse) the SoftHSM2 seal token under `base_dir` holding the PKI's seal key.

    Idempotent: a complete token (recorded in `token.json`, written last) is reused as is; an
    incomplete one is wiped and made again. PINs are random and kept in `token.json` (mode 0600).
    """
    base_dir = base_dir.resolve()
    base_dir.mkdir(parents=True, exist_ok=True)
    conf_path = _write_conf(base_dir)
    seal_fingerprint = pki.seal_certificate().fingerprint(hashes.SHA256()).hex()
    state = _read_state(base_dir)
    if state is not None and state.get("seal_sha256") == seal_fingerprint:
        return token_config(
            conf_path=conf_path,
            user_pin=state["user_pin"],
            so_pin=state["so_pin"],
        )
    config = token_config(
        conf_path=conf_path,
        user_pin=f"{secrets.randbelow(10**8):08d}",
        so_pin=f"{secrets.randbelow(10**8):08d}",
    )
    unload_module(config)
    _make_token(base_dir, config=config, pki=pki, conf_path=conf_path)
    _write_state(base_dir, config=config, seal_fingerprint=seal_fingerprint)
    _log.info(
        "seal token initialised",
        extra={
            "token_label": config.token_label,
            "key_type": pki.key_type.value,
            "hsm_dir": str(base_dir),
        },
    )
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.softhsm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="create the PKI (if needed) and the seal token")
    init.add_argument("--dir", type=Path, default=Path("var/hsm"))
    init.add_argument("--pki", type=Path, default=Path("var/pki/municipal"))
    init.add_argument("--key-type", choices=[k.value for k in KeyType], default=KeyType.EC.value)
    args = parser.parse_args(argv)
    pki = ensure_municipal_pki(args.pki, key_type=KeyType(args.key_type))
    config = ensure_token(base_dir=args.dir, pki=pki)
    print(f"token {config.token_label!r} ready; SOFTHSM2_CONF={config.conf_path}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
