"""The `m2m100` engine's code path on a random-weight stand-in of M2M100 (the same transformers
classes, a few channels wide): languages told to the tokenizer, the target's token forced first,
batches, lines kept in order. Its words are of no language, so only the shape of the answer is checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from apexlocal.engines.translation import m2m100
from apexlocal.engines.translation.translate import translate_texts
from apexlocal.errors import JobError


@pytest.fixture(scope="module")
def tiny_m2m100(tmp_path_factory) -> Path:
    from apexlocal.models.tiny_translation import build

    out = tmp_path_factory.mktemp("m2m100") / "m2m100-tiny"
    build("m2m100_tiny", out)
    return out


@pytest.fixture
def ctx_with(voice_ctx, tiny_m2m100):
    ctx = voice_ctx()
    ctx.model_dir = lambda entry: tiny_m2m100
    return ctx


def test_lines_come_back_one_for_one_with_the_target_token_forced(ctx_with, voice_manifest, monkeypatch) -> None:
    model = voice_manifest.by_id()["m2m100-418m"]
    monkeypatch.setitem(m2m100.BATCH, "cpu", 2)  # three batches for five lines
    seen: list[int] = []
    real = m2m100._decode

    def decode(tokenizer, ids):
        seen.extend(int(row[1]) for row in ids)  # row[0] is the decoder's start token
        assert all(f"__{code}__" not in text for text in real(tokenizer, ids) for code in ("es", "en"))
        return real(tokenizer, ids)

    monkeypatch.setattr(m2m100, "_decode", decode)
    lines = ["Good morning.", "", "The meeting starts at nine.", "It ends before lunch.", "Thanks!", "Bye."]
    out = translate_texts(ctx_with, model, lines, "en", "es")
    assert len(out) == len(lines) and out[1] == ""
    assert all(isinstance(text, str) for text in out)
    tokenizer, _ = ctx_with.runtime.get(f"m2m100:{Path(ctx_with.model_dir(model)).resolve()}:cpu", lambda: None)
    assert seen == [tokenizer.get_lang_id("es")] * 5


def test_a_language_m2m100_lacks_is_refused(ctx_with, voice_manifest) -> None:
    with pytest.raises(JobError, match="does not translate en to tlh"):
        translate_texts(ctx_with, voice_manifest.by_id()["m2m100-418m"], ["Hello."], "en", "tlh")
