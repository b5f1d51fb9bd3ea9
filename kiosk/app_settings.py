"""What the kiosk derives from its configuration: settings of the journey, the seal and kiosk key
tokens, the commune's texts, the storage guard, the speech and the staff login."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from hardware.speech import SpeechOutput
from kiosk.adapters.headset import HeadsetDetector
from kiosk.adapters.kiosk_key import KIOSK_KEY_ID
from kiosk.adapters.speech import SpeechSettings
from kiosk.config import HEADSET_OFF, KioskConfig
from kiosk.journey import (
    DEFAULT_TIMEOUTS_S,
    JourneySettings,
)
from kiosk.ports import Catalogue
from kiosk.session import SessionState
from kiosk.staff_auth import StaffAuthenticator
from kiosk.storage import (
    StorageGuard,
)
from printing.documents import CATALOGUE
from printing.model import Commune
from printing.token import TokenConfig

log = logging.getLogger(__name__)


def private_folders(config: KioskConfig) -> tuple[Path, ...]:
    """The folders under `var/` that hold personal data, keys or records: 0700, files 0600."""
    var = config.var_dir.resolve()
    folders = {
        config.payment.journal.parent,
        config.central.outbox.parent,
        config.logging.directory,
        config.var_dir / "spool",
    }
    return tuple(sorted(f for f in folders if f.resolve().is_relative_to(var)))


def storage_guard(config: KioskConfig) -> StorageGuard:
    return StorageGuard(
        directories=(
            config.payment.journal.parent,
            config.central.outbox.parent,
            config.logging.directory,
        ),
        min_free_bytes=config.storage.min_free_mb * 1024 * 1024,
    )


def token_config(config: KioskConfig) -> TokenConfig:
    if config.signing.pin is None:
        msg = "the seal token's PIN is not known (set BORNE_SEAL_PIN)"
        raise ValueError(msg)
    return TokenConfig(
        module_path=config.signing.module,
        conf_path=config.signing.softhsm_conf,
        token_label=config.signing.token_label,
        key_label=config.signing.key_label,
        key_id=config.signing.key_id,
        user_pin=config.signing.pin,
    )


def kiosk_key_token(config: KioskConfig) -> TokenConfig | None:
    """Where the kiosk keeps its own key: a token beside the seal's (same module), if configured."""
    if config.central.key_token is None or config.central.key_pin is None:
        return None
    return TokenConfig(
        module_path=config.signing.module,
        conf_path=config.signing.softhsm_conf,
        token_label=config.central.key_token,
        key_label=config.central.key_label,
        key_id=KIOSK_KEY_ID,
        user_pin=config.central.key_pin,
    )


def communes_of(config: KioskConfig) -> dict[str, Commune]:
    """The commune's texts per certificate language, as printed on the documents."""
    return {
        language: Commune(
            name=config.commune.name,
            address=config.commune.address,
            service=config.commune.service_in(language),
            official_title=config.commune.official_title_in(language),
            logo_path=config.commune.logo
            if config.commune.logo and config.commune.logo.exists()
            else None,
            kingdom=config.commune.kingdom,
            province=config.commune.province_in(language),
        )
        for language in config.document_languages
    }


def journey_settings(config: KioskConfig) -> JourneySettings:
    offered = {k: v for k, v in config.prices_cents.items() if k in CATALOGUE}
    for missing in sorted(set(config.prices_cents) - set(offered)):
        log.warning(
            "document_not_offered", extra={"document_type": missing, "reason": "no template"}
        )
    managed = config.managed
    timeouts = dict(DEFAULT_TIMEOUTS_S)
    if managed is not None:
        timeouts.update({SessionState(k): v for k, v in managed.timeouts_s.items()})
    return JourneySettings(
        commune_name=config.commune.name,
        catalogue=Catalogue(prices_cents=offered, languages=config.document_languages),
        kiosk_id=config.kiosk_id,
        languages=config.languages,
        timeouts_s=timeouts,
        timeout_warning_s=managed.timeout_warning_s if managed is not None else 20.0,
        purposes=config.purposes,
    )


def speech_settings(config: KioskConfig) -> SpeechSettings:
    return SpeechSettings(
        program=config.speech.program,
        output=SpeechOutput(config.speech.output),
        wav_path=config.speech.wav_file,
        transcript=config.speech.transcript,
    )


def headset_detector(config: KioskConfig) -> HeadsetDetector | None:
    """What starts the audio mode when a headset is plugged in (`speech.headset`; None: off)."""
    if config.speech.headset == HEADSET_OFF:
        return None
    return HeadsetDetector(source=config.speech.headset)


def staff_authenticator(config: KioskConfig) -> StaffAuthenticator:
    """Checks the staff login's one-time maintenance codes (`staff.*` keys)."""
    return StaffAuthenticator(
        code_hash=config.staff.maintenance_code_hash,
        used_file=config.staff.used_codes,
        clock=time.monotonic,
    )
