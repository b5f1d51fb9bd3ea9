"""Certificate of household composition (composition de ménage / gezinssamenstelling / Haushaltszusammensetzung)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from printing.documents import texts
from printing.documents.base import (
    Context,
    DocumentType,
    address_block,
    closing,
    holder_block,
    para,
)

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

_TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "intro": "Le Collège communal de {commune} certifie, sur la base des registres de la population, que :",
        "address.m": "est inscrit à l'adresse suivante :",
        "address.f": "est inscrite à l'adresse suivante :",
        "address.n": "a sa résidence principale à l'adresse suivante :",
        "composed.one": "et que le ménage inscrit à cette adresse est composé, à la date de ce jour, de la personne suivante :",
        "composed.many": "et que le ménage inscrit à cette adresse est composé, à la date de ce jour, des {count} personnes suivantes :",
        "h_name": "Nom et prénoms",
        "h_birth": "Date et lieu de naissance",
        "h_sex": "Sexe",
        "h_nat": "Nationalité",
        "h_nn": "N° de registre national",
        "h_rel": "Lien avec la personne de référence",
    },
    "nl": {
        "intro": "Het college van burgemeester en schepenen van {commune} verklaart, op grond van de bevolkingsregisters, dat:",
        "address": "ingeschreven is op het volgende adres:",
        "composed.one": "en dat het gezin ingeschreven op dit adres op vandaag bestaat uit de volgende persoon:",
        "composed.many": "en dat het gezin ingeschreven op dit adres op vandaag bestaat uit de volgende {count} personen:",
        "h_name": "Naam en voornamen",
        "h_birth": "Geboortedatum en -plaats",
        "h_sex": "Geslacht",
        "h_nat": "Nationaliteit",
        "h_nn": "Rijksregisternr.",
        "h_rel": "Relatie",
    },
    "de": {
        "intro": "Das Gemeindekollegium von {commune} bescheinigt auf Grundlage der Bevölkerungsregister, dass:",
        "address": "unter folgender Adresse eingetragen ist:",
        "composed.one": "und dass der unter dieser Adresse eingetragene Haushalt am heutigen Tag aus der folgenden Person besteht:",
        "composed.many": "und dass der unter dieser Adresse eingetragene Haushalt am heutigen Tag aus den folgenden {count} Personen besteht:",
        "h_name": "Name und Vornamen",
        "h_birth": "Geburtsdatum und -ort",
        "h_sex": "Geschlecht",
        "h_nat": "Staatsangehörigkeit",
        "h_nn": "Nationalregisternr.",
        "h_rel": "Verhältnis zur Referenzperson",
    },
}

_RELATION_ORDER = {"reference": 0, "spouse": 1, "partner": 1, "child": 2}


def build(ctx: Context) -> list[Flowable]:
    from printing.tables import grid_before_closing  # noqa: PLC0415 - drawn later

    t = _TEXT[ctx.language]
    data = ctx.data
    st = ctx.styles
    members = sorted(
        data.household,
        key=lambda p: (_RELATION_ORDER.get(p.relation, 3), p.birth_date),
    )
    rows = [
        [
            p.full_name,
            texts.short_date(p.birth_date, ctx.language)
            + (f" — {p.birth_place}" if p.birth_place else ""),
            texts.sex_label(p, ctx.language),
            texts.nationality_label(p, ctx.language),
            texts.format_national_number(p.national_number),
            texts.relation_label(p, ctx.language),
        ]
        for p in members
    ]
    flow: list[Flowable] = [
        para(t["intro"].format(commune=ctx.commune.name), st.body),
        *holder_block(ctx, data.holder),
        para(texts.variant(t, "address", person=data.holder), st.body),
        *address_block(ctx, data.address.one_line()),
        para(texts.variant(t, "composed", count=len(members)).format(count=len(members)), st.body),
        *grid_before_closing(
            ctx,
            header=[t["h_name"], t["h_birth"], t["h_sex"], t["h_nat"], t["h_nn"], t["h_rel"]],
            rows=rows,
        ),
        *closing(ctx),
    ]
    return flow


DOCUMENT = DocumentType(
    key="household",
    titles={
        "fr": "Certificat de composition de ménage",
        "nl": "Bewijs van gezinssamenstelling",
        "de": "Bescheinigung über die Haushaltszusammensetzung",
    },
    build=build,
    needs_household=True,
)
