"""The `video-translate` engine: a video in, the same video speaking another language out, with
WebVTT subtitles of the new speech.

Steps (stage names in brackets):
1. fetch and check the video (`source`), [transcribe] its speech with Whisper: the language is
   detected, the segments are cut into lines by their word times and the pauses a voice detector
   hears (`lines`), and the lines' edges are moved to where it hears speech begin and end
   (`timing`); no speech heard:
   the job fails (and is refunded);
2. [translate] the lines with the translation model for the heard language and the target
   (nothing to translate when they are the same);
3. [voice] speak each line: a stock voice of the target language, or a clone of the video's own
   voice made from its speech (`reference`, the voice-clone engine);
4. fit each line into the time of the line it replaces (`fit`); [mix] the new speech over the
   original sound with the original speech lowered (`soundtrack`);
5. [lip-sync] the speaker's face to the new speech (the talking-head engine, which writes the MP4
   with the mix as its sound); a video in which no face is found is [encoding] re-encoded with the
   new sound, without lip-sync;
6. the subtitles: one cue per fitted line (`subtitles`).
A cancel is seen between the steps, between lines, and inside each engine's own loop.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from apexlocal.engines import compose as c
from apexlocal.engines.base import EngineContext, EngineOutput, OutputFile
from apexlocal.engines.compose.probe import probe
from apexlocal.engines.speech_to_text.decode import decode_audio
from apexlocal.engines.speech_to_text.whisper import Transcript, transcribe
from apexlocal.engines.talking_head.render import render_talking_head
from apexlocal.engines.translation.languages import pick_translation_model, translation_targets
from apexlocal.engines.translation.translate import translate_texts
from apexlocal.engines.video_translate.fit import FittedSpeech, fit_speech
from apexlocal.engines.video_translate.lines import Line, SpokenSegment, split_lines
from apexlocal.engines.video_translate.reference import reference_clip
from apexlocal.engines.video_translate.request import TranslateJob, parse_request
from apexlocal.engines.video_translate.soundtrack import ORIGINAL_SPEECH_DB, Soundtrack, write_soundtrack
from apexlocal.engines.video_translate.source import FIELD, SourceVideo, count_faces, open_source
from apexlocal.engines.video_translate.speak import SpokenLines, speak_lines
from apexlocal.engines.video_translate.subtitles import write_vtt
from apexlocal.engines.video_translate.timing import Span, silences, snap_lines, speech_spans
from apexlocal.errors import JobError
from apexlocal.models.manifest import ModelEntry

VIDEO_NAME = "output.mp4"
SUBTITLES_NAME = "subtitles.vtt"
NO_SPEECH = f"{FIELD}: no speech was heard in the video, so there is nothing to translate"


class StageClock:
    """Seconds spent in each stage, for the job's metadata (and the benchmark)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._stage, self._since = "", time.monotonic()

    def enter(self, stage: str) -> None:
        if stage == self._stage:
            return
        now = time.monotonic()
        if self._stage:
            self.seconds[self._stage] = round(self.seconds.get(self._stage, 0.0) + now - self._since, 3)
        self._stage, self._since = stage, now

    def stop(self) -> dict[str, float]:
        self.enter("")
        return self.seconds

    def watching(self, ctx: EngineContext) -> EngineContext:
        """`ctx` whose progress reports also move the clock to their stage."""

        def progress(fraction: float, stage: str) -> None:
            self.enter(stage)
            ctx.progress(fraction, stage)

        return replace(ctx, progress=progress)


def staged(ctx: EngineContext, stage: str) -> EngineContext:
    """`ctx` whose every progress report is `stage`'s (the engines called report their own names)."""
    ctx.check_cancelled()
    ctx.progress(0.0, stage)
    return replace(ctx, progress=lambda fraction, _inner: ctx.progress(fraction, stage))


class VideoTranslateEngine:
    """The `video-translate` engine. The job's model is the lip-sync model; the others are named in
    the spec (see products/translate/submit.py)."""

    name = "video-translate"

    def run(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput:
        return translate_video(spec, model, ctx)


def translate_video(spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput:
    started, clock = time.monotonic(), StageClock()
    ctx = clock.watching(ctx)
    job = parse_request(spec, ctx.manifest)
    hearing = staged(ctx, "transcribe")
    source = open_source(hearing, job.video_url)
    transcript = transcribe(hearing, job.speech_model, source.path, None, stage="transcribe")
    voiced = speech_spans(decode_audio(source.path))
    lines = snap_lines(split_lines(_segments(transcript), transcript.language, silences(voiced)), voiced)
    if not lines:
        raise JobError(NO_SPEECH)
    heard = transcript.language.split("-", 1)[0].lower()
    translator = _translator(ctx, job, heard)
    texts = [line.text for line in lines]
    if translator is not None:
        texts = translate_texts(staged(ctx, "translate"), translator, texts, heard, job.language)
    spoken = _speak(staged(ctx, "voice"), job, source, lines, texts)
    fitted = fit_speech(lines, texts, spoken.audio, spoken.sample_rate, source.duration)
    soundtrack = _mix(staged(ctx, "mix"), source, [(line.start, line.end) for line in lines] + voiced, fitted)
    picture = _picture(ctx, model, source, fitted, soundtrack)
    cues = [(f.text, f.start, f.end) for f in fitted.lines]
    subtitles = write_vtt(ctx.scratch_dir / SUBTITLES_NAME, cues, job.language)
    ctx.check_cancelled()
    metadata = {
        **_metadata(job, model, heard, translator, spoken, lines, fitted, soundtrack, picture),
        "stageSeconds": clock.stop(),
        "durationMs": round((time.monotonic() - started) * 1000),
    }
    files = [
        OutputFile(picture.path, "video/mp4", VIDEO_NAME),
        OutputFile(subtitles, "text/vtt", SUBTITLES_NAME, {"language": job.language}),
    ]
    return EngineOutput(files=files, metadata=metadata)


def _segments(transcript: Transcript) -> list[SpokenSegment]:
    return [
        SpokenSegment(s.text, s.start, s.end, [(w.text, w.start, w.end) for w in s.words]) for s in transcript.segments
    ]


def _translator(ctx: EngineContext, job: TranslateJob, heard: str) -> ModelEntry | None:
    """The model for heard -> target, among the job's; None when they are one language. JobError
    when none of them translates that pair."""
    if heard == job.language:
        return None
    allowed = {m.id for m in job.translation_models}
    entry = pick_translation_model(ctx.manifest, lambda m: m.id in allowed, heard, job.language)
    if entry is None:
        targets = translation_targets(job.translation_models)
        sources = sorted(s for s, found in targets.items() if job.language in found)
        raise JobError(
            f"{FIELD}: the video's speech is in {heard!r}; this server translates into {job.language!r} only from "
            f"{', '.join(repr(s) for s in sources) or 'no language'}"
        )
    return entry


def _speak(
    ctx: EngineContext, job: TranslateJob, source: SourceVideo, lines: list[Line], texts: list[str]
) -> SpokenLines:
    if job.preserve_voice:
        assert job.clone_model is not None
        spans = [(line.start, line.end) for line in lines]
        clip, _ = reference_clip(source.path, spans, ctx.scratch_dir / "reference.wav")
        original = " ".join(line.text for line in lines)
        return speak_lines(ctx, texts, job.language, job.clone_model, reference=clip, reference_text=original)
    assert job.voice is not None
    voice_model, voice_id = job.voice
    return speak_lines(ctx, texts, job.language, voice_model, voice_id=voice_id)


def _mix(ctx: EngineContext, source: SourceVideo, spans: list[Span], fitted: FittedSpeech) -> Soundtrack:
    """The new speech over the original sound, lowered wherever the original voice is heard."""
    original = c.AudioFile(source.path)
    out = ctx.scratch_dir / "soundtrack.wav"
    return write_soundtrack(
        out, fitted.samples, fitted.sample_rate, original, spans, source.duration, ctx.progress, ctx.cancelled
    )


@dataclass(frozen=True)
class Picture:
    path: Path
    lip_sync: bool
    faces_found: int
    duration: float
    width: int
    height: int
    fps: float


def _picture(
    ctx: EngineContext,
    model: ModelEntry,
    source: SourceVideo,
    fitted: FittedSpeech,
    sound: Soundtrack,
) -> Picture:
    """The output MP4: lip-synced where the video shows a face, else re-encoded with the new sound."""
    from apexlocal.engines.voice.audio import write_wav

    out = ctx.scratch_dir / VIDEO_NAME
    faces = count_faces(source)
    ctx.check_cancelled()
    if faces:
        speech = ctx.scratch_dir / "speech.wav"
        write_wav(speech, fitted.samples, fitted.sample_rate)
        # The talking-head engine reports its own stages: "lip-sync", then "encoding".
        ctx.progress(0.0, "lip-sync")
        render_talking_head(ctx, model, source.path, speech, out, source.size, soundtrack=sound.path, field=FIELD)
    else:
        encoding = staged(ctx, "encoding")
        c.compose(
            [c.Segment(c.open_video(source.path, audio=False), fit="stretch")],
            out,
            source.size,
            fps=source.info.fps or 25.0,
            audio_tracks=[c.AudioTrack(c.AudioFile(sound.path), role="effects")],
            progress=encoding.progress,
            cancelled=ctx.cancelled,
            audio=c.AudioSettings(loudness_lufs=None, true_peak_db=None, ducking=None),
        )
    info = probe(out)
    return Picture(out, bool(faces), faces, info.duration, info.width, info.height, info.fps)


def _metadata(
    job: TranslateJob,
    model: ModelEntry,
    heard: str,
    translator: ModelEntry | None,
    spoken: SpokenLines,
    lines: list[Line],
    fitted: FittedSpeech,
    sound: Soundtrack,
    picture: Picture,
) -> dict[str, Any]:
    return {
        "outputLanguage": job.language,
        "sourceLanguage": heard,
        "durationSeconds": round(picture.duration, 3),
        "width": picture.width,
        "height": picture.height,
        "fps": picture.fps,
        "model": model.id,
        "models": {
            "speechToText": job.speech_model.id,
            "translation": translator.id if translator is not None else None,
            "voice": spoken.model.id,
            "lipSync": model.id if picture.lip_sync else None,
        },
        "preserveOriginalVoice": job.preserve_voice,
        "voiceId": spoken.voice_id,
        "lipSync": picture.lip_sync,
        "facesFound": picture.faces_found,
        "lines": [
            {
                "text": f.text,
                "start": f.start,
                "end": f.end,
                "original": line.text,
                "originalStart": round(line.start, 3),
                "originalEnd": round(line.end, 3),
                "speedup": f.speedup,
                "trimmed": f.trimmed,
            }
            for line, f in zip(lines, fitted.lines, strict=True)
        ],
        "trimmedLines": sum(f.trimmed for f in fitted.lines),
        "originalSpeechDb": ORIGINAL_SPEECH_DB,
        "loudnessGainDb": round(sound.gain_db, 2),
        "mixLoudnessLufs": None if sound.measured_lufs is None else round(sound.measured_lufs, 1),
    }
