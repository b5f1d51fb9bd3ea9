from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path
from typing import NamedTuple

import pytest

from hardware.payment.journal import PaymentRecord, PaymentState
from kiosk import i18n
from kiosk.claim_slip import DETAIL_KEYS, INSTRUCTION_KEYS, INTRO_KEY, TITLE_KEY, claim_slip
from kiosk.i18n import LANGUAGES, catalog, format_price, translate
from kiosk.view import PROMPT_KEYS, document_title_key
from printing.printer import PrinterState

REPO = Path(__file__).resolve().parents[2]
NAMESPACES = (
    "attract", "language", "insert_card", "reading", "pin", "verifying", "documents", "summary",
    "payment", "issuing", "reversing", "take_documents", "remove_card", "error", "eid",
    "printing", "document", "common", "timeout", "out_of_service",
)  # fmt: skip
KEY_SHAPE = re.compile(rf"^(?:{'|'.join(NAMESPACES)})\.[a-z_]+(?:\.[a-z_]+)*$")
REQUIRED = {
    "error.generic", "error.device", "error.device_unavailable", "error.device_busy",
    "error.device_timeout", "error.cancelled", "eid.error.expired", "eid.error.verification",
    "eid.error.pin_blocked", "eid.error.card_removed", "payment.declined",
    "payment.status.insert_card", "payment.status.enter_pin", "payment.status.processing",
    "printing.error", "document.household", "document.residence", "document.residence_history",
    "document.nationality", "document.life", "document.registration",
}  # fmt: skip


def keys_in_source() -> set[str]:
    keys: set[str] = set()
    files = [REPO / "kiosk" / name for name in ("journey.py", "session.py", "view.py")]
    files += sorted((REPO / "kiosk" / "flows").glob("*.py"))
    files += sorted((REPO / "ui").rglob("*.py"))
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and KEY_SHAPE.match(node.value)
            ):
                keys.add(node.value)
    return keys


# Keys carried by the errors and results of the device, document, outbox and core layers: they reach
# the resident's screen through `error_key`, the payment prompt or the claim slip.
ERROR_KEY_PACKAGES = ("hardware", "printing", "offline_queue", "kiosk")
SIMULATORS = REPO / "hardware" / "simulators"
ERROR_NAMESPACES = "|".join(("eid", "payment", "printing", "documents", "error"))
_SEGMENT = r"[a-z0-9]+(?:_[a-z0-9]+)*"
ERROR_KEY_SHAPE = re.compile(rf"^(?:{ERROR_NAMESPACES})(?:\.{_SEGMENT})+$")
"""A whole key: "payment.status.insert_card", "documents.error.field_missing"."""
KEY_PREFIX_SHAPE = re.compile(rf"^(?:{ERROR_NAMESPACES})(?:\.{_SEGMENT})*\.(?:{_SEGMENT}_)?$")
"""The start of a key built at run time: "printing.state." or "documents.error.field_"."""

DYNAMIC_KEYS: dict[str, tuple[str, ...]] = {
    # printing/printer.py, PrinterState.translation_key: f"printing.state.{self.value}"
    "printing.state.{}": (
        "ready", "busy", "paper_out", "paper_low", "jam", "door_open", "toner_low", "toner_out",
        "offline", "stopped", "not_accepting",
    ),
    # printing/validate.py, _refuse(field, problem, ...): f"documents.error.field_{problem}"
    "documents.error.field_{}": ("missing", "too_long", "charset", "invalid"),
    # printing/documents/base.py, DocumentType.description_key: one per document module
    "documents.description.{}": (
        "household", "residence", "residence_history", "nationality", "life", "registration",
    ),
}  # fmt: skip
"""Every key built at run time, template → the values its placeholder takes in the code."""


class ErrorKeys(NamedTuple):
    keys: frozenset[str]
    """Whole keys written in the code."""
    raised: frozenset[str]
    """Among them, those given as an error's `translation_key` (shown without the error's params)."""
    templates: frozenset[str]
    """Keys built at run time, as templates with "{}" for the variable part."""


def _template(node: ast.JoinedStr) -> str:
    return "".join(
        str(part.value) if isinstance(part, ast.Constant) else "{}" for part in node.values
    )


def _is_translation_key(target: ast.expr) -> bool:
    """`translation_key` or `<anything>.translation_key` as an assignment target."""
    if isinstance(target, ast.Name):
        return target.id == "translation_key"
    return isinstance(target, ast.Attribute) and target.attr == "translation_key"


def _translation_key_value(node: ast.AST) -> ast.expr | None:
    """The value of `translation_key = ...` or `translation_key: str = ...`, else None."""
    if isinstance(node, ast.Assign) and any(_is_translation_key(t) for t in node.targets):
        return node.value
    if isinstance(node, ast.AnnAssign) and _is_translation_key(node.target):
        return node.value
    return None


def _is_module(name: str) -> bool:
    """`name` is a module or package of the repository ("printing.seal"), not a key."""
    path = REPO.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or path.is_dir()


def scan_error_keys(source: str) -> ErrorKeys:
    """The translation keys in `source`.

    Counted: every string given to `translation_key` (class attribute or keyword argument, in any
    namespace, both branches of a conditional), and every other string constant shaped like a key
    of the eid / payment / printing / documents / error namespaces (module constants, dataclass
    defaults, dict values, returned values, the default of a `.get(code, default)` lookup...).
    Not counted: strings passed as arguments to a call under another name than `translation_key`
    (logger names and events, configuration paths such as `r.text("printing.queue")` or
    `ConfigError(key="eid.test_roots")`) and names of the repository's modules. F-strings and
    "prefix." constants that start a key are reported as templates, to be listed in DYNAMIC_KEYS.
    """
    tree = ast.parse(source)
    declared: list[ast.expr] = []
    skip: set[int] = set()  # call arguments (but translation_key=) and the pieces of f-strings
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            args = node.args
            if isinstance(node.func, ast.Attribute) and node.func.attr == "get" and len(args) == 2:
                args = args[:1]  # mapping.get(code, "payment.status.processing"): a key
            skip.update(id(arg) for arg in args)
            for keyword in node.keywords:
                if keyword.arg == "translation_key":
                    declared.append(keyword.value)
                else:
                    skip.add(id(keyword.value))
        elif isinstance(node, ast.JoinedStr):
            skip.update(id(part) for part in node.values)
        elif (value := _translation_key_value(node)) is not None:
            declared.append(value)
    keys: set[str] = set()
    raised: set[str] = set()
    templates: set[str] = set()
    for value in declared:
        for node in ast.walk(value):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                raised.add(node.value)
            elif isinstance(node, ast.JoinedStr):
                templates.add(_template(node))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if ERROR_KEY_SHAPE.match(node.value) and not _is_module(node.value):
                keys.add(node.value)
            elif KEY_PREFIX_SHAPE.match(node.value):
                templates.add(node.value + "{}")
        elif isinstance(node, ast.JoinedStr):
            template = _template(node)
            if KEY_PREFIX_SHAPE.match(template.split("{}", 1)[0]):
                templates.add(template)
    return ErrorKeys(frozenset(keys | raised), frozenset(raised), frozenset(templates))


@functools.cache
def error_keys_in_source() -> ErrorKeys:
    """`scan_error_keys` over hardware/ (but its simulators), printing/, offline_queue/, kiosk/."""
    keys: set[str] = set()
    raised: set[str] = set()
    templates: set[str] = set()
    for package in ERROR_KEY_PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if SIMULATORS in path.parents:
                continue
            found = scan_error_keys(path.read_text(encoding="utf-8"))
            keys |= found.keys
            raised |= found.raised
            templates |= found.templates
    return ErrorKeys(frozenset(keys), frozenset(raised), frozenset(templates))


def expand(template: str) -> set[str]:
    return {template.format(value) for value in DYNAMIC_KEYS[template]}


def device_and_document_keys() -> set[str]:
    found = error_keys_in_source()
    return set(found.keys).union(*(expand(t) for t in found.templates if t in DYNAMIC_KEYS))


def test_source_scan_finds_keys() -> None:
    assert {"pin.wrong", "summary.total", "common.cancel"} <= keys_in_source()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_used_in_code_exists(lang: str) -> None:
    used = keys_in_source() | REQUIRED | set(PROMPT_KEYS.values())
    used |= {document_title_key(t) for t in ("household", "residence", "life")}
    missing = sorted(k for k in used if k not in catalog(lang))
    assert missing == []


def test_error_key_scan_counts_keys_and_skips_other_dotted_names() -> None:
    sample = """
log = logging.getLogger("devstack.cupsd")
log.info("eid.read", extra={"document": "x"})
LEVELS = {"printing.seal": "INFO", "printing.documents": "DEBUG"}
cfg = r.text("payment.port")
rate = r.get("payment.baudrate", int, default=9600)
fail = ConfigError(key="eid.test_roots", value=1, expected="x")
class SampleError(BorneError):
    translation_key = "eid.error.sample"
    translation_key: str = "error.annotated"
raise SampleError("m", translation_key="seal.failed" if a else "documents.error.other")
err.translation_key = "printing.error.assigned"
KEY = "payment.status.sample"
REASONS = {1: "documents.verify.sample"}
def result(code): return "payment.returned"
status = STATUS_KEYS.get(code, "payment.status.default")
state = f"printing.state.{value}"
slip = "payment.claim." + name
label = f"error: {err.translation_key}"
"""
    found = scan_error_keys(sample)
    assert found.raised == {
        "eid.error.sample", "error.annotated", "seal.failed", "documents.error.other",
        "printing.error.assigned",
    }  # fmt: skip
    assert found.keys == found.raised | {
        "payment.status.sample", "documents.verify.sample", "payment.returned",
        "payment.status.default",
    }  # fmt: skip
    assert found.templates == {"printing.state.{}", "payment.claim.{}"}


def test_error_key_scan_of_the_code() -> None:
    found = error_keys_in_source()
    assert {
        "error.device_unavailable",  # class attribute
        "eid.error.tampered",  # conditional translation_key= argument
        "documents.error.seal_pin_locked",  # nested conditional
        "payment.status.card_expired",  # terminal status code → key
        "payment.already_reversed",  # returned by result_key()
        "payment.claim.keep_slip",  # claim slip keys
        "documents.verify.modified_after_seal",  # verification result
        "error.config",  # kiosk/config.py
    } <= found.keys
    assert {"eid.error.generic", "printing.error.cupsd_start", "error.outbox"} <= found.raised
    config_paths = {"eid.reader_prefix", "eid.test_roots", "payment.port", "printing.queue"}
    assert not config_paths & found.keys


def test_every_dynamic_key_is_listed() -> None:
    assert sorted(error_keys_in_source().templates) == sorted(DYNAMIC_KEYS)


def test_dynamic_key_values_follow_the_code() -> None:
    assert expand("printing.state.{}") == {state.translation_key for state in PrinterState}
    validate = ast.parse((REPO / "printing" / "validate.py").read_text(encoding="utf-8"))
    problems = [
        node.args[1]
        for node in ast.walk(validate)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_refuse"
    ]
    assert problems
    assert all(isinstance(p, ast.Constant) and isinstance(p.value, str) for p in problems)
    values = {p.value for p in problems if isinstance(p, ast.Constant)}
    assert values == set(DYNAMIC_KEYS["documents.error.field_{}"])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_device_and_document_key_exists(lang: str) -> None:
    missing = sorted(k for k in device_and_document_keys() if k not in catalog(lang))
    assert missing == []


def test_error_texts_have_no_placeholders() -> None:
    """The error screen fills `error_key` without the error's `params`: "{x}" would show as is."""
    field = re.compile(r"\{(\w+)\}")
    raised = error_keys_in_source().raised | expand("documents.error.field_{}")
    with_fields = sorted(k for k in raised if field.search(catalog("fr").get(k, "")))
    assert with_fields == []


def test_claim_slip_texts_use_the_placeholders_the_code_passes() -> None:
    record = PaymentRecord(
        reference="order-7",
        amount_cents=1250,
        currency="EUR",
        state=PaymentState.MANUAL_REVIEW,
        created_at="2024-05-02T10:15:00+00:00",
        updated_at="2024-05-02T10:16:00+00:00",
        receipt_number="0042",
        masked_pan="670300******1234",
        card_brand="Bancontact",
        terminal_id="52500001",
        trace="000042",
    )
    slip = claim_slip(record, commune="Namur", kiosk_id="K-03")
    lines = (slip.title, *slip.lines)
    assert [line.key for line in lines] == [TITLE_KEY, INTRO_KEY, *DETAIL_KEYS, *INSTRUCTION_KEYS]
    field = re.compile(r"\{(\w+)\}")
    for lang in LANGUAGES:
        for line in lines:
            params = line.params_dict()
            assert set(field.findall(catalog(lang)[line.key])) == set(params), (lang, line.key)
            assert "{" not in translate(line.key, lang, **params), (lang, line.key)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_files_are_sorted_and_formatted(lang: str) -> None:
    text = (i18n.i18n_dir() / f"{lang}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert text == json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def test_all_languages_have_the_same_keys() -> None:
    reference = set(catalog("fr"))
    for lang in LANGUAGES:
        assert set(catalog(lang)) == reference, lang


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_match_french(lang: str) -> None:
    field = re.compile(r"\{(\w+)\}")
    for key, text in catalog("fr").items():
        assert set(field.findall(catalog(lang)[key])) == set(field.findall(text)), key


def test_translate_fills_placeholders_and_falls_back() -> None:
    assert translate("pin.tries_left", "nl", tries=2) == "Resterende pogingen: 2"
    assert translate("pin.wrong", "xx") == translate("pin.wrong", "fr")
    assert translate("no.such.key", "de") == "no.such.key"
    assert translate("summary.total", "en") == "Total: {total}"


def test_language_names_are_in_their_own_language() -> None:
    names = {lang: translate("language.name", lang) for lang in LANGUAGES}
    assert names == {"fr": "Français", "nl": "Nederlands", "de": "Deutsch", "en": "English"}


def test_prices() -> None:
    assert format_price(250, "fr") == "2,50 €"
    assert format_price(1005, "en") == "€10.05"


def test_assets_dir_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BORNE_ASSETS_DIR", str(tmp_path))
    assert i18n.i18n_dir() == tmp_path / "i18n"
    monkeypatch.delenv("BORNE_ASSETS_DIR")
    assert (i18n.i18n_dir() / "fr.json").is_file()
