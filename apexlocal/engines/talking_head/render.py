"""render_talking_head: a still photo or a video, and speech, in; an MP4 of the face speaking out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from apexlocal.engines.base import EngineContext
from apexlocal.models.manifest import ModelEntry

STAGE = "lip-sync"


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
    raise NotImplementedError("render_talking_head is being built")
