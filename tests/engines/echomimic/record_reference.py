"""Records the EchoMimicV3 reference data from upstream's own code: run on a developer's machine
with a checkout of antgroup/echomimic_v3; the tests (test_keys.py) read only what it writes, under
tests/engines/echomimic/reference/. Not a test module (no test_ prefix): CI never runs it.

    python tests/engines/echomimic/record_reference.py --upstream PATH [--commit SHA]

It imports upstream's modules from PATH (src/wan_transformer3d_audio_2512.py, src/wan_image_encoder.py)
and writes:
- keys_transformer_{real,tiny}.json: the state dict's keys and shapes of upstream's
  WanTransformerAudioMask3DModel for the 1.3B InP config (built on the meta device) and the tiny one;
- keys_clip_{real,tiny}.json: the same for Wan's CLIP (XLMRobertaCLIP: ViT-H/14 and a tiny one);
- forward_tiny.safetensors: fixed inputs and upstream's outputs for the tiny transformer and the
  tiny CLIP's vision tower (its 31st-of-32-block output, as Wan uses it), with the weights of
  recorded.reference_weights; its metadata names the upstream commit and the configs.

Upstream's imports it needs: torch, diffusers, einops (`pip install einops`). flash-attn is
switched off after import, so upstream runs its own scaled_dot_product_attention fallback in
float32. Only the sizes upstream fixes in code are changed, for the tiny transformer: its audio
projection's input (12 x 768 wav2vec2 features), its output width (1536) and the CLIP feature
width (1280), by subclassing upstream's classes with other constructor arguments.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from tests.engines.echomimic import recorded  # noqa: E402


def import_upstream(upstream: Path) -> tuple[Any, Any]:
    """Upstream's transformer and CLIP modules, imported from the checkout."""
    import importlib
    import importlib.util

    sys.path.insert(0, str(upstream))
    wan = importlib.import_module("src.wan_transformer3d_audio_2512")
    if importlib.util.find_spec("torchvision") is None:
        # wan_image_encoder imports torchvision.transforms only for the preprocessing that
        # `_clip(return_transforms=True)` builds; the recorder never asks for it. (Put in after
        # diffusers' import, which probes torchvision's spec.)
        stand_in, transforms = types.ModuleType("torchvision"), types.ModuleType("torchvision.transforms")
        setattr(stand_in, "transforms", transforms)  # noqa: B010 (a module built here)
        sys.modules["torchvision"], sys.modules["torchvision.transforms"] = stand_in, transforms
    clip = importlib.import_module("src.wan_image_encoder")
    for module in (wan, importlib.import_module("src.wan_transformer3d_audio")):
        for flag in ("FLASH_ATTN_2_AVAILABLE", "FLASH_ATTN_3_AVAILABLE"):
            setattr(module, flag, False)
    return wan, clip


@contextmanager
def tiny_sizes(wan: Any, config: dict[str, Any]) -> Iterator[None]:
    """Upstream's model makes AudioProjModel(..., output_dim=1536) with its default 12 x 768
    features, and MLPProj(1280, dim): for the tiny config these take the tiny sizes."""
    audio_cls, image_cls = wan.AudioProjModel, wan.MLPProj
    sizes = {"blocks": config["audio_layers"], "channels": config["audio_width"], "output_dim": config["dim"]}

    class TinyAudioProj(audio_cls):  # type: ignore[misc, valid-type]
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**{**kwargs, **sizes})

    def tiny_image_proj(in_dim: int, out_dim: int) -> Any:
        return image_cls(config["image_dim"], out_dim)

    wan.AudioProjModel, wan.MLPProj = TinyAudioProj, tiny_image_proj
    try:
        yield
    finally:
        wan.AudioProjModel, wan.MLPProj = audio_cls, image_cls


def transformer(wan: Any, config: dict[str, Any]) -> Any:
    names = ("in_dim", "dim", "ffn_dim", "freq_dim", "text_dim", "out_dim", "num_heads", "num_layers", "eps")
    arguments = {name: config[name] for name in names}
    if "audio_layers" not in config:
        return wan.WanTransformerAudioMask3DModel(model_type="i2v", **arguments)
    with tiny_sizes(wan, config):
        return wan.WanTransformerAudioMask3DModel(model_type="i2v", **arguments)


def clip_model(clip: Any, config: dict[str, Any], device: str) -> Any:
    return clip.clip_xlm_roberta_vit_h_14(device=device, **config)


def shapes(module: Any) -> dict[str, list[int]]:
    return {key: list(value.shape) for key, value in module.state_dict().items()}


def write_keys(name: str, module: Any, config: dict[str, Any], source: dict[str, str]) -> None:
    rows = ",\n".join(f"  {json.dumps(key)}: {json.dumps(shape)}" for key, shape in shapes(module).items())
    head = f'{{"upstream": {json.dumps(source)},\n "config": {json.dumps(config)},\n "keys": {{\n'
    recorded.keys_file(name).write_text(head + rows + "\n}}\n")  # one key a line, for readable diffs


def with_weights(module: Any) -> dict[str, Any]:
    weights = recorded.reference_weights(shapes(module))
    module.load_state_dict(weights, strict=True)
    return weights


def transformer_forward(wan: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Inputs and upstream's output for the tiny transformer, called as its pipeline calls it
    (pipeline_wan_fun_inpaint_audio_2512.py)."""
    import torch

    config = recorded.TINY
    model = transformer(wan, config).eval()
    weights = with_weights(model)
    f, h, w = recorded.LATENT
    inputs = {
        "x": torch.randn(1, 16, f, h, w),
        "y": torch.randn(1, 20, f, h, w),
        "t": torch.tensor([recorded.TIMESTEP]),
        "text": torch.randn(1, recorded.TEXT_TOKENS, config["text_dim"]),
        "image": torch.randn(1, 257, config["image_dim"]),
        "audio": torch.randn(1, 4 * f - 3, 5, config["audio_layers"], config["audio_width"]),
    }
    with torch.no_grad():
        out = model(
            x=inputs["x"], context=(inputs["text"], inputs["audio"], f, None), t=inputs["t"],
            seq_len=f * h * w // 4, y=inputs["y"], clip_fea=inputs["image"],
        )  # fmt: skip
    return {**inputs, "out": out}, weights


def clip_forward(clip: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    import torch

    model = clip_model(clip, recorded.CLIP_TINY, "cpu").eval()
    weights = with_weights(model)
    side = recorded.CLIP_TINY["image_size"]
    pixels = torch.randn(1, 3, side, side)
    with torch.no_grad():
        out = model.visual(pixels, use_31_block=True)
    return {"clip_pixels": pixels, "clip_out": out}, weights


def upstream_commit(upstream: Path, given: str | None) -> str:
    if given:
        return given
    found = subprocess.run(["git", "-C", str(upstream), "rev-parse", "HEAD"], capture_output=True, text=True)
    if found.returncode != 0:
        raise SystemExit(f"{upstream} is not a git checkout: name its commit with --commit SHA")
    return found.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", type=Path, required=True, help="a checkout of antgroup/echomimic_v3")
    parser.add_argument("--commit", help="the checkout's commit (default: git rev-parse HEAD there)")
    args = parser.parse_args()
    import torch
    from safetensors.torch import save_file

    source = {
        "repository": "antgroup/echomimic_v3",
        "commit": upstream_commit(args.upstream, args.commit),
        "files": "src/wan_transformer3d_audio_2512.py, src/wan_image_encoder.py",
    }
    wan, clip = import_upstream(args.upstream.resolve())
    recorded.REFERENCE.mkdir(exist_ok=True)
    with torch.device("meta"):
        write_keys("transformer_real", transformer(wan, recorded.REAL), recorded.REAL, source)
    write_keys("clip_real", clip_model(clip, recorded.CLIP_REAL, "meta"), recorded.CLIP_REAL, source)
    torch.manual_seed(0)
    tensors, weights = transformer_forward(wan)
    write_keys("transformer_tiny", transformer(wan, recorded.TINY), recorded.TINY, source)
    clip_tensors, clip_weights = clip_forward(clip)
    write_keys("clip_tiny", clip_model(clip, recorded.CLIP_TINY, "meta"), recorded.CLIP_TINY, source)
    metadata = {
        **source,
        "made_by": "tests/engines/echomimic/record_reference.py",
        "torch": torch.__version__,
        "weight_sums": json.dumps(recorded.weight_sums(weights)),
        "clip_weight_sums": json.dumps(recorded.weight_sums(clip_weights)),
    }
    tensors = {name: value.contiguous() for name, value in {**tensors, **clip_tensors}.items()}
    save_file(tensors, recorded.FORWARD_FILE, metadata=metadata)
    print(f"wrote {recorded.REFERENCE} from {source['repository']} at {source['commit']}")


if __name__ == "__main__":
    main()
