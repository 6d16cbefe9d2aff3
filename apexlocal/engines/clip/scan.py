"""The two streaming passes over a source, in memory that does not grow with its length.

Sound: decoded to 16 kHz mono a frame at a time; its loudness is kept per BLOCK_S (a few hundred
kB for hours) and per ENVELOPE_S for the laughter detector (2.3 MB for 4 hours), and the samples
wait in a buffer until CHUNK_S have come, then Whisper transcribes up to the quietest block near
CHUNK_S (so a chunk edge falls in a pause, not in a word) and the rest waits for the next chunk.
The language heard in the first chunk is kept for the others.

Pictures: every frame is decoded (with the decoder's threads) but only SCENE_FPS frames a second
are scaled down (SCENE_WIDTH wide) for PySceneDetect's content detector, and one frame every
FACE_EVERY_S is scaled to FACE_SIDE for the face finder. Only the current frame is held.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexlocal.engines.clip.laughter import ENVELOPE_S, find_laughs
from apexlocal.engines.clip.signals import BLOCK_S, FaceAt, Signals
from apexlocal.engines.speech_to_text.decode import SAMPLE_RATE
from apexlocal.engines.speech_to_text.whisper import transcribe_audio
from apexlocal.errors import JobError

if TYPE_CHECKING:
    import numpy as np

CHUNK_S = 300.0
SEARCH_S = 20.0  # the chunk edge is the quietest block within this of CHUNK_S
SCENE_FPS = 4.0
SCENE_WIDTH = 160
SCENE_THRESHOLD = 27.0  # ContentDetector's default
MIN_SCENE_S = 1.5
FACE_EVERY_S = 1.0
FACE_SIDE = 320
Progress = Callable[[float], None]


def scan_pictures(path: Path, signals: Signals, progress: Progress) -> None:
    """Scene cuts and face samples into `signals`. `progress(fraction)` may raise to stop."""
    import av
    from scenedetect.common import FrameTimecode
    from scenedetect.detectors import ContentDetector

    from apexlocal.engines.faces import find_faces

    detector = ContentDetector(threshold=SCENE_THRESHOLD, min_scene_len=max(2, round(MIN_SCENE_S * SCENE_FPS)))
    sample_times: list[float] = []
    cut_frames: list[Any] = []
    faces: list[FaceAt] = []
    scene_size = _scaled(signals.width, signals.height, SCENE_WIDTH / max(signals.width, 1))
    face_size = _scaled(signals.width, signals.height, FACE_SIDE / max(signals.width, signals.height, 1))
    next_scene, next_face, next_report = 0.0, 0.0, 0.0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            origin = float(stream.start_time * stream.time_base) if stream.start_time and stream.time_base else 0.0
            for frame in container.decode(stream):
                t = (frame.time or 0.0) - origin
                if t >= next_scene:
                    small = frame.reformat(width=scene_size[0], height=scene_size[1], format="bgr24").to_ndarray()
                    code = FrameTimecode(len(sample_times), fps=SCENE_FPS)
                    sample_times.append(t)
                    cut_frames += detector.process_frame(code, small)
                    next_scene = max(next_scene + 1 / SCENE_FPS, t)
                if t >= next_face:
                    rgb = frame.reformat(width=face_size[0], height=face_size[1], format="rgb24").to_ndarray()
                    faces.append((t, _face_at(find_faces(rgb), face_size)))
                    next_face = max(next_face + FACE_EVERY_S, t)
                if t >= next_report:
                    progress(min(1.0, t / max(signals.duration, 1e-6)))
                    next_report = t + 5.0
            if sample_times and hasattr(detector, "post_process"):
                cut_frames += detector.post_process(FrameTimecode(len(sample_times) - 1, fps=SCENE_FPS)) or []
    except av.FFmpegError as exc:
        raise JobError(f"sourceVideoUrl: cannot decode the video ({exc})") from exc
    indexes = sorted({_frame_number(code) for code in cut_frames})
    signals.cuts = [round(sample_times[i], 3) for i in indexes if 0 < i < len(sample_times)]
    signals.faces = faces


def scan_sound(path: Path, signals: Signals, whisper: Any, language: str | None, progress: Progress) -> None:
    """Loudness per block, the fine envelope, the heard words (with their times in the source) and
    the laughs found in both into `signals`."""
    import av
    import numpy as np

    levels: list[float] = []
    fine: list[np.ndarray] = []  # arrays, not floats: 576,000 blocks in 4 hours
    carry = np.zeros(0, np.float32)  # samples not yet in a whole loudness block
    pending: list[np.ndarray] = []  # samples waiting for Whisper
    pending_len, origin = 0, 0.0
    block = int(BLOCK_S * SAMPLE_RATE)
    fine_block = int(ENVELOPE_S * SAMPLE_RATE)  # divides `block`
    state = {"language": language}

    def transcribe_upto(audio: np.ndarray, cut: int, at: float) -> None:
        found = transcribe_audio(whisper, audio[:cut], state["language"])
        if state["language"] is None and found.words:
            state["language"] = found.language
            signals.language = found.language
        signals.words += [(w.text, round(at + w.start, 3), round(at + w.end, 3)) for w in found.words if w.text]

    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            frames = container.decode(stream)
            for frame in _chain(frames, resampler):
                samples = frame.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                carry = np.concatenate([carry, samples])
                whole = carry.size // block * block
                if whole:
                    levels += _block_db(carry[:whole], block)
                    fine.append(np.asarray(_block_db(carry[:whole], fine_block), np.float32))
                    carry = carry[whole:]
                pending.append(samples)
                pending_len += samples.size
                if pending_len >= (CHUNK_S + SEARCH_S) * SAMPLE_RATE:
                    audio = np.concatenate(pending)
                    cut = _quiet_cut(audio, block)
                    transcribe_upto(audio, cut, origin)
                    rest = audio[cut:]
                    pending, pending_len, origin = [rest], rest.size, origin + cut / SAMPLE_RATE
                    progress(min(1.0, origin / max(signals.duration, 1e-6)))
    except av.FFmpegError as exc:
        raise JobError(f"sourceVideoUrl: cannot decode the sound ({exc})") from exc
    if carry.size:
        levels += _block_db(np.pad(carry, (0, block - carry.size)), block)
        fine.append(np.asarray(_block_db(np.pad(carry, (0, block - carry.size)), fine_block), np.float32))
    if pending_len:
        audio = np.concatenate(pending)
        transcribe_upto(audio, audio.size, origin)
    signals.loudness = np.asarray(levels, np.float32)
    signals.envelope = np.concatenate(fine) if fine else np.zeros(0, np.float32)
    signals.laughs = find_laughs(signals.words, signals.envelope)
    if not signals.language:
        signals.language = state["language"] or ""


def _chain(frames: Any, resampler: Any) -> Any:
    """Resampled frames as they are decoded, then the resampler's tail."""
    for frame in frames:
        yield from resampler.resample(frame)
    yield from resampler.resample(None)


def _block_db(samples: np.ndarray, block: int) -> list[float]:
    import numpy as np

    rms = np.sqrt(np.mean(samples.reshape(-1, block) ** 2, axis=1) + 1e-12)
    return [float(x) for x in 20 * np.log10(rms)]


def _quiet_cut(audio: np.ndarray, block: int) -> int:
    """The sample index of the quietest block within SEARCH_S of CHUNK_S."""
    import numpy as np

    first = int((CHUNK_S - SEARCH_S) * SAMPLE_RATE) // block
    last = min(audio.size // block, int((CHUNK_S + SEARCH_S) * SAMPLE_RATE) // block)
    if last <= first:
        return audio.size
    blocks = audio[first * block : last * block].reshape(-1, block)
    quietest = int(np.argmin(np.mean(blocks**2, axis=1)))
    return (first + quietest) * block + block // 2


def _scaled(width: int, height: int, scale: float) -> tuple[int, int]:
    scale = min(1.0, scale)
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def _face_at(found: list[Any], size: tuple[int, int]) -> tuple[float, float, float] | None:
    if not found:
        return None
    face = found[0]
    cx, cy = face.center
    return (round(cx / size[0], 4), round(cy / size[1], 4), round(face.width / size[0], 4))


def _frame_number(code: Any) -> int:
    number = getattr(code, "frame_num", None)
    return int(number if number is not None else code.get_frames())
