"""Command line of the document pipeline on the development stack: render + seal, verify, print and printer status.

python -m devstack documents render --document household --lang fr --persona marie --out f.pdf
python -m devstack documents verify f.pdf --json
python -m devstack documents print f.pdf [--printer NAME] [--server S]
python -m devstack documents status [--printer NAME] [--server S] --json
"""

from __future__ import annotations

import argparse
import json
import secrets
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cups

from devstack.demo_pki import ensure_municipal_pki
from devstack.folder_printer import FolderPrinter
from devstack.register import (
    DEMO_REGISTER,
    REPO_ROOT,
    certificate_data,
    demo_commune,
    lookup,
    persona_national_number,
)
from devstack.softhsm import ensure_token
from hardware.errors import BorneError
from printing.documents import CATALOGUE
from printing.printer import CupsPrinter, find_job_output
from printing.render import render
from printing.seal import Sealer
from printing.verify import REASON_UNREADABLE, SealCheck, verify_pdf

DEFAULT_VAR = REPO_ROOT / "var"


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "value"):
        return value.value
    return value


def _render(args: argparse.Namespace) -> int:
    national_number = args.national_number
    if national_number is None and args.persona:
        national_number = persona_national_number(args.persona)
    if national_number is None:
        print("no national number: give --national-number (persona file not found)")
        return 2
    var: Path = args.var
    pki = ensure_municipal_pki(var / "pki" / "municipal")
    token = ensure_token(base_dir=var / "hsm", pki=pki)
    document_id = args.document_id or f"{datetime.now(tz=UTC):%Y}-{secrets.token_hex(4).upper()}"
    data = certificate_data(
        lookup(national_number, register_path=args.register),
        document_type=args.document,
        language=args.lang,
        document_id=document_id,
        issued_at=datetime.now(tz=UTC),
        kiosk_id=args.kiosk_id,
        verify_base_url=args.verify_base_url,
        fee_cents=args.fee_cents,
        purpose=args.purpose,
    )
    sealed = Sealer(token, tsa_url=args.tsa_url).seal(
        render(data, commune=demo_commune(args.lang)), document_id=document_id
    )
    args.out.write_bytes(sealed)
    print(f"{args.out} ({len(sealed)} bytes, document {document_id})")
    return 0


def _verdict_text(reason: str) -> str:
    """The resident-facing sentence for a verdict (English), or the key itself if none is known."""
    try:
        texts = json.loads((REPO_ROOT / "assets" / "i18n" / "en.json").read_text("utf-8"))
    except (OSError, ValueError):
        return reason
    return str(texts.get(reason, reason))


def _verify(args: argparse.Namespace) -> int:
    """One line (or one JSON object with --json) for any input: sealed, tampered, garbage, missing."""
    roots = args.trust or [ensure_municipal_pki(args.var / "pki" / "municipal").root_cert_path]
    try:
        data = args.file.read_bytes()
    except OSError as err:
        check = SealCheck(
            valid=False,
            intact=False,
            trusted=False,
            signer_subject=None,
            document_id=None,
            signed_at=None,
            reason=REASON_UNREADABLE,
        )
        detail = f"cannot read {args.file}: {err.strerror or err}"
    else:
        check = verify_pdf(data, trust_roots=roots)
        detail = f"document {check.document_id}" if check.document_id else str(args.file)
    message = _verdict_text(check.reason)
    if args.json:
        payload = {k: _jsonable(v) for k, v in asdict(check).items()}
        payload["message"] = message
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print(f"{'VALID' if check.valid else 'INVALID'}: {message} ({check.reason}; {detail})")
    return 0 if check.valid else 1


def _queue(args: argparse.Namespace) -> str:
    if args.printer:
        return str(args.printer)
    conn = cups.Connection(host=args.server) if args.server else cups.Connection()
    default = conn.getDefault()
    if not default:
        raise SystemExit("no default printer: give --printer")
    return str(default)


def _print(args: argparse.Namespace) -> int:
    if args.folder is not None:
        folder = FolderPrinter(args.folder)
        job = folder.submit(args.file.resolve(), title=args.file.stem)
        print(f"job {job}: written to {folder.output(job)} (folder printer, not printed)")
        return 0
    printer = CupsPrinter(queue=_queue(args), server=args.server)
    job_id = printer.submit(args.file.resolve(), title=args.file.stem)
    result = printer.wait(job_id, timeout=args.timeout)
    print(f"job {job_id}: {result.state.name.lower()}")
    if args.output_dir is not None and result.completed:
        print(f"output: {find_job_output(args.output_dir, job_id)}")
    return 0 if result.completed else 1


def _status(args: argparse.Namespace) -> int:
    status = CupsPrinter(queue=_queue(args), server=args.server).status()
    if args.json:
        payload = {k: _jsonable(v) for k, v in asdict(status).items()}
        payload["conditions"] = [c.value for c in status.conditions]
        print(json.dumps(payload))
    else:
        print(f"{status.state.value} reasons={','.join(status.reasons)}")
    return 0 if status.can_print else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m devstack documents",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--var", type=Path, default=DEFAULT_VAR, help="where the demo PKI and token live"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    r = sub.add_parser("render", help="render and seal a certificate from the demo register")
    r.add_argument("--document", choices=sorted(CATALOGUE), default="household")
    r.add_argument("--lang", choices=["fr", "nl", "de"], default="fr")
    who = r.add_mutually_exclusive_group(required=True)
    who.add_argument("--persona")
    who.add_argument("--national-number")
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--document-id")
    r.add_argument("--kiosk-id", default="DEMO-01")
    r.add_argument("--verify-base-url", default="https://certificats.demo-sur-meuse.be")
    r.add_argument(
        "--register", type=Path, default=DEMO_REGISTER, help="the population register (JSON)"
    )
    r.add_argument("--tsa-url", help="RFC 3161 time-stamping authority (PAdES B-T)")
    r.add_argument(
        "--fee-cents", type=int, help="the fee paid, printed on the certificate (0: free)"
    )
    r.add_argument("--purpose", default="", help='what it is for ("délivré pour servir à …")')
    r.set_defaults(func=_render)

    v = sub.add_parser("verify", help="check the seal of a certificate")
    v.add_argument("file", type=Path)
    v.add_argument("--json", action="store_true")
    v.add_argument(
        "--trust", type=Path, action="append", help="trust root (PEM); default: the demo root"
    )
    v.set_defaults(func=_verify)

    p = sub.add_parser("print", help="print a PDF and wait for the job")
    p.add_argument("file", type=Path)
    p.add_argument("--printer")
    p.add_argument("--server")
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--output-dir", type=Path, help="cups-pdf output directory, to report the file")
    p.add_argument("--folder", type=Path, help="no CUPS: write the PDF into this folder instead")
    p.set_defaults(func=_print)

    s = sub.add_parser("status", help="printer condition")
    s.add_argument("--printer")
    s.add_argument("--server")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_status)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BorneError as err:
        print(f"error: {err.translation_key}: {err}")
        return 2
