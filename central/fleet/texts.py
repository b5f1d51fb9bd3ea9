"""The fleet's translated texts (central/fleet/i18n/*.json): alert titles, what to do, and the
alerts' details in words."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Final

LANGUAGES: Final = ("fr", "nl", "en")
_FOLDER: Final = Path(__file__).resolve().parent / "i18n"


@cache
def catalogue(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        raise KeyError(language)
    data = json.loads((_FOLDER / f"{language}.json").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def text(key: str, language: str) -> str:
    """The text of `key` in `language` (the key itself when it is missing)."""
    return catalogue(language).get(key, key)


def duration(seconds: float, language: str) -> str:
    """A duration as a person reads it: "45 s", "1 min 30 s", "12 min", "2 h 5 min", "3 d 4 h"."""
    total = max(0, round(seconds))
    day = text("fleet.unit.day", language)
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 10:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} {day} {hours} h" if hours else f"{days} {day}"


def _number(value: float, language: str) -> str:
    shown = f"{value:.1f}".removesuffix(".0")
    return shown if language == "en" else shown.replace(".", ",")


def _word(key: str, value: str, language: str, moment: Callable[[datetime], str]) -> str | None:
    """One `key=value` word of an alert's detail in words, or None when it has no wording."""
    say = catalogue(language)
    try:
        match key:
            case "silent_s" | "oldest_age_s":
                return say[f"fleet.detail.{key}"].format(duration=duration(float(value), language))
            case "skew_s":
                skew = float(value)
                which = "ahead" if skew > 0 else "behind"
                return say[f"fleet.detail.skew_{which}"].format(
                    duration=duration(abs(skew), language)
                )
            case "days_until_empty":
                return say["fleet.detail.days_until_empty"].format(
                    days=_number(float(value), language)
                )
            case "backlog":
                return say["fleet.detail.backlog"].format(count=int(value))
            case "not_after":
                return say["fleet.detail.not_after"].format(date=date.fromisoformat(value))
            case "at":
                return say["fleet.detail.at"].format(time=moment(datetime.fromisoformat(value)))
            case "reason":
                return say.get(f"fleet.reason.{value}", value)
            case "state":  # a device's state: its words when it is one of the fault states
                return say["fleet.detail.state"].format(
                    value=say.get(f"fleet.state.{value}", value)
                )
            case "screen" | "operation_id":
                return say[f"fleet.detail.{key}"].format(value=value)
    except (ValueError, OverflowError):  # a figure that does not parse: shown as it came
        return None
    return None


def describe(detail: str, language: str, *, moment: Callable[[datetime], str] | None = None) -> str:
    """An alert's detail (short machine words, `key=value`) in words in `language`, e.g.
    "silent_s=90.3" → "silent for 1 min 30 s"; a word without a wording is shown as it is.
    `moment` formats the times it holds (ISO 8601 unless given)."""
    show = moment or (lambda at: at.isoformat(timespec="minutes"))
    words = []
    for word in detail.split():
        key, equals, value = word.partition("=")
        worded = _word(key, value, language, show) if equals else None
        words.append(worded if worded is not None else word)
    return ", ".join(words)
