"""The kiosk's configuration: one TOML file, validated at start-up.

Every error names the key, the value found and what was expected, so a technician can fix the file
without reading code (`kiosk.config_reader` reads the typed values). The keys the central may also set (languages, documents offered and prices,
time-outs, staff allow-list, commune texts) are validated by `offline_queue.managed_config`, the one
validator shared with the central's configuration documents. Paths and secrets can be overridden from the environment:

- ``BORNE_CONFIG``: the TOML file (default ``kiosk.toml`` in the working directory);
- ``BORNE_VAR_DIR``: where relative ``var/...`` paths point (default ``var`` beside the config);
- ``BORNE_SEAL_PIN``: the seal token's user PIN (required in production, never in the file there);
- ``BORNE_CENTRAL_URL`` and ``BORNE_CENTRAL_TOKEN``: the central server and this kiosk's token;
- ``BORNE_CENTRAL_ENROLLMENT_CODE``: the one-time code this kiosk enrolls its key with.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from hardware.payment.registry import protocols as payment_protocols
from kiosk.config_reader import ConfigError, TomlReader
from kiosk.flows import purpose as purpose_step
from kiosk.staff_auth import CodeHash, StaffCodeFormatError
from offline_queue.managed_config import (
    ManagedConfigError,
    ManagedSettings,
    managed_subset,
    validate_managed,
)
from printing.documents import CATALOGUE


class Mode(enum.Enum):
    DEMO = "demo"
    TEST = "test"
    PRODUCTION = "production"

    @property
    def trusts_test_roots(self) -> bool:
        return self is not Mode.PRODUCTION


_NO_FILE_ALLOW_LIST = "no allow-list in the file in production: the central sends it"


@dataclass(frozen=True, slots=True, kw_only=True)
class CommuneConfig:
    name: str
    address: str
    service: Mapping[str, str]  # per certificate language
    official_title: Mapping[str, str]  # per certificate language
    logo: Path | None
    kingdom: bool = False
    """Print "Royaume de Belgique" (and the province, when given) above the commune's name."""
    province: Mapping[str, str] | None = None
    """The province as printed ("Province de Namur"), per certificate language; None: not printed."""

    def province_in(self, language: str) -> str:
        if not self.province:
            return ""
        return self.province.get(language) or next(iter(self.province.values()))

    def service_in(self, language: str) -> str:
        return self.service.get(language) or next(iter(self.service.values()))

    def official_title_in(self, language: str) -> str:
        return self.official_title.get(language) or next(iter(self.official_title.values()))


@dataclass(frozen=True, slots=True, kw_only=True)
class EidConfig:
    reader_prefix: str
    test_roots: Path | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentConfig:
    protocol: str
    port: str
    baudrate: int
    journal: Path
    timeout_scale: float
    between_transactions_s: float | None = None  # None: the protocol's own (ZVT: 5 s, scaled)


@dataclass(frozen=True, slots=True, kw_only=True)
class SigningConfig:
    module: Path
    token_label: str
    key_label: str
    key_id: bytes
    pin: str | None  # None in demo/test: the simulated stack's token supplies it
    softhsm_conf: Path | None
    trust_root: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintingConfig:
    queue: str
    server: str | None
    output_dir: Path | None
    job_timeout_s: float
    receipt_queue: str | None = None
    """The receipt printer's queue (80 mm roll); None prints the receipt as a last A4 page."""
    paper_state: Path | None = None
    """The page counter / paper-level estimate file (`printing.paper.PaperTracker`)."""
    tray_capacity: int = 250
    sweep_dirs: tuple[Path, ...] = ()
    """Folders where printing leaves copies of documents (CUPS spool and temporary folders, the
    cups-pdf spool): emptied at start-up and after every job."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CentralConfig:
    url: str
    token: str
    outbox: Path
    timeout_s: float
    heartbeat_s: float = 60.0
    key_file: Path | None = None
    """The kiosk's own key (software fallback, 0600). Set: the kiosk enrolls and signs in with it
    instead of sending the shared `token`."""
    enrollment_code: str | None = None
    """One-time code from the operator (`python -m central kiosks code`) to enroll the key."""
    channel: str = "stable"
    """The update channel the heartbeat announces: `stable` or `canary`."""
    ca_file: Path | None = None
    """The central's CA (PEM), pinned: the system's bundle is not trusted for the central."""
    key_token: str | None = None
    """The PKCS#11 token (module `signing.module`) in which the kiosk makes and keeps its own key;
    preferred to `key_file`. Its PIN comes from `BORNE_KIOSK_KEY_PIN`."""
    key_label: str = "kiosk"
    key_pin: str | None = field(default=None, repr=False)
    email_documents: bool = False
    """`central.email_documents`: the resident may have the sealed PDFs e-mailed by the central
    (its SMTP server, `BORNE_CENTRAL_SMTP`), offered on the documents' screen."""
    my_requests: bool = False
    """`central.my_requests`: the document choice offers the resident's earlier documents."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggingConfig:
    directory: Path
    level: str
    console: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffConfig:
    maintenance_code_hash: str | None = None
    """scrypt hash of the one-time maintenance code; without it no staff login succeeds."""
    used_codes: Path | None = None
    """Where the fingerprints of codes already used are kept."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UiConfig:
    screen_width: int = 1080
    screen_height: int = 1920
    dpi: float = 102.0
    """A 21.5" 1920 x 1080 panel: 102 pixels an inch (0.25 mm a pixel)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechConfig:
    """The audio mode's text-to-speech engine (espeak-ng, run as a program)."""

    program: str = "espeak-ng"
    output: str = "auto"
    """auto (the sound device when there is one, else none) | device | wav | none."""
    wav_file: Path | None = None
    """With output = "wav": the last utterance as a WAV file."""
    transcript: Path | None = None
    """Every text spoken, one JSON line each (tests, training stands); BORNE_SPEECH_TRANSCRIPT."""
    headset: str = "auto"
    """What starts the audio mode when a headset is plugged in: "auto" (the headphone jacks
    /proc/bus/input/devices lists), "off", or the absolute path of one event device."""


SPEECH_OUTPUTS: Final = ("auto", "device", "wav", "none")
HEADSET_AUTO: Final = "auto"
HEADSET_OFF: Final = "off"


@dataclass(frozen=True, slots=True, kw_only=True)
class StorageConfig:
    min_free_mb: int = 64
    """Below this much free space in the data or log folder, the kiosk takes no new order."""


@dataclass(frozen=True, slots=True, kw_only=True)
class KioskConfig:
    kiosk_id: str
    mode: Mode
    languages: tuple[str, ...]
    default_language: str
    document_languages: tuple[str, ...]
    prices_cents: Mapping[str, int]
    commune: CommuneConfig
    eid: EidConfig
    payment: PaymentConfig
    signing: SigningConfig
    printing: PrintingConfig
    central: CentralConfig
    logging: LoggingConfig
    var_dir: Path
    source: Path
    staff: StaffConfig = StaffConfig()
    ui: UiConfig = UiConfig()
    managed: ManagedSettings | None = None
    """The central-managed settings (`offline_queue.managed_config`) this configuration runs."""
    storage: StorageConfig = StorageConfig()
    speech: SpeechConfig = SpeechConfig()
    purposes: tuple[str, ...] = ()
    """`kiosk.purposes`: the purposes offered after the document choice; []: no purpose step."""


def with_managed(config: KioskConfig, managed: ManagedSettings) -> KioskConfig:
    """`config` running `managed`: the file's values of the managed keys are replaced."""
    return dataclasses.replace(
        config,
        languages=managed.languages,
        default_language=managed.default_language,
        document_languages=managed.document_languages,
        prices_cents=managed.prices_cents,
        commune=dataclasses.replace(
            config.commune,
            name=managed.commune.name,
            address=managed.commune.address,
            service=managed.commune.service,
            official_title=managed.commune.official_title,
            kingdom=managed.commune.kingdom,
            province=managed.commune.province or None,
        ),
        managed=managed,
    )


def validated_managed(settings: Mapping[str, Any]) -> ManagedSettings:
    """The managed settings validated like the file's (`ConfigError` naming the bad key)."""
    try:
        return validate_managed(settings, catalogue=CATALOGUE)
    except ManagedConfigError as err:
        raise ConfigError(key=err.key, value=err.value, expected=err.expected) from err


def load_config(
    path: Path | None = None, *, environ: Mapping[str, str] | None = None
) -> KioskConfig:
    """Read and validate the configuration; raise `ConfigError` naming the first bad key."""
    env = os.environ if environ is None else environ
    source = Path(path or env.get("BORNE_CONFIG", "kiosk.toml")).resolve()
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(
            key="(file)", value=str(source), expected="an existing TOML file"
        ) from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(key="(file)", value=str(source), expected=f"valid TOML ({err})") from err
    base = source.parent
    var_dir = Path(env["BORNE_VAR_DIR"]).resolve() if "BORNE_VAR_DIR" in env else base / "var"
    return _build(
        TomlReader(data, base=base, var_dir=var_dir), env=env, source=source, var_dir=var_dir
    )


def _build(r: TomlReader, *, env: Mapping[str, str], source: Path, var_dir: Path) -> KioskConfig:
    mode = Mode(r.choice("kiosk.mode", tuple(m.value for m in Mode)))
    if mode is Mode.PRODUCTION and r.lookup("staff.allow")[0]:  # national numbers: sealed only
        raise ConfigError(key="staff.allow", value="(hidden)", expected=_NO_FILE_ALLOW_LIST)
    managed = validated_managed(managed_subset(r.data))
    signing = _signing(r, mode=mode, env=env)
    return KioskConfig(
        kiosk_id=r.text("kiosk.id"),
        mode=mode,
        languages=managed.languages,
        default_language=managed.default_language,
        document_languages=managed.document_languages,
        prices_cents=managed.prices_cents,
        commune=_commune(r, managed),
        eid=_eid(r, mode=mode),
        payment=PaymentConfig(
            protocol=r.choice("payment.protocol", payment_protocols()),
            port=r.device_address("payment.port"),
            baudrate=r.get("payment.baudrate", int, default=9600),
            journal=r.path("payment.journal"),
            timeout_scale=r.get("payment.timeout_scale", float, default=1.0),
            between_transactions_s=r.optional_seconds("payment.between_transactions_s"),
        ),
        signing=signing,
        printing=_printing(r),
        central=_central(r, mode=mode, env=env),
        logging=LoggingConfig(
            directory=r.path("logging.dir", default="var/log"),
            level=r.choice("logging.level", ("DEBUG", "INFO", "WARNING", "ERROR"), default="INFO"),
            console=r.get("logging.console", bool, default=True),
        ),
        var_dir=var_dir,
        source=source,
        staff=_staff(r),
        ui=_ui(r),
        managed=managed,
        storage=StorageConfig(min_free_mb=int(r.positive("storage.min_free_mb", int, default=64))),
        speech=_speech(r, env),
        purposes=_purposes(r),
    )


def _purposes(r: TomlReader) -> tuple[str, ...]:
    found, value = r.lookup("kiosk.purposes")
    if not found:
        return purpose_step.DEFAULT_PURPOSES
    expected = f"a list of purposes among {', '.join(purpose_step.DEFAULT_PURPOSES)}"
    if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
        raise ConfigError(key="kiosk.purposes", value=value, expected=expected)
    try:
        return purpose_step.validate(value)
    except ValueError as err:
        raise ConfigError(key="kiosk.purposes", value=value, expected=expected) from err


def _commune(r: TomlReader, managed: ManagedSettings) -> CommuneConfig:
    return CommuneConfig(
        name=managed.commune.name,
        address=managed.commune.address,
        service=managed.commune.service,
        official_title=managed.commune.official_title,
        logo=r.optional_path("commune.logo"),
        kingdom=managed.commune.kingdom,
        province=managed.commune.province or None,
    )


def _eid(r: TomlReader, *, mode: Mode) -> EidConfig:
    eid = EidConfig(
        reader_prefix=r.text("eid.reader_prefix"),
        test_roots=r.optional_path("eid.test_roots"),
    )
    if mode is Mode.PRODUCTION and eid.test_roots is not None:
        raise ConfigError(
            key="eid.test_roots",
            value=str(eid.test_roots),
            expected="no test root in production mode",
        )
    return eid


def _printing(r: TomlReader) -> PrintingConfig:
    return PrintingConfig(
        queue=r.text("printing.queue"),
        server=r.text("printing.server", default="", allow_empty=True) or None,
        output_dir=r.optional_path("printing.output_dir"),
        job_timeout_s=r.get("printing.job_timeout_s", float, default=60.0),
        receipt_queue=r.text("printing.receipt_queue", default="", allow_empty=True) or None,
        paper_state=r.path("printing.paper_state", default="var/data/paper.json"),
        tray_capacity=int(r.positive("printing.tray_capacity", int, default=250)),
        sweep_dirs=r.path_list("printing.sweep_dirs"),
    )


def _staff(r: TomlReader) -> StaffConfig:
    raw = r.text("staff.maintenance_code_hash", default="", allow_empty=True)
    if raw:
        try:
            CodeHash.parse(raw)
        except StaffCodeFormatError as err:
            raise ConfigError(
                key="staff.maintenance_code_hash",
                value="(hidden)",
                expected=f"a hash made by `python -m kiosk staff-hash` ({err})",
            ) from err
    return StaffConfig(
        maintenance_code_hash=raw or None,
        used_codes=r.path("staff.used_codes", default="var/data/staff-codes-used.json"),
    )


def _speech(r: TomlReader, env: Mapping[str, str]) -> SpeechConfig:
    output = r.choice("speech.output", SPEECH_OUTPUTS, default="auto")
    wav_file = r.optional_path("speech.wav_file")
    if output == "wav" and wav_file is None:
        raise ConfigError(key="speech.wav_file", value=None, expected="a path with output = wav")
    override = env.get("BORNE_SPEECH_TRANSCRIPT")
    return SpeechConfig(
        program=r.text("speech.program", default="espeak-ng"),
        output=output,
        wav_file=wav_file,
        transcript=r.resolve(override) if override else r.optional_path("speech.transcript"),
        headset=_headset(r),
    )


def _headset(r: TomlReader) -> str:
    raw = r.text("speech.headset", default=HEADSET_AUTO)
    if raw not in (HEADSET_AUTO, HEADSET_OFF) and not Path(raw).is_absolute():
        expected = '"auto", "off" or the absolute path of an event device (/dev/input/eventN)'
        raise ConfigError(key="speech.headset", value=raw, expected=expected)
    return raw


def _ui(r: TomlReader) -> UiConfig:
    found, value = r.lookup("ui.screen_size")
    width, height = 1080, 1920
    if found:
        if (
            not isinstance(value, list)
            or len(value) != 2
            or any(not isinstance(v, int) or isinstance(v, bool) or v < 640 for v in value)
        ):
            raise ConfigError(
                key="ui.screen_size", value=value, expected="[width, height] in pixels, each >= 640"
            )
        width, height = value
    dpi = float(r.positive("ui.dpi", float, default=102.0))
    if not 50.0 <= dpi <= 600.0:
        raise ConfigError(key="ui.dpi", value=dpi, expected="pixels per inch between 50 and 600")
    return UiConfig(screen_width=width, screen_height=height, dpi=dpi)


def _signing(r: TomlReader, *, mode: Mode, env: Mapping[str, str]) -> SigningConfig:
    found, file_pin = r.lookup("signing.pin")
    if found and mode is Mode.PRODUCTION:
        raise ConfigError(
            key="signing.pin",
            value="(set)",
            expected="no PIN in the file in production: use BORNE_SEAL_PIN",
        )
    if found and (not isinstance(file_pin, str) or not file_pin):
        raise ConfigError(key="signing.pin", value="(set)", expected="a non-empty string")
    pin = env.get("BORNE_SEAL_PIN") or (file_pin if found else None)
    if pin is None and mode is Mode.PRODUCTION:
        raise ConfigError(
            key="signing.pin", value=None, expected="BORNE_SEAL_PIN in the environment"
        )
    return SigningConfig(
        module=r.path("signing.module"),
        token_label=r.text("signing.token_label"),
        key_label=r.text("signing.key_label"),
        key_id=r.hex_bytes("signing.key_id", default="01"),
        pin=pin,
        softhsm_conf=r.optional_path("signing.softhsm_conf"),
        trust_root=r.path("signing.trust_root"),
    )


DEMO_CENTRAL_TOKEN: Final = "demo-kiosk-token"  # noqa: S105 (the public demo value, refused below)


def _central(r: TomlReader, *, mode: Mode, env: Mapping[str, str]) -> CentralConfig:
    """The central server's settings; production talks HTTPS to a pinned CA with the kiosk's key."""
    central = CentralConfig(
        url=env.get("BORNE_CENTRAL_URL") or r.text("central.url"),
        token=env.get("BORNE_CENTRAL_TOKEN")
        or r.text("central.token", default="", allow_empty=True),
        outbox=r.path("central.outbox"),
        timeout_s=r.get("central.timeout_s", float, default=5.0),
        heartbeat_s=float(r.positive("central.heartbeat_s", float, default=60.0)),
        key_file=r.optional_path("central.key_file"),
        enrollment_code=env.get("BORNE_CENTRAL_ENROLLMENT_CODE")
        or r.text("central.enrollment_code", default="", allow_empty=True)
        or None,
        ca_file=r.optional_path("central.ca_file"),
        channel=r.choice("central.channel", ("stable", "canary"), default="stable"),
        key_token=r.text("central.key_token", default="", allow_empty=True) or None,
        key_label=r.text("central.key_label", default="kiosk"),
        key_pin=env.get("BORNE_KIOSK_KEY_PIN") or None,
        email_documents=r.get("central.email_documents", bool, default=False),
        my_requests=r.get("central.my_requests", bool, default=False),
    )
    if mode is not Mode.PRODUCTION:
        return central
    if not central.url.lower().startswith("https://"):
        raise ConfigError(key="central.url", value=central.url, expected="an https:// URL")
    if central.ca_file is None:
        raise ConfigError(
            key="central.ca_file", value=None, expected="the central's CA pinned in production"
        )
    if central.key_file is None and central.key_token is None:
        raise ConfigError(
            key="central.key_token", value=None, expected="the kiosk's own key in production"
        )
    if central.key_token is not None and central.key_pin is None:
        raise ConfigError(
            key="central.key_token",
            value="(set)",
            expected="BORNE_KIOSK_KEY_PIN in the environment",
        )
    if central.token == DEMO_CENTRAL_TOKEN:
        raise ConfigError(
            key="central.token", value="(demo)", expected="no demo token in production"
        )
    return central
