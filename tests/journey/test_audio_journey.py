"""A blind resident's journey: `kiosk demo --autoplay --audio` on the real stack (pcscd + vpcd,
ZVT simulator, SoftHSM2, cupsd, the central), the audio mode turned on by its button, every text
spoken by espeak-ng read back from the engine's transcript, screen by screen."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from hardware.simulators.eid import load_persona, persona_pin
from hardware.speech import find_program
from kiosk.i18n import format_price, translate
from tests.journey.conftest import REPO, lp_readable_dir

pytestmark = [
    pytest.mark.ui,
    pytest.mark.pcsc,
    pytest.mark.hsm,
    pytest.mark.cups,
    pytest.mark.central,
    pytest.mark.serial,
    pytest.mark.skipif(find_program("espeak-ng") is None, reason="espeak-ng missing"),
]

PERSONA = "marie"
DOCUMENTS = ("household", "life")
LANG = "fr"  # the demo configuration's default language, which the scripted resident keeps

Spoken = list[dict[str, str]]


@pytest.fixture(scope="module")
def audio_run() -> Iterator[tuple[dict[str, Any], Spoken]]:
    var_dir = lp_readable_dir("borne-audio-")
    transcript = var_dir / "speech" / "transcript.jsonl"
    env = {
        **os.environ,
        "BORNE_VAR_DIR": str(var_dir),
        "BORNE_SPEECH_TRANSCRIPT": str(transcript),
        "QT_QPA_PLATFORM": "offscreen",
    }
    env.pop("DISPLAY", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "demo",
            "--autoplay",
            "--audio",
            "--persona",
            PERSONA,
            "--documents",
            ",".join(DOCUMENTS),
            "--sessions",
            "1",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(x) for x in transcript.read_text(encoding="utf-8").splitlines()]
    yield json.loads(done.stdout.strip().splitlines()[-1]), lines
    shutil.rmtree(var_dir, ignore_errors=True)


def on(spoken: Spoken, screen: str, cue: str | None = None) -> list[str]:
    return [x["text"] for x in spoken if x["screen"] == screen and cue in (None, x["cue"])]


def t(key: str, **params: object) -> str:
    return translate(key, LANG, **params)


def test_the_journey_completes_in_audio_mode(audio_run: tuple[dict[str, Any], Spoken]) -> None:
    result, spoken = audio_run
    assert result["outcome"] == "completed"
    assert result["documents"] == list(DOCUMENTS)
    screens = list(dict.fromkeys(x["screen"] for x in spoken if x["cue"] == "screen"))
    assert screens == [
        "attract",
        "language",
        "insert_card",
        "reading",
        "pin",
        "verifying",
        "choose_documents",
        "purpose",
        "summary",
        "payment",
        "issuing",
        "take_documents",  # the card comes back first, there: no remove_card screen after it
    ]
    assert {x["language"] for x in spoken} == {LANG}


def test_each_screen_says_what_it_shows(audio_run: tuple[dict[str, Any], Spoken]) -> None:
    _, spoken = audio_run
    (intro, *_) = on(spoken, "attract", "screen")
    assert intro.startswith(t("speech.mode_on"))
    assert t("attract.prompt") in intro
    assert t("speech.focus_on", control=t("attract.start")) in intro
    (language,) = on(spoken, "language", "screen")
    assert t("language.prompt") in language
    assert "Nederlands" in language
    assert "Deutsch" in language
    assert t("insert_card.prompt") in on(spoken, "insert_card", "screen")[0]
    (pin_screen,) = on(spoken, "pin", "screen")
    assert t("pin.prompt") in pin_screen
    assert t("speech.pin_private") in pin_screen
    documents = on(spoken, "choose_documents", "screen")[0]
    household_price = format_price(250, LANG)
    assert f"{t('document.household')}, {household_price}" in documents
    assert f"{t('document.life')}, {t('documents.free')}" in documents
    chosen = on(spoken, "choose_documents", "change")
    assert any(t("speech.chosen", document=t("document.household")) in c for c in chosen)
    assert any(t("speech.chosen", document=t("document.life")) in c for c in chosen)
    purpose = on(spoken, "purpose", "screen")[0]
    assert t("purpose.prompt") in purpose
    assert t("purpose.hint") in purpose
    total = t("summary.total", total=household_price)
    summary = on(spoken, "summary", "screen")[0]
    assert f"{t('document.household')}, {household_price}" in summary
    assert total in summary
    payment = " ".join(on(spoken, "payment"))
    assert total in payment
    assert t("payment.prompt") in payment
    assert t("issuing.prompt") in on(spoken, "issuing", "screen")[0]
    (handed,) = on(spoken, "take_documents", "screen")
    titles = f"{t('document.household')}, {t('document.life')}"
    assert t("speech.documents_issued", documents=titles) in handed
    assert t("speech.amount_paid", total=household_price) in handed
    # the card is still in the reader: take it first, then the documents once it is out
    assert handed.startswith(t("take_documents.take_card_first")), handed
    then = on(spoken, "take_documents", "change")
    assert any(c.startswith(t("take_documents.prompt")) for c in then), then
    assert t("remove_card.prompt") not in " ".join(x["text"] for x in spoken)


def test_the_pin_is_never_spoken(audio_run: tuple[dict[str, Any], Spoken]) -> None:
    _, spoken = audio_run
    pin = persona_pin(PERSONA)
    keys = on(spoken, "pin", "change")
    assert sum(k.startswith(t("speech.digit_entered")) for k in keys) == len(pin)
    for text in keys:
        assert not re.search(r"\d", text), text  # neither a digit nor how many
    focus = on(spoken, "pin", "focus")
    assert all(f.startswith(t("speech.pin_key")) or not re.search(r"\d", f) for f in focus)
    for line in spoken:
        assert pin not in "".join(c for c in line["text"] if c.isdigit())


def test_no_personal_data_is_spoken(audio_run: tuple[dict[str, Any], Spoken]) -> None:
    _, spoken = audio_run
    persona = load_persona(PERSONA)
    nn = persona.national_number
    words = [persona.surname, *persona.first_names.split()]
    everything = "\n".join(x["text"] for x in spoken)
    digits = "".join(c for c in everything if c.isdigit())
    assert nn not in digits
    assert nn[:6] not in digits  # nor the birth date part
    for word in words:
        assert word.lower() not in everything.lower(), word
    street = [w for w in re.split(r"\W+", persona.address.street) if len(w) >= 5]
    for word in [*street, persona.birth_place]:
        assert word.lower() not in everything.lower(), word
