"""An e-mail address typed at the kiosk: the one check, shared by the kiosk and the central.

Kept apart from the wire models (and pydantic) so that the kiosk's journey imports it cheaply;
`offline_queue.wire_citizen_services` declares the same rule in its schema.
"""

from __future__ import annotations

import re
from typing import Final

EMAIL_MAX: Final = 254
"""The longest address SMTP carries (RFC 5321's path limit less the brackets)."""
_ATOM: Final = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
EMAIL_PATTERN: Final = (
    rf"^{_ATOM}(\.{_ATOM})*@([A-Za-z0-9]([A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+[A-Za-z]{{2,63}}$"
)
"""What `email_address_problem` accepts, declared in the schema (the OpenAPI names it)."""

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def email_address_problem(text: str) -> str | None:
    """Why `text` is not a deliverable address (`local@domain.tld`), or None when it is one.

    The reason is a short machine word (`empty`, `too_long`, `no_at`, `local`, `domain`), never the
    address. Quoted local parts and address literals are refused: nobody types them at a kiosk.
    """
    if not text:
        return "empty"
    if len(text) > EMAIL_MAX:
        return "too_long"
    local, at, domain = text.rpartition("@")
    if not at or not local:
        return "no_at"
    if not _LOCAL.match(local):
        return "local"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return "domain"
    if not labels[-1].isalpha() or len(labels[-1]) < 2:
        return "domain"
    return None


def email_domain(address: str) -> str:
    """The domain of a valid address, lower case (what the central audits instead of it)."""
    return address.rpartition("@")[2].lower()
