"""Line edges moved to where the voice detector hears speech begin and end."""

from __future__ import annotations

import numpy as np

from apexlocal.engines.video_translate.lines import Line
from apexlocal.engines.video_translate.timing import snap_lines, speech_spans
from tests.engines.video_translate.translate_clip import speak


def test_early_whisper_starts_move_to_the_heard_speech():
    spans = [(0.61, 1.25), (1.47, 2.08), (3.43, 5.28), (6.82, 8.77)]
    lines = [Line("a", 0.24, 2.14), Line("b", 2.9, 5.12), Line("c", 6.54, 8.64)]
    assert snap_lines(lines, spans) == [Line("a", 0.61, 2.08), Line("b", 3.43, 5.28), Line("c", 6.82, 8.77)]


def test_a_line_inside_ongoing_speech_keeps_its_start_and_lines_stay_apart():
    spans = [(1.0, 6.0)]  # one breath: the second line follows the first without a pause
    lines = [Line("a", 1.1, 3.0), Line("b", 3.05, 5.9)]
    first, second = snap_lines(lines, spans)
    assert first == Line("a", 1.0, 3.0)  # no speech edge near 3.0: Whisper's end stays
    assert second.start == 3.05 and second.end == 6.0


def test_no_speech_edge_within_reach_keeps_whisper_times():
    assert snap_lines([Line("a", 2.0, 3.0)], [(5.0, 6.0)]) == [Line("a", 2.0, 3.0)]


def test_the_detector_finds_real_speech_where_it_was_placed():
    audio, rate = speak("The train leaves the station at nine.")
    from apexlocal.engines.speech_to_text.whisper import resample

    track = np.zeros(16_000 * 5, np.float32)
    voice = resample(audio, rate, 16_000)
    track[16_000 : 16_000 + voice.size] = voice[: track.size - 16_000]
    spans = speech_spans(track)
    assert len(spans) >= 1 and abs(spans[0][0] - 1.0) < 0.25 and spans[-1][1] > 2.0
    assert speech_spans(np.zeros(16_000 * 2, np.float32)) == []
