"""Certificate of main residence (résidence principale / hoofdverblijfplaats / Hauptwohnort)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from printing.documents.base import (
    Context,
    DocumentType,
    address_block,
    body_text,
    closing,
    current_since,
    holder_block,
    para,
)

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

_TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "intro": "Le Collège communal de {commune} certifie, sur la base des registres de la population, que :",
        "address": "a sa résidence principale à l'adresse suivante :",
        "since": "depuis le {date}.",
    },
    "nl": {
        "intro": "Het college van burgemeester en schepenen van {commune} verklaart, op grond van de bevolkingsregisters, dat:",
        "address.m": "zijn hoofdverblijfplaats heeft op het volgende adres:",
        "address.f": "haar hoofdverblijfplaats heeft op het volgende adres:",
        "address.n": "met hoofdverblijfplaats ingeschreven is op het volgende adres:",
        "since": "sinds {date}.",
    },
    "de": {
        "intro": "Das Gemeindekollegium von {commune} bescheinigt auf Grundlage der Bevölkerungsregister, dass:",
        "address.m": "seinen Hauptwohnort unter folgender Adresse hat:",
        "address.f": "ihren Hauptwohnort unter folgender Adresse hat:",
        "address.n": "mit Hauptwohnort unter folgender Adresse eingetragen ist:",
        "since": "seit dem {date}.",
    },
}


def build(ctx: Context) -> list[Flowable]:
    st = ctx.styles
    flow: list[Flowable] = [
        para(body_text(_TEXT, ctx, "intro", commune=ctx.commune.name), st.body),
        *holder_block(ctx, ctx.data.holder),
        para(body_text(_TEXT, ctx, "address"), st.body),
        *address_block(ctx, ctx.data.address.one_line()),
    ]
    since = current_since(ctx)
    if since is not None:
        flow.append(para(body_text(_TEXT, ctx, "since", date=since), st.body))
    return [*flow, *closing(ctx)]


DOCUMENT = DocumentType(
    key="residence",
    titles={
        "fr": "Certificat de résidence principale",
        "nl": "Bewijs van hoofdverblijfplaats",
        "de": "Bescheinigung des Hauptwohnorts",
    },
    build=build,
)
