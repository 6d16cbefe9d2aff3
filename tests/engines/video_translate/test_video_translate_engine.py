"""The `video-translate` engine on the tiny set, on clips made in the test (real English speech by
the packaged Piper voice over skimage's astronaut): the Spanish output is heard as Spanish by the
multilingual Whisper, each line starts where the original did, the video keeps its length, and
the subtitles are the speech's. Then videos with no face in the original voice (the voice-clone
engine, and no lip-sync): Spanish into English by the English Chatterbox, English into Spanish by
the multilingual one; a video with no speech, and a cancel."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from apexlocal.engines.base import EngineContext, EngineOutput
from apexlocal.engines.compose.probe import probe
from apexlocal.engines.runtime import ModelRuntime
from apexlocal.engines.speech_to_text.whisper import transcribe
from apexlocal.engines.video_translate.engine import NO_SPEECH, translate_video
from apexlocal.engines.video_translate.fit import GAP_S, MAX_SPEEDUP
from apexlocal.engines.voice.languages import stock_voice_for
from apexlocal.errors import JobCancelled, JobError
from apexlocal.models.manifest import Manifest, ModelEntry, load_manifest
from apexlocal.models.store import ModelStore
from tests.conftest import make_settings
from tests.engines.video_translate.translate_clip import (
    SourceClip,
    apertium,
    audio_of,
    make_clip,
    onset,
    parse_vtt,
    word_error_rate,
)

START_TOLERANCE_S = 0.3
LENGTH_TOLERANCE_S = 0.1
MAX_WER = 0.35


@dataclass
class Run:
    ctx: EngineContext
    events: list[tuple[str, float]] = field(default_factory=list)


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest()


@pytest.fixture(scope="module")
def store(models_dir: Path, tmp_path_factory: pytest.TempPathFactory, manifest: Manifest) -> ModelStore:
    return ModelStore(make_settings(tmp_path_factory.mktemp("translate-data"), models_dir), manifest)


@pytest.fixture(scope="module")
def runtime() -> Any:
    return ModelRuntime("cpu", budget_bytes=None)


@pytest.fixture(scope="module")
def new_run(
    store: ModelStore, runtime: Any, manifest: Manifest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Run]:
    def model_dir(entry: ModelEntry) -> Path:
        return store.path(entry) if store.is_installed(entry) else store.pull(entry)

    def make(cancel_at: str | None = None) -> Run:
        scratch = tmp_path_factory.mktemp("translate-job")
        run = Run(ctx=None)  # type: ignore[arg-type]

        def fetch(url: str, field_name: str) -> Path:
            assert field_name == "videoUrl"
            target = scratch / "inputs" / Path(url).name
            target.parent.mkdir(exist_ok=True)
            return Path(shutil.copy(url, target))

        run.ctx = EngineContext(
            job_id=scratch.name,
            device="cpu",
            scratch_dir=scratch,
            model_set="tiny",
            progress=lambda fraction, stage: run.events.append((stage, fraction)),
            cancelled=lambda: cancel_at is not None and any(stage == cancel_at for stage, _ in run.events),
            model_dir=model_dir,
            runtime=runtime,
            fetch_input=fetch,
            manifest=manifest,
        )
        return run

    return make


def spec(
    manifest: Manifest, video: Path, language: str, preserve: bool = False, clone: str = "chatterbox"
) -> dict[str, Any]:
    """What the translate product writes at submit for the tiny set."""
    out: dict[str, Any] = {
        "videoUrl": str(video),
        "outputLanguage": language,
        "preserveOriginalVoice": preserve,
        "speechModel": "whisper-base",
        "translationModels": ["apertium"],
    }
    if preserve:
        out["cloneModel"] = clone
    else:
        voice = stock_voice_for(manifest, lambda m: True, language, model_set="tiny")
        assert voice is not None, f"no stock voice speaks {language}"
        out["voiceModel"], out["voiceId"] = voice[0].id, voice[1]
    return out


def stages(run: Run) -> list[str]:
    seen: list[str] = []
    for stage, _ in run.events:
        if not seen or seen[-1] != stage:
            seen.append(stage)
    return seen


@pytest.fixture(scope="module")
def english(tmp_path_factory: pytest.TempPathFactory) -> SourceClip:
    return make_clip(tmp_path_factory.mktemp("clips") / "english.mp4")


@pytest.fixture(scope="module")
def spanish(new_run: Callable[..., Run], manifest: Manifest, english: SourceClip) -> tuple[Run, EngineOutput]:
    run = new_run()
    return run, translate_video(spec(manifest, english.path, "es"), manifest.by_id()["musetalk-1.5"], run.ctx)


def test_the_outputs_are_an_mp4_of_the_same_length_and_webvtt(spanish, english):
    run, out = spanish
    video, subtitles = out.files
    assert (video.content_type, subtitles.content_type) == ("video/mp4", "text/vtt")
    info = probe(video.path)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert (info.width, info.height) == (256, 256)
    assert abs(info.duration - english.duration) <= LENGTH_TOLERANCE_S
    meta = out.metadata
    assert meta["outputLanguage"] == "es" and meta["sourceLanguage"] == "en"
    assert abs(meta["durationSeconds"] - english.duration) <= LENGTH_TOLERANCE_S
    assert meta["models"] == {
        "speechToText": "whisper-base",
        "translation": "apertium",
        "voice": meta["models"]["voice"],
        "lipSync": "musetalk-1.5",
    }
    assert meta["lipSync"] is True and meta["facesFound"] == 1
    assert stages(run)[:6] == ["transcribe", "translate", "voice", "mix", "lip-sync", "encoding"]
    assert set(meta["stageSeconds"]) == {"transcribe", "translate", "voice", "mix", "lip-sync", "encoding"}


def test_the_speech_is_heard_as_the_reference_translation_in_spanish(spanish, english, new_run, manifest):
    _, out = spanish
    run = new_run()
    heard = transcribe(run.ctx, manifest.by_id()["whisper-base"], out.files[0].path)
    assert heard.language == "es", heard.text
    wer = word_error_rate(" ".join(english.spanish), heard.text)
    assert wer <= MAX_WER, (wer, heard.text, english.spanish)


def test_each_line_starts_within_its_original_lines_start(spanish, english):
    _, out = spanish
    lines = out.metadata["lines"]
    assert len(lines) == len(english.starts)
    audio = audio_of(out.files[0].path)
    bounds = [*english.starts[1:], english.duration]
    for line, original, next_start in zip(lines, english.starts, bounds, strict=True):
        assert abs(line["start"] - original) <= START_TOLERANCE_S, (line, original)
        heard = onset(audio, 16_000, original - 0.5, next_start)  # the new voice, in the output itself
        assert heard is not None and abs(heard - original) <= START_TOLERANCE_S, (heard, original)
        assert not line["trimmed"]


def test_the_subtitles_are_the_translated_lines_at_the_spoken_times(spanish):
    _, out = spanish
    cues = parse_vtt(out.files[1].path.read_text(encoding="utf-8"))
    lines = out.metadata["lines"]
    assert [c[0] for c in cues] == [line["text"] for line in lines]
    assert [c[0] for c in cues] == apertium([line["original"] for line in lines])
    audio = audio_of(out.files[0].path)
    for (_, start, end), line in zip(cues, lines, strict=True):
        assert (start, end) == (line["start"], line["end"])
        heard = onset(audio, 16_000, start - 0.3, end)
        assert heard is not None and abs(heard - start) < 0.1  # the speech begins with its cue


def test_a_video_without_a_face_is_dubbed_in_its_own_voice_without_lip_sync(
    spanish, new_run, manifest, tmp_path_factory
):
    from apexlocal.engines import compose as c

    _, out = spanish
    grey = tmp_path_factory.mktemp("clips") / "grey-spanish.mp4"
    length = probe(out.files[0].path).duration
    c.compose(
        [c.Segment(c.solid((120, 120, 120), (160, 120), length))],
        grey,
        (160, 120),
        fps=10,
        audio_tracks=[c.AudioTrack(c.AudioFile(out.files[0].path), role="effects")],
        audio=c.AudioSettings(loudness_lufs=None, true_peak_db=None, ducking=None),
    )
    run = new_run()
    result = translate_video(spec(manifest, grey, "en", preserve=True), manifest.by_id()["musetalk-1.5"], run.ctx)
    meta = result.metadata
    assert meta["sourceLanguage"] == "es" and meta["outputLanguage"] == "en"
    assert meta["lipSync"] is False and meta["facesFound"] == 0 and meta["models"]["lipSync"] is None
    assert meta["models"]["voice"] == "chatterbox" and meta["preserveOriginalVoice"] is True
    assert "lip-sync" not in stages(run) and stages(run)[-1] == "encoding"
    info, source = probe(result.files[0].path), probe(grey)
    assert (info.width, info.height) == (160, 120) and abs(info.duration - source.duration) <= LENGTH_TOLERANCE_S
    lines = meta["lines"]
    for line, limit in zip(lines, [*(n["start"] for n in lines[1:]), source.duration], strict=True):
        assert line["start"] == line["originalStart"] and line["end"] <= limit + 1e-3  # inside its slot
    assert (run.ctx.scratch_dir / "reference.wav").is_file()


@pytest.fixture
def one_torch_thread() -> Any:
    """The cloning stand-in's layers are a few channels wide: its time goes to per-operation
    overhead, which a second thread only adds to on a busy machine (42 s against 16 s here)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.usefixtures("one_torch_thread")
def test_the_original_voice_speaks_spanish_through_the_multilingual_model(
    new_run, manifest, tmp_path_factory, monkeypatch
):
    from apexlocal.engines.voice_clone import checkpoints

    clip = make_clip(tmp_path_factory.mktemp("clips") / "english-grey.mp4", face=False)
    spoken: list[tuple[str, bool]] = []  # (language, whether its token leads the text tokens)
    real = checkpoints.text_tokens

    def text_tokens(model: Any, text: str, language: str) -> Any:
        tokens = real(model, text, language)
        spoken.append((language, tokens[0, 0].item() == model.tokenizer.tokenizer.token_to_id("[es]")))
        return tokens

    monkeypatch.setattr(checkpoints, "text_tokens", text_tokens)
    run = new_run()
    job = spec(manifest, clip.path, "es", preserve=True, clone="chatterbox-multilingual")
    result = translate_video(job, manifest.by_id()["musetalk-1.5"], run.ctx)
    meta = result.metadata
    assert meta["sourceLanguage"] == "en" and meta["outputLanguage"] == "es" and meta["preserveOriginalVoice"]
    assert meta["models"]["voice"] == "chatterbox-multilingual" and meta["voiceId"] == "cloned"
    lines = meta["lines"]
    assert len(lines) == len(clip.starts) and len(spoken) >= len(lines)
    assert set(spoken) == {("es", True)}  # every chunk went to T3 with the Spanish token first
    assert [line["text"] for line in lines] == apertium([line["original"] for line in lines])
    # Each line's cloned speech is fitted into its slot, from the original line's start.
    slot_ends = [*(n["originalStart"] - GAP_S for n in lines[1:]), clip.duration]
    for line, slot_end in zip(lines, slot_ends, strict=True):
        assert line["start"] == line["originalStart"] < line["end"] <= slot_end + 1e-3, line
        assert line["speedup"] <= MAX_SPEEDUP
    info = probe(result.files[0].path)
    assert abs(info.duration - clip.duration) <= LENGTH_TOLERANCE_S and info.audio_codec == "aac"
    cues = parse_vtt(result.files[1].path.read_text(encoding="utf-8"))
    assert [(c[1], c[2]) for c in cues] == [(line["start"], line["end"]) for line in lines]


def test_a_video_without_speech_fails_with_a_clear_message(new_run, manifest, tmp_path_factory):
    quiet = make_clip(tmp_path_factory.mktemp("clips") / "quiet.mp4", speech=False)
    run = new_run()
    with pytest.raises(JobError) as failure:
        translate_video(spec(manifest, quiet.path, "es"), manifest.by_id()["musetalk-1.5"], run.ctx)
    assert str(failure.value) == NO_SPEECH
    assert stages(run) == ["transcribe"]


def test_a_cancel_stops_between_steps(new_run, manifest, english):
    run = new_run(cancel_at="voice")
    with pytest.raises(JobCancelled):
        translate_video(spec(manifest, english.path, "es"), manifest.by_id()["musetalk-1.5"], run.ctx)
    assert stages(run)[-1] == "voice" and not (run.ctx.scratch_dir / "output.mp4").exists()


def test_the_engine_is_registered():
    from apexlocal.engines.registry import get_engine
    from apexlocal.engines.video_translate.engine import VideoTranslateEngine

    assert isinstance(get_engine("video-translate"), VideoTranslateEngine)


def test_the_mix_reports_the_loudness_it_was_mastered_from(spanish):
    _, out = spanish
    lufs, gain = out.metadata["mixLoudnessLufs"], out.metadata["loudnessGainDb"]
    assert isinstance(lufs, float) and -70 < lufs < 0, lufs  # speech over a face: measured, not silence
    assert isinstance(gain, float) and -60 < gain < 60, gain
