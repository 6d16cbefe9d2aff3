"""The streaming voice activity detector against faster-whisper's own run of the same Silero model
(which carries the model's state through a batch of windows): the same probabilities window by
window, and a spoken question is one turn, started at its first word and ended after its last."""

from __future__ import annotations

import os

import numpy as np
import pytest

from apexlocal.telephony.hearing import PAUSE_WINDOWS
from apexlocal.telephony.vad import RATE, WINDOW, StreamingVad, load_silero
from tests.speech import fixed_voice

QUESTION = "Do you have any bread left today?"


@pytest.fixture(scope="module")
def question() -> tuple[np.ndarray, int, int]:
    """One second of quiet, the question in Piper's voice, one second of quiet: (audio, first and
    last voiced sample)."""
    from apexlocal.engines.speech_to_text.whisper import resample

    voice = fixed_voice()
    speech = resample(voice.synthesize(QUESTION, 1.0), voice.sample_rate, RATE).astype(np.float32)
    audio = np.concatenate([np.zeros(RATE, np.float32), speech, np.zeros(RATE, np.float32)])
    voiced = np.flatnonzero(np.abs(audio) > 0.01)
    return audio[: audio.size // WINDOW * WINDOW], int(voiced[0]), int(voiced[-1])


def test_window_by_window_it_hears_what_faster_whispers_batch_does(question) -> None:
    from faster_whisper.vad import SileroVADModel, get_assets_path

    audio, _, _ = question
    batch = SileroVADModel(os.path.join(get_assets_path(), "silero_vad_v6.onnx"))(audio).reshape(-1)
    vad = StreamingVad(load_silero())
    streamed = np.array([vad.probability(audio[i : i + WINDOW]) for i in range(0, audio.size, WINDOW)])
    np.testing.assert_allclose(streamed, batch, atol=1e-5)


def test_a_spoken_question_is_one_turn_from_its_first_word_to_after_its_last(question) -> None:
    audio, first, last = question
    vad = StreamingVad(load_silero())
    starts, ends, longest_pause, fed = [], [], 0, 0
    for i in range(0, audio.size, 320):  # 20 ms packets, as a call delivers them
        for turn in vad.feed(audio[i : i + 320]):
            fed += WINDOW
            starts += [fed] if turn.started else []
            ends += [fed] if turn.ended else []
            longest_pause = max(longest_pause, vad.quiet_windows if fed < last else 0)
    assert len(starts) == 1 and len(ends) == 1, (starts, ends)
    assert first <= starts[0] <= first + 0.15 * RATE, (first, starts)
    assert ends[0] > last, (last, ends)
    assert longest_pause < PAUSE_WINDOWS, longest_pause  # no pause inside the sentence
