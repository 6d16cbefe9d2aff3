"""The studio's voice agent page: an agent created from its form, then a test call in headless
Chromium whose microphone is a WAV file (Chromium's fake capture device): the greeting is shown,
then the question the WAV asks, transcribed, and the agent's answer; hanging up ends the call
completed, charged per started minute like a phone call, with its recording."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.speech import fixed_voice
from tests.webui.conftest import CHROMIUM, CHROMIUM_ARGS, Studio, open_tab, shoot, sign_in, wait_for

QUESTION = "Do you have any bread left today?"


def _microphone(path: Path) -> Path:
    """3 s of quiet (the greeting plays), the question in Piper's voice, then 30 s of quiet:
    Chromium loops the file, so the question is asked once within a test call."""
    from apexlocal.engines.speech_to_text.whisper import resample

    voice = fixed_voice()
    speech = resample(voice.synthesize(QUESTION, 1.0), voice.sample_rate, 16000)
    samples = np.concatenate([np.zeros(48000, np.float32), speech, np.zeros(480000, np.float32)])
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


@pytest.fixture
def mic_browser(tmp_path_factory: pytest.TempPathFactory, playwright: Any) -> Iterator[Any]:
    wav = _microphone(tmp_path_factory.mktemp("mic") / "question.wav")
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
    ]
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
    yield browser
    browser.close()


def test_a_test_call_from_the_agent_page(studio: Studio, mic_browser: Any) -> None:
    tab = sign_in(studio, open_tab(mic_browser, permissions=["microphone"]))
    page = tab.page
    with studio.api() as client:
        before = client.get("/api/usage").json()["data"]["credits"]
    page.goto(f"{studio.url}/agents")
    page.wait_for_selector("#form-agent")
    page.fill("#form-agent [name=name]", "Bakery")
    page.fill("#form-agent [name=systemPrompt]", "You answer the phone for a bakery.")
    page.fill("#form-agent [name=greeting]", "Hello, this is the bakery.")
    page.fill("#form-agent [name=ttsModel]", "piper")
    page.fill("#form-agent [name=llmModel]", "smollm2-135m")
    page.click("#form-agent button[type=submit]")
    page.wait_for_selector("#agents [data-action=test-call]")
    page.click("#agents [data-action=test-call]")
    wait_for(page, "() => document.querySelector('#call-transcript [data-role=agent]')", timeout=90)
    heard = wait_for(
        page,
        "() => { const c = document.querySelector('#call-transcript [data-role=caller]');"
        " const after = c && c.nextElementSibling; return after && after.dataset.role === 'agent' && c.textContent; }",
        timeout=90,
    )
    assert "bread" in heard.lower() and "today" in heard.lower(), heard
    shoot(page, "agent-test-call")
    page.click("#call-hangup")
    wait_for(page, "() => document.querySelector('#test-call')?.dataset.state === 'ended'", timeout=60)
    call_id = page.get_attribute("#test-call", "data-call-id")
    with studio.api() as client:
        call = client.get(f"/api/voice-agent/calls/{call_id}").json()["data"]
        after = client.get("/api/usage").json()["data"]["credits"]
    assert call["channel"] == "browser" and call["status"] == "completed" and call["endedBy"] == "callee", call
    assert call["recordingUrl"] and call["minutesCharged"] >= 1
    assert call["creditsCharged"] == before - after == 10 * call["minutesCharged"]
    page.wait_for_selector(f"#calls [data-call-id='{call_id}']")
    assert tab.console.unexpected() == []
