"""render_talking_head: a still photo or a video, and speech, in; an MP4 of the face speaking out.

Steps: the speech is decoded at 16 kHz (its length fixes a still photo's video length); the source
is placed in the output frame (placement.py); the face is found before any model loads (none:
JobError naming `field`); MuseTalk is loaded (warm after the first job); then frames are made in
batches and handed to the compositor as they come, which encodes them (H.264) with the soundtrack
(AAC, loudness-normalised to -16 LUFS like every composed video), so no frame is held longer than
its batch. Between batches the job's cancel flag is checked and progress reported as "lip-sync";
the compositor's own "encoding" stage follows when the last frame is in.

- A still photo: one face, found once; its crop is encoded once and every frame is a new mouth for
  that frame's slice of speech, plus the engine-made blinks and head motion of liveliness.py. The
  video is ceil(speech seconds x 25) frames at 25 fps (the model's `defaults.fps`): as long as the
  speech, within one frame.
- A video: its own frame rate and length; the face is tracked (faces/track.py) and lip-synced on
  every frame the speech covers; frames past the speech's end, and frames where no face is
  tracked, keep the source's picture. The source's own sound is not used. No face in any of a few
  frames sampled across the video: JobError.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from apexlocal.engines import compose as c
from apexlocal.engines.base import EngineContext
from apexlocal.engines.faces import Face, find_faces
from apexlocal.engines.faces.track import FaceTracker
from apexlocal.engines.speech_to_text.decode import decode_audio
from apexlocal.engines.talking_head.geometry import mouth_region
from apexlocal.engines.talking_head.liveliness import Liveliness
from apexlocal.engines.talking_head.musetalk import AUDIO_RATE, CROP, MuseTalk, SpeechFeatures, load_musetalk
from apexlocal.engines.talking_head.placement import fit_video_frame, place_photo
from apexlocal.engines.talking_head.source import Source, open_source
from apexlocal.errors import JobError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

STAGE = "lip-sync"
STILL_FPS = 25.0  # upstream's default for images; the manifest's `defaults.fps` overrides it
PROBE_FRAMES = 5  # frames of a video searched for a face before any model loads


@dataclass(frozen=True)
class TalkingHead:
    duration_s: float
    frames: int
    fps: float
    faces_found: int


def render_talking_head(
    ctx: EngineContext,
    model: ModelEntry,
    source: Path,
    speech: Path,
    out: Path,
    size: tuple[int, int],
    *,
    soundtrack: Path | None = None,
    field: str = "image",
) -> TalkingHead:
    """Lip-syncs the largest face of `source` (a still image or a video file) to `speech` (any
    audio PyAV reads) and writes an H.264 + AAC MP4 of `size` (width, height) to `out`, whose sound
    is `soundtrack` (default: `speech`). A still image gives a video as long as the speech; a
    video keeps its own length (the lips move where the speech is). No face: JobError
    f"{field}: no face found". Reports progress as the stage "lip-sync" and checks
    ctx.cancelled between frame batches."""
    samples = decode_audio(speech)
    if samples.shape[0] < AUDIO_RATE // 10:
        raise JobError(f"{speech.name}: the speech is shorter than 0.1 s")
    speech_s = samples.shape[0] / AUDIO_RATE
    src = open_source(source, field, float(model.defaults.get("fps", STILL_FPS)), speech_s)
    faces, first = _probe_faces(src, size, field)
    musetalk = load_musetalk(model, ctx)
    ctx.check_cancelled()
    features = musetalk.speech_features(samples, src.fps)
    synced = min(src.count, math.ceil(speech_s * src.fps))
    tracker = FaceTracker()
    if src.still is not None:
        made = _still_frames(ctx, musetalk, features, first, faces[0], src.count)
    else:
        made = _video_frames(ctx, musetalk, features, src, size, synced, tracker)
    clip = c.from_frames(lambda: made, src.fps, duration=src.count / src.fps, size=size, name="talking head")
    result = c.compose(
        [c.Segment(clip, duration=src.count / src.fps)],
        out,
        size,
        fps=src.fps,
        audio_tracks=[c.AudioTrack(c.AudioFile(soundtrack or speech), role="narration")],
        progress=lambda fraction, stage: _encoded(ctx, fraction, stage),
        cancelled=ctx.cancelled,
    )
    found = len(faces) if src.still is not None else max(len(faces), tracker.faces_seen)
    return TalkingHead(duration_s=result.duration, frames=result.frames, fps=result.fps, faces_found=found)


def _encoded(ctx: EngineContext, fraction: float, stage: str) -> None:
    """The compositor's reports: only its end ("encoding", 1.0) shows; frames are encoded as the
    lip-sync makes them, so "lip-sync" is the stage a user watches until then."""
    if stage == "encoding" and fraction >= 1.0:
        ctx.progress(1.0, "encoding")


def _probe_faces(src: Source, size: tuple[int, int], field: str) -> tuple[list[Face], np.ndarray]:
    """The faces of the placed still (or of the first video frame that has any) and that frame."""
    frames = [place_photo(src.still, size)] if src.still is not None else _sample_frames(src, size)
    for frame in frames:
        faces = find_faces(frame)
        if faces:
            return faces, frame
    raise JobError(f"{field}: no face found")


def _sample_frames(src: Source, size: tuple[int, int]) -> list[np.ndarray]:
    assert src.clip is not None
    times = [src.clip.duration * k / PROBE_FRAMES for k in range(PROBE_FRAMES)]
    out = []
    for t in times:
        frames = src.clip.frames(start=t)
        try:
            frame = next(frames, None)
        finally:
            frames.close()
        if frame is not None:
            out.append(fit_video_frame(frame, size))
    return out


def _still_frames(
    ctx: EngineContext, musetalk: MuseTalk, features: SpeechFeatures, canvas: np.ndarray, face: Face, count: int
) -> Iterator[np.ndarray]:
    size = (canvas.shape[1], canvas.shape[0])
    region = mouth_region(face, size)
    latents = musetalk.face_latents(region.cut(canvas, CROP)[None])
    live = Liveliness(face, size, features.fps, count / features.fps, seed=zlib.crc32(ctx.job_id.encode()))
    batch = musetalk.batch_size
    for start in range(0, count, batch):
        ctx.check_cancelled()
        frames = range(start, min(count, start + batch))
        mouths = musetalk.generate(latents.expand(len(frames), -1, -1, -1), features.windows(frames))
        for mouth, index in zip(mouths, frames, strict=True):
            frame = region.paste(canvas.copy(), mouth)
            yield live.apply(frame, index)
        ctx.progress(frames.stop / count, STAGE)


def _video_frames(
    ctx: EngineContext,
    musetalk: MuseTalk,
    features: SpeechFeatures,
    src: Source,
    size: tuple[int, int],
    synced: int,
    tracker: FaceTracker,
) -> Iterator[np.ndarray]:
    import numpy as np

    assert src.clip is not None
    pending: list[np.ndarray] = []
    last = np.zeros((size[1], size[0], 3), np.uint8)
    index = 0
    decoded = src.clip.frames()
    try:
        for frame in decoded:
            if index >= src.count:
                break
            pending.append(fit_video_frame(frame, size))
            index += 1
            if len(pending) == musetalk.batch_size or index == src.count:
                ctx.check_cancelled()
                yield from _sync_batch(musetalk, features, tracker, pending, index - len(pending), synced, size)
                last, pending = pending[-1], []
                ctx.progress(index / src.count, STAGE)
    finally:
        decoded.close()
    if pending:
        yield from _sync_batch(musetalk, features, tracker, pending, index - len(pending), synced, size)
        last = pending[-1]
    for _ in range(index, src.count):  # a container shorter than its stated duration: hold the last frame
        yield last


def _sync_batch(
    musetalk: MuseTalk,
    features: SpeechFeatures,
    tracker: FaceTracker,
    frames: list[np.ndarray],
    first: int,
    synced: int,
    size: tuple[int, int],
) -> list[np.ndarray]:
    import numpy as np

    jobs = []
    for k, frame in enumerate(frames):
        face = tracker.update(frame)
        if face is not None and first + k < synced:
            jobs.append((k, mouth_region(face, size)))
    if jobs:
        crops = np.stack([region.cut(frames[k], CROP) for k, region in jobs])
        indices = [first + k for k, _ in jobs]
        mouths = musetalk.generate(musetalk.face_latents(crops), features.windows(indices))
        for (k, region), mouth in zip(jobs, mouths, strict=True):
            region.paste(frames[k], mouth)
    return frames
