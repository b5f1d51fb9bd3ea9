"""Life certificate (certificat de vie / bewijs van leven / Lebensbescheinigung)."""

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

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

_TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "intro": "Le Collège communal de {commune} certifie, sur la base des registres de la population, que :",
        "address.m": "domicilié à l'adresse suivante :",
        "address.f": "domiciliée à l'adresse suivante :",
        "address.n": "ayant sa résidence principale à l'adresse suivante :",
        "alive": "est en vie à la date du {date}, la personne s'étant présentée munie de sa carte d'identité électronique.",
    },
    "nl": {
        "intro": "Het college van burgemeester en schepenen van {commune} verklaart, op grond van de bevolkingsregisters, dat:",
        "address": "wonende op het volgende adres:",
        "alive": "in leven is op {date}, waarbij de persoon zich met de elektronische identiteitskaart heeft aangemeld.",
    },
    "de": {
        "intro": "Das Gemeindekollegium von {commune} bescheinigt auf Grundlage der Bevölkerungsregister, dass:",
        "address": "wohnhaft unter folgender Adresse:",
        "alive": "am {date} am Leben ist; die Person hat sich mit ihrem elektronischen Personalausweis ausgewiesen.",
    },
}


def build(ctx: Context) -> list[Flowable]:
    st = ctx.styles
    today = texts.long_date(texts.local_day(ctx.data.issued_at), ctx.language)
    return [
        para(body_text(_TEXT, ctx, "intro", commune=ctx.commune.name), st.body),
        *holder_block(ctx, ctx.data.holder),
        para(body_text(_TEXT, ctx, "address"), st.body),
        *address_block(ctx, ctx.data.address.one_line()),
        para(body_text(_TEXT, ctx, "alive", date=today), st.body),
        *closing(ctx),
    ]


DOCUMENT = DocumentType(
    key="life",
    titles={
        "fr": "Certificat de vie",
        "nl": "Bewijs van leven",
        "de": "Lebensbescheinigung",
    },
    build=build,
)
