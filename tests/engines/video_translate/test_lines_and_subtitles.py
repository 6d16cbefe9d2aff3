"""Lines of speech cut from Whisper's segments by their word times, and the WebVTT written from
the fitted lines."""

from __future__ import annotations

from apexlocal.engines.video_translate.lines import Line, SpokenSegment, split_lines
from apexlocal.engines.video_translate.subtitles import render_vtt, timestamp


def test_a_segment_is_cut_after_each_sentence_and_at_long_pauses():
    words = [
        ("Hello", 0.5, 0.8),
        ("there.", 0.85, 1.2),
        ("How", 1.5, 1.7),
        ("are", 1.75, 1.9),
        ("you", 1.95, 2.1),
        ("doing", 3.2, 3.5),  # after a 1.1 s pause
        ("today?", 3.55, 3.9),
    ]
    lines = split_lines([SpokenSegment("Hello there. How are you doing today?", 0.4, 4.2, words)], "en")
    assert lines == [
        Line("Hello there.", 0.5, 1.2),
        Line("How are you", 1.5, 2.1),
        Line("doing today?", 3.2, 3.9),
    ]


def test_segments_without_words_keep_their_own_bounds_and_empty_ones_are_dropped():
    segments = [
        SpokenSegment("Second.", 5.0, 6.0),
        SpokenSegment("  ", 3.0, 4.0),
        SpokenSegment("First.", 1.0, 2.0, [("First.", 1.2, 1.8)]),
    ]
    assert split_lines(segments) == [Line("First.", 1.2, 1.8), Line("Second.", 5.0, 6.0)]


def test_unspaced_languages_join_words_without_spaces():
    words = [("你好", 0.0, 0.4), ("世界。", 0.4, 0.9)]
    assert split_lines([SpokenSegment("你好世界。", 0.0, 1.0, words)], "zh")[0].text == "你好世界。"


def test_vtt_has_one_cue_per_line_at_its_times_escaped():
    vtt = render_vtt([("Hola <amigo> & más", 0.5, 1.25), ("Adiós.", 3661.5, 3662.0)], "es")
    assert vtt == (
        "WEBVTT\nLanguage: es\n\n"
        "1\n00:00:00.500 --> 00:00:01.250\nHola &lt;amigo&gt; &amp; más\n\n"
        "2\n01:01:01.500 --> 01:01:02.000\nAdiós.\n"
    )


def test_cues_never_overlap_and_blank_lines_are_left_out():
    vtt = render_vtt([("uno", 0.0, 2.0), ("", 1.0, 1.5), ("dos", 1.5, 3.0)])
    assert "00:00:00.000 --> 00:00:01.500\nuno" in vtt
    assert "00:00:01.500 --> 00:00:03.000\ndos" in vtt
    assert vtt.count("-->") == 2
    assert timestamp(-1) == "00:00:00.000"


def test_a_pause_the_voice_detector_heard_cuts_a_line_whisper_ran_together():
    # Whisper stretched "city" over the pause and wrote no full stop after it.
    words = [("Welcome", 2.9, 3.2), ("to", 3.2, 3.3), ("our", 3.3, 3.5), ("city", 3.5, 4.9), ("the", 5.0, 5.3)]
    segment = SpokenSegment("Welcome to our city the", 2.8, 5.4, words)
    assert len(split_lines([segment], "en")) == 1
    lines = split_lines([segment], "en", silences=[(4.25, 5.15)])
    assert [line.text for line in lines] == ["Welcome to our city", "the"]
    assert split_lines([segment], "en", silences=[(4.25, 4.4)]) == split_lines([segment], "en")  # too short
