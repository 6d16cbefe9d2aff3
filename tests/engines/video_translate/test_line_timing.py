"""Line edges moved to where the voice detector hears speech begin and end."""

from __future__ import annotations

import numpy as np

from apexlocal.engines.video_translate.lines import Line, SpokenSegment, split_lines
from apexlocal.engines.video_translate.timing import silences, snap_lines, speech_spans
from tests.engines.video_translate.translate_clip import speak


def test_early_whisper_starts_move_to_the_heard_speech():
    spans = [(0.61, 1.25), (1.47, 2.08), (3.43, 5.28), (6.82, 8.77)]
    lines = [Line("a", 0.24, 2.14), Line("b", 2.9, 5.12), Line("c", 6.54, 8.64)]
    assert snap_lines(lines, spans) == [Line("a", 0.61, 2.08), Line("b", 3.43, 5.28), Line("c", 6.82, 8.77)]


def test_whisper_running_lines_over_their_pauses_is_undone_by_the_heard_speech():
    # Whisper base on the test clip: one segment, no full stops, "welcome" and "the" stretched
    # back over the pauses before them.
    words = [
        ("Good", 0.24, 0.74), ("morning", 0.74, 1.06), ("everyone", 1.06, 1.9), ("welcome", 1.9, 3.16),
        ("to", 3.16, 3.38), ("our", 3.38, 3.54), ("city", 3.54, 3.92), ("the", 3.92, 5.32),
        ("children", 5.32, 5.62), ("play", 5.62, 5.98), ("in", 5.98, 6.16), ("the", 6.16, 6.26),
        ("park", 6.26, 6.62), ("every", 6.62, 6.84), ("day", 6.84, 7.14),
    ]  # fmt: skip
    spans = [(0.61, 1.246), (1.474, 2.11), (2.914, 3.998), (5.218, 7.294)]
    segment = SpokenSegment(" ".join(w for w, _, _ in words), 0.24, 7.14, words)
    lines = snap_lines(split_lines([segment], "en", silences(spans)), spans)
    assert [(line.text, line.start, line.end) for line in lines] == [
        ("Good morning everyone", 0.61, 2.11),
        ("welcome to our city", 2.914, 3.998),
        ("the children play in the park every day", 5.218, 7.294),
    ]


def test_a_start_in_silence_moves_to_the_speech_after_it_however_far():
    assert snap_lines([Line("a", 1.0, 6.0)], [(3.5, 5.0)]) == [Line("a", 3.5, 5.0)]


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
