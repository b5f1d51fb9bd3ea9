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


@dataclass(frozen=True, slots=True, kw_only=True)
class CentralSettings:
    db_path: Path
    register_path: Path = DEMO_REGISTER_PATH
    kiosk_token: str = DEMO_KIOSK_TOKEN
    operator_token: str = DEMO_OPERATOR_TOKEN
    heartbeat_interval_s: int = 60
    seal_roots: tuple[Path, ...] = ()
    """Municipal CA certificates that seals are verified against (`POST /api/v1/verify`)."""

    @classmethod
    def from_env(
        cls,
        *,
        db_path: Path,
        register_path: Path | None = None,
        seal_roots: tuple[Path, ...] = (),
        environ: Mapping[str, str] | None = None,
    ) -> CentralSettings:
        """Settings with the tokens taken from the environment when set there."""
        env = os.environ if environ is None else environ
        return cls(
            db_path=db_path,
            register_path=register_path or DEMO_REGISTER_PATH,
            kiosk_token=env.get(KIOSK_TOKEN_ENV) or DEMO_KIOSK_TOKEN,
            operator_token=env.get(OPERATOR_TOKEN_ENV) or DEMO_OPERATOR_TOKEN,
            seal_roots=seal_roots,
        )
