"""The diffusers video engine on tiny stand-ins of the real pipeline classes, on the CPU: exact
sizes and durations, clips continued from the last frame, sound kept, progress, cancel."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

from apexlocal.engines.registry import get_engine
from apexlocal.engines.video.engine import DiffusersVideoEngine, text_to_video
from apexlocal.errors import JobCancelled, JobError, ModelError
from apexlocal.models.manifest import Manifest, ModelEntry

TOLERANCE_S = 0.5


def wan(manifest: Manifest) -> ModelEntry:
    """What the hosted name wan-2.6 runs here."""
    entry = manifest.resolve("wan-2.6")
    assert entry is not None
    return entry


def probe(path: Path) -> dict[str, Any]:
    import av

    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        assert container.duration is not None
        audio_duration = None
        if audio is not None:
            assert audio.duration is not None and audio.time_base is not None
            audio_duration = float(audio.duration * audio.time_base)
        return {
            "codec": video.codec_context.name,
            "pix_fmt": video.codec_context.pix_fmt,
            "size": (video.width, video.height),
            "frames": video.frames,
            "duration": container.duration / 1_000_000,
            "audio": audio.codec_context.name if audio else None,
            "audio_duration": audio_duration,
        }


def moov_before_mdat(path: Path) -> bool:
    """The index is at the front (`+faststart`), so a browser plays while downloading."""
    data = path.read_bytes()
    return 0 <= data.find(b"moov") < data.find(b"mdat")


def generate(
    video_ctx: Any, manifest: Manifest, name: str, spec: dict[str, Any], task: str = "text2video"
) -> tuple[Any, Any, Any]:
    model = manifest.resolve(name, task)
    assert model is not None, name
    ctx, events = video_ctx()
    return text_to_video({**spec, "model": name}, model, ctx), ctx, events


def test_registry_names_the_engine() -> None:
    assert isinstance(get_engine("diffusers-video"), DiffusersVideoEngine)


def test_text2video_720p_4s_is_h264_1280x720_lasting_4s(video_ctx: Any, video_manifest: Manifest) -> None:
    out, ctx, _events = generate(
        video_ctx,
        video_manifest,
        "wan-2.6",
        {"script": "a lighthouse at dusk, waves", "duration": 4, "resolution": "720p", "style": "cinematic", "seed": 7},
    )
    [file] = out.files
    assert (file.name, file.content_type, file.path.parent) == ("output.mp4", "video/mp4", ctx.scratch_dir)
    info = probe(file.path)
    assert (info["codec"], info["pix_fmt"], info["size"]) == ("h264", "yuv420p", (1280, 720))
    assert abs(info["duration"] - 4) <= TOLERANCE_S and info["audio"] is None
    assert moov_before_mdat(file.path)
    meta = out.metadata
    assert (meta["model"], meta["modelId"], meta["resolution"]) == ("wan-2.6", "wan2.2-ti2v-5b", "720p")
    assert (meta["width"], meta["height"], meta["durationSeconds"], meta["clips"]) == (1280, 720, 4.0, 1)
    assert meta["frames"] == info["frames"] == meta["fps"] * 4
    assert meta["nativeResolution"] == "160x96" and meta["upscaled"] is True
    assert meta["seed"] == 7 and meta["audio"] is False
    assert sorted(p.name for p in ctx.scratch_dir.iterdir()) == ["output.mp4"]


def test_20s_is_clips_each_continuing_from_the_last_frame_before(
    video_ctx: Any, video_manifest: Manifest, pipeline_calls: list[Any]
) -> None:
    out, _, events = generate(
        video_ctx,
        video_manifest,
        "wan-2.6",
        {"script": "a drone flight along a coastline", "duration": 20, "resolution": "480p", "seed": 3},
    )
    info = probe(out.files[0].path)
    assert abs(info["duration"] - 20) <= TOLERANCE_S and info["size"] == (854, 480)
    clips = out.metadata["clips"]
    assert clips >= 3 and len(pipeline_calls) == clips
    assert [c.pipeline for c in pipeline_calls] == ["WanPipeline"] + ["WanImageToVideoPipeline"] * (clips - 1)
    assert pipeline_calls[0].image is None
    for before, after in itertools.pairwise(pipeline_calls):
        assert after.image is not None
        assert np.array_equal(np.asarray(after.image), before.last_frame)
    stages = events.stages()
    expected = [f"clip {i}/{clips}: denoising" for i in range(1, clips + 1)]
    assert [s for s in stages if s.startswith("clip")] == expected


def test_companion_with_its_own_weights_continues_a_wan21_clip(
    video_ctx: Any, video_manifest: Manifest, pipeline_calls: list[Any]
) -> None:
    # kling-2.6-pro is Wan2.1 T2V 1.3B; past one clip its companion is the I2V 14B model.
    out, _, events = generate(
        video_ctx,
        video_manifest,
        "kling-2.6-pro",
        {"prompt": "rain on a city street", "duration": 6, "resolution": "480p", "seed": 5},
        task="b-roll",
    )
    assert out.metadata["clips"] == 2 and abs(probe(out.files[0].path)["duration"] - 6) <= TOLERANCE_S
    assert events.models_asked == ["wan2.1-t2v-1.3b", "wan2.1-i2v-14b-480p"]
    first, second = pipeline_calls
    assert (first.pipeline, second.pipeline) == ("WanPipeline", "WanImageToVideoPipeline")
    assert second.image_encoder  # the 14B model's CLIP image encoder: its own weights, not the 1.3B's
    assert np.array_equal(np.asarray(second.image), first.last_frame)


def test_b_roll_480p_3s_is_854x480_lasting_3s(video_ctx: Any, video_manifest: Manifest) -> None:
    out, _, _ = generate(
        video_ctx,
        video_manifest,
        "kling-2.6-pro",
        {"prompt": "steam rising from a coffee cup", "duration": 3, "resolution": "480p"},
        task="b-roll",
    )
    info = probe(out.files[0].path)
    assert (info["codec"], info["size"]) == ("h264", (854, 480))
    assert abs(info["duration"] - 3) <= TOLERANCE_S
    assert out.metadata["modelId"] == "wan2.1-t2v-1.3b" and out.metadata["clips"] == 1


def test_a_model_that_makes_sound_keeps_it_across_clips(
    video_ctx: Any, video_manifest: Manifest, pipeline_calls: list[Any]
) -> None:
    out, _, _ = generate(
        video_ctx,
        video_manifest,
        "veo-3.1",
        {"script": "a street band playing at night", "duration": 6, "resolution": "480p", "seed": 11},
    )
    info = probe(out.files[0].path)
    assert info["audio"] == "aac" and out.metadata["audio"] is True
    assert abs(info["duration"] - 6) <= TOLERANCE_S and abs(info["audio_duration"] - 6) <= TOLERANCE_S
    assert [c.pipeline for c in pipeline_calls] == ["LTX2Pipeline", "LTX2ImageToVideoPipeline"]
    assert np.array_equal(np.asarray(pipeline_calls[1].image), pipeline_calls[0].last_frame)


def test_progress_names_clip_and_step(video_ctx: Any, video_manifest: Manifest) -> None:
    model = wan(video_manifest)
    out, _, events = generate(
        video_ctx, video_manifest, "wan-2.6", {"script": "a paper boat on a pond", "duration": 2, "resolution": "480p"}
    )
    steps = model.defaults["tiny_native"]["steps"]
    denoising = [f for s, f in events.items if s == "clip 1/1: denoising"]
    assert denoising == [pytest.approx((i + 1) / steps) for i in range(steps)]
    assert events.stages() == ["loading", "clip 1/1: denoising", "encoding"]
    assert events.items[-1] == ("encoding", 1.0) and out.metadata["steps"] == steps


def test_cancel_stops_within_one_step_and_leaves_no_file(video_ctx: Any, video_manifest: Manifest) -> None:
    model = wan(video_manifest)
    ctx, events = video_ctx(cancel_when=lambda items: any(s.startswith("clip 2/") for s, _ in items))
    with pytest.raises(JobCancelled):
        text_to_video({"script": "a long winding road", "duration": 20, "resolution": "480p"}, model, ctx)
    clip_two = [e for e in events.items if e[0].startswith("clip 2/")]
    assert len(clip_two) == 1 and events.items[-1] == clip_two[0]  # nothing ran after that step
    assert list(ctx.scratch_dir.iterdir()) == []


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"script": "  "}, "script"),
        ({"prompt": 3}, "prompt"),
        ({"script": "x" * 5001}, "script"),
        ({"script": "ok", "duration": 0}, "duration"),
        ({"script": "ok", "duration": 121}, "duration"),
        ({"script": "ok", "duration": True}, "duration"),
        ({"script": "ok", "duration": "5"}, "duration"),
        ({"script": "ok", "resolution": "4k"}, "resolution"),
        ({"script": "ok", "style": "noir"}, "style"),
        ({"script": "ok", "seed": -1}, "seed"),
    ],
)
def test_bad_specs_fail_before_any_model_is_touched(
    video_ctx: Any, video_manifest: Manifest, spec: dict[str, Any], field: str
) -> None:
    ctx, events = video_ctx()
    with pytest.raises(JobError, match=f"^{field}:"):
        text_to_video(spec, wan(video_manifest), ctx)
    assert events.models_asked == [] and events.items == []


def test_image_to_video_model_cannot_start_a_video(video_ctx: Any, video_manifest: Manifest) -> None:
    ctx, events = video_ctx()
    with pytest.raises(ModelError, match="continues clips"):
        text_to_video({"script": "ok"}, video_manifest.by_id()["wan2.1-i2v-14b-480p"], ctx)
    assert events.models_asked == []


def test_a_missing_companion_fails_before_denoising(video_ctx: Any, video_manifest: Manifest) -> None:
    model = msgspec.structs.replace(wan(video_manifest), companion="")
    ctx, events = video_ctx()
    with pytest.raises(ModelError, match="companion"):
        text_to_video({"script": "ok", "duration": 20, "resolution": "480p"}, model, ctx)
    assert not any(stage.startswith("clip") for stage, _ in events.items)
