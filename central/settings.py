"""Configuration of the central server."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

DEMO_REGISTER_PATH: Final = (
    Path(__file__).resolve().parent.parent / "devstack" / "data" / "demo_register.json"
)
DEMO_KIOSK_TOKEN: Final = "demo-kiosk-token"  # noqa: S105 (public demo value)
DEMO_OPERATOR_TOKEN: Final = "demo-operator-token"  # noqa: S105 (public demo value)
KIOSK_TOKEN_ENV: Final = "BORNE_CENTRAL_KIOSK_TOKEN"  # noqa: S105 (a variable name)
OPERATOR_TOKEN_ENV: Final = "BORNE_CENTRAL_OPERATOR_TOKEN"  # noqa: S105 (a variable name)
TOKEN_SECRET_ENV: Final = "BORNE_CENTRAL_TOKEN_SECRET"  # noqa: S105 (a variable name)
SHARED_KIOSK_TOKEN_ENV: Final = "BORNE_CENTRAL_SHARED_KIOSK_TOKEN"  # noqa: S105 (a variable name)


@dataclass(frozen=True, slots=True, kw_only=True)
class CentralSettings:
    db_url: str
    """SQLAlchemy URL of the database (`sqlite:///…` or `postgresql+psycopg://…`)."""
    register_path: Path = DEMO_REGISTER_PATH
    kiosk_token: str = DEMO_KIOSK_TOKEN
    operator_token: str = DEMO_OPERATOR_TOKEN
    heartbeat_interval_s: int = 60
    max_body_bytes: int = 1024 * 1024
    token_secret: str | None = None
    """HMAC key of kiosk tokens, the same for every server process; None: kept in the database."""
    accept_shared_kiosk_token: bool = True
    """Whether the fleet's shared kiosk token is still accepted beside enrolled kiosks' tokens
    (with it the kiosk id is not bound to a credential); `BORNE_CENTRAL_SHARED_KIOSK_TOKEN=0`
    turns it off."""
    """Largest request body accepted (413 beyond), but for seal verification's PDF upload."""
    seal_roots: tuple[Path, ...] = ()
    """Municipal CA certificates that seals are verified against (`POST /api/v1/verify`)."""

    @classmethod
    def from_env(
        cls,
        *,
        db_url: str,
        register_path: Path | None = None,
        seal_roots: tuple[Path, ...] = (),
        max_body_bytes: int = 1024 * 1024,
        environ: Mapping[str, str] | None = None,
    ) -> CentralSettings:
        """Settings with the tokens taken from the environment when set there."""
        env = os.environ if environ is None else environ
        return cls(
            db_url=db_url,
            register_path=register_path or DEMO_REGISTER_PATH,
            kiosk_token=env.get(KIOSK_TOKEN_ENV) or DEMO_KIOSK_TOKEN,
            operator_token=env.get(OPERATOR_TOKEN_ENV) or DEMO_OPERATOR_TOKEN,
            seal_roots=seal_roots,
            max_body_bytes=max_body_bytes,
            token_secret=env.get(TOKEN_SECRET_ENV) or None,
            accept_shared_kiosk_token=env.get(SHARED_KIOSK_TOKEN_ENV, "1") != "0",
        )
