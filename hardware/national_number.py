"""The one masking of Belgian national register numbers, for logs, messages and screens.

It lives in the lowest layer so that every package may import it: the eID reader, the documents,
the outbox, the kiosk core and the central server (the central server's import contract names this
module as its one exception to "no hardware").
"""

from __future__ import annotations

import re
from typing import Final

from stdnum.be import bis as be_bis
from stdnum.be import nn as be_nn

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


def _could_be_issued(digits: str) -> bool:
    """Whether 11 digits are a valid national register or BIS number (check digits and birth date,
    python-stdnum's `be.nn` and `be.bis`)."""
    return bool(be_nn.is_valid(digits) or be_bis.is_valid(digits))


def _mask_match(match: re.Match[str]) -> str:
    """A number on its own is masked whatever its digits; eleven digits inside a longer word of
    letters and digits (a hexadecimal document id holds such runs in about one id in twenty) only
    when they are a valid national register or BIS number."""
    text, (start, end) = match.string, match.span()
    inside = (start > 0 and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum())
    if inside and not _could_be_issued("".join(match.groups())):
        return match[0]
    return mask_national_number(match[0])


def mask_national_numbers(text: str) -> str:
    """`text` with every national number in it masked by `mask_national_number`."""
    return _NATIONAL_NUMBER.sub(_mask_match, text)
