"""Certificate of main residence with the address history (historique / historiek / Historie)."""

from __future__ import annotations

from reportlab.platypus import Flowable

from printing.documents import texts
from printing.documents.base import (
    Context,
    DocumentType,
    address_block,
    body_text,
    closing,
    grid,
    holder_block,
    para,
)
from printing.documents.eligibility import needs_history

_TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "intro": "Le Collège communal de {commune} certifie, sur la base des inscriptions au registre de la population, que :",
        "address": "a sa résidence principale à l'adresse suivante :",
        "history": "et qu'il ou elle a eu successivement les résidences principales suivantes ({count}) :",
        "h_address": "Adresse",
        "h_from": "Du",
        "h_to": "Au",
    },
    "nl": {
        "intro": "Het college van burgemeester en schepenen van {commune} verklaart, op grond van de inschrijvingen in het bevolkingsregister, dat:",
        "address": "zijn of haar hoofdverblijfplaats heeft op het volgende adres:",
        "history": "en dat hij of zij achtereenvolgens de volgende hoofdverblijfplaatsen had ({count}):",
        "h_address": "Adres",
        "h_from": "Van",
        "h_to": "Tot",
    },
    "de": {
        "intro": "Das Gemeindekollegium von {commune} bescheinigt auf Grundlage der Eintragungen im Bevölkerungsregister, dass:",
        "address": "seinen oder ihren Hauptwohnort unter folgender Adresse hat:",
        "history": "und nacheinander die folgenden Hauptwohnorte hatte ({count}):",
        "h_address": "Adresse",
        "h_from": "Vom",
        "h_to": "Bis",
    },
}


def build(ctx: Context) -> list[Flowable]:
    st = ctx.styles
    lang = ctx.language
    periods = sorted(ctx.data.address_history, key=lambda p: p.start, reverse=True)
    rows = [
        [
            p.address.one_line(),
            texts.short_date(p.start, lang),
            texts.short_date(p.end, lang) if p.end is not None else texts.COMMON[lang]["present"],
        ]
        for p in periods
    ]
    return [
        para(body_text(_TEXT, ctx, "intro", commune=ctx.commune.name), st.body),
        *holder_block(ctx, ctx.data.holder),
        para(body_text(_TEXT, ctx, "address"), st.body),
        *address_block(ctx, ctx.data.address.one_line()),
        para(body_text(_TEXT, ctx, "history", count=str(len(periods))), st.body),
        grid(
            ctx,
            header=[
                body_text(_TEXT, ctx, "h_address"),
                body_text(_TEXT, ctx, "h_from"),
                body_text(_TEXT, ctx, "h_to"),
            ],
            rows=rows,
        ),
        *closing(ctx),
    ]


DOCUMENT = DocumentType(
    key="residence_history",
    titles={
        "fr": "Certificat de résidence principale avec historique des adresses",
        "nl": "Bewijs van hoofdverblijfplaats met historiek van de adressen",
        "de": "Bescheinigung des Hauptwohnorts mit Adressenhistorie",
    },
    build=build,
    needs_history=True,
    eligibility=(needs_history(),),
)
