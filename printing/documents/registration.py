"""Registration certificate (certificat d'inscription / bewijs van inschrijving / Eintragungsbescheinigung)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from printing.documents import texts
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
        "intro": "Le Collège communal de {commune} certifie que :",
        "registered.m": "de nationalité {nationality}, est inscrit au {register} de la commune, à l'adresse suivante :",
        "registered.f": "de nationalité {nationality}, est inscrite au {register} de la commune, à l'adresse suivante :",
        "registered.n": "de nationalité {nationality}, figure au {register} de la commune, à l'adresse suivante :",
        "registered_other.m": "nationalité : {nationality}, est inscrit au {register} de la commune, à l'adresse suivante :",
        "registered_other.f": "nationalité : {nationality}, est inscrite au {register} de la commune, à l'adresse suivante :",
        "registered_other.n": "nationalité : {nationality}, figure au {register} de la commune, à l'adresse suivante :",
        "since": "depuis le {date}.",
    },
    "nl": {
        "intro": "Het college van burgemeester en schepenen van {commune} verklaart dat:",
        "registered": "van {nationality} nationaliteit, ingeschreven is in het {register} van de gemeente, op het volgende adres:",
        "registered_other": "nationaliteit: {nationality}, ingeschreven is in het {register} van de gemeente, op het volgende adres:",
        "since": "sinds {date}.",
    },
    "de": {
        "intro": "Das Gemeindekollegium von {commune} bescheinigt, dass:",
        "registered": "{nationality} Staatsangehörigkeit, im {register} der Gemeinde unter folgender Adresse eingetragen ist:",
        "registered_other": "Staatsangehörigkeit: {nationality}, im {register} der Gemeinde unter folgender Adresse eingetragen ist:",
        "since": "seit dem {date}.",
    },
}

_NATIONALITY_ADJECTIVE: dict[str, dict[str, str]] = {
    # FR: feminine (agrees with "nationalité"); NL: inflected adjective; DE: genitive.
    "fr": {
        "BE": "belge",
        "FR": "française",
        "NL": "néerlandaise",
        "DE": "allemande",
        "IT": "italienne",
        "LU": "luxembourgeoise",
        "ES": "espagnole",
        "PT": "portugaise",
        "PL": "polonaise",
        "RO": "roumaine",
        "MA": "marocaine",
        "TR": "turque",
    },
    "nl": {
        "BE": "Belgische",
        "FR": "Franse",
        "NL": "Nederlandse",
        "DE": "Duitse",
        "IT": "Italiaanse",
        "LU": "Luxemburgse",
        "ES": "Spaanse",
        "PT": "Portugese",
        "PL": "Poolse",
        "RO": "Roemeense",
        "MA": "Marokkaanse",
        "TR": "Turkse",
    },
    "de": {
        "BE": "belgischer",
        "FR": "französischer",
        "NL": "niederländischer",
        "DE": "deutscher",
        "IT": "italienischer",
        "LU": "luxemburgischer",
        "ES": "spanischer",
        "PT": "portugiesischer",
        "PL": "polnischer",
        "RO": "rumänischer",
        "MA": "marokkanischer",
        "TR": "türkischer",
    },
}


def build(ctx: Context) -> list[Flowable]:
    st = ctx.styles
    holder = ctx.data.holder
    adjective = _NATIONALITY_ADJECTIVE[ctx.language].get(holder.nationality.upper())
    register = texts.register_name(holder, ctx.language)
    if adjective is not None:
        registered = body_text(_TEXT, ctx, "registered", nationality=adjective, register=register)
    else:
        label = texts.nationality_label(holder, ctx.language)
        registered = body_text(_TEXT, ctx, "registered_other", nationality=label, register=register)
    flow: list[Flowable] = [
        para(body_text(_TEXT, ctx, "intro", commune=ctx.commune.name), st.body),
        *holder_block(ctx, holder),
        para(registered, st.body),
        *address_block(ctx, ctx.data.address.one_line()),
    ]
    since = current_since(ctx)
    if since is not None:
        flow.append(para(body_text(_TEXT, ctx, "since", date=since), st.body))
    return [*flow, *closing(ctx)]


DOCUMENT = DocumentType(
    key="registration",
    titles={
        "fr": "Certificat d'inscription",
        "nl": "Bewijs van inschrijving",
        "de": "Eintragungsbescheinigung",
    },
    build=build,
)
