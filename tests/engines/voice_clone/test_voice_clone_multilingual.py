"""The multilingual Chatterbox: its manifest entry pins what chatterbox-tts loads, its tiny stand-in
is the real ChatterboxMultilingualTTS reloaded by `from_local`, and the `voice-clone` engine speaks
a cloned voice in the language asked for, whose token reaches T3 ahead of the text, with the
conditionals computed, stored and used as the English model's are."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from apexlocal.engines.registry import get_engine
from apexlocal.errors import JobError

SPANISH = "¿Dónde está la biblioteca? Está cerca del parque."


@pytest.fixture(scope="module")
def mtl(clone_manifest):
    return get_engine("voice-clone"), clone_manifest.by_id()["chatterbox-multilingual"]


def spec(text: str, clip: Path, language: str | None, stored: Path | None = None, **extra):
    voice = {"clipPath": str(clip), "transcript": ""}
    if stored is not None:
        voice["conditionalsPath"] = str(stored)
    return {"text": text, "language": language, "clonedVoice": voice, "seed": 0, **extra}


def test_the_entry_pins_the_files_and_languages_of_chatterbox_tts(mtl, clone_manifest):
    from apexlocal.models.tiny_clone import MULTILINGUAL_FILES, MULTILINGUAL_LANGUAGES
    from apexlocal.models.torchaudio_compat import import_chatterbox_multilingual

    _engine, model = mtl
    module = import_chatterbox_multilingual()
    assert model.engine == "voice-clone" and model.pipeline == "ChatterboxMultilingualTTS"
    assert model.license == "mit" and model.commercial and model.tiny is not None
    english = clone_manifest.by_id()["chatterbox"]
    assert (model.source.repo, model.source.revision) == (english.source.repo, english.source.revision)
    # Exactly the files from_pretrained takes (its allow_patterns), none of the English model's.
    source = inspect.getsource(module.ChatterboxMultilingualTTS.from_pretrained)
    patterns = re.search(r"allow_patterns=\[([^\]]*)\]", source)
    assert patterns is not None
    files = [f.path for f in model.source.files]
    assert sorted(files) == sorted(re.findall(r'"([^"]+)"', patterns.group(1)))
    assert set(MULTILINGUAL_FILES.values()) <= set(files)
    languages = model.defaults["languages"]
    assert languages[0] == "en" and set(languages) == set(module.SUPPORTED_LANGUAGES)
    assert sorted(MULTILINGUAL_LANGUAGES) == sorted(module.SUPPORTED_LANGUAGES)
    assert model.source.download_estimated  # the sizes were not read from the hub


def test_tiny_is_the_multilingual_class_reloaded_by_from_local(mtl, clone_ctx):
    import torch
    from safetensors.torch import load_file

    from apexlocal.engines.voice_clone.chatterbox_clone import load_chatterbox
    from apexlocal.engines.voice_clone.checkpoints import MULTILINGUAL
    from apexlocal.models.tiny_clone import TINY_SIZES_FILE

    _engine, model = mtl
    model_dir = clone_ctx().model_dir(model)
    assert {*MULTILINGUAL.required, "Cangjie5_TC.json", TINY_SIZES_FILE} <= {p.name for p in model_dir.iterdir()}
    tts = load_chatterbox(model_dir, "cpu", MULTILINGUAL)
    from chatterbox.models.tokenizers import MTLTokenizer
    from chatterbox.mtl_tts import ChatterboxMultilingualTTS

    assert type(tts) is ChatterboxMultilingualTTS and isinstance(tts.tokenizer, MTLTokenizer)
    assert tts.t3.hp.is_multilingual and tts.t3.cfg.hidden_size == 64  # the stand-in's width
    saved = load_file(str(model_dir / "t3_mtl23ls_v2.safetensors"))
    assert all(torch.equal(value, saved[key]) for key, value in tts.t3.state_dict().items())
    # The language is the first token; Chinese goes through the Cangjie table of the model's folder.
    vocab = tts.tokenizer.tokenizer.get_vocab()
    tokens = tts.tokenizer.text_to_tokens("你好", language_id="zh")[0].tolist()
    assert tokens[0] == vocab["[zh]"] and vocab["[cj_o]"] in tokens and vocab["[UNK]"] not in tokens
    assert tts.tokenizer.text_to_tokens("hola", language_id="es")[0].tolist()[0] == vocab["[es]"]


def test_a_spanish_line_reaches_t3_with_its_language_token(mtl, clone_ctx, piper_reference, monkeypatch):
    import numpy as np

    from apexlocal.engines.voice.audio import read_wav
    from apexlocal.engines.voice_clone.chatterbox_clone import TOKENS_PER_SECOND, token_budget

    engine, model = mtl
    tts, _ = engine._load(model, clone_ctx())
    seen: list[list[int]] = []
    real = tts.t3.inference

    def inference(**kwargs):
        seen.append(kwargs["text_tokens"][0].tolist())
        return real(**kwargs)

    monkeypatch.setattr(tts.t3, "inference", inference)
    out = engine.run(spec(SPANISH, piper_reference, "es"), model, clone_ctx())
    meta = out.metadata
    assert meta["model"] == "chatterbox-multilingual" and meta["language"] == "es"
    assert meta["voiceConditionals"] == "computed"
    samples, rate = read_wav(out.files[0].path)
    assert rate == 24_000 and float(np.abs(samples).max()) > 0.0
    assert 0 < meta["durationSeconds"] <= token_budget(SPANISH, "es") / TOKENS_PER_SECOND + 0.1
    vocab = tts.tokenizer.tokenizer.get_vocab()
    assert seen and all(row[:2] == [tts.t3.hp.start_text_token, vocab["[es]"]] for row in seen)
    # The alignment analyzer's attention hooks do not pile up from one call to the next.
    assert not any(layer.self_attn._forward_hooks for layer in tts.t3.tfmr.layers)

    seen.clear()  # with no language asked for, the first listed: English
    engine.run(spec("Hello there.", piper_reference, None), model, clone_ctx())
    assert seen and seen[0][1] == vocab["[en]"]


def test_stored_conditionals_are_used_when_made_by_these_weights(mtl, clone_ctx, clone_manifest, piper_reference):
    from apexlocal.engines.voice_clone import conditionals

    engine, model = mtl
    folder = clone_ctx().scratch_dir
    own, english = folder / "own.pt", folder / "english.pt"
    assert engine.save_conditionals(model, clone_ctx(), piper_reference, own) == conditionals.KIND
    engine.save_conditionals(clone_manifest.by_id()["chatterbox"], clone_ctx(), piper_reference, english)
    line = "Hola."
    assert engine.run(spec(line, piper_reference, "es", own), model, clone_ctx()).metadata["voiceConditionals"] == (
        "stored"
    )
    # The English model's file names other weights: computed from the clip instead.
    other = engine.run(spec(line, piper_reference, "es", english), model, clone_ctx())
    assert other.metadata["voiceConditionals"] == "computed"


def test_a_language_it_does_not_speak_names_those_it_does(mtl, clone_ctx, piper_reference):
    engine, model = mtl
    with pytest.raises(JobError, match=r"'vi' is not spoken by this model; it speaks en, ar, da"):
        engine.run(spec("Xin chào.", piper_reference, "vi"), model, clone_ctx())


def test_the_token_budget_and_chunks_follow_the_languages_pace():
    from apexlocal.engines.voice_clone.chatterbox_clone import (
        MAX_CHUNK_CHARS,
        MAX_NEW_TOKENS,
        max_chunk_chars,
        token_budget,
    )

    chinese = "我们明天去公园散步。" * 3
    assert token_budget(chinese, "zh") > 2 * token_budget(chinese, "es")
    assert token_budget(chinese, "es") == token_budget(chinese)  # alphabetic scripts: English's pace
    for language in ("en", "es", "zh", "ja", "ko"):
        size = max_chunk_chars(language)
        assert size <= MAX_CHUNK_CHARS and token_budget("x" * size, language) <= MAX_NEW_TOKENS
    assert max_chunk_chars("zh") < max_chunk_chars("es") == MAX_CHUNK_CHARS
