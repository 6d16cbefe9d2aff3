"""The finished file: H.264 yuv420p + AAC in MP4, exact size and duration, index at the front,
written atomically, with progress reports and cancellation."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from apexlocal.engines.compose import (
    AudioArray,
    AudioSettings,
    AudioTrack,
    EncodeSettings,
    Segment,
    compose,
    crossfade,
    from_frames,
    is_faststart,
    open_video,
    probe,
    solid,
    top_level_boxes,
)
from apexlocal.errors import JobCancelled, JobError

SR = 48_000


def _narration(seconds: float) -> AudioTrack:
    t = np.arange(round(seconds * 22_050)) / 22_050
    return AudioTrack(AudioArray((0.2 * np.sin(2 * np.pi * 300 * t)).astype(np.float32), 22_050), role="narration")


@pytest.mark.parametrize(
    ("size", "fps", "seconds"), [((854, 480), 24, 1.5), ((180, 320), 30, 2.0), ((200, 250), 25, 1.0)]
)
def test_output_is_h264_yuv420p_with_aac_and_the_index_first(
    tmp_path: Path, write_video: Callable[..., Path], ffmpeg_exe: str, size: tuple[int, int], fps: int, seconds: float
) -> None:
    source = open_video(write_video(size=(160, 90), fps=25, seconds=seconds, tone_hz=440))
    result = compose(
        [Segment(source, fit="pad")], tmp_path / "out.mp4", size, fps, encoding=EncodeSettings(preset="ultrafast")
    )
    info = probe(result.path)
    assert (info.video_codec, info.pix_fmt) == ("h264", "yuv420p")
    assert (info.width, info.height) == size
    assert info.duration == pytest.approx(seconds, abs=0.1)
    assert info.frames == round(seconds * fps) == result.frames
    assert (info.audio_codec, info.sample_rate, info.channels) == ("aac", 48_000, 2)
    kinds = [kind for kind, _, _ in top_level_boxes(result.path)]
    assert kinds.index("moov") < kinds.index("mdat")
    assert is_faststart(result.path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4", "out.mp4"]  # no temp files left
    decoded = subprocess.run(
        [ffmpeg_exe, "-v", "error", "-i", str(result.path), "-f", "null", "-"], capture_output=True, text=True
    )
    assert decoded.returncode == 0 and decoded.stderr == ""  # FFmpeg reads it back without a complaint


def test_a_timeline_with_narration_captions_and_crossfades(tmp_path: Path, helpers: Any) -> None:
    red, blue = solid((220, 0, 0), (64, 64), 2.0), solid((0, 0, 220), (64, 64), 2.0)
    result = compose(
        [Segment(red), Segment(blue, transition=crossfade(1.0))],
        tmp_path / "v.mp4",
        (96, 54),
        10,
        audio_tracks=[_narration(3.0)],
        captions=[("Hi", 0.1, 0.4), ("there", 0.5, 0.9)],
        encoding=EncodeSettings(preset="ultrafast", crf=10),
    )
    assert result.duration == pytest.approx(3.0) and result.has_audio
    frames = helpers.decode_frames(result.path)
    assert len(frames) == 30
    reds = [int(f[4, 4, 0]) for f in frames[10:20]]  # the corner, away from the captions
    assert reds[0] > reds[5] > reds[-1] and 60 < reds[5] < 160  # blended in the encoded file too
    assert np.abs(frames[3][20:, :].astype(int) - frames[3][0, 0].astype(int)).max() > 100  # captions drawn
    assert np.abs(frames[0][20:, :].astype(int) - frames[0][0, 0].astype(int)).max() < 10  # not before "Hi"
    audio = helpers.decode_audio(result.path)
    assert abs(audio.shape[0] - 3 * SR) < 4096


def test_no_sound_means_no_audio_stream_unless_asked(tmp_path: Path) -> None:
    clip = solid((0, 0, 0), (16, 16), 1.0)
    silent = compose([Segment(clip)], tmp_path / "a.mp4", (32, 32), 10)
    assert probe(silent.path).audio_codec is None and not silent.has_audio
    forced = compose([Segment(clip)], tmp_path / "b.mp4", (32, 32), 10, audio=AudioSettings(always=True))
    assert probe(forced.path).audio_codec == "aac"


def test_progress_is_reported_by_stage_and_reaches_one(tmp_path: Path) -> None:
    calls: list[tuple[float, str]] = []
    compose(
        [Segment(solid((9, 9, 9), (16, 16), 3.0))],
        tmp_path / "p.mp4",
        (32, 32),
        10,
        audio_tracks=[_narration(3.0)],
        progress=lambda f, s: calls.append((f, s)),
        check_every=5,
    )
    stages = [s for _, s in calls]
    assert stages[0] == "audio" and stages[-1] == "encoding" and set(stages) == {"audio", "encoding"}
    encoding = [f for f, s in calls if s == "encoding"]
    assert encoding == sorted(encoding) and encoding[-1] == 1.0 and len(encoding) >= 6


def test_cancel_stops_the_run_and_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "c.mp4"
    seen: list[bool] = []

    def cancelled() -> bool:
        seen.append(out.exists())
        return len(seen) > 3

    with pytest.raises(JobCancelled):
        compose(
            [Segment(solid((9, 9, 9), (16, 16), 10.0))],
            out,
            (64, 64),
            10,
            audio_tracks=[_narration(10.0)],
            cancelled=cancelled,
            check_every=10,
        )
    assert not any(seen)  # never visible under its name while being written
    assert list(tmp_path.iterdir()) == []


def test_a_failing_source_leaves_no_file(tmp_path: Path) -> None:
    def frames() -> Any:
        for _i in range(5):
            yield np.zeros((16, 16, 3), np.uint8)
        raise JobError("the model ran out of memory")

    clip = from_frames(frames, 10, duration=2.0)
    with pytest.raises(JobError, match="out of memory"):
        compose([Segment(clip)], tmp_path / "f.mp4", (16, 16), 10)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_replaced_only_when_the_new_one_is_complete(tmp_path: Path) -> None:
    out = tmp_path / "r.mp4"
    out.write_bytes(b"previous")
    with pytest.raises(JobCancelled):
        compose([Segment(solid((9, 9, 9), (16, 16), 2.0))], out, (16, 16), 10, cancelled=lambda: True)
    assert out.read_bytes() == b"previous"
    compose([Segment(solid((9, 9, 9), (16, 16), 2.0))], out, (16, 16), 10)
    assert probe(out).video_codec == "h264"


def test_bad_settings_are_refused_before_any_work(tmp_path: Path) -> None:
    clip = solid((9, 9, 9), (16, 16), 1.0)
    with pytest.raises(JobError, match="width"):
        compose([Segment(clip)], tmp_path / "x.mp4", (33, 32), 10)
    with pytest.raises(JobError, match="fps"):
        compose([Segment(clip)], tmp_path / "x.mp4", (32, 32), 0)
    with pytest.raises(JobError, match="preset"):
        EncodeSettings(preset="warp")
    with pytest.raises(JobError, match="role"):
        compose(
            [Segment(clip)],
            tmp_path / "x.mp4",
            (32, 32),
            10,
            audio_tracks=[AudioTrack(AudioArray(np.zeros(10), SR), role="voice")],  # type: ignore[arg-type]
        )
    assert list(tmp_path.iterdir()) == []


def test_compose_does_not_import_heavy_libraries_until_used() -> None:
    import sys

    code = "import sys, apexlocal.engines.compose; print(sorted(m for m in ('av', 'numpy', 'PIL') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_source_reusing_its_buffer_still_gets_every_frame_encoded(tmp_path: Path, helpers: Any) -> None:
    def frames() -> Any:
        buffer = np.empty((36, 64, 3), np.uint8)
        for i in range(20):
            buffer[:] = helpers.frame_color(i)  # the same array, rewritten for each frame
            yield buffer

    clip = from_frames(frames, 10, duration=2.0)
    result = compose(
        [Segment(clip)], tmp_path / "reuse.mp4", (64, 36), 10, encoding=EncodeSettings(preset="ultrafast", crf=5)
    )
    assert [helpers.index_of(f) for f in helpers.decode_frames(result.path)] == list(range(20))


def test_an_encoder_failure_surfaces_and_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from apexlocal.engines.compose import encode

    def broken(self: Any, rgb: np.ndarray) -> None:
        raise RuntimeError("encoder broke")

    monkeypatch.setattr(encode._Muxer, "video", broken)
    with pytest.raises(RuntimeError, match="encoder broke"):
        compose([Segment(solid((9, 9, 9), (16, 16), 3.0))], tmp_path / "e.mp4", (16, 16), 10)
    assert list(tmp_path.iterdir()) == []


def test_aac_uses_the_fast_coder_from_64_kbps_and_keeps_the_sound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import av

    from apexlocal.engines.compose import encode
    from apexlocal.engines.compose.encode import aac_options

    assert aac_options(160_000) == {"aac_coder": "fast"} and aac_options(48_000) == {}
    asked: list[int] = []
    monkeypatch.setattr(encode, "aac_options", lambda rate: asked.append(rate) or aac_options(rate))
    clip = solid((0, 0, 0), (16, 16), 0.5)
    compose([Segment(clip)], tmp_path / "c.mp4", (16, 16), 10, audio=AudioSettings(always=True))
    assert asked == [160_000]  # the composer's audio track is opened with them
    t = np.arange(SR * 2) / SR
    sound = np.stack([0.3 * np.sin(2 * np.pi * 220 * t), 0.2 * np.sin(2 * np.pi * 1760 * t)]).astype(np.float32)
    path = tmp_path / "a.mp4"
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=SR, layout="stereo", options=aac_options(160_000))
        stream.bit_rate = 160_000
        for i in range(0, sound.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(sound[:, i : i + 1024]), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts = SR, i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with av.open(str(path)) as back:
        heard = np.concatenate([f.to_ndarray() for f in back.decode(audio=0)], axis=1)[:, : sound.shape[1]]
    error = float(((heard - sound[:, : heard.shape[1]]) ** 2).mean())
    assert 10 * np.log10(float((sound**2).mean()) / error) > 30  # signal-to-noise ratio in dB
