"""Random-weight stand-ins of EchoMimicV3 Flash's own parts for the `tiny` set.

The Wan parts (VAE, UMT5 text encoder and tokenizer) are the tiny `wan2.1-t2v-1.3b` pipeline
(tiny_video.py `wan21_t2v`), as the real model reuses that entry. Each builder here makes the SAME
class the engine runs, under a fixed seed, and writes it in the layout of the real download, so
the engine's loading code (key renames included) is what CI runs:

- `echomimic_tiny`: `echomimicv3-flash-pro/config.json` (upstream's key names) and
  `diffusion_pytorch_model.safetensors` in upstream's original Wan names: diffusers'
  `WanTransformer3DModel` plus the audio parameters of echomimic_keys.audio_shapes, renamed by
  echomimic_keys.to_original (the engine's `EchoMimicTransformer` loads it strictly);
- `wan_clip_tiny`: models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth with Wan's `visual.*`
  names (echomimic_keys.clip_to_original of a `CLIPVisionModel`); no text tower;
- `wav2vec2_tiny`: `Wav2Vec2Model` and `Wav2Vec2FeatureExtractor` (`save_pretrained`).

What keeps them fast: 32-wide transformer with 2 layers, a 16-wide CLIP at 28 px (5 tokens), an
8-wide wav2vec2 with 2 layers; the wav2vec2 front end keeps the real strides (320 samples a step,
50 a second) and the transformer the real 36 input channels and text width of the tiny UMT5.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apexlocal.errors import ModelError
from apexlocal.models.staging import build_atomically, seed_option

TINY_CLIP_WIDTH = 16
TINY_AUDIO_WIDTH = 8
TINY_AUDIO_LAYERS = 2


def tiny_transformer_config() -> dict[str, Any]:
    from apexlocal.models.tiny_video import TEXT_DIM

    return {
        "patch_size": (1, 2, 2),
        "num_attention_heads": 2,
        "attention_head_dim": 16,
        "in_channels": 36,
        "out_channels": 16,
        "text_dim": TEXT_DIM,
        "freq_dim": 16,
        "ffn_dim": 64,
        "num_layers": 2,
        "cross_attn_norm": True,
        "qk_norm": "rms_norm_across_heads",
        "eps": 1e-6,
        "image_dim": TINY_CLIP_WIDTH,
        "added_kv_proj_dim": 32,
        "audio_layers": TINY_AUDIO_LAYERS,
        "audio_width": TINY_AUDIO_WIDTH,
    }


def _echomimic_tiny(staging: Path, seed: int) -> None:
    """diffusers' WanTransformer3DModel with upstream's audio parameters beside it (uniform in
    +-1/sqrt(fan-in), as torch initialises a Linear; norms at 1), saved in upstream's names."""
    import torch
    from diffusers import WanTransformer3DModel
    from safetensors.torch import save_file

    from apexlocal.models import echomimic_keys as keys

    config = tiny_transformer_config()
    torch.manual_seed(seed)
    wan: Any = WanTransformer3DModel(**{k: v for k, v in config.items() if not k.startswith("audio_")})
    state = dict(wan.state_dict())
    shapes = keys.audio_shapes(config)
    for name, shape in shapes.items():
        if name.endswith(("norm.weight", "norm_k_audio.weight")):
            state[name] = torch.ones(shape)
        elif name.endswith("norm.bias"):
            state[name] = torch.zeros(shape)
        else:
            fan_in = shapes[name.rsplit(".", 1)[0] + ".weight"][-1]
            state[name] = (torch.rand(shape) * 2 - 1) / fan_in**0.5
    folder = staging / keys.TRANSFORMER_DIR
    folder.mkdir()
    config_text = json.dumps(keys.original_config(config), indent=2)
    (folder / keys.TRANSFORMER_CONFIG).write_text(config_text, encoding="utf-8")
    save_file({keys.to_original(k): v.contiguous() for k, v in state.items()}, folder / keys.TRANSFORMER_WEIGHTS)


def _wan_clip_tiny(staging: Path, seed: int) -> None:
    import torch
    from transformers import CLIPVisionConfig, CLIPVisionModel

    from apexlocal.models import echomimic_keys as keys

    config = CLIPVisionConfig(
        hidden_size=TINY_CLIP_WIDTH,
        intermediate_size=4 * TINY_CLIP_WIDTH,
        num_hidden_layers=3,
        num_attention_heads=1,
        image_size=28,
        patch_size=14,
        hidden_act="gelu",
        layer_norm_eps=1e-5,
    )
    torch.manual_seed(seed)
    model = CLIPVisionModel(config)
    torch.save(keys.clip_to_original(model.state_dict()), staging / keys.CLIP_FILE)


def _wav2vec2_tiny(staging: Path, seed: int) -> None:
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    config = Wav2Vec2Config(
        hidden_size=TINY_AUDIO_WIDTH,
        num_hidden_layers=TINY_AUDIO_LAYERS,
        num_attention_heads=2,
        intermediate_size=16,
        conv_dim=(8,) * 7,  # the real seven convolutions (320 samples a step), 8 channels each
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        feat_extract_norm="group",
        do_stable_layer_norm=False,
        vocab_size=8,
    )
    torch.manual_seed(seed)
    Wav2Vec2Model(config).eval().save_pretrained(staging, safe_serialization=True)
    extractor = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16_000, do_normalize=True)
    extractor.save_pretrained(staging)


BUILDERS: dict[str, Callable[[Path, int], None]] = {
    "echomimic_tiny": _echomimic_tiny,
    "wan_clip_tiny": _wan_clip_tiny,
    "wav2vec2_tiny": _wav2vec2_tiny,
}


def build(builder: str, out_dir: Path, options: dict[str, Any] | None = None) -> None:
    """Build the EchoMimicV3 stand-in `builder` into `out_dir`, atomically."""
    make = BUILDERS.get(builder)
    if make is None:
        raise ModelError(f"no tiny EchoMimicV3 builder named {builder!r}; known: {', '.join(sorted(BUILDERS))}")
    seed = seed_option(builder, options)
    build_atomically(out_dir, lambda staging: make(staging, seed))
