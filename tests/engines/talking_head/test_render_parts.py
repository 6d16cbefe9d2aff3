"""The parts of the talking head: MuseTalk's audio windows against upstream's own arithmetic, the
engine-made blinks and head motion, and a video source (translate's case), which keeps its length
while the lips move only where the speech is."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from apexlocal.engines import compose as c
from apexlocal.engines.faces import Face
from apexlocal.engines.talking_head.liveliness import MAX_ANGLE_DEG, Liveliness
from apexlocal.engines.talking_head.musetalk import SpeechFeatures
from apexlocal.engines.talking_head.render import render_talking_head
from apexlocal.engines.voice.audio import write_wav


def _upstream_windows(hidden: Any, fps: float, frames: int) -> Any:
    """musetalk/utils/audio_processor.py get_whisper_chunk, on features already trimmed."""
    import torch

    multiplier = 50 / fps
    pad = math.ceil(multiplier)
    feature = hidden[None]
    left, right = torch.zeros_like(feature[:, : pad * 2]), torch.zeros_like(feature[:, : pad * 3 * 2])
    feature = torch.cat([left, feature, right], 1)
    clips = [feature[:, math.floor(i * multiplier) : math.floor(i * multiplier) + 10] for i in range(frames)]
    out = torch.cat(clips, dim=0)
    return out.reshape(out.shape[0], -1, out.shape[-1])


def test_audio_windows_match_upstream() -> None:
    import torch

    hidden = torch.randn(120, 5, 6)  # 2.4 s of features, 5 layers, 6 wide
    for fps in (25.0, 30.0, 24.0):
        frames = math.floor(120 / 50 * fps)
        ours = SpeechFeatures(hidden, fps).windows(range(frames))
        assert torch.equal(ours, _upstream_windows(hidden, fps, frames))
    assert SpeechFeatures(hidden, 25.0).windows([500]).abs().max() == 0  # past the speech: silence


def _face() -> Face:
    return Face(
        box=(100, 80, 180, 180),
        score=1.0,
        landmarks=((122.0, 115.0), (158.0, 115.0), (140.0, 140.0), (125.0, 160.0), (155.0, 160.0)),
    )


def test_blinks_close_the_eyes_briefly_and_the_head_moves_a_little() -> None:
    import numpy as np

    live = Liveliness(_face(), (320, 240), 25.0, 12.0, seed=3)
    poses = [live.pose(i) for i in range(300)]
    closed = [i for i, p in enumerate(poses) if p.blink >= 0.99]
    assert len(live.blinks) >= 2 and closed  # a blink every few seconds, each fully closing
    assert sum(p.blink > 0 for p in poses) < 0.15 * len(poses)  # eyes open most of the time
    angles = [p.angle_deg for p in poses]
    assert max(map(abs, angles)) <= MAX_ANGLE_DEG and max(angles) - min(angles) > 0.5
    rng = np.random.default_rng(0)
    picture = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    eye = (slice(108, 122), slice(114, 130))
    shut = live.apply(picture.copy(), closed[0])
    assert not np.array_equal(shut[eye], picture[eye])
    assert np.array_equal(shut[:, :30], picture[:, :30]) and np.array_equal(shut[:, 250:], picture[:, 250:])


def _tone(path: Path, seconds: float, freq: float, rate: int = 16_000) -> Path:
    import numpy as np

    t = np.arange(int(seconds * rate)) / rate
    write_wav(path, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate)
    return path


def _clip(path: Path, photo: Path, seconds: float, fps: int) -> Path:
    import numpy as np
    from PIL import Image

    still = np.asarray(Image.open(photo).convert("RGB").resize((320, 320)))
    c.compose([c.Segment(c.still(still, seconds))], path, (320, 320), fps=fps)
    return path


def test_a_video_keeps_its_length_and_its_lips_move_only_while_the_speech_lasts(
    th_ctx: Any, th_manifest: Any, photos: Any, tmp_path: Path
) -> None:
    import av
    import numpy as np

    ctx, events = th_ctx()
    video = _clip(tmp_path / "clip.mp4", photos["astronaut"], 2.0, 10)
    speech = _tone(tmp_path / "speech.wav", 1.0, 220.0)
    soundtrack = _tone(tmp_path / "track.wav", 2.0, 440.0)
    out = tmp_path / "out.mp4"
    model = th_manifest.resolve("musetalk-1.5", "translate")
    head = render_talking_head(ctx, model, video, speech, out, (320, 320), soundtrack=soundtrack, field="videoUrl")
    assert (head.frames, head.fps, head.faces_found) == (20, 10.0, 1)
    info = c.probe(out)
    assert abs(info.frames / info.fps - 2.0) < 0.01 and (info.width, info.height) == (320, 320)
    with av.open(str(out)) as container:
        frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)]).astype(np.float32)
    steps = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))
    assert steps[:9].mean() > 4 * steps[11:].mean()  # synced frames change; the rest is the still source
    from apexlocal.engines.speech_to_text.decode import decode_audio

    heard = decode_audio(out)[4000:20000]
    spectrum = np.abs(np.fft.rfft(heard))
    assert abs(np.argmax(spectrum) * 16_000 / heard.shape[0] - 440.0) < 5  # the soundtrack, not the speech
    assert "lip-sync" in events.stages()
