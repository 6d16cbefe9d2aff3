"""POST /v1/audio/transcriptions through one real `apexlocal serve` (tiny set): the official
`openai` client's audio.transcriptions.create in every response_format, on real speech (the
packaged Piper voice) heard by the packaged Whisper; the price per started minute from the credit
table, the job it records; and the 400s, before anything is charged."""

from __future__ import annotations

import io
import wave

import httpx
import numpy as np
import pytest

from tests import loopback
from tests.conftest import ServerProcess
from tests.engines.clip.source_video import speak
from tests.products.live import api

pytestmark = pytest.mark.e2e

SENTENCES = ["Bread is one of the oldest foods people make.", "You only need flour, water, salt and yeast."]
PER_MINUTE = 2  # transcription-minute in the default credit table


@pytest.fixture(scope="module")
def speech_wav() -> bytes:
    gap = np.zeros(11_025, np.float32)
    audio = np.concatenate([gap, speak(SENTENCES[0]), gap, speak(SENTENCES[1]), gap])
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22_050)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def openai_client(server: ServerProcess):  # type: ignore[no-untyped-def]
    from openai import OpenAI

    return OpenAI(base_url=f"{server.url}/v1", api_key=server.owner_key, max_retries=0, timeout=120)


def words_of(text: str) -> list[str]:
    return ["".join(ch for ch in w.lower() if ch.isalnum()) for w in text.split()]


def close_to(heard: list[str], expected: list[str], most: float = 0.2) -> bool:
    """At most `most` word errors (edits) per expected word: Whisper base may mishear a word."""
    row = list(range(len(heard) + 1))
    for i, want in enumerate(expected, start=1):
        previous, row[0] = row[0], i
        for j, got in enumerate(heard, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (want != got))
    return row[-1] <= most * len(expected)


def credits(client: httpx.Client) -> int:
    return int(client.get("/api/usage").json()["data"]["credits"])


def test_every_response_format_through_the_openai_client(server: ServerProcess, speech_wav: bytes) -> None:
    client = openai_client(server)
    expected = words_of(" ".join(SENTENCES))
    with api(server) as http:
        before = credits(http)
    plain = client.audio.transcriptions.create(model="whisper-1", file=("talk.wav", speech_wav, "audio/wav"))
    assert close_to(words_of(plain.text), expected)

    text = client.audio.transcriptions.create(
        model="whisper-tiny-en", file=("talk.wav", speech_wav), response_format="text"
    )
    assert isinstance(text, str) and close_to(words_of(text), expected)

    srt = client.audio.transcriptions.create(model="tiny.en", file=("talk.wav", speech_wav), response_format="srt")
    assert srt.startswith("1\n00:00:0") and " --> " in srt and "," in srt.splitlines()[1]
    vtt = client.audio.transcriptions.create(model="tiny.en", file=("talk.wav", speech_wav), response_format="vtt")
    assert vtt.startswith("WEBVTT") and "is one of the oldest foods people make." in vtt

    verbose = client.audio.transcriptions.create(
        model="whisper-tiny-en",
        file=("talk.wav", speech_wav),
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
        language="en",
    )
    assert verbose.language == "english" and 5.0 < verbose.duration < 10.0
    assert close_to(words_of(verbose.text), expected)
    assert [words_of(w.word)[0] for w in verbose.words] == words_of(verbose.text)
    assert all(0 <= w.start <= w.end <= verbose.duration for w in verbose.words)
    assert all(a.start <= b.start for a, b in zip(verbose.words, verbose.words[1:], strict=False))
    assert verbose.segments and verbose.segments[0].start <= verbose.words[0].start
    only_words = client.audio.transcriptions.create(
        model="whisper-tiny-en",
        file=("talk.wav", speech_wav),
        response_format="verbose_json",
        timestamp_granularities=["word"],
    )
    assert only_words.words and not only_words.segments

    with api(server) as http:
        assert credits(http) == before - 6 * PER_MINUTE, "six requests of under a minute each"
        jobs = http.get("/api/jobs", params={"type": "transcription", "limit": 10}).json()["data"]
    assert len(jobs) == 6 and all(j["status"] == "completed" for j in jobs)
    assert {j["metadata"]["format"] for j in jobs} == {"json", "text", "srt", "vtt", "verbose_json"}


def test_bad_requests_are_refused_naming_the_field_and_charge_nothing(server: ServerProcess, speech_wav: bytes) -> None:
    cases = [
        ({"model": "whisper-1", "response_format": "mp3"}, True, "response_format: must be one of"),
        ({"model": "whisper-1", "timestamp_granularities[]": "word"}, True, "only with response_format verbose_json"),
        ({"model": "whisper-1", "language": "english"}, True, "language: must be an ISO 639-1 code"),
        ({"model": "no-such-model"}, True, "model: must be one of"),
        ({}, True, "model: is required"),
        ({"model": "whisper-1"}, False, "file: is required"),
        ({"model": "whisper-1", "colour": "red"}, True, "colour: unknown field"),
    ]
    with api(server) as http:
        before = credits(http)
        for fields, with_file, message in cases:
            files = {"file": ("talk.wav", speech_wav, "audio/wav")} if with_file else None
            r = http.post("/v1/audio/transcriptions", data=fields, files=files or {"x": (None, "")})
            assert r.status_code == 400, (fields, r.text)
            assert message in r.json()["error"] and r.json()["code"] == "BAD_REQUEST", r.text
        not_audio = {"file": ("a.wav", b"not audio", "audio/wav")}
        r = http.post("/v1/audio/transcriptions", data={"model": "whisper-1"}, files=not_audio)
        assert r.status_code == 400 and r.json()["error"].startswith("file: must be an audio"), r.text
        r = loopback.post(f"{server.url}/v1/audio/transcriptions", data={"model": "whisper-1"}, files=not_audio)
        assert r.status_code == 401
        assert credits(http) == before
