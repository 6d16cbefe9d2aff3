"""The `scripted-video` engine on the tiny video model and the packaged Piper voice, on the CPU:
progress names the scene and its step, and a cancel stops it within one denoising step, leaving
no file behind. (Whole narrated videos are checked through the API in tests/e2e.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from apexlocal.engines.base import EngineContext
from apexlocal.engines.registry import get_engine
from apexlocal.engines.scripted_video.engine import ScriptedVideoEngine
from apexlocal.errors import JobCancelled, JobError
from apexlocal.models.manifest import Manifest, ModelEntry

SCRIPT = (
    "The harbor wakes before the town. Fishing boats slide out past the lighthouse into the fog. "
    "By noon the market is full of voices and the smell of salt. In the evening the lights come "
    "on one by one, and the water turns gold."
)


@pytest.fixture
def narrated_ctx(video_ctx: Any) -> Any:
    """video_ctx, with the voice's files taken from its package."""
    from apexlocal.models.packaged import check_package

    def make(cancel_when: Any = None) -> tuple[EngineContext, Any]:
        ctx, events = video_ctx(cancel_when)
        video_dir = ctx.model_dir

        def model_dir(entry: ModelEntry) -> Path:
            return check_package(entry) if entry.source.kind == "pypi" else video_dir(entry)

        ctx.model_dir = model_dir
        return ctx, events

    return make


def test_registry_names_the_engine() -> None:
    assert isinstance(get_engine("scripted-video"), ScriptedVideoEngine)


def test_cancel_stops_within_one_denoising_step_of_scene_2(narrated_ctx: Any, video_manifest: Manifest) -> None:
    def scene_2_denoising(events: list[tuple[str, float]]) -> bool:
        return any(stage.startswith("scene 2/") and stage.endswith("denoising") for stage, _ in events)

    ctx, events = narrated_ctx(cancel_when=scene_2_denoising)
    model = video_manifest.resolve("wan-2.6", "video")
    assert model is not None
    with pytest.raises(JobCancelled):
        ScriptedVideoEngine().run({"script": SCRIPT, "duration": 30, "style": "casual", "seed": 2}, model, ctx)
    stages = events.stages()
    scenes = int(stages[0].split("/")[1].split(":")[0])
    assert scenes >= 3
    assert stages[:scenes] == [f"scene {i}/{scenes}: narrating" for i in range(1, scenes + 1)]
    assert "loading video model" in stages and "mixing narration" in stages
    assert any(s.startswith("scene 1/") and s.endswith("denoising") for s in stages)
    scene_2_steps = [f for stage, f in events.items if stage.startswith("scene 2/") and stage.endswith("denoising")]
    assert len(scene_2_steps) == 1  # the first step reported it, and the run stopped there
    assert "encoding" not in stages
    assert list(ctx.scratch_dir.iterdir()) == []  # not even a partial file


def test_a_script_that_cannot_fit_fails_before_any_denoising(narrated_ctx: Any, video_manifest: Manifest) -> None:
    ctx, events = narrated_ctx()
    model = video_manifest.resolve("wan-2.6", "video")
    assert model is not None
    with pytest.raises(JobError, match=r"^script: the narration runs \d+ s, more than duration 3"):
        ScriptedVideoEngine().run({"script": SCRIPT, "duration": 3}, model, ctx)
    assert not any("denoising" in stage for stage in events.stages())
