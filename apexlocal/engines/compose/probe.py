"""What a finished file holds: its streams as PyAV reads them, and the order of its top-level MP4
boxes (a browser can start playing before the download ends only when `moov` precedes `mdat`)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from apexlocal.errors import JobError


@dataclass(frozen=True)
class MediaInfo:
    duration: float  # seconds, the container's
    video_codec: str | None
    pix_fmt: str | None
    width: int
    height: int
    fps: float
    frames: int
    audio_codec: str | None
    sample_rate: int
    channels: int


def probe(path: Path | str) -> MediaInfo:
    """Streams of a media file; raises JobError when PyAV cannot open it."""
    import av

    path = Path(path)
    try:
        with av.open(str(path)) as container:
            video = container.streams.video[0] if container.streams.video else None
            audio = container.streams.audio[0] if container.streams.audio else None
            duration = container.duration / 1_000_000 if container.duration is not None else 0.0
            return MediaInfo(
                duration=duration,
                video_codec=video.codec_context.name if video else None,
                pix_fmt=video.codec_context.pix_fmt if video else None,
                width=video.codec_context.width if video else 0,
                height=video.codec_context.height if video else 0,
                fps=float(video.average_rate) if video and video.average_rate else 0.0,
                frames=video.frames if video else 0,
                audio_codec=audio.codec_context.name if audio else None,
                sample_rate=audio.codec_context.sample_rate if audio else 0,
                channels=audio.codec_context.channels if audio else 0,
            )
    except av.FFmpegError as exc:
        raise JobError(f"{path.name}: cannot read the file ({exc})") from exc


def top_level_boxes(path: Path | str) -> list[tuple[str, int, int]]:
    """(type, offset, size) of each top-level box of an ISO-BMFF (MP4) file, in file order."""
    boxes = []
    with open(path, "rb") as f:
        f.seek(0, 2)
        end = f.tell()
        offset = 0
        while offset + 8 <= end:
            f.seek(offset)
            size, kind = struct.unpack(">I4s", f.read(8))
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0]
            elif size == 0:
                size = end - offset
            if size < 8:
                raise JobError(f"{Path(path).name}: malformed MP4 box at byte {offset}")
            boxes.append((kind.decode("latin-1"), offset, size))
            offset += size
    return boxes


def is_faststart(path: Path | str) -> bool:
    """True when the index (moov) comes before the media data (mdat)."""
    kinds = [kind for kind, _, _ in top_level_boxes(path)]
    return "moov" in kinds and "mdat" in kinds and kinds.index("moov") < kinds.index("mdat")
