"""The video ad of one variation: its creative's layers animated for VIDEO_SECONDS through the
composition engine, with a music bed under it.

The backdrop drifts slowly (a pan across 8% of it, scaled up once: a pan is a crop per frame where a
zoom would be a resize), the product picture grows into place over the first 1.2 s, and the copy
fades in from 0.4 s to 1.2 s and then holds, so the last frames read as the still creative.

The bed is the music engine's for the style's mood (the library's tracks on a CPU), looped or
trimmed and loudness-normalised by the composition engine; without a music model installed the ad
is silent, and the job's metadata says so (`music: null`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexlocal.engines.base import EngineContext
from apexlocal.engines.instant_ad.creative import Parts
from apexlocal.engines.instant_ad.request import VIDEO_FPS, VIDEO_SECONDS
from apexlocal.errors import JobCancelled, JobError, ModelError

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger("apexlocal.engines.instant_ad")
DRIFT = 0.08  # of the frame's size
GROW_S = 1.2
FADE = (0.4, 1.2)


def _ease(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return 1 - (1 - x) ** 3


def frames(parts: Parts, seconds: float, fps: int) -> Iterator[np.ndarray]:
    """The ad's frames, RGB. Layers are pasted through their alpha (the same blend as compositing
    onto an opaque frame), and the copy only over its own box, so a frame costs a crop of the
    backdrop and two small pastes."""
    import numpy as np
    from PIL import Image

    w, h = parts.background.size
    dx, dy = round(w * DRIFT), round(h * DRIFT)
    base = parts.background.convert("RGB").resize((w + dx, h + dy), Image.Resampling.BICUBIC)
    box = parts.copy.getbbox() or (0, 0, 1, 1)
    copy = parts.copy.crop(box)
    copy_alpha = copy.getchannel("A")
    for i in range(round(seconds * fps)):
        t = i / fps
        x0, y0 = round(dx * t / seconds), round(dy * t / seconds)
        frame = base.crop((x0, y0, x0 + w, y0 + h))
        if parts.product is not None:
            grow = 0.85 + 0.15 * _ease(t / GROW_S)
            pw, ph = parts.product.size
            size = (max(1, round(pw * grow)), max(1, round(ph * grow)))
            picture = parts.product.resize(size, Image.Resampling.BILINEAR) if grow < 1 else parts.product
            x, y = parts.product_at
            frame.paste(picture, (x + (pw - size[0]) // 2, y + (ph - size[1]) // 2), picture)
        shown = _ease((t - FADE[0]) / (FADE[1] - FADE[0]))
        if shown > 0:
            mask = copy_alpha if shown >= 1 else copy_alpha.point(lambda a, s=shown: round(a * s))
            frame.paste(copy, box[:2], mask)
        yield np.asarray(frame)


def music_track(ctx: EngineContext, mood: str, seconds: float, seed: int) -> tuple[Any, dict[str, Any] | None]:
    """The bed as a composition track and what the metadata says of it; (None, None) without one."""
    try:
        from apexlocal.engines.music import music_bed
    except ImportError:
        return None, None
    from apexlocal.engines import compose as c

    try:
        bed = music_bed(ctx, mood, seconds, seed=seed)
    except JobCancelled:
        raise
    except (ModelError, JobError) as exc:
        log.warning("instant ad video without music: %s", exc)
        return None, None
    track = c.AudioTrack(c.AudioFile(bed.path), role="music", loop=True, fade_out=1.0)
    return track, {"mood": bed.mood, "source": bed.source, "title": bed.title, "license": bed.license}


def make_video(ctx: EngineContext, parts: Parts, path: Path, music: Any, stage: str) -> float:
    """The MP4 at `path`; its duration in seconds."""
    from apexlocal.engines import compose as c

    clip = c.from_frames(lambda: frames(parts, VIDEO_SECONDS, VIDEO_FPS), VIDEO_FPS, duration=VIDEO_SECONDS)

    def progress(fraction: float, _stage: str) -> None:
        ctx.progress(fraction, stage)

    result = c.compose(
        [c.Segment(clip)],
        path,
        parts.background.size,
        fps=VIDEO_FPS,
        audio_tracks=[music] if music is not None else [],
        progress=progress,
        cancelled=ctx.cancelled,
    )
    return float(result.duration)
