"""Words shared by every certificate, in the three national languages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from printing.model import Person

DISPLAY_TZ = ZoneInfo("Europe/Brussels")
"""Every date and time on paper is Belgian local time (CET/CEST), never UTC."""

MONTHS: dict[str, tuple[str, ...]] = {
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
}

COMMON: dict[str, dict[str, str]] = {
    "fr": {
        "issued": "Document n° {document_id} — délivré le {date} à {time} — borne {kiosk_id}",
        "verify": "Vérifier l'authenticité : {url}",
        "code": "Code de vérification : {code}",
        "page": "Page {page}/{pages}",
        "seal_note": "Ce document est revêtu du sceau électronique de la commune. L'original électronique fait foi ; cette version imprimée peut être vérifiée à l'adresse ou avec le code QR repris en bas de page.",
        "done_at": "Fait à {place}, le {date}.",
        "for_college": "Pour le Collège communal,",
        "national_number": "Numéro de registre national",
        "born.m": "né le {date} à {place}",
        "born.f": "née le {date} à {place}",
        "born.n": "date et lieu de naissance : {date}, {place}",
        "born_no_place.m": "né le {date}",
        "born_no_place.f": "née le {date}",
        "born_no_place.n": "date de naissance : {date}",
        "requested.m": "Certificat délivré à la demande de l'intéressé.",
        "requested.f": "Certificat délivré à la demande de l'intéressée.",
        "requested.n": "Certificat délivré à la demande de la personne concernée.",
        "legal_basis": "Les registres de la population sont tenus conformément à la loi du 19 juillet 1991 relative aux registres de la population, aux cartes d'identité, aux cartes d'étranger et aux documents de séjour, et à l'arrêté royal du 16 juillet 1992 relatif aux registres de la population et au registre des étrangers.",
        "purpose": "Délivré pour servir à : {purpose}.",
        "fee": "Droit perçu : {amount}.",
        "free": "Délivré gratuitement.",
        "since": "depuis le {date}",
        "present": "à ce jour",
    },
    "nl": {
        "issued": "Document nr. {document_id} — afgegeven op {date} om {time} — zuil {kiosk_id}",
        "verify": "Echtheid controleren: {url}",
        "code": "Controlecode: {code}",
        "page": "Pagina {page}/{pages}",
        "seal_note": "Dit document draagt het elektronisch zegel van de gemeente. Het elektronische origineel heeft bewijskracht; deze afdruk kan worden gecontroleerd via het adres of de QR-code onderaan de pagina.",
        "done_at": "Opgemaakt te {place}, op {date}.",
        "for_college": "Voor het college van burgemeester en schepenen,",
        "national_number": "Rijksregisternummer",
        "born": "geboren op {date} te {place}",
        "born_no_place": "geboren op {date}",
        "requested": "Getuigschrift afgegeven op verzoek van de betrokkene.",
        "legal_basis": "De bevolkingsregisters worden gehouden overeenkomstig de wet van 19 juli 1991 betreffende de bevolkingsregisters, de identiteitskaarten, de vreemdelingenkaarten en de verblijfsdocumenten, en het koninklijk besluit van 16 juli 1992 betreffende de bevolkingsregisters en het vreemdelingenregister.",
        "purpose": "Afgegeven om te dienen voor: {purpose}.",
        "fee": "Geheven recht: {amount}.",
        "free": "Kosteloos afgegeven.",
        "since": "sinds {date}",
        "present": "tot heden",
    },
    "de": {
        "issued": "Dokument Nr. {document_id} — ausgestellt am {date} um {time} — Terminal {kiosk_id}",
        "verify": "Echtheit prüfen: {url}",
        "code": "Prüfcode: {code}",
        "page": "Seite {page}/{pages}",
        "seal_note": "Dieses Dokument trägt das elektronische Siegel der Gemeinde. Das elektronische Original ist maßgebend; dieser Ausdruck kann über die Adresse oder den QR-Code unten auf der Seite geprüft werden.",
        "done_at": "Ausgestellt in {place}, am {date}.",
        "for_college": "Für das Gemeindekollegium,",
        "national_number": "Nationalregisternummer",
        "born": "geboren am {date} in {place}",
        "born_no_place": "geboren am {date}",
        "requested": "Bescheinigung ausgestellt auf Antrag der betroffenen Person.",
        "legal_basis": "Die Bevölkerungsregister werden gemäß dem Gesetz vom 19. Juli 1991 über die Bevölkerungsregister, die Personalausweise, die Ausländerkarten und die Aufenthaltsdokumente und dem Königlichen Erlass vom 16. Juli 1992 über die Bevölkerungsregister und das Fremdenregister geführt.",
        "purpose": "Ausgestellt zu folgendem Zweck: {purpose}.",
        "fee": "Erhobene Gebühr: {amount}.",
        "free": "Gebührenfrei ausgestellt.",
        "since": "seit dem {date}",
        "present": "bis heute",
    },
}

RELATIONS: dict[str, dict[str, tuple[str, str]]] = {
    # relation -> (masculine/neutral, feminine)
    "fr": {
        "reference": ("Personne de référence", "Personne de référence"),
        "spouse": ("Époux", "Épouse"),
        "partner": ("Cohabitant légal", "Cohabitante légale"),
        "child": ("Fils", "Fille"),
        "parent": ("Père", "Mère"),
        "grandchild": ("Petit-fils", "Petite-fille"),
        "sibling": ("Frère", "Sœur"),
        "other": ("Autre membre du ménage", "Autre membre du ménage"),
    },
    "nl": {
        "reference": ("Referentiepersoon", "Referentiepersoon"),
        "spouse": ("Echtgenoot", "Echtgenote"),
        "partner": ("Wettelijk samenwonende", "Wettelijk samenwonende"),
        "child": ("Zoon", "Dochter"),
        "parent": ("Vader", "Moeder"),
        "grandchild": ("Kleinzoon", "Kleindochter"),
        "sibling": ("Broer", "Zus"),
        "other": ("Ander gezinslid", "Ander gezinslid"),
    },
    "de": {
        "reference": ("Referenzperson", "Referenzperson"),
        "spouse": ("Ehemann", "Ehefrau"),
        "partner": ("Gesetzlich Zusammenwohnender", "Gesetzlich Zusammenwohnende"),
        "child": ("Sohn", "Tochter"),
        "parent": ("Vater", "Mutter"),
        "grandchild": ("Enkel", "Enkelin"),
        "sibling": ("Bruder", "Schwester"),
        "other": ("Anderes Haushaltsmitglied", "Anderes Haushaltsmitglied"),
    },
}

NATIONALITIES: dict[str, dict[str, tuple[str, str]]] = {
    "fr": {
        "BE": ("Belge", "Belge"),
        "FR": ("Français", "Française"),
        "NL": ("Néerlandais", "Néerlandaise"),
        "DE": ("Allemand", "Allemande"),
        "IT": ("Italien", "Italienne"),
        "LU": ("Luxembourgeois", "Luxembourgeoise"),
        "ES": ("Espagnol", "Espagnole"),
        "PT": ("Portugais", "Portugaise"),
        "PL": ("Polonais", "Polonaise"),
        "RO": ("Roumain", "Roumaine"),
        "MA": ("Marocain", "Marocaine"),
        "TR": ("Turc", "Turque"),
    },
    "nl": {
        "BE": ("Belg", "Belg"),
        "FR": ("Fransman", "Franse"),
        "NL": ("Nederlander", "Nederlandse"),
        "DE": ("Duitser", "Duitse"),
        "IT": ("Italiaan", "Italiaanse"),
        "LU": ("Luxemburger", "Luxemburgse"),
        "ES": ("Spanjaard", "Spaanse"),
        "PT": ("Portugees", "Portugese"),
        "PL": ("Pool", "Poolse"),
        "RO": ("Roemeen", "Roemeense"),
        "MA": ("Marokkaan", "Marokkaanse"),
        "TR": ("Turk", "Turkse"),
    },
    "de": {
        "BE": ("Belgier", "Belgierin"),
        "FR": ("Franzose", "Französin"),
        "NL": ("Niederländer", "Niederländerin"),
        "DE": ("Deutscher", "Deutsche"),
        "IT": ("Italiener", "Italienerin"),
        "LU": ("Luxemburger", "Luxemburgerin"),
        "ES": ("Spanier", "Spanierin"),
        "PT": ("Portugiese", "Portugiesin"),
        "PL": ("Pole", "Polin"),
        "RO": ("Rumäne", "Rumänin"),
        "MA": ("Marokkaner", "Marokkanerin"),
        "TR": ("Türke", "Türkin"),
    },
}

REGISTERS: dict[str, dict[str, str]] = {
    "fr": {
        "population": "registre de la population",
        "foreigners": "registre des étrangers",
        "waiting": "registre d'attente",
    },
    "nl": {
        "population": "bevolkingsregister",
        "foreigners": "vreemdelingenregister",
        "waiting": "wachtregister",
    },
    "de": {
        "population": "Bevölkerungsregister",
        "foreigners": "Fremdenregister",
        "waiting": "Warteregister",
    },
}
"""The registers of the royal decree of 16 July 1992, as each language names them."""

KINGDOM: dict[str, str] = {
    "fr": "Royaume de Belgique",
    "nl": "Koninkrijk België",
    "de": "Königreich Belgien",
}

SEXES: dict[str, dict[str, str]] = {
    "fr": {"M": "M", "F": "F", "X": "X"},
    "nl": {"M": "M", "F": "V", "X": "X"},
    "de": {"M": "M", "F": "W", "X": "X"},
}


def long_date(value: date, language: str) -> str:
    month = MONTHS[language][value.month - 1]
    if language == "fr":
        day = "1er" if value.day == 1 else str(value.day)
        return f"{day} {month} {value.year}"
    if language == "de":
        return f"{value.day}. {month} {value.year}"
    return f"{value.day} {month} {value.year}"


def local(moment: datetime) -> datetime:
    """`moment` (timezone-aware) in Belgian local time; a naive value is refused."""
    if moment.tzinfo is None:
        raise ValueError("a printed moment must be timezone-aware")
    return moment.astimezone(DISPLAY_TZ)


def local_day(moment: datetime) -> date:
    """The calendar day in Brussels at `moment` (00:30 Brussels is that day, not the day before)."""
    return local(moment).date()


def local_time(moment: datetime) -> str:
    """HH:MM in Brussels at `moment` (24-hour clock in all three languages)."""
    return local(moment).strftime("%H:%M")


def short_date(value: date, language: str = "fr") -> str:
    """dd/mm/yyyy in French and Dutch, dd.mm.yyyy in German."""
    if language == "de":
        return value.strftime("%d.%m.%Y")
    return value.strftime("%d/%m/%Y")


def _feminine(person: Person) -> bool:
    return person.sex.upper() == "F"


def gender(person: Person) -> str:
    """`m`, `f`, or `n` when the register gives neither (sex X or unknown): neutral wording."""
    sex = person.sex.upper()
    if sex == "F":
        return "f"
    if sex == "M":
        return "m"
    return "n"


def variant(
    table: Mapping[str, str], key: str, *, person: Person | None = None, count: int | None = None
) -> str:
    """The text for `key` agreeing in number with `count` and in gender with `person`.

    Tries `key.one.f` (number and gender), `key.one`, `key.f`, then `key`: a language whose wording
    does not vary (Dutch "geboren op") has only `key`. `one` is for a count of 1, `many` otherwise;
    `m`, `f` and `n` (neutral) follow `gender`.
    """
    number = None if count is None else ("one" if count == 1 else "many")
    sex = None if person is None else gender(person)
    candidates = [
        f"{key}.{number}.{sex}" if number and sex else None,
        f"{key}.{number}" if number else None,
        f"{key}.{sex}" if sex else None,
        key,
    ]
    for candidate in candidates:
        if candidate is not None and candidate in table:
            return table[candidate]
    raise KeyError(key)


def amount(cents: int, language: str) -> str:
    """`2,50 €` (a decimal comma in all three languages, the euro sign after a non-breaking space)."""
    euros, rest = divmod(cents, 100)
    return f"{euros},{rest:02d}\u00a0€"


def register_name(person: Person, language: str) -> str:
    return REGISTERS[language].get(person.register_type, REGISTERS[language]["population"])


def relation_label(person: Person, language: str) -> str:
    pair = RELATIONS[language].get(person.relation, RELATIONS[language]["other"])
    return pair[1] if _feminine(person) else pair[0]


def nationality_label(person: Person, language: str) -> str:
    pair = NATIONALITIES[language].get(person.nationality.upper())
    if pair is None:
        return person.nationality
    return pair[1] if _feminine(person) else pair[0]


def sex_label(person: Person, language: str) -> str:
    return SEXES[language].get(person.sex.upper(), person.sex)


def format_national_number(national_number: str) -> str:
    """YY.MM.DD-XXX.CC, the way Belgian documents print it."""
    d = "".join(ch for ch in national_number if ch.isdigit())
    if len(d) != 11:
        return national_number
    return f"{d[0:2]}.{d[2:4]}.{d[4:6]}-{d[6:9]}.{d[9:11]}"


def birth_line(person: Person, language: str) -> str:
    when = long_date(person.birth_date, language)
    table = COMMON[language]
    if person.birth_place:
        return variant(table, "born", person=person).format(date=when, place=person.birth_place)
    return variant(table, "born_no_place", person=person).format(date=when)
