"""Document pipeline: render, seal (SoftHSM2) and hand to CUPS, per document type.

Beside the product's sealer, the same PDF is signed with pyHanko out of the box (`SimpleSigner`
loaded from the same key as PEM, no reserved-size tuning), in the same run, as a ratio.
Starts its own PKI, SoftHSM2 token and private cupsd in a temporary directory.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from io import BytesIO
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from bench.common import Figure, median_ms
from devstack.cupsd import CupsdService
from devstack.demo_pki import ensure_municipal_pki
from devstack.softhsm import ensure_token
from printing.documents import CATALOGUE
from printing.model import CertificateData
from printing.printer import CupsPrinter
from printing.render import render
from printing.seal import Sealer
from printing.token import unload_module
from tests.documents.conftest import COMMUNE, make_data

REPEAT = 15


def run() -> list[Figure]:
    figures: list[Figure] = []
    base = Path(tempfile.mkdtemp(prefix="borne-bench-"))
    base.chmod(0o755)
    try:
        pki = ensure_municipal_pki(base / "pki")
        token = ensure_token(base_dir=base / "hsm", pki=pki)
        sealer = Sealer(token)
        stock = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]
            str(pki.seal_key_path),
            str(pki.seal_cert_path),
            ca_chain_files=(str(pki.root_cert_path),),
        )
        assert stock is not None
        cupsd = CupsdService(base / "cups") if os.geteuid() == 0 else None
        if cupsd is not None:
            cupsd.start()
        try:
            for key in sorted(CATALOGUE):
                data = make_data(document_type=key, document_id=f"2026-BENCH-{key}")
                pdf = render(data, commune=COMMUNE)

                def do_render(d: CertificateData = data) -> bytes:
                    return render(d, commune=COMMUNE)

                def do_seal(p: bytes = pdf, i: str = data.document_id) -> bytes:
                    return sealer.seal(p, document_id=i)

                t_render = median_ms(do_render, repeat=REPEAT)
                t_seal = median_ms(do_seal, repeat=REPEAT)

                def stock_sign(p: bytes = pdf) -> bytes:
                    meta = signers.PdfSignatureMetadata(field_name="Sig")
                    out = BytesIO()
                    signers.sign_pdf(IncrementalPdfFileWriter(BytesIO(p)), meta, stock, output=out)
                    return out.getvalue()

                t_stock = median_ms(stock_sign, repeat=REPEAT)
                both = []
                for _ in range(REPEAT):
                    start = time.perf_counter()
                    sealer.seal(render(data, commune=COMMUNE), document_id=data.document_id)
                    both.append((time.perf_counter() - start) * 1000)
                t_both = statistics.median(both)
                figures += [
                    Figure(name=f"{key}: render", value=t_render, unit="ms"),
                    Figure(name=f"{key}: seal (SoftHSM2)", value=t_seal, unit="ms"),
                    Figure(
                        name=f"{key}: render + seal",
                        value=t_both,
                        unit="ms",
                        note="target ≤ 60 ms",
                    ),
                    Figure(name=f"{key}: pyHanko stock SimpleSigner", value=t_stock, unit="ms"),
                    Figure(
                        name=f"{key}: stock / product seal",
                        value=t_stock / t_seal,
                        unit="×",
                        note="same PDF, same key, same run",
                    ),
                ]
                if cupsd is not None:
                    sealed = base / f"{key}.pdf"
                    sealed.write_bytes(sealer.seal(pdf, document_id=data.document_id))
                    sealed.chmod(0o644)
                    printer = CupsPrinter(queue=cupsd.printer_name, server=cupsd.server)
                    jobs: list[int] = []

                    def submit(
                        path: Path = sealed, p: CupsPrinter = printer, out: list[int] = jobs
                    ) -> None:
                        out.append(p.submit(path, title="bench"))

                    t_submit = median_ms(submit, repeat=5)
                    for job in jobs:
                        printer.wait(job, timeout=120)
                    figures.append(Figure(name=f"{key}: hand to CUPS", value=t_submit, unit="ms"))
        finally:
            if cupsd is not None:
                cupsd.stop()
            unload_module(token)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return figures
