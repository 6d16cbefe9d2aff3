"""Loading a diffusers pipeline from a model's local files: one path for every engine that uses one,
so loading errors, dtypes and the warm-cache key are the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from apexlocal.engines.base import EngineContext
from apexlocal.engines.runtime import GIB, torch_dtype_for
from apexlocal.errors import ModelError
from apexlocal.models.manifest import ModelEntry


def diffusers_class(name: str, model_id: str) -> Any:
    import diffusers

    cls = getattr(diffusers, name, None) if name else None
    if cls is None:
        raise ModelError(f"{model_id}: diffusers has no pipeline class {name!r}")
    return cls


def load_pipeline(model: ModelEntry, model_dir: Path, device: str) -> Any:
    """The model's pipeline from local files, on the device. Components the manifest lists in
    `float32_components` (Wan's VAE) stay in float32 on half-precision devices, as the model's
    authors run them."""
    import torch

    cls = diffusers_class(model.pipeline, model.id)
    dtype: Any = torch_dtype_for(device)
    keep = model.defaults.get("float32_components") or []
    if keep and dtype != torch.float32:
        dtype = {"default": dtype, **dict.fromkeys(keep, torch.float32)}
    try:
        pipe = cls.from_pretrained(model_dir, local_files_only=True, dtype=dtype)
    except Exception as exc:  # corrupt or partial files surface as many exception types
        raise ModelError(
            f"{model.id}: cannot load from {model_dir} ({type(exc).__name__}: {exc}); "
            f"run `apexlocal models verify {model.id}`"
        ) from exc
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


def pipeline_key(model: ModelEntry, model_dir: Path, device: str) -> str:
    return f"{model.pipeline}:{Path(model_dir).resolve()}:{device}"


def warm_pipeline(model: ModelEntry, ctx: EngineContext) -> tuple[Any, str]:
    """The model's pipeline from the warm cache (loaded on a miss), and its cache key."""
    model_dir = ctx.model_dir(model)  # may pull the model first, as a stage of its own
    ctx.check_cancelled()
    ctx.progress(0.0, "loading")
    key = pipeline_key(model, model_dir, ctx.device)
    # Real models declare what they need, so older ones are evicted before this one loads;
    # tiny stand-ins are measured after loading instead.
    size = int(model.memory_gb * GIB) if ctx.model_set == "full" and model.memory_gb else None
    pipe = ctx.runtime.get(key, lambda: load_pipeline(model, model_dir, ctx.device), size)
    ctx.progress(1.0, "loading")
    return pipe, key


def step_end(steps: int, callback: Callable[[int, int], None] | None) -> Callable[..., dict[str, Any]]:
    """A diffusers `callback_on_step_end` that reports (steps done, total) and may raise to stop."""

    def on_step_end(pipe: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
        if callback is not None:
            callback(step + 1, getattr(pipe, "_num_timesteps", None) or steps)
        return tensors

    return on_step_end
