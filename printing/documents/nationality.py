"""Certificate of Belgian nationality (nationalité belge / nationaliteitsbewijs / Staatsangehörigkeit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from printing.documents.base import (
    Context,
    DocumentType,
    body_text,
    closing,
    holder_block,
    para,
)
from printing.documents.eligibility import belgian_only
from printing.errors import DocumentError

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

_TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "intro": "Le Collège communal de {commune} certifie, sur la base des registres de la population, que :",
        "belgian": "possède la nationalité belge à la date de ce jour.",
    },
    "nl": {
        "intro": "Het college van burgemeester en schepenen van {commune} verklaart, op grond van de bevolkingsregisters, dat:",
        "belgian": "op vandaag de Belgische nationaliteit bezit.",
    },
    "de": {
        "intro": "Das Gemeindekollegium von {commune} bescheinigt auf Grundlage der Bevölkerungsregister, dass:",
        "belgian": "am heutigen Tag die belgische Staatsangehörigkeit besitzt.",
    },
}


def build(ctx: Context) -> list[Flowable]:
    if ctx.data.holder.nationality.upper() != "BE":
        raise DocumentError(
            "the register does not list the holder as Belgian",
            translation_key="documents.error.not_belgian",
            params={"field": "holder.nationality"},
        )
    st = ctx.styles
    return [
        para(body_text(_TEXT, ctx, "intro", commune=ctx.commune.name), st.body),
        *holder_block(ctx, ctx.data.holder),
        para(body_text(_TEXT, ctx, "belgian"), st.body),
        *closing(ctx),
    ]


DOCUMENT = DocumentType(
    key="nationality",
    titles={
        "fr": "Certificat de nationalité belge",
        "nl": "Nationaliteitsbewijs",
        "de": "Staatsangehörigkeitsbescheinigung",
    },
    build=build,
    eligibility=(belgian_only(),),
)
