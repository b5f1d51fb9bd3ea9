"""What a screen sees: `JourneyView`, built from a session by the pure function `build_view`.

The view holds no personal data and never the PIN (only its dot count).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from kiosk.flows.my_requests import MY_REQUESTS, SHOWN
from kiosk.offer import unavailable_reasons
from kiosk.ports import Catalogue, EarlierDocument
from kiosk.session import SessionData, SessionState
from kiosk.steps import PROMPT_KEYS

__all__ = ["PROMPT_KEYS", "JourneyView", "OfferedDocument", "ViewSettings", "build_view"]

S = SessionState

KEY_ATTRACT_WAIT = "attract.please_wait"
KEY_REMOVE_CARD_ALERT = "remove_card.alert"
KEY_TAKE_CARD_FIRST = "take_documents.take_card_first"
"""As at a cash machine: the card comes back before the papers are handed over."""


def document_title_key(document_type: str) -> str:
    return f"document.{document_type}"


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferedDocument:
    document_type: str
    title_key: str
    price_cents: int
    available: bool = True
    reason_key: str | None = None
    """Why the document is greyed for this resident (a translation key); None when available."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JourneyView:
    """Everything a screen needs; holds no personal data and never the PIN (only its dot count)."""

    state: SessionState
    language: str
    languages: tuple[str, ...]
    commune_name: str
    prompt_key: str
    notice_key: str | None = None
    card_present: bool = False
    pin_dots: int = 0
    pin_ready: bool = False
    tries_left: int | None = None
    offered: tuple[OfferedDocument, ...] = ()
    selected: tuple[str, ...] = ()
    purpose: str = ""
    """The purpose code chosen on the purpose step ("": none)."""
    purpose_text: str = ""
    """The purpose typed on the keyboard (code "other"); not personal data, but never logged."""
    total_cents: int = 0
    document_language: str = "fr"
    document_languages: tuple[str, ...] = ()
    error_key: str | None = None
    error_params: Mapping[str, str] = field(default_factory=dict)
    claim_code: str | None = None
    can_retry: bool = False
    payment_prompt_key: str | None = None
    issued: tuple[str, ...] = ()
    progress: float = 0.0
    timeout_warning_s: int | None = None
    alert_keys: tuple[str, ...] = ()
    """OUT_OF_SERVICE: why staff were called (translation keys, for staff; no personal data)."""
    commune_languages: tuple[str, ...] = ()
    """The commune's own languages (its certificates' languages among the screen's, FR/NL in
    Brussels): the attract and out-of-service screens speak all of them."""
    help_called: bool = False
    """The resident pressed Help and staff have been called (the kiosk stays in service)."""
    email_offered: bool = False
    """TAKE_DOCUMENTS: the sealed PDFs may be sent by e-mail too (`kiosk.flows.email`)."""
    requests_offered: bool = False
    """CHOOSE_DOCUMENTS: "my requests" is offered (`kiosk.flows.my_requests`)."""
    earlier: tuple[EarlierDocument, ...] = ()
    """MY_REQUESTS: the resident's newest earlier documents (personal data, that step only)."""
    earlier_more: bool = False
    """MY_REQUESTS: the resident has more (older) documents than those listed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CitizenOffers:
    """Which citizen services the screens offer now (`kiosk.flows.citizen`)."""

    email: bool = False
    requests: bool = False


class ViewSettings(Protocol):
    """The part of the journey's settings a view shows."""

    @property
    def commune_name(self) -> str: ...

    @property
    def languages(self) -> tuple[str, ...]: ...

    @property
    def catalogue(self) -> Catalogue: ...

    @property
    def pin_min_length(self) -> int: ...


def total_cents(session: SessionData, catalogue: Catalogue) -> int:
    prices = catalogue.prices_cents
    return sum(prices[t] for t in session.selected)


def _prompt_key(state: SessionState, *, reconciling: bool, remove_card_alert: bool) -> str:
    if state is S.ATTRACT and reconciling:
        return KEY_ATTRACT_WAIT
    if state is S.REMOVE_CARD and remove_card_alert:
        return KEY_REMOVE_CARD_ALERT
    return PROMPT_KEYS[state]


def commune_languages(settings: ViewSettings) -> tuple[str, ...]:
    """The screen languages the commune issues its certificates in (else the first one)."""
    own = tuple(code for code in settings.languages if code in settings.catalogue.languages)
    return own or settings.languages[:1]


def _offered(
    prices_cents: Mapping[str, int], greyed: Mapping[str, str]
) -> tuple[OfferedDocument, ...]:
    """The documents on offer, in the catalogue's order, greyed with their reason."""
    return tuple(
        OfferedDocument(
            document_type=t,
            title_key=document_title_key(t),
            price_cents=price,
            available=t not in greyed,
            reason_key=greyed.get(t),
        )
        for t, price in prices_cents.items()
    )


def build_view(
    s: SessionData,
    *,
    state: SessionState,
    settings: ViewSettings,
    card_present: bool,
    pin_dots: int,
    timeout_warning_s: int | None,
    reconciling: bool,
    remove_card_alert: bool,
    alert_keys: tuple[str, ...],
    help_called: bool = False,
    also_greyed: Mapping[str, str] = MappingProxyType({}),
    offers: CitizenOffers = CitizenOffers(),
) -> JourneyView:
    """The view of `s` in `state`; a pure function of its arguments."""
    catalogue = settings.catalogue
    greyed = {**also_greyed, **unavailable_reasons(catalogue, holder=s.holder, extract=s.extract)}
    idle = state in (S.ATTRACT, S.OUT_OF_SERVICE)
    done = len(s.pdf_paths)
    wanted = len(s.selected)
    is_error = state is S.ERROR
    return JourneyView(
        state=state,
        language=settings.languages[0] if idle else s.language,  # never the last resident's
        languages=settings.languages,
        commune_name=settings.commune_name,
        prompt_key=KEY_TAKE_CARD_FIRST
        if state is S.TAKE_DOCUMENTS and card_present
        else _prompt_key(state, reconciling=reconciling, remove_card_alert=remove_card_alert),
        notice_key=s.notice_key,
        card_present=card_present,
        pin_dots=pin_dots,
        pin_ready=pin_dots >= settings.pin_min_length,
        tries_left=s.tries_left,
        offered=_offered(catalogue.prices_cents, greyed),
        selected=tuple(s.selected),
        purpose=s.purpose,
        purpose_text=s.purpose_text,
        total_cents=total_cents(s, catalogue),
        document_language=s.document_language,
        document_languages=tuple(catalogue.languages),
        error_key=s.error_key if is_error else None,
        error_params=MappingProxyType(dict(s.error_params)),
        claim_code=s.claim_code if is_error else None,
        can_retry=is_error and s.retry_target is not None,
        payment_prompt_key=s.payment_prompt_key if state is S.PAYMENT else None,
        issued=tuple(d.document_type for d in s.issued),
        progress=(done / wanted) if wanted else 0.0,
        timeout_warning_s=timeout_warning_s,
        alert_keys=alert_keys if state is S.OUT_OF_SERVICE else (),
        commune_languages=commune_languages(settings),
        help_called=help_called and not idle,
        email_offered=offers.email and state is S.TAKE_DOCUMENTS,
        requests_offered=offers.requests and state is S.CHOOSE_DOCUMENTS,
        earlier=s.earlier[:SHOWN] if state is MY_REQUESTS else (),
        earlier_more=(s.earlier_more or len(s.earlier) > SHOWN) and state is MY_REQUESTS,
    )
