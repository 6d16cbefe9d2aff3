"""The `talking-head` engine: an avatar job's photo and speech in, one MP4 of the photo speaking out.

The spec (camelCase, as the avatar product validated it): `image` (URL), `resolution` (480p,
720p or 1080p), `model`, and `audio` (URL) or `text` with `voiceId`, `voiceModel` (the manifest id
of the voice that speaks it, decided at submit) and, for a cloned voice, `clonedVoice`.

Stages, in order: "voice" (text only: the voice engine speaks the text, sentence chunks streamed
as for a voice job), "lip-sync" (render.py: MuseTalk's new mouth for every frame, with blinks and
head motion made by the engine; or, for a model whose manifest `pipeline` is "EchoMimicV3",
engines/echomimic: the photo's head animated by the model itself), "encoding" (H.264 + AAC).

Before any voice or model runs, the photo is read and searched for faces: none fails the job with
"image: no face found"; with several, the largest speaks and the metadata says how many were found
and which box was used. The output is a 16:9 frame of the resolution (854x480, 1280x720,
1920x1080): the photo scaled to fit inside it whole, over a blurred, darkened copy of itself
that fills the rest (placement.py). The video is as long as the speech, to the frame (25 fps).
Speech longer than MAX_SPEECH_S fails the job (the product refuses such text at submit already).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from apexlocal.engines import compose as c
from apexlocal.engines.base import EngineContext, EngineOutput, OutputFile
from apexlocal.engines.echomimic.render import MOTION as ECHOMIMIC_MOTION
from apexlocal.engines.echomimic.render import render_echomimic
from apexlocal.engines.faces import Face, find_faces
from apexlocal.engines.registry import get_engine
from apexlocal.engines.speech_to_text.decode import SAMPLE_RATE, decode_audio
from apexlocal.engines.talking_head.render import render_talking_head
from apexlocal.engines.talking_head.source import read_picture
from apexlocal.engines.voice.audio import write_wav
from apexlocal.errors import JobError, ModelError
from apexlocal.models.manifest import ModelEntry

OUTPUT_NAME = "output.mp4"
RESOLUTIONS = ("480p", "720p", "1080p")
DEFAULT_RESOLUTION = "720p"
MAX_SPEECH_S = 300.0  # 5 minutes
ECHOMIMIC = "EchoMimicV3"  # the manifest `pipeline` of models rendered by engines/echomimic
MUSETALK_MOTION = "blinks and head motion made by the engine; the mouth by the model"
TOO_LONG = "the speech runs {seconds:.0f} s, more than the 5-minute cap ({cap:.0f} s) of an avatar video"


class TalkingHeadEngine:
    """The `talking-head` engine (avatar jobs). Other engines call render.render_talking_head."""

    name = "talking-head"

    def run(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput:
        return avatar(spec, model, ctx)


def avatar(spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput:
    started = time.monotonic()
    resolution = spec.get("resolution") or DEFAULT_RESOLUTION
    if resolution not in RESOLUTIONS:
        raise JobError(f"resolution: must be one of {', '.join(RESOLUTIONS)}")
    text, audio_url = spec.get("text"), spec.get("audio")
    if (text is None) == (audio_url is None):
        raise JobError("audio, text: give exactly one of them")
    if ctx.fetch_input is None:
        raise ModelError("the talking-head engine needs an input fetcher")
    image = ctx.fetch_input(str(spec.get("image") or ""), "image")
    faces = check_photo(image)
    if text is not None:
        speech, voice_meta = speak(str(text), spec, ctx)
    else:
        speech, voice_meta = ctx.fetch_input(str(audio_url), "audio"), {}
    seconds = speech_seconds(speech, "text" if text is not None else "audio")
    ctx.check_cancelled()
    size = c.resolve_size(resolution, "16:9")
    out = ctx.scratch_dir / OUTPUT_NAME
    if model.pipeline == ECHOMIMIC:
        head, motion = render_echomimic(ctx, model, image, speech, out, size, field="image"), ECHOMIMIC_MOTION
    else:
        head, motion = render_talking_head(ctx, model, image, speech, out, size, field="image"), MUSETALK_MOTION
    metadata = {
        "model": str(spec.get("model") or model.id),
        "modelId": model.id,
        "durationSeconds": round(head.duration_s, 3),
        "speechSeconds": round(seconds, 3),
        "resolution": resolution,
        "width": size[0],
        "height": size[1],
        "fps": head.fps,
        "frames": head.frames,
        "facesFound": len(faces),
        "faceUsed": {"rank": "largest", "box": list(faces[0].box), "score": round(faces[0].score, 3)},
        "motion": motion,
        **voice_meta,
        "durationMs": round((time.monotonic() - started) * 1000),
    }
    return EngineOutput(files=[OutputFile(out, "video/mp4", OUTPUT_NAME)], metadata=metadata)


def check_photo(path: Path, field: str = "image") -> list[Face]:
    """The photo's faces, largest first; JobError when it is no picture or shows no face."""
    picture = read_picture(path)
    if picture is None:
        raise JobError(f"{field}: not a picture this server can read")
    faces = find_faces(picture)
    if not faces:
        raise JobError(f"{field}: no face found")
    return faces


def speak(text: str, spec: dict[str, Any], ctx: EngineContext) -> tuple[Path, dict[str, Any]]:
    """`text` spoken by the spec's voice (`voiceModel`, `voiceId`, `clonedVoice`) into a WAV in
    the scratch dir, reported as the stage "voice"; JobError once it passes MAX_SPEECH_S."""
    import numpy as np

    voice = _voice_model(spec, ctx)
    voice_id = spec.get("voiceId")
    voice_spec: dict[str, Any] = {"text": text, "voiceId": None if voice_id == "default" else voice_id}
    if isinstance(spec.get("clonedVoice"), dict):
        voice_spec["clonedVoice"] = spec["clonedVoice"]
    voice_ctx = replace(ctx, progress=lambda fraction, _stage: ctx.progress(fraction, "voice"))
    stream = get_engine(voice.engine).stream(voice_spec, voice, voice_ctx)  # type: ignore[attr-defined]
    chunks, total = [], 0
    for chunk in stream:
        chunks.append(chunk)
        total += chunk.shape[0]
        if total / stream.sample_rate > MAX_SPEECH_S:
            raise JobError("text: " + TOO_LONG.format(seconds=total / stream.sample_rate, cap=MAX_SPEECH_S))
    samples = np.concatenate([np.zeros(0, np.float32), *chunks])
    if samples.shape[0] == 0:
        raise JobError("text: the voice made no sound of it")
    path = ctx.scratch_dir / "speech.wav"
    write_wav(path, samples, stream.sample_rate)
    ctx.progress(1.0, "voice")
    return path, {"voiceId": stream.voice_id, "voiceModel": voice.id}


def speech_seconds(path: Path, field: str) -> float:
    """The speech's length; JobError past MAX_SPEECH_S or when it holds no sound."""
    seconds = decode_audio(path).shape[0] / SAMPLE_RATE
    if seconds > MAX_SPEECH_S:
        raise JobError(f"{field}: " + TOO_LONG.format(seconds=seconds, cap=MAX_SPEECH_S))
    if seconds < 0.1:
        raise JobError(f"{field}: the speech is shorter than 0.1 s")
    return seconds


def _voice_model(spec: dict[str, Any], ctx: EngineContext) -> ModelEntry:
    name = spec.get("voiceModel")
    if name is None:
        return ctx.manifest.default_for("voice")
    entry = ctx.manifest.by_id().get(str(name))
    if entry is None:
        raise ModelError(f"voiceModel: {name!r} is not in models_manifest.toml")
    return entry
