"""Certificate of main residence with the address history (historique / historiek / Historie)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from printing.documents import texts
from printing.documents.base import (
    Context,
    DocumentType,
    address_block,
    body_text,
    closing,
    holder_block,
    para,
)
from printing.documents.eligibility import needs_history

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

_TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "intro": "Le Collège communal de {commune} certifie, sur la base des registres de la population, que :",
        "address": "a sa résidence principale à l'adresse suivante :",
        "history.one.m": "et qu'il a eu la résidence principale suivante :",
        "history.one.f": "et qu'elle a eu la résidence principale suivante :",
        "history.one.n": "et que sa résidence principale a été la suivante :",
        "history.many.m": "et qu'il a eu successivement les {count} résidences principales suivantes :",
        "history.many.f": "et qu'elle a eu successivement les {count} résidences principales suivantes :",
        "history.many.n": "et que ses résidences principales successives ont été les {count} suivantes :",
        "h_address": "Adresse",
        "h_from": "Du",
        "h_to": "Au",
    },
    "nl": {
        "intro": "Het college van burgemeester en schepenen van {commune} verklaart, op grond van de bevolkingsregisters, dat:",
        "address.m": "zijn hoofdverblijfplaats heeft op het volgende adres:",
        "address.f": "haar hoofdverblijfplaats heeft op het volgende adres:",
        "address.n": "met hoofdverblijfplaats ingeschreven is op het volgende adres:",
        "history.one.m": "en dat hij de volgende hoofdverblijfplaats had:",
        "history.one.f": "en dat zij de volgende hoofdverblijfplaats had:",
        "history.one.n": "en dat de hoofdverblijfplaats van deze persoon de volgende was:",
        "history.many.m": "en dat hij achtereenvolgens de volgende {count} hoofdverblijfplaatsen had:",
        "history.many.f": "en dat zij achtereenvolgens de volgende {count} hoofdverblijfplaatsen had:",
        "history.many.n": "en dat de opeenvolgende hoofdverblijfplaatsen van deze persoon de volgende {count} waren:",
        "h_address": "Adres",
        "h_from": "Van",
        "h_to": "Tot",
    },
    "de": {
        "intro": "Das Gemeindekollegium von {commune} bescheinigt auf Grundlage der Bevölkerungsregister, dass:",
        "address.m": "seinen Hauptwohnort unter folgender Adresse hat:",
        "address.f": "ihren Hauptwohnort unter folgender Adresse hat:",
        "address.n": "mit Hauptwohnort unter folgender Adresse eingetragen ist:",
        "history.one": "und den folgenden Hauptwohnort hatte:",
        "history.many": "und nacheinander die folgenden {count} Hauptwohnorte hatte:",
        "h_address": "Adresse",
        "h_from": "Vom",
        "h_to": "Bis",
    },
}


def build(ctx: Context) -> list[Flowable]:
    from printing.tables import grid_before_closing  # noqa: PLC0415 - drawn later

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
        para(
            body_text(_TEXT, ctx, "history", number=len(periods), count=str(len(periods))), st.body
        ),
        *grid_before_closing(
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
