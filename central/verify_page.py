"""The public verification page: was a document with this id issued, and does this paper match it?

The QR code printed on a certificate opens `/verify/{document_id}?h={code}`, where `code` is the
verification code printed under it (12 hex digits of the hash of the certified content). The page
compares it with the code the kiosk reported when it issued the document:

- the codes match: the paper matches the document issued on that date by that kiosk;
- they differ: a warning that the paper may have been altered;
- no `h`: the expected code, for the holder to compare with the one printed under the QR code;
- no code recorded (documents reported by older kiosks): only that the document was issued.

Shows the answer in French, Dutch, German and English. No personal data: only the document id,
its type (named in each language), the commune, the kiosk, the date and time of issue in Belgian
local time (Europe/Brussels) and the verification code.
"""

from __future__ import annotations

import enum
import hmac
import json
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from central.store import DocumentIssue
from offline_queue.wire import format_verification_code, normalise_verification_code

LOCAL_TIME: Final = ZoneInfo("Europe/Brussels")
_I18N_DIR: Final = Path(__file__).resolve().parent.parent / "assets" / "i18n"


@cache
def _document_names(lang: str) -> dict[str, str]:
    """The documents' names in `lang`, as the kiosk shows them (`document.<type>`)."""
    try:
        texts = json.loads((_I18N_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    prefix = "document."
    return {
        key[len(prefix) :]: str(value)
        for key, value in texts.items()
        if key.startswith(prefix) and key.count(".") == 1
    }


def document_name(document_type: str | None, lang: str) -> str:
    """A document type's name in `lang` (the type itself when it has none)."""
    if not document_type:
        return "-"
    return _document_names(lang).get(document_type, document_type)


class Verdict(enum.StrEnum):
    """What the page says; also the `data-verdict` attribute of its answer."""

    NOT_FOUND = "not-found"
    MATCH = "match"
    MISMATCH = "mismatch"
    ISSUED = "issued"
    """Recorded as issued, no code on the request to compare (the expected code is shown)."""
    NO_CODE = "no-code"
    """Recorded as issued, but no verification code was recorded to compare with."""


def judge(issue: DocumentIssue | None, presented: str | None) -> Verdict:
    """Compare the code `presented` (the QR code's `h`, any form, or None) with the recorded one."""
    if issue is None:
        return Verdict.NOT_FOUND
    if issue.verification_code is None:
        return Verdict.NO_CODE
    if presented is None or not presented.strip():
        return Verdict.ISSUED
    code = normalise_verification_code(presented)
    if code is not None and hmac.compare_digest(code, issue.verification_code):
        return Verdict.MATCH
    return Verdict.MISMATCH


@dataclass(frozen=True, slots=True, kw_only=True)
class _Texts:
    lang: str
    title: str
    found: str
    not_found: str
    match: str
    mismatch: str
    expected: str
    no_code: str
    document: str
    document_type: str
    kiosk: str
    issued_at: str
    commune: str


_TEXTS: Final[tuple[_Texts, ...]] = (
    _Texts(
        lang="fr",
        title="Vérification d'un document",
        found="Ce document a bien été délivré.",
        not_found="Aucun document délivré ne porte ce numéro.",
        match="Ce papier correspond au document délivré le {issued_at} par la borne {kiosk}.",
        mismatch=(
            "Attention : le code figurant sur ce papier ne correspond pas : il a peut-être été"
            " modifié. Contactez la commune."
        ),
        expected=(
            "Code de vérification attendu : {code}. Comparez-le avec le code imprimé sous le"
            " QR code."
        ),
        no_code="Aucun code de vérification n'est enregistré pour ce document.",
        document="Numéro",
        document_type="Type",
        kiosk="Borne",
        issued_at="Délivré le",
        commune="Commune",
    ),
    _Texts(
        lang="nl",
        title="Controle van een document",
        found="Dit document werd wel degelijk uitgereikt.",
        not_found="Er werd geen document met dit nummer uitgereikt.",
        match=(
            "Dit papier komt overeen met het document dat op {issued_at} door zuil {kiosk} werd"
            " uitgereikt."
        ),
        mismatch=(
            "Opgelet: de code op dit papier komt niet overeen: het werd mogelijk gewijzigd."
            " Neem contact op met de gemeente."
        ),
        expected=(
            "Verwachte controlecode: {code}. Vergelijk ze met de code die onder de QR-code"
            " gedrukt staat."
        ),
        no_code="Voor dit document werd geen controlecode geregistreerd.",
        document="Nummer",
        document_type="Soort",
        kiosk="Zuil",
        issued_at="Uitgereikt op",
        commune="Gemeente",
    ),
    _Texts(
        lang="de",
        title="Überprüfung eines Dokuments",
        found="Dieses Dokument wurde tatsächlich ausgestellt.",
        not_found="Es wurde kein Dokument mit dieser Nummer ausgestellt.",
        match=(
            "Dieses Papier entspricht dem Dokument, das am {issued_at} vom Terminal {kiosk}"
            " ausgestellt wurde."
        ),
        mismatch=(
            "Achtung: Der Code auf diesem Papier stimmt nicht überein: Es wurde möglicherweise"
            " verändert. Wenden Sie sich an die Gemeinde."
        ),
        expected=(
            "Erwarteter Prüfcode: {code}. Vergleichen Sie ihn mit dem Code, der unter dem"
            " QR-Code gedruckt ist."
        ),
        no_code="Für dieses Dokument wurde kein Prüfcode gespeichert.",
        document="Nummer",
        document_type="Art",
        kiosk="Terminal",
        issued_at="Ausgestellt am",
        commune="Gemeinde",
    ),
    _Texts(
        lang="en",
        title="Document verification",
        found="This document was issued.",
        not_found="No issued document has this number.",
        match="This paper matches the document issued on {issued_at} by kiosk {kiosk}.",
        mismatch=(
            "Warning: the code on this paper does not match: it may have been altered."
            " Contact the commune."
        ),
        expected=(
            "Expected verification code: {code}. Compare it with the code printed under the"
            " QR code."
        ),
        no_code="No verification code was recorded for this document.",
        document="Number",
        document_type="Type",
        kiosk="Kiosk",
        issued_at="Issued on",
        commune="Commune",
    ),
)

_STYLE: Final = (
    "body{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}"
    "section{border-top:1px solid #ccc;padding:.5rem 0}"
    ".ok{color:#05612a}.ko{color:#a40000;font-weight:bold}dt{font-weight:bold}"
    ".code{font-family:monospace;font-size:1.2em}"
)


def _answer(texts: _Texts, issue: DocumentIssue, verdict: Verdict, issued: str) -> str:
    if verdict is Verdict.MATCH:
        line = texts.match.format(issued_at=issued, kiosk=issue.kiosk_id)
        return f'<p class="ok" data-verdict="{verdict}">{escape(line)}</p>'
    if verdict is Verdict.MISMATCH:
        return f'<p class="ko" data-verdict="{verdict}">{escape(texts.mismatch)}</p>'
    # a document without a recorded code was still issued: same verdict as before codes existed
    found = f'<p class="ok" data-verdict="{Verdict.ISSUED}">{escape(texts.found)}</p>'
    if verdict is Verdict.ISSUED and issue.verification_code is not None:
        code = format_verification_code(issue.verification_code)
        before, _, after = texts.expected.partition("{code}")
        return (
            f'{found}<p>{escape(before)}<strong class="code" data-code>{escape(code)}</strong>'
            f"{escape(after)}</p>"
        )
    return f'{found}<p data-code="none">{escape(texts.no_code)}</p>'


def _section(
    texts: _Texts,
    document_id: str,
    issue: DocumentIssue | None,
    verdict: Verdict,
    commune: str | None,
) -> str:
    if issue is None:
        return (
            f'<section lang="{texts.lang}"><h2>{escape(texts.title)}</h2>'
            f'<p class="ko" data-verdict="{Verdict.NOT_FOUND}">{escape(texts.not_found)}</p>'
            f"<dl><dt>{escape(texts.document)}</dt><dd>{escape(document_id)}</dd></dl></section>"
        )
    issued = issue.issued_at.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M")
    rows = [
        (texts.document, issue.document_id),
        (texts.document_type, document_name(issue.document_type, texts.lang)),
        *([(texts.commune, commune)] if commune else []),
        (texts.kiosk, issue.kiosk_id),
        (texts.issued_at, issued),
    ]
    cells = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return (
        f'<section lang="{texts.lang}"><h2>{escape(texts.title)}</h2>'
        f"{_answer(texts, issue, verdict, issued)}<dl>{cells}</dl></section>"
    )


def render_verify_page(
    document_id: str,
    issue: DocumentIssue | None,
    *,
    presented: str | None = None,
    commune: str | None = None,
) -> str:
    """The whole HTML page for `document_id`; `issue` is None when no such document was issued.

    `presented` is the request's `h` (the code on the paper), None when absent. It is compared with
    the recorded code (see `judge`) and never echoed. `commune`: the municipality that issued it.
    """
    answer = judge(issue, presented)
    sections = "".join(_section(texts, document_id, issue, answer, commune) for texts in _TEXTS)
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(_TEXTS[0].title)}</title><style>{_STYLE}</style></head>"
        f"<body>{sections}</body></html>"
    )
