"""Loading a diffusers pipeline from a model's local files: one path for every engine that uses one,
so loading errors, dtypes and the warm-cache key are the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apexlocal.engines.runtime import torch_dtype_for
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
        dtype = {"default": dtype, **{name: torch.float32 for name in keep}}
    try:
        pipe = cls.from_pretrained(model_dir, local_files_only=True, dtype=dtype)
    except Exception as exc:  # corrupt or partial files surface as many exception types
        raise ModelError(
            f"{model.id}: cannot load from {model_dir} ({type(exc).__name__}: {exc}); "
            f"run `apexlocal models verify {model.id}`") from exc
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


def pipeline_key(model: ModelEntry, model_dir: Path, device: str) -> str:
    return f"{model.pipeline}:{Path(model_dir).resolve()}:{device}"
