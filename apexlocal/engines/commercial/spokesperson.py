"""The spokesperson (`spokespersonImage`): the face in that photo speaks the hook and the call to action,
lip-synced by the avatar model (the manifest's default for `avatar`, or the spec's `avatarModel`),
rendered at half the commercial's frame for the parts it presents only (the hook and the call to
action: each part's stretch of the narration, lip-synced on its own).

The photo is fetched and checked for a face before anything is written or narrated; the render
happens once the narration is laid out (stages "spokesperson: lip-sync", "spokesperson: encoding").
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexlocal.engines.base import EngineContext
from apexlocal.engines.compose.sizes import even
from apexlocal.engines.talking_head.engine import check_photo
from apexlocal.engines.talking_head.render import render_talking_head
from apexlocal.errors import JobError, ModelError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

FIELD = "spokespersonImage"


def fetch_photo(url: str | None, ctx: EngineContext) -> Path | None:
    """The checked photo (a face in it), or None without a spokesperson."""
    if url is None:
        return None
    if ctx.fetch_input is None:
        raise ModelError("a spokesperson needs an input fetcher")
    photo = ctx.fetch_input(url, FIELD)
    check_photo(photo, FIELD)
    return photo


def render_parts(
    photo: Path,
    spec: dict[str, Any],
    samples: np.ndarray,
    rate: int,
    frame: tuple[int, int],
    windows: dict[int, tuple[float, float]],
    ctx: EngineContext,
) -> dict[int, Path]:
    """part index -> the face speaking that part's window (start, seconds) of `samples` (the whole
    narration), an MP4 at half of `frame`. Lip-sync costs by the frame: the parts shown by other
    pictures are never rendered."""
    out = {}
    for k, (index, (start, length)) in enumerate(sorted(windows.items())):
        piece = samples[round(start * rate) : round((start + length) * rate)]
        share = (k, len(windows))
        out[index] = render(photo, spec, piece, rate, frame, ctx, f"spokesperson-{index + 1}", share)
    return out


def render(
    photo: Path,
    spec: dict[str, Any],
    samples: np.ndarray,
    rate: int,
    frame: tuple[int, int],
    ctx: EngineContext,
    name: str = "spokesperson",
    share: tuple[int, int] = (0, 1),
) -> Path:
    """The face speaking `samples`, an MP4 at half of `frame`; its progress is the `share`
    (k of n) of the stages' fractions."""
    from apexlocal.engines.voice.audio import write_wav

    speech = ctx.scratch_dir / f"{name}-narration.wav"
    write_wav(speech, samples, rate)
    size = (even(frame[0] / 2), even(frame[1] / 2))
    out = ctx.scratch_dir / f"{name}.mp4"
    k, n = share
    staged = replace(ctx, progress=lambda fraction, stage: ctx.progress((k + fraction) / n, f"spokesperson: {stage}"))
    render_talking_head(staged, avatar_model(spec, ctx), photo, speech, out, size, field=FIELD)
    return out


def avatar_model(spec: dict[str, Any], ctx: EngineContext) -> ModelEntry:
    name = spec.get("avatarModel")
    if name is None:
        return ctx.manifest.default_for("avatar")
    entry = ctx.manifest.by_id().get(str(name))
    if entry is None or "avatar" not in entry.tasks:
        raise JobError(f"avatarModel: {name!r} is not an avatar model in models_manifest.toml")
    return entry
