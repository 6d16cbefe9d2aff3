"""The hook is heard within the first 3 s: when its words, spoken by the packaged Piper voice, run
past that, the hook loses words from its end and is spoken again."""

from __future__ import annotations

from apexlocal.engines.commercial.engine import HOOK_ENDS_BY_S, _narrate
from apexlocal.engines.commercial.request import parse_request
from apexlocal.engines.commercial.script import HOOK_WORDS, repair
from tests.engines.commercial.fake_writer import BOTTLE, part

LONG_HOOK = "Extraordinary, unprecedented, revolutionary, indestructible, temperature-controlling hydration technology."


def test_a_hook_that_runs_past_three_seconds_is_shortened_until_it_fits(voice_manifest, voice_ctx):
    model = voice_manifest.default_for("video")
    request = parse_request(
        {
            "product": "a steel water bottle",
            "platform": "tiktok",
            "duration": 15,
            "tone": "energetic",
            "voiceModel": "piper-joe-medium",
        },
        model,
    )
    script = repair({**BOTTLE, "hook": part(LONG_HOOK, "Stay cold")}, request)
    assert len(script.lines[0].voiceover.split()) <= HOOK_WORDS

    narration = _narrate(request, script, voice_manifest.by_id()["piper-joe-medium"], voice_ctx())

    assert narration.scene_spans[0][1] <= HOOK_ENDS_BY_S
    shortened = [f for f in script.fallbacks if f.startswith("hook: ended at")]
    assert shortened, script.fallbacks  # this hook ran over as written (several words over 4 syllables)
    assert LONG_HOOK.startswith(script.lines[0].voiceover.rstrip("."))
    assert "water bottle" in script.text  # the product is still named
