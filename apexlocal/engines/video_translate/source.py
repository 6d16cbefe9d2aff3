"""The source video of a translate job: fetched, checked, and looked at for faces.

The output keeps the source's frame size, scaled down (aspect kept) so that its longer side is at
most MAX_SIDE, with even sides as H.264 wants. Whether the video shows a face is decided on
FACE_SAMPLES frames spread over its length: a video with none (a voice-over on slides, say) is
dubbed without lip-sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from apexlocal.engines.base import EngineContext
from apexlocal.engines.compose.probe import MediaInfo, probe
from apexlocal.errors import JobError

FIELD = "videoUrl"
MAX_DURATION_S = 600.0
MAX_SIDE = 1920
FACE_SAMPLES = 5


@dataclass(frozen=True)
class SourceVideo:
    path: Path
    info: MediaInfo

    @property
    def duration(self) -> float:
        return self.info.duration

    @property
    def size(self) -> tuple[int, int]:
        return output_size(self.info.width, self.info.height)


def output_size(width: int, height: int, max_side: int = MAX_SIDE) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height, 1))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def open_source(ctx: EngineContext, url: str) -> SourceVideo:
    """The video at `url` in the job's scratch dir, checked: a video stream, a sound track, at most
    MAX_DURATION_S long. JobError naming `videoUrl` otherwise."""
    if ctx.fetch_input is None:
        raise JobError(f"{FIELD}: cannot fetch inputs in this context")
    path = ctx.fetch_input(url, FIELD)
    try:
        info = probe(path)
    except JobError:
        raise JobError(f"{FIELD}: the file is not a video this server can read") from None
    if info.video_codec is None or info.width <= 0 or info.height <= 0:
        raise JobError(f"{FIELD}: the file holds no video stream")
    if info.audio_codec is None:
        raise JobError(f"{FIELD}: the video has no sound track, so there is no speech to translate")
    if info.duration > MAX_DURATION_S:
        raise JobError(
            f"{FIELD}: the video runs {info.duration:.0f} s; at most {MAX_DURATION_S:.0f} s can be translated"
        )
    return SourceVideo(path, info)


def count_faces(source: SourceVideo, samples: int = FACE_SAMPLES) -> int:
    """The most faces seen in any of `samples` frames spread over the video (0: none)."""
    from apexlocal.engines.compose.clips import open_video
    from apexlocal.engines.faces import find_faces

    clip = open_video(source.path, audio=False)
    most = 0
    for i in range(samples):
        at = clip.duration * (i + 0.5) / samples
        frames = clip.frames(at)
        try:
            frame = next(frames, None)
        finally:
            frames.close()
        if frame is not None:
            most = max(most, len(find_faces(frame)))
    return most
