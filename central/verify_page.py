"""The public verification page: was a document with this id recorded as issued?

Shows the answer in French, Dutch, German and English. No personal data: only the document id,
its type, the kiosk and the date and time of issue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from html import escape
from typing import Final

from central.store import DocumentIssue


@dataclass(frozen=True, slots=True, kw_only=True)
class _Texts:
    lang: str
    title: str
    found: str
    not_found: str
    document: str
    document_type: str
    kiosk: str
    issued_at: str


_TEXTS: Final[tuple[_Texts, ...]] = (
    _Texts(
        lang="fr",
        title="Vérification d'un document",
        found="Ce document a bien été délivré.",
        not_found="Aucun document délivré ne porte ce numéro.",
        document="Numéro",
        document_type="Type",
        kiosk="Borne",
        issued_at="Délivré le (UTC)",
    ),
    _Texts(
        lang="nl",
        title="Controle van een document",
        found="Dit document werd wel degelijk uitgereikt.",
        not_found="Er werd geen document met dit nummer uitgereikt.",
        document="Nummer",
        document_type="Soort",
        kiosk="Zuil",
        issued_at="Uitgereikt op (UTC)",
    ),
    _Texts(
        lang="de",
        title="Überprüfung eines Dokuments",
        found="Dieses Dokument wurde tatsächlich ausgestellt.",
        not_found="Es wurde kein Dokument mit dieser Nummer ausgestellt.",
        document="Nummer",
        document_type="Art",
        kiosk="Terminal",
        issued_at="Ausgestellt am (UTC)",
    ),
    _Texts(
        lang="en",
        title="Document verification",
        found="This document was issued.",
        not_found="No issued document has this number.",
        document="Number",
        document_type="Type",
        kiosk="Kiosk",
        issued_at="Issued on (UTC)",
    ),
)

_STYLE: Final = (
    "body{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}"
    "section{border-top:1px solid #ccc;padding:.5rem 0}"
    ".ok{color:#05612a}.ko{color:#a40000}dt{font-weight:bold}"
)


def _section(texts: _Texts, document_id: str, issue: DocumentIssue | None) -> str:
    if issue is None:
        return (
            f'<section lang="{texts.lang}"><h2>{escape(texts.title)}</h2>'
            f'<p class="ko" data-verdict="not-found">{escape(texts.not_found)}</p>'
            f"<dl><dt>{escape(texts.document)}</dt><dd>{escape(document_id)}</dd></dl></section>"
        )
    issued = issue.issued_at.astimezone(UTC)
    rows = [
        (texts.document, issue.document_id),
        (texts.document_type, issue.document_type or "-"),
        (texts.kiosk, issue.kiosk_id),
        (texts.issued_at, issued.strftime("%Y-%m-%d %H:%M")),
    ]
    cells = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return (
        f'<section lang="{texts.lang}"><h2>{escape(texts.title)}</h2>'
        f'<p class="ok" data-verdict="issued">{escape(texts.found)}</p><dl>{cells}</dl></section>'
    )


def render_verify_page(document_id: str, issue: DocumentIssue | None) -> str:
    """The whole HTML page for `document_id`; `issue` is None when no such document was issued."""
    sections = "".join(_section(texts, document_id, issue) for texts in _TEXTS)
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(_TEXTS[0].title)}</title><style>{_STYLE}</style></head>"
        f"<body>{sections}</body></html>"
    )
