"""Captions: words grouped into short lines, drawn readable inside the safe area only."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from apexlocal.engines.compose import CaptionRenderer, CaptionStyle, group_words, safe_area
from apexlocal.engines.compose.caption_render import default_max_chars, load_font
from apexlocal.errors import JobError

WORDS = [
    ("Make", 0.0, 0.3),
    ("videos", 0.35, 0.7),
    ("on", 0.75, 0.85),
    ("your", 0.9, 1.1),
    ("own", 1.15, 1.4),
    ("machine.", 1.45, 1.9),
    ("Then", 2.0, 2.2),
    ("share", 2.25, 2.5),
    ("them", 2.55, 2.8),
    ("later", 4.0, 4.4),
]
SIZES = {"16:9": (320, 180), "9:16": (180, 320), "1:1": (240, 240), "4:5": (240, 300)}


def test_words_group_by_length_sentence_and_pause() -> None:
    lines = group_words(WORDS, max_chars=16, max_gap=0.6)
    assert [line.text for line in lines] == ["Make videos on", "your own", "machine.", "Then share them", "later"]
    assert all(len(line.text) <= 16 for line in lines)
    for a, b in itertools.pairwise(lines):
        assert a.end <= b.start  # never two lines on screen
    assert lines[-2].end == pytest.approx(2.8 + 0.4)  # lingers a little before the pause
    assert lines[0].active_word(0.5) == 1 and lines[0].active_word(-1) is None


def test_bad_word_timings_are_refused() -> None:
    with pytest.raises(JobError, match=r"captions\[0\]"):
        group_words([("hi", 1.0, 0.5)])
    with pytest.raises(JobError, match=r"captions\[1\]"):
        group_words([("hi", 0.0, 0.5), ("there",)])


def _changed(
    size: tuple[int, int], words: list, t: float, style: CaptionStyle = CaptionStyle(), background: int = 90
) -> tuple[np.ndarray, np.ndarray]:
    frame = np.full((size[1], size[0], 3), background, np.uint8)
    lines = group_words(words, max_chars=default_max_chars(size, style))
    out = CaptionRenderer(lines, size, style).draw(frame, t)
    return out, np.any(out != frame, axis=2)


@pytest.mark.parametrize("aspect", list(SIZES))
def test_captions_change_pixels_inside_the_safe_area_only(aspect: str) -> None:
    size = SIZES[aspect]
    area = safe_area(size)
    long_line = [("Supercalifragilisticexpialidocious-and-then-some", 0.0, 1.0)]  # must shrink to fit
    for words, t in ((WORDS, 0.5), (long_line, 0.5)):
        _, changed = _changed(size, words, t)
        assert changed.any()
        outside = changed.copy()
        outside[area.top : area.bottom, area.left : area.right] = False
        assert not outside.any(), aspect


def test_vertical_video_keeps_more_room_at_the_bottom() -> None:
    wide, tall = safe_area((1280, 720)), safe_area((720, 1280))
    assert (1280 - tall.bottom) / 1280 > 0.2 > (720 - wide.bottom) / 720
    _, changed = _changed((180, 320), WORDS, 0.5)
    rows = np.nonzero(changed.any(axis=1))[0]
    assert rows.max() < 320 * 0.78 and rows.min() > 320 / 2  # low, but clear of the platform UI


def test_text_is_light_on_a_dark_box_readable_on_any_background() -> None:
    for background in (0, 255):
        out, changed = _changed((320, 180), WORDS, 0.5, background=background)
        values = out[changed].mean(axis=1)
        assert values.max() > 230 and values.min() < 60  # white text and a dark outline / box


def test_the_spoken_word_is_highlighted() -> None:
    first, _ = _changed((320, 180), WORDS, 0.1)
    second, _ = _changed((320, 180), WORDS, 0.5)
    yellow = lambda img: np.count_nonzero((img[..., 0] > 200) & (img[..., 2] < 80))  # noqa: E731
    assert yellow(first) > 0 and yellow(second) > 0
    assert not np.array_equal(first, second)
    plain, _ = _changed((320, 180), WORDS, 0.5, CaptionStyle(highlight_color=None))
    assert yellow(plain) == 0


def test_nothing_is_drawn_between_lines() -> None:
    frame = np.zeros((180, 320, 3), np.uint8)
    renderer = CaptionRenderer(group_words(WORDS), (320, 180), CaptionStyle())
    assert renderer.draw(frame, 3.5) is frame  # the pause before "later"


def test_pillows_own_font_serves_when_no_system_font_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    from apexlocal.engines.compose import caption_render

    monkeypatch.setattr(caption_render, "FONT_CANDIDATES", ())
    load_font.cache_clear()
    try:
        font = load_font(None, 24)
        assert type(font).__name__ == "FreeTypeFont" and font.getlength("Hello") > 30
        _, changed = _changed((320, 180), WORDS, 0.5)
        assert changed.any()
    finally:
        load_font.cache_clear()
