"""The message that carries a resident's sealed PDF: composed in their language, sent over SMTP.

The message holds the document's id and type and the commune's name, never the resident's name
or national number (those are in the PDF, which is the resident's own). Nothing is written to
disk: the address and the PDF live only in this request's memory.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Final

from central.errors import CentralError

_TEXTS: Final[dict[str, tuple[str, str]]] = {
    "fr": (
        "Votre document scellé {document_id}",
        "Bonjour,\n\nVous trouverez ci-joint le document que vous avez obtenu à la borne{commune}, "
        "scellé électroniquement par la commune.\nLe sceau peut être vérifié dans tout lecteur "
        "PDF; le code QR du document mène à sa page de vérification.\n\nCe message a été envoyé "
        "à votre demande; l'adresse n'a pas été conservée.\n",
    ),
    "nl": (
        "Uw verzegeld document {document_id}",
        "Goedendag,\n\nIn bijlage vindt u het document dat u aan de zuil{commune} hebt "
        "verkregen, elektronisch verzegeld door de gemeente.\nHet zegel kan in elke PDF-lezer "
        "gecontroleerd worden; de QR-code van het document leidt naar de verificatiepagina.\n\n"
        "Dit bericht werd op uw vraag verzonden; het adres werd niet bewaard.\n",
    ),
    "de": (
        "Ihr versiegeltes Dokument {document_id}",
        "Guten Tag,\n\nim Anhang finden Sie das Dokument, das Sie am Terminal{commune} erhalten "
        "haben, elektronisch von der Gemeinde versiegelt.\nDas Siegel lässt sich in jedem "
        "PDF-Leser prüfen; der QR-Code des Dokuments führt zu seiner Prüfseite.\n\nDiese "
        "Nachricht wurde auf Ihren Wunsch gesendet; die Adresse wurde nicht gespeichert.\n",
    ),
    "en": (
        "Your sealed document {document_id}",
        "Hello,\n\nAttached is the document you obtained at the kiosk{commune}, sealed "
        "electronically by the municipality.\nThe seal can be checked in any PDF reader; the "
        "document's QR code leads to its verification page.\n\nThis message was sent at your "
        "request; the address was not kept.\n",
    ),
}
_IN: Final = {"fr": " de {}", "nl": " van {}", "de": " von {}", "en": " of {}"}


class MailNotSent(CentralError):
    """The SMTP server could not be reached or refused the message."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpServer:
    host: str
    port: int
    sender: str
    timeout_s: float = 15.0


def compose_document_mail(
    *,
    sender: str,
    address: str,
    language: str,
    document_id: str,
    commune: str | None,
    pdf: bytes,
) -> EmailMessage:
    """One message in `language` (fr/nl/de/en) with the sealed PDF attached as `<id>.pdf`."""
    subject, body = _TEXTS[language]
    where = _IN[language].format(commune) if commune else ""
    message = EmailMessage()
    message["Subject"] = subject.format(document_id=document_id)
    message["From"] = sender
    message["To"] = address
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body.format(commune=where))
    message.add_attachment(
        pdf, maintype="application", subtype="pdf", filename=f"{document_id}.pdf"
    )
    message["Content-Language"] = language  # after the attachment: making it mixed moves Content-*
    return message


def send_mail(server: SmtpServer, message: EmailMessage) -> None:
    """Hand `message` to the SMTP server; `MailNotSent` when it cannot take it."""
    try:
        with smtplib.SMTP(server.host, server.port, timeout=server.timeout_s) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as err:
        raise MailNotSent(f"mail not sent: {type(err).__name__}") from err
