"""Words shared by every certificate, in the three national languages."""

from __future__ import annotations

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
        "born": "né(e) le {date} à {place}",
        "born_no_place": "né(e) le {date}",
        "purpose": "Certificat délivré à la demande de l'intéressé(e), sur la base des inscriptions au registre de la population.",
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
        "purpose": "Getuigschrift afgegeven op verzoek van de betrokkene, op grond van de inschrijvingen in het bevolkingsregister.",
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
        "purpose": "Bescheinigung auf Antrag der betroffenen Person, auf Grundlage der Eintragungen im Bevölkerungsregister.",
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
    if person.birth_place:
        return COMMON[language]["born"].format(date=when, place=person.birth_place)
    return COMMON[language]["born_no_place"].format(date=when)
