"""The one masking of Belgian national register numbers, for logs, messages and screens.

It lives in the lowest layer so that every package may import it: the eID reader, the documents,
the outbox, the kiosk core and the central server (the central server's import contract names this
module as its one exception to "no hardware").
"""

from __future__ import annotations

import re
from typing import Final

MASK: Final = "***********"
"""What a national number becomes in logs and messages: eleven stars, whatever the notation. The
birth date (the first six digits) is personal data too, so nothing of the number is kept."""

_NATIONAL_NUMBER: Final = re.compile(
    r"(?<!\d)(\d{2})\.?(\d{2})\.?(\d{2})[-.]?(\d{3})\.?(\d{2})(?!\d)"
)
"""A national number on its own, bare (85031412401) or printed (85.03.14-124.01)."""


def mask_national_number(national_number: str) -> str:
    """The only form of a national number allowed in logs and messages: the fixed `MASK`, whatever
    the number and its notation (`85.03.14-124.01` → `***********`)."""
    del national_number
    return MASK


def mask_national_numbers(text: str) -> str:
    """`text` with every national number in it masked by `mask_national_number`."""
    return _NATIONAL_NUMBER.sub(lambda match: mask_national_number(match[0]), text)
