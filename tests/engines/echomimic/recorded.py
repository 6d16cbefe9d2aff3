"""The reference data recorded from upstream's own code (record_reference.py writes it; the
tests read it): where it lies, the tiny configs it was made for, and the rule that makes the tiny
models' weights.

The weights are not stored: they are a fixed function of each key's name index and shape
(`reference_weights`), so the recorder (on upstream's modules) and the tests (on this package's)
make the same tensors without RNG, and the data file stays small. The file keeps each tensor's sum
so a change of the rule (or of float rounding on another platform) reads as such, not as a model
difference."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

REFERENCE = Path(__file__).parent / "reference"
FORWARD_FILE = REFERENCE / "forward_tiny.safetensors"
RECORD_COMMAND = "python tests/engines/echomimic/record_reference.py --upstream PATH-TO-echomimic_v3-CHECKOUT"

# Wan2.1-Fun-V1.1-1.3B-InP's transformer (upstream's config.json values for the 1.3B InP model)
REAL: dict[str, Any] = {
    "model_type": "i2v", "in_dim": 36, "dim": 1536, "ffn_dim": 8960, "freq_dim": 256, "text_dim": 4096,
    "out_dim": 16, "num_heads": 12, "num_layers": 30, "eps": 1e-6,
}  # fmt: skip
# upstream fixes the audio width (12 x 768), the image width (1280) and the audio tokens' width (its
# dim, 1536) in code; the recorder sets these three for the tiny model (record_reference.py)
TINY: dict[str, Any] = {
    **REAL, "dim": 32, "ffn_dim": 64, "freq_dim": 16, "text_dim": 16, "num_heads": 2, "num_layers": 2,
    "audio_layers": 2, "audio_width": 8, "image_dim": 16,
}  # fmt: skip
# Wan's CLIP (clip_xlm_roberta_vit_h_14's arguments): upstream's own ViT-H/14 with its text tower,
# and a tiny one of the same make
CLIP_REAL: dict[str, Any] = {}
CLIP_TINY: dict[str, Any] = {
    "embed_dim": 8, "image_size": 28, "patch_size": 14, "vision_dim": 16, "vision_mlp_ratio": 4, "vision_heads": 1,
    "vision_layers": 3, "vocab_size": 64, "max_text_len": 16, "text_dim": 16, "text_heads": 1, "text_layers": 1,
}  # fmt: skip

# the tiny forward's inputs: latents x [1, 16, T, h, w], y [1, 20, T, h, w], 7 prompt tokens, 257
# CLIP tokens, audio windows [1, 4T - 3, 5, layers, width]; a CLIP image [1, 3, 28, 28]
LATENT = (3, 4, 6)
TEXT_TOKENS = 7
TIMESTEP = 731.0


def keys_file(name: str) -> Path:
    """name: transformer_real, transformer_tiny, clip_real or clip_tiny."""
    return REFERENCE / f"keys_{name}.json"


def read_keys(name: str) -> dict[str, Any]:
    """{"upstream": {...}, "config": {...}, "keys": {key: shape}} as the recorder wrote it."""
    path = keys_file(name)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: re-record it with `{RECORD_COMMAND}`")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _unit(count: int, salt: int) -> torch.Tensor:
    """count values in [-1, 1), a hash of their position (float64, no RNG)."""
    import torch

    k = torch.arange(count, dtype=torch.float64) + 1.0
    x = torch.sin(k * 12.9898 + salt * 78.233) * 43758.5453
    return (x - torch.floor(x)) * 2.0 - 1.0


def reference_weights(shapes: dict[str, list[int]]) -> dict[str, torch.Tensor]:
    """float32 weights for every key (in upstream's names): matrices scaled by their fan-in, 1-D
    weights (all norms) near 1 so each one counts, biases small, all different."""
    out = {}
    for salt, (name, shape) in enumerate(sorted(shapes.items())):
        unit = _unit(math.prod(shape), salt).reshape(shape)
        if len(shape) >= 2:
            value = unit * math.sqrt(3.0 / math.prod(shape[1:]))
        elif name.endswith("weight"):
            value = 1.0 + 0.5 * unit
        else:
            value = 0.1 * unit
        out[name] = value.float()
    return out


def weight_sums(weights: dict[str, torch.Tensor]) -> dict[str, float]:
    return {name: float(tensor.double().sum()) for name, tensor in sorted(weights.items())}
