"""Stage names of a narrated video's progress: every stage says which scene it is about.

The engines called for a scene report their own stages ("synthesizing", "clip 1/2: denoising");
these contexts report them as the scene's ("scene 2/4: narrating", "scene 2/4: denoising",
"scene 2/4: clip 2/2: denoising"). Fractions stay fractions of the stage, as everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from apexlocal.engines.base import EngineContext


def narrating(ctx: EngineContext, scene: int, scenes: int, part: int, parts: int) -> EngineContext:
    """Part `part` (0-based) of `parts` sentences of a scene, spoken by a voice engine."""
    stage = f"scene {scene}/{scenes}: narrating"

    def progress(fraction: float, _inner: str) -> None:
        ctx.progress((part + min(max(fraction, 0.0), 1.0)) / parts, stage)

    return replace(ctx, progress=progress)


def picturing(ctx: EngineContext, scene: int, scenes: int) -> EngineContext:
    """A scene's frames, made by the video engine."""
    prefix = f"scene {scene}/{scenes}"

    def progress(fraction: float, inner: str) -> None:
        ctx.progress(fraction, f"{prefix}: {inner.removeprefix('clip 1/1: ')}")

    return replace(ctx, progress=progress)


def renamed(ctx: EngineContext, stage: str) -> EngineContext:
    """Every stage of a call reported as `stage` (loading the video model, say)."""
    return replace(ctx, progress=lambda fraction, _inner: ctx.progress(fraction, stage))


@dataclass
class ComposeProgress:
    """The composition's own stages: "mixing narration" while it measures the mix, and
    "encoding" once the last scene's frames are made (before that, the scenes' stages show)."""

    ctx: EngineContext
    scenes: int
    pictured: int = 0  # scenes whose frames are all made

    def scene_done(self) -> None:
        self.pictured += 1

    def __call__(self, fraction: float, stage: str) -> None:
        if stage == "audio":
            self.ctx.progress(fraction, "mixing narration")
        elif self.pictured >= self.scenes:
            self.ctx.progress(fraction, stage)
