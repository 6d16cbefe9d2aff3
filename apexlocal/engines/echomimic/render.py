"""render_echomimic: a photo and speech in; an MP4 of the photo's person speaking out, made by
EchoMimicV3 Flash (the `echomimic-v3-flash` entry of the `talking-head` engine).

Steps: the photo is placed in the output frame (talking_head/placement.py) and its largest face
found (none: JobError naming `field`); a square around the head (the face box grown by
HEAD_MARGIN, shifted down a little to take in the chin and neck) is cut at the model's size (its
side, at most `max_side`, in steps of 16) and animated by the model; each new frame is scaled back
and pasted over the still frame with a feathered edge, so the rest of the picture stays still.
The model moves the whole head, the eyes and the mouth: the engine adds no blinks or head motion
of its own (MuseTalk's liveliness.py is not used here).

Long speech (upstream's long-video scheme in infer_preview.py): clips of `chunk_frames` (81,
3.2 s) frames; each later clip starts from the last `overlap_frames` (8) frames of the one before
as known frames, and over those frames the two clips are cross-faded linearly. The video is
ceil(speech seconds x 25) frames at 25 fps: as long as the speech within one frame; the speech is
padded with silence to the last clip's length and the frames past the end are dropped.

Cancel is checked before every sampling step; progress is reported per step as "lip-sync".
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from apexlocal.engines import compose as c
from apexlocal.engines.base import EngineContext
from apexlocal.engines.echomimic.audio import AUDIO_RATE, frame_features, frame_windows
from apexlocal.engines.echomimic.loading import EchoMimic, load_echomimic
from apexlocal.engines.echomimic.sampler import sample_clip
from apexlocal.engines.faces import Face, find_faces
from apexlocal.engines.faces.crop import Box, cut, feather_mask, paste, square_box
from apexlocal.engines.speech_to_text.decode import decode_audio
from apexlocal.engines.talking_head.placement import place_photo
from apexlocal.engines.talking_head.render import TalkingHead
from apexlocal.engines.talking_head.source import read_picture
from apexlocal.errors import JobError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

STAGE = "lip-sync"
HEAD_MARGIN = 1.4  # the square's side: the face box's longer side x (1 + margin)
HEAD_DROP = 0.15  # the square's centre sits this share of the face height below the face's
FEATHER = 0.12
MOTION = "the head, eyes and mouth moved by the model (EchoMimicV3 Flash) in a square around the head"


def render_echomimic(
    ctx: EngineContext, model: ModelEntry, source: Path, speech: Path, out: Path, size: tuple[int, int], *,
    field: str = "image",
) -> TalkingHead:  # fmt: skip
    """The photo `source` speaking `speech`, an H.264 + AAC MP4 of `size` at `out`, as long as the
    speech. JobError f"{field}: ..." when it is not a photo or shows no face."""
    samples = decode_audio(speech)
    if samples.shape[0] < AUDIO_RATE // 10:
        raise JobError(f"{speech.name}: the speech is shorter than 0.1 s")
    still = read_picture(source)
    if still is None:
        raise JobError(f"{field}: EchoMimicV3 animates a photo; this is not a picture this server can read")
    canvas = place_photo(still, size)
    faces = find_faces(canvas)
    if not faces:
        raise JobError(f"{field}: no face found")
    em = load_echomimic(model, ctx)
    ctx.check_cancelled()
    fps = em.settings.fps
    count = math.ceil(samples.shape[0] / AUDIO_RATE * fps)
    made = _frames(ctx, em, canvas, faces[0], samples, count)
    clip = c.from_frames(lambda: made, fps, duration=count / fps, size=size, name="talking head")
    result = c.compose(
        [c.Segment(clip, duration=count / fps)],
        out,
        size,
        fps=fps,
        audio_tracks=[c.AudioTrack(c.AudioFile(speech), role="narration")],
        progress=lambda fraction, stage: (
            ctx.progress(1.0, "encoding") if stage == "encoding" and fraction >= 1 else None
        ),
        cancelled=ctx.cancelled,
    )
    return TalkingHead(duration_s=result.duration, frames=result.frames, fps=result.fps, faces_found=len(faces))


def head_box(face: Face, size: tuple[int, int]) -> Box:
    """The square the model animates, inside the frame `size` (w, h)."""
    x0, y0, x1, y1 = face.box
    drop = round((y1 - y0) * HEAD_DROP)
    return square_box((x0, y0 + drop, x1, y1 + drop), margin=HEAD_MARGIN, frame=size)


def clip_plan(count: int, chunk: int, overlap: int) -> list[tuple[int, int]]:
    """(first frame, length) of each clip: lengths 4k + 1 up to `chunk`, each clip after the first
    starting `overlap` frames before the end of the one before, the last reaching `count` or past
    it by at most 3 frames."""
    plan, start = [], 0
    while True:
        length = min(chunk, 4 * math.ceil((count - start - 1) / 4) + 1)
        plan.append((start, length))
        if start + length >= count:
            return plan
        start += length - overlap


def _frames(
    ctx: EngineContext, em: EchoMimic, canvas: np.ndarray, face: Face, samples: np.ndarray, count: int
) -> Iterator[np.ndarray]:
    import numpy as np
    import torch

    box = head_box(face, (canvas.shape[1], canvas.shape[0]))
    side = max(16, min(em.settings.max_side, box[2] - box[0]) // 16 * 16)
    reference = cut(canvas, box, (side, side))
    mask = feather_mask((box[2] - box[0], box[3] - box[1]), feather=FEATHER)
    plan = clip_plan(count, em.settings.chunk_frames, em.settings.overlap_frames)
    total = plan[-1][0] + plan[-1][1]
    padded = np.zeros(math.ceil(total / em.settings.fps * AUDIO_RATE), np.float32)
    padded[: samples.shape[0]] = samples[: padded.shape[0]]
    features = frame_features(em.wav2vec, em.extractor, padded, total, em.device)
    image = em.image_features(reference)
    generator = torch.Generator().manual_seed(zlib.crc32(ctx.job_id.encode()))
    steps, done = len(plan) * em.settings.steps, 0

    def on_step() -> None:
        nonlocal done
        ctx.check_cancelled()
        if done:
            ctx.progress(done / steps, STAGE)
        done += 1

    known, held, emitted = reference[None], np.zeros((0, side, side, 3), np.uint8), 0
    overlap = em.settings.overlap_frames
    for index, (start, length) in enumerate(plan):
        windows = frame_windows(features, range(start, start + length))
        made = sample_clip(em, known, length, windows, image, generator, on_step)
        if held.shape[0]:
            ratio = np.linspace(0.0, 1.0, held.shape[0], dtype=np.float32)[:, None, None, None]
            made[: held.shape[0]] = (held * (1 - ratio) + made[: held.shape[0]] * ratio + 0.5).astype(np.uint8)
        last = index == len(plan) - 1
        ready, held = (made, held[:0]) if last else (made[:-overlap], made[-overlap:])
        known = held
        for frame in ready[: max(0, count - emitted)]:
            yield paste(canvas.copy(), frame, box, mask)
        emitted += ready.shape[0]
    ctx.progress(1.0, STAGE)
