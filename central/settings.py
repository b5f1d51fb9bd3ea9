"""Configuration of the central server."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

DEMO_REGISTER_PATH: Final = (
    Path(__file__).resolve().parent.parent / "devstack" / "data" / "demo_register.json"
)
DEMO_OPERATOR_TOKEN: Final = "demo-operator-token"  # noqa: S105 (public demo value)
OPERATOR_TOKEN_ENV: Final = "BORNE_CENTRAL_OPERATOR_TOKEN"  # noqa: S105 (a variable name)
TOKEN_SECRET_ENV: Final = "BORNE_CENTRAL_TOKEN_SECRET"  # noqa: S105 (a variable name)
OFFLINE_AFTER_ENV: Final = "BORNE_CENTRAL_OFFLINE_AFTER_S"
SWEEP_INTERVAL_ENV: Final = "BORNE_CENTRAL_SWEEP_INTERVAL_S"
COMMAND_TTL_ENV: Final = "BORNE_CENTRAL_COMMAND_TTL_S"
CHALLENGES_ENV: Final = "BORNE_CENTRAL_CHALLENGES_PER_MINUTE"
DEFAULT_CHALLENGES_PER_MINUTE: Final = 30
"""Citizen-proof nonces a kiosk may ask for in a minute: far above what residents at one kiosk
need, far below what enumerating national numbers would."""
SMTP_ENV: Final = "BORNE_CENTRAL_SMTP"
SMTP_FROM_ENV: Final = "BORNE_CENTRAL_SMTP_FROM"
ALERT_MAIL_ENV: Final = "BORNE_CENTRAL_ALERT_MAIL"


def parse_alert_recipients(text: str) -> dict[str, tuple[str, ...]]:
    """`offline=a@x,b@y;paper_low=c@z;*=ops@x` → addresses per alert kind (`*`: every kind)."""
    recipients: dict[str, tuple[str, ...]] = {}
    for part in text.split(";"):
        kind, _, addresses = part.partition("=")
        listed = tuple(a.strip() for a in addresses.split(",") if a.strip())
        if kind.strip() and listed:
            recipients[kind.strip()] = listed
    return recipients


def _smtp(text: str | None) -> tuple[str | None, int]:
    if not text:
        return None, 25
    host, _, port = text.rpartition(":")
    return (host, int(port)) if host and port.isdigit() else (text, 25)


@dataclass(frozen=True, slots=True, kw_only=True)
class CentralSettings:
    db_url: str
    """SQLAlchemy URL of the database (`sqlite:///…` or `postgresql+psycopg://…`)."""
    register_path: Path = DEMO_REGISTER_PATH
    operator_token: str = DEMO_OPERATOR_TOKEN
    heartbeat_interval_s: int = 30
    """What kiosks are told to wait between heartbeats: three fit in the offline delay."""
    max_body_bytes: int = 1024 * 1024
    """Largest request body accepted (413 beyond), but for seal verification's PDF upload."""
    token_secret: str | None = None
    """HMAC key of kiosk tokens, the same for every server process; None: kept in the database."""
    seal_roots: tuple[Path, ...] = ()
    """Municipal CA certificates that seals are verified against (`POST /api/v1/verify`)."""
    offline_after_s: float = 90.0
    """A kiosk without a heartbeat for this long is marked offline (and an alert raised)."""
    sweep_interval_s: float = 1.0
    """How often the server looks for kiosks gone silent and commands expired."""
    command_ttl_s: float = 7 * 24 * 3600.0
    """A queued command not executed within this time expires."""
    heartbeat_history: int = 2880
    """Heartbeats kept per kiosk (a day at 30 s); older ones are pruned."""
    smtp_host: str | None = None
    """SMTP server alerts are mailed through; None: no mail."""
    smtp_port: int = 25
    smtp_sender: str = "borne-central@localhost"
    alert_recipients: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Addresses per alert kind (`offline`, `paper_low`, …); `*` receives every kind."""
    alert_languages: tuple[str, ...] = ("fr", "nl", "en")
    """Languages of the alert mails' "what to do" text, in order."""
    citizen_roots: tuple[Path, ...] = ()
    """TEST eID roots trusted beside the real Belgian ones for citizen proofs (demo and tests)."""
    challenges_per_minute: int = DEFAULT_CHALLENGES_PER_MINUTE
    """Citizen-proof nonces per kiosk and minute; past it, 429 with `Retry-After`."""

    @classmethod
    def from_env(
        cls,
        *,
        db_url: str,
        register_path: Path | None = None,
        seal_roots: tuple[Path, ...] = (),
        citizen_roots: tuple[Path, ...] = (),
        max_body_bytes: int = 1024 * 1024,
        environ: Mapping[str, str] | None = None,
    ) -> CentralSettings:
        """Settings with the tokens taken from the environment when set there."""
        env = os.environ if environ is None else environ
        smtp_host, smtp_port = _smtp(env.get(SMTP_ENV))
        return cls(
            db_url=db_url,
            register_path=register_path or DEMO_REGISTER_PATH,
            operator_token=env.get(OPERATOR_TOKEN_ENV) or DEMO_OPERATOR_TOKEN,
            seal_roots=seal_roots,
            citizen_roots=citizen_roots,
            max_body_bytes=max_body_bytes,
            token_secret=env.get(TOKEN_SECRET_ENV) or None,
            offline_after_s=float(env.get(OFFLINE_AFTER_ENV) or 90.0),
            sweep_interval_s=float(env.get(SWEEP_INTERVAL_ENV) or 1.0),
            command_ttl_s=float(env.get(COMMAND_TTL_ENV) or 7 * 24 * 3600.0),
            smtp_host=smtp_host,
            smtp_port=smtp_port,
            smtp_sender=env.get(SMTP_FROM_ENV) or "borne-central@localhost",
            alert_recipients=parse_alert_recipients(env.get(ALERT_MAIL_ENV, "")),
            challenges_per_minute=int(env.get(CHALLENGES_ENV) or DEFAULT_CHALLENGES_PER_MINUTE),
        )
