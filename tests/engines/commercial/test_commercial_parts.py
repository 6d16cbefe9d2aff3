"""The commercial engine's parts without models: the script's schema, repairs and fitting, the
request's checks, which part gets which picture, the zooming product photo, the on-screen text,
and the stage stopwatch. The whole engine runs end to end in tests/products/commercial."""

from __future__ import annotations

import numpy as np
import pytest

from apexlocal.engines.commercial.onscreen import Card, OnScreenText
from apexlocal.engines.commercial.request import parse_request
from apexlocal.engines.commercial.script import (
    HOOK_WORDS,
    SCENES_BY_DURATION,
    estimate_seconds,
    fit,
    product_name,
    repair,
    script_schema,
    shorten,
    speakable,
    write_script,
)
from apexlocal.engines.commercial.timing import Stopwatch
from apexlocal.engines.commercial.visuals import Visual, assign, zooming_photo
from apexlocal.errors import JobError
from apexlocal.models.manifest import load_manifest
from tests.engines.commercial.fake_writer import BOTTLE, FakeWriter, part

VIDEO = load_manifest().default_for("video")
BASE = {"product": "a reusable steel water bottle", "platform": "tiktok", "duration": 15, "tone": "energetic"}


def request(**changes: object):
    return parse_request({**BASE, **changes}, VIDEO)


def test_the_request_takes_every_seed_field_and_names_the_bad_one() -> None:
    r = request(targetAudience="hikers", productImages=["https://x/a.png"], voiceId="default", musicMood="upbeat")
    assert (r.frame, r.aspect, r.music_mood, r.voice_spec["voiceId"]) == ((1080, 1920), "9:16", "energetic", None)
    assert request(platform="youtube").frame == (1920, 1080)
    assert request(tone="luxury").music_mood == "tender"  # the tone's mood without musicMood
    for field, value, message in [
        ("duration", 20, "duration: must be one of 15, 30, 60"),
        ("platform", "x", "platform: must be one of tiktok"),
        ("tone", "sad", "tone: must be one of"),
        ("musicMood", "polka", "musicMood: 'polka' is not a known mood"),
        ("product", " ", "product: must be a non-empty string"),
    ]:
        with pytest.raises(JobError, match=message):
            request(**{field: value})


def test_the_schema_bounds_every_string_and_fixes_the_scene_count() -> None:
    for duration, count in SCENES_BY_DURATION.items():
        schema = script_schema(duration)
        scenes = schema["properties"]["scenes"]
        assert scenes["minItems"] == scenes["maxItems"] == count
        for part_schema in (schema["properties"]["hook"], scenes["items"], schema["properties"]["callToAction"]):
            assert all("maxLength" in p for p in part_schema["properties"].values())


def test_the_writer_is_asked_under_the_schema_and_its_answer_kept() -> None:
    writer = FakeWriter(BOTTLE)
    script, model = write_script(request(targetAudience="hikers"), writer, lambda: False)
    messages, schema = writer.calls[0]
    assert schema == script_schema(15) and model == "fake-writer"
    assert "reusable steel water bottle" in messages[-1].content and "hikers" in messages[-1].content
    assert [line.role for line in script.lines] == ["hook", "scene", "scene", "cta"]
    assert script.lines[1].voiceover == BOTTLE["scenes"][0]["voiceover"]
    # The answer never names the product: the call to action is replaced so that it is spoken.
    assert script.lines[-1].voiceover == "Get the reusable steel water bottle today."
    assert script.fallbacks == ["callToAction: replaced to name the product"]
    assert set(script.as_json()) == {"hook", "scenes", "callToAction", "fallbacks"}


def test_an_answer_that_never_completes_is_asked_again_then_replaced_by_plain_lines() -> None:
    from apexlocal.engines.writer import Completion

    class Rambling(FakeWriter):
        def complete(self, messages, **options):
            self.calls.append((list(messages), options.get("temperature")))
            return Completion('{"hook": {"voiceover": "   ', 10, 600, "length", self.model_id)

    writer = Rambling(BOTTLE)
    script, _ = write_script(request(), writer, lambda: False)
    assert [t for _, t in writer.calls] == [0.6, 0.2]
    assert script.lines[0].voiceover == "Meet the reusable steel water bottle!"
    assert script.fallbacks[0].startswith("writer: no complete answer at temperature 0.6")
    assert [line.role for line in script.lines] == ["hook", "cta"]


def test_a_weak_answer_is_repaired_into_a_speakable_script() -> None:
    answer = {
        "hook": part("🔥 Check out https://example.com #bestbottle now now now now now now now", ""),
        "scenes": [part("", "")],
        "callToAction": part("Buy the cheap reusable steel water bottle!!", "Buy"),
    }
    script = repair(answer, request(brandProfile={"bannedWords": ["cheap"]}))
    hook, scene, cta = script.lines
    assert hook.voiceover == "Check out bestbottle now now now now."  # no URL, emoji, '#'; 7 words
    assert len(hook.voiceover.split()) == HOOK_WORDS
    assert scene.voiceover == "The reusable steel water bottle is made for you."
    assert scene.on_screen and scene.visual == f"{scene.on_screen}, {scene.voiceover}"
    assert "cheap" not in cta.voiceover and "reusable steel water bottle" in cta.voiceover
    assert hook.on_screen == "reusable steel water bottle"
    assert any(note.startswith("scenes[0]") for note in script.fallbacks)


def test_a_script_too_long_for_its_duration_is_shortened_to_fit() -> None:
    long_line = " ".join(["word"] * 40) + "."
    answer = {"hook": part("Meet it."), "scenes": [part(long_line), part(long_line)], "callToAction": part("Get one.")}
    script = fit(repair(answer, request()), 205.0, 15.0)
    assert estimate_seconds(script, 205.0) <= 15.0 * 0.92
    assert "reusable steel water bottle" in script.text
    assert any("shortened to fit" in note for note in script.fallbacks)


def test_lines_are_shortened_by_whole_sentences_where_they_fit() -> None:
    assert shorten("The world is about to change. Using reusable steel.", 7) == "The world is about to change."
    assert shorten("One two three four five six seven eight nine", 4) == "One two three four."
    hook = part("The world is about to change. Using reusable steel.")
    answer = {"hook": hook, "scenes": [], "callToAction": part("")}
    assert repair(answer, request()).lines[0].voiceover == "The world is about to change."


def test_text_is_made_speakable_and_the_product_named_plainly() -> None:
    assert speakable("Hi 👋 #summer_vibes https://x.y/z ok") == "Hi summer vibes ok"
    assert product_name("The Acme Flask, 750 ml, in steel") == "Acme Flask"
    assert product_name("an eco cup") == "eco cup"


def test_each_part_gets_its_picture_by_the_rules() -> None:
    roles = ["hook", "scene", "scene", "scene", "cta"]
    assert assign(roles, 0, False) == [Visual("video")] * 5
    assert [v.source for v in assign(roles, 2, False)] == [
        "video",
        "product-image",
        "video",
        "product-image",
        "product-image",
    ]
    with_face = assign(roles, 1, True)
    assert (with_face[0].source, with_face[-1].source) == ("spokesperson", "spokesperson")


def test_a_product_photo_zooms_over_its_scene() -> None:
    from PIL import Image

    photo = Image.fromarray(np.tile(np.arange(200, dtype=np.uint8)[None, :, None], (120, 1, 3)))
    clip = zooming_photo(photo, (90, 160), 10, 2.0, True, "p")
    frames = list(clip.frames())
    assert clip.duration == pytest.approx(2.0) and len(frames) == 20
    assert frames[0].shape == (160, 90, 3)
    assert not np.array_equal(frames[0], frames[-1])


def test_on_screen_text_is_drawn_in_the_top_of_its_window_only() -> None:
    size = (360, 640)
    overlay = OnScreenText([Card("Ice cold 24 hours, every day", 1.0, 2.0)], size)
    frame = np.full((640, 360, 3), 128, np.uint8)
    assert np.array_equal(overlay(frame, 0.5), frame)
    drawn = overlay(frame, 1.5)
    changed = np.argwhere((drawn != frame).any(axis=2))
    assert changed.size and changed[:, 0].max() < 640 * 0.4
    assert (drawn.min(axis=2) > 230).sum() > 100  # white letters


def test_the_stopwatch_counts_time_inside_generators() -> None:
    import time

    watch = Stopwatch()

    def slow():
        for i in range(3):
            time.sleep(0.01)
            yield i

    assert list(watch.timed("scenes", slow)()) == [0, 1, 2]
    with watch.stage("writer"):
        time.sleep(0.01)
    assert watch.seconds["scenes"] >= 0.03 and watch.seconds["writer"] >= 0.01
