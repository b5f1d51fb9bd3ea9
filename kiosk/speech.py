"""What the audio mode says: pure functions from a `JourneyView` to an `Utterance`.

Every screen, every focus change and every change of state is put into words in the screen
language, from translation keys (EN 301 549 5.1.3.14). The view holds no personal data and the
PIN only as a dot count; this module never speaks that count either: a key press on the PIN pad
is "digit entered", a PIN key in focus is "PIN key" (EN 301 549 5.1.3.8 masked entry).
No Qt and no device here: `ui.speech` feeds the widgets' focus, a `SpeechPort` speaks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from kiosk.flows.email import EMAIL
from kiosk.flows.my_requests import MY_REQUESTS, row_parts
from kiosk.flows.pinpad import PINPAD
from kiosk.flows.purpose import PURPOSE, stated
from kiosk.flows.purpose_text import PURPOSE_TEXT
from kiosk.i18n import format_price, translate
from kiosk.session import SessionState
from kiosk.view import JourneyView, OfferedDocument

S = SessionState

TIMEOUT_FACTOR = 2.0
"""The audio mode doubles every time-out."""

COUNTDOWN_AT: tuple[int, ...] = (15, 10, 5)
"""Seconds left at which the time-out warning's countdown is spoken again."""

AMPLITUDES: tuple[int, ...] = (25, 50, 100, 200)
"""espeak-ng amplitudes (linear): an 18 dB range, the default (100) 12 dB above the lowest
(EN 301 549 8.2.1)."""
DEFAULT_AMPLITUDE_LEVEL = 2
RATES: tuple[int, ...] = (120, 150, 175, 210, 250)
"""Words per minute."""
DEFAULT_RATE_LEVEL = 2

DESCRIPTION_KEYS: Mapping[str, str] = {
    t: f"documents.description.{t}"
    for t in ("household", "residence", "residence_history", "nationality", "life", "registration")
}


class Cue(StrEnum):
    SCREEN = "screen"
    FOCUS = "focus"
    CHANGE = "change"
    TIMEOUT = "timeout"
    SETTING = "setting"


@dataclass(frozen=True, slots=True, kw_only=True)
class Utterance:
    language: str
    text: str
    cue: Cue
    screen: str
    """The session state it was said on (`SessionState.value`)."""
    tone: bool = False
    """The time-out warning's tone first (the text may then be empty: the tone alone)."""

    def record(self) -> dict[str, str]:
        """What a transcript line keeps beside the text."""
        return {"cue": self.cue.value, "screen": self.screen}


@dataclass(frozen=True, slots=True, kw_only=True)
class FocusTarget:
    """The control that took the focus, as the UI sees it (its object name and visible text)."""

    name: str
    label: str
    enabled: bool = True
    checked: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VoiceLevels:
    """Volume and speed, as indexes into `AMPLITUDES` and `RATES`; reset after every session."""

    volume: int = DEFAULT_AMPLITUDE_LEVEL
    rate: int = DEFAULT_RATE_LEVEL

    @property
    def amplitude(self) -> int:
        return AMPLITUDES[self.volume]

    @property
    def words_per_minute(self) -> int:
        return RATES[self.rate]

    def louder(self, step: int) -> VoiceLevels:
        volume = max(0, min(len(AMPLITUDES) - 1, self.volume + step))
        return VoiceLevels(volume=volume, rate=self.rate)

    def faster(self, step: int) -> VoiceLevels:
        rate = max(0, min(len(RATES) - 1, self.rate + step))
        return VoiceLevels(volume=self.volume, rate=rate)


class SpeechPort(Protocol):
    """The text-to-speech engine, on its own device thread."""

    @property
    def available(self) -> bool: ...

    @property
    def levels(self) -> VoiceLevels: ...

    def say(self, utterance: Utterance) -> Future[None]:
        """Stop what is being said and say `utterance`."""
        ...

    def silence(self) -> Future[None]: ...

    def set_levels(self, levels: VoiceLevels) -> None: ...

    def reset(self) -> None:
        """Default volume and speed, silence: after every session."""
        ...


class HeadsetPort(Protocol):
    """Tells when a headset is plugged in or pulled out, where the platform tells."""

    def start(self, on_change: Callable[[bool], None]) -> None:
        """From now on `on_change(plugged)` is called, on a thread of the port's own."""
        ...

    def stop(self) -> None:
        """No call after this returns (idempotent)."""
        ...


def _sentence(text: str) -> str:
    text = text.strip()
    if not text or text[-1] in ".!?…:":
        return text
    return text + "."


def _join(parts: list[str]) -> str:
    return " ".join(s for s in (_sentence(p) for p in parts) if s)


def _price(cents: int, lang: str) -> str:
    return format_price(cents, lang) if cents else translate("documents.free", lang)


def _document(offered: OfferedDocument, lang: str, *, selected: bool | None) -> str:
    title = translate(offered.title_key, lang)
    parts = [f"{title}, {_price(offered.price_cents, lang)}"]
    key = DESCRIPTION_KEYS.get(offered.document_type)
    if key is not None:
        parts.append(translate(key, lang))
    if selected is not None:
        parts.append(translate("speech.selected_state" if selected else "speech.unselected", lang))
    return _join(parts)


def _title(view: JourneyView, document_type: str) -> str:
    return translate(f"document.{document_type}", view.language)


def _language_name(code: str) -> str:
    return translate("language.name", code)


def _screen_parts(view: JourneyView) -> list[str]:
    lang = view.language
    state = view.state
    t = translate
    parts: list[str] = []
    if state is S.ATTRACT:
        parts.append(t("attract.title", lang, commune=view.commune_name))
    if state is S.ERROR:
        parts.append(t("error.title", lang))
        parts.append(t(view.error_key or "error.generic", lang, **dict(view.error_params)))
        if view.claim_code:
            parts.append(t("error.claim_label", lang, claim=view.claim_code))
    else:
        parts.append(t(view.prompt_key, lang, commune=view.commune_name))
    if view.notice_key:
        parts.append(t(view.notice_key, lang))
    if state is S.LANGUAGE:
        names = ", ".join(_language_name(code) for code in view.languages)
        parts.append(t("speech.languages", lang, languages=names))
    elif state in (S.PIN, PINPAD):
        parts += _pin_parts(view)
    elif state is S.CHOOSE_DOCUMENTS:
        for offered in view.offered:
            parts.append(_document(offered, lang, selected=offered.document_type in view.selected))
        parts.append(t("summary.language", lang, language=_language_name(view.document_language)))
    elif state in (PURPOSE, PURPOSE_TEXT, EMAIL):
        parts.append(t(f"{state.value}.hint", lang))  # "purpose.hint", "email.hint"...
    elif state is S.SUMMARY:
        prices = {o.document_type: o.price_cents for o in view.offered}
        for document_type in view.selected:
            price = _price(prices.get(document_type, 0), lang)
            parts.append(f"{_title(view, document_type)}, {price}")
        parts.append(t("summary.total", lang, total=format_price(view.total_cents, lang)))
        parts.append(t("summary.language", lang, language=_language_name(view.document_language)))
        purpose = stated(view.purpose, view.purpose_text, lang)
        if purpose:
            parts.append(t("summary.purpose", lang, purpose=purpose))
    elif state is S.PAYMENT:
        parts.append(t("summary.total", lang, total=format_price(view.total_cents, lang)))
        parts.append(t(view.payment_prompt_key or "payment.status.insert_card", lang))
    elif state is S.ISSUING and view.selected:
        parts.append(_progress(view))
    elif state is S.TAKE_DOCUMENTS:
        parts += _taken_parts(view)
    elif state is MY_REQUESTS:
        parts += _earlier_parts(view)
    elif state is S.OUT_OF_SERVICE:
        parts.append(t("out_of_service.message", lang))
    return parts


def _taken_parts(view: JourneyView) -> list[str]:
    """What a resident needs to check the transaction (EN 301 549 5.1.3.16), and the e-mail."""
    lang = view.language
    parts = []
    titles = ", ".join(_title(view, d) for d in view.issued)
    if titles:
        parts.append(translate("speech.documents_issued", lang, documents=titles))
    if view.total_cents:
        total = format_price(view.total_cents, lang)
        parts.append(translate("speech.amount_paid", lang, total=total))
    if view.email_offered:
        parts.append(translate("speech.email_offered", lang))
    return parts


def _earlier_parts(view: JourneyView) -> list[str]:
    """Each earlier document, "none", and "older ones" when the list is cut."""
    lang = view.language
    if not view.earlier:
        return [translate("my_requests.none", lang)]
    parts = [". ".join(p for p in row_parts(d, lang) if p) for d in view.earlier]
    if view.earlier_more:
        parts.append(translate("my_requests.more", lang))
    return parts


def _pin_parts(view: JourneyView) -> list[str]:
    """The tries left, then: hide the screen's pad, or (pinpad) type on the reader's keys."""
    lang = view.language
    parts = []
    if view.tries_left is not None:
        parts.append(translate("pin.tries_left", lang, tries=view.tries_left))
    parts.append(translate("speech.pin_private" if view.state is S.PIN else "pinpad.hint", lang))
    return parts


def _progress(view: JourneyView) -> str:
    total = len(view.selected)
    done = max(1, min(total, len(view.issued)))
    return translate("issuing.progress", view.language, done=done, total=total)


def _warning_parts(view: JourneyView) -> list[str]:
    if view.timeout_warning_s is None:
        return []
    return [translate("speech.timeout_warning", view.language, seconds=view.timeout_warning_s)]


def screen_utterance(
    view: JourneyView, *, focus: FocusTarget | None = None, intro: bool = False
) -> Utterance:
    """The whole screen: its prompt and content, then the control that has the focus."""
    parts = [translate("speech.mode_on", view.language)] if intro else []
    parts += _screen_parts(view)
    parts += _warning_parts(view)
    if focus is not None:
        parts.append(translate("speech.focus_on", view.language, control=_focus_text(view, focus)))
    return Utterance(
        language=view.language, text=_join(parts), cue=Cue.SCREEN, screen=view.state.value
    )


def focus_utterance(view: JourneyView, target: FocusTarget) -> Utterance:
    return Utterance(
        language=view.language,
        text=_sentence(_focus_text(view, target)),
        cue=Cue.FOCUS,
        screen=view.state.value,
    )


def _focus_text(view: JourneyView, target: FocusTarget) -> str:
    lang = view.language
    name = target.name
    if name.startswith("pin_") and name[4:].isdigit():
        text = translate("speech.pin_key", lang)  # never which digit (masked entry)
    elif name.startswith("doc_"):
        offered = {o.document_type: o for o in view.offered}.get(name[4:])
        if offered is None:
            text = target.label
        else:
            chosen = offered.document_type in view.selected
            text = _document(offered, lang, selected=chosen)
    elif name.startswith(("lang_", "doclang_")):
        code = name.split("_", 1)[1]
        text = _language_name(code)
        if target.checked is not None:
            state_key = "speech.selected_state" if target.checked else "speech.unselected"
            text = _join([text, translate(state_key, lang)])
    else:
        text = target.label
    if not target.enabled:
        text = _join([text, translate("speech.unavailable", lang)])
    return text


def warning_begins(before: JourneyView, after: JourneyView) -> bool:
    """A time-out warning starts: its tone is heard, in the audio mode or not."""
    if after.timeout_warning_s is None:
        return False
    return before.timeout_warning_s is None or before.state is not after.state


def with_tone(view: JourneyView, utterance: Utterance | None) -> Utterance:
    """`utterance` after the warning tone, or the tone alone (outside the audio mode)."""
    if utterance is None:
        return Utterance(
            language=view.language, text="", cue=Cue.TIMEOUT, screen=view.state.value, tone=True
        )
    return replace(utterance, tone=True)


def is_new_screen(before: JourneyView, after: JourneyView) -> bool:
    """Another state, or the same screen in another language (but the language screen's own
    choice, which leads straight to the next screen)."""
    if after.state is not before.state:
        return True
    return after.language != before.language and after.state is not S.LANGUAGE


def view_utterance(
    before: JourneyView, after: JourneyView, *, focus: FocusTarget | None = None
) -> Utterance | None:
    """What to say when the view goes from `before` to `after` (None: nothing)."""
    if is_new_screen(before, after):
        return screen_utterance(after, focus=focus)
    return change_utterance(before, after)


def change_utterance(before: JourneyView, after: JourneyView) -> Utterance | None:
    """What changed on the same screen, or None when nothing worth saying did.

    A new screen (another state or language) is `screen_utterance`'s; this one says the PIN
    keys ("digit entered", never the digit nor the count), a notice, a document chosen or
    removed, the payment terminal's prompts, the printing's progress and the time-out countdown.
    """
    if before.state is not after.state or before.language != after.language:
        return None
    lang = after.language
    t = translate
    parts: list[str] = []
    cue = Cue.CHANGE
    if after.prompt_key != before.prompt_key:
        parts.append(t(after.prompt_key, lang, commune=after.commune_name))
    if after.pin_dots > before.pin_dots:
        parts.append(t("speech.digit_entered", lang))
    elif after.pin_dots < before.pin_dots:
        parts.append(t("speech.digit_erased" if after.pin_dots else "speech.pin_empty", lang))
    if after.pin_ready and not before.pin_ready:
        parts.append(t("speech.pin_ready", lang))
    if after.notice_key and after.notice_key != before.notice_key:
        parts.append(t(after.notice_key, lang))
    if after.tries_left != before.tries_left and after.tries_left is not None:
        parts.append(t("pin.tries_left", lang, tries=after.tries_left))
    added = [d for d in after.selected if d not in before.selected]
    removed = [d for d in before.selected if d not in after.selected]
    for document_type in added:
        parts.append(t("speech.chosen", lang, document=_title(after, document_type)))
    for document_type in removed:
        parts.append(t("speech.removed", lang, document=_title(after, document_type)))
    if added or removed:
        parts.append(t("summary.total", lang, total=format_price(after.total_cents, lang)))
    if after.document_language != before.document_language:
        name = _language_name(after.document_language)
        parts.append(t("summary.language", lang, language=name))
    if after.payment_prompt_key and after.payment_prompt_key != before.payment_prompt_key:
        said = t(before.payment_prompt_key or "payment.status.insert_card", lang)
        if t(after.payment_prompt_key, lang) != said:
            parts.append(t(after.payment_prompt_key, lang))
    if after.state is S.ISSUING and after.selected and _progress(after) != _progress(before):
        parts.append(_progress(after))
    if after.error_key != before.error_key and after.error_key:
        parts.append(t(after.error_key, lang, **dict(after.error_params)))
    if after.alert_keys != before.alert_keys:
        parts.extend(t(k, lang) for k in dict.fromkeys(after.alert_keys))
    warning = _warning_change(before, after)
    if warning:
        parts.append(warning)
        cue = Cue.TIMEOUT if len(parts) == 1 else cue
    if not parts:
        return None
    return Utterance(language=lang, text=_join(parts), cue=cue, screen=after.state.value)


def _warning_change(before: JourneyView, after: JourneyView) -> str | None:
    lang = after.language
    left, was = after.timeout_warning_s, before.timeout_warning_s
    if left is not None and was is None:
        return translate("speech.timeout_warning", lang, seconds=left)
    if left is not None and left != was and left in COUNTDOWN_AT:
        return translate("speech.countdown", lang, seconds=left)
    if left is None and was is not None:
        return translate("speech.time_extended", lang)
    return None


def setting_utterance(view: JourneyView, levels: VoiceLevels, *, volume: bool) -> Utterance:
    """Said after a volume or speed button: the new level, at that level."""
    if volume:
        text = translate(
            "speech.volume_level", view.language, level=levels.volume + 1, levels=len(AMPLITUDES)
        )
    else:
        text = translate(
            "speech.rate_level", view.language, level=levels.rate + 1, levels=len(RATES)
        )
    return Utterance(
        language=view.language, text=_sentence(text), cue=Cue.SETTING, screen=view.state.value
    )
