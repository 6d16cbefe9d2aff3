"""Upstream names <-> this package's names, for the released checkpoints.

- The transformer: EchoMimicV3's `diffusion_pytorch_model.safetensors` is in original Wan layout
  (`blocks.0.self_attn.q.weight`, `head.modulation`, ...) plus its audio keys. `to_diffusers`
  renames it to `EchoMimicTransformer`'s layout: the renames of diffusers' own Wan converter
  (`convert_wan_transformer_to_diffusers`), and the audio keys under the same block prefix.
  Original `norm3` (the cross-attention norm) is diffusers' `norm2`; original `norm2` and `norm1`
  have no weights.
- The config: upstream's config.json (`dim`, `num_heads`, `in_dim`, ...) -> the constructor's.
- The CLIP image encoder: Wan's own ViT-H/14 (`visual.*` of models_clip_open-clip-xlm-roberta-
  large-vit-huge-14.pth) -> transformers' `CLIPVisionModel`; its fused `to_qkv` is split in three.
  The file's text tower (`textual.*`, `log_scale`) is not used by image-to-video and is dropped.
- The audio parameters' names and shapes (`audio_shapes`).

Plain Python (torch only inside functions): both the engine (apexlocal/engines/echomimic) and the
tiny builder (tiny_echomimic.py) use it. tests/engines/echomimic/test_keys.py checks the renames
against key lists recorded from upstream's own modules (tests/engines/echomimic/reference/, written
by record_reference.py there).
"""

from __future__ import annotations

import re
from typing import Any

from apexlocal.errors import ModelError

# The files of the released checkpoints (the tiny builder writes the same layout)
TRANSFORMER_DIR = "echomimicv3-flash-pro"
TRANSFORMER_CONFIG = "config.json"
TRANSFORMER_WEIGHTS = "diffusion_pytorch_model.safetensors"
CLIP_FILE = "models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth"

# module paths, original -> diffusers; a weight or bias keeps its own name
TOP = {
    "time_embedding.0": "condition_embedder.time_embedder.linear_1",
    "time_embedding.2": "condition_embedder.time_embedder.linear_2",
    "text_embedding.0": "condition_embedder.text_embedder.linear_1",
    "text_embedding.2": "condition_embedder.text_embedder.linear_2",
    "time_projection.1": "condition_embedder.time_proj",
    "img_emb.proj.0": "condition_embedder.image_embedder.norm1",
    "img_emb.proj.1": "condition_embedder.image_embedder.ff.net.0.proj",
    "img_emb.proj.3": "condition_embedder.image_embedder.ff.net.2",
    "img_emb.proj.4": "condition_embedder.image_embedder.norm2",
    "head.head": "proj_out",
    "patch_embedding": "patch_embedding",
    **{
        f"audio_injection.{name}": f"audio_injection.{name}" for name in ("proj1", "proj1_vf", "proj2", "proj3", "norm")
    },
}
BLOCK = {
    **{f"self_attn.{a}": f"attn1.{b}" for a, b in (("q", "to_q"), ("k", "to_k"), ("v", "to_v"), ("o", "to_out.0"))},
    "self_attn.norm_q": "attn1.norm_q",
    "self_attn.norm_k": "attn1.norm_k",
    **{f"cross_attn.{a}": f"attn2.{b}" for a, b in (("q", "to_q"), ("k", "to_k"), ("v", "to_v"), ("o", "to_out.0"))},
    "cross_attn.norm_q": "attn2.norm_q",
    "cross_attn.norm_k": "attn2.norm_k",
    "cross_attn.k_img": "attn2.add_k_proj",
    "cross_attn.v_img": "attn2.add_v_proj",
    "cross_attn.norm_k_img": "attn2.norm_added_k",
    **{f"cross_attn.{a}": f"attn2.{a}" for a in ("q_audio", "k_audio", "v_audio", "norm_k_audio")},
    "norm3": "norm2",
    "ffn.0": "ffn.net.0.proj",
    "ffn.2": "ffn.net.2",
}
PARAMS = {"head.modulation": "scale_shift_table"}  # bare parameters, not module.weight
BLOCK_PARAMS = {"modulation": "scale_shift_table"}
_BLOCK_KEY = re.compile(r"^blocks\.(\d+)\.(.+)$")


def _rename(
    key: str, top: dict[str, str], block: dict[str, str], params: dict[str, str], bparams: dict[str, str]
) -> str:
    if key in params:
        return params[key]
    found = _BLOCK_KEY.match(key)
    table, prefix, rest = (block, f"blocks.{found.group(1)}.", found.group(2)) if found else (top, "", key)
    if found and rest in bparams:
        return prefix + bparams[rest]
    module, _, leaf = rest.rpartition(".")
    if module not in table:
        raise ModelError(f"EchoMimicV3 checkpoint: no rename for the key {key!r}")
    return f"{prefix}{table[module]}.{leaf}"


def _inverse(table: dict[str, str]) -> dict[str, str]:
    return {b: a for a, b in table.items()}


def to_diffusers(key: str) -> str:
    """An original-layout transformer key's name in `EchoMimicTransformer`."""
    return _rename(key, TOP, BLOCK, PARAMS, BLOCK_PARAMS)


def to_original(key: str) -> str:
    """The inverse of `to_diffusers` (the tiny builder writes the original layout with it)."""
    return _rename(key, _inverse(TOP), _inverse(BLOCK), _inverse(PARAMS), _inverse(BLOCK_PARAMS))


def transformer_config(original: dict[str, Any]) -> dict[str, Any]:
    """Upstream's config.json -> `EchoMimicTransformer` arguments. `audio_layers`,
    `audio_width` and `image_dim` are upstream's constants (12, 768, 1280) unless the file names
    them (only the tiny stand-in does)."""
    dim, heads = int(original.get("dim", 1536)), int(original.get("num_heads", 12))
    if original.get("model_type", "i2v") != "i2v":
        raise ModelError("EchoMimicV3 checkpoint: config.json must be an image-to-video (i2v) model")
    image_dim = int(original.get("image_dim", 1280))
    return {
        "patch_size": tuple(original.get("patch_size", (1, 2, 2))),
        "num_attention_heads": heads,
        "attention_head_dim": dim // heads,
        "in_channels": int(original.get("in_dim", 36)),
        "out_channels": int(original.get("out_dim", 16)),
        "text_dim": int(original.get("text_dim", 4096)),
        "freq_dim": int(original.get("freq_dim", 256)),
        "ffn_dim": int(original.get("ffn_dim", 8960)),
        "num_layers": int(original.get("num_layers", 30)),
        "cross_attn_norm": bool(original.get("cross_attn_norm", True)),
        "qk_norm": "rms_norm_across_heads" if original.get("qk_norm", True) else None,
        "eps": float(original.get("eps", 1e-6)),
        "image_dim": image_dim,
        "added_kv_proj_dim": dim,
        "audio_layers": int(original.get("audio_layers", 12)),
        "audio_width": int(original.get("audio_width", 768)),
    }


def original_config(config: dict[str, Any]) -> dict[str, Any]:
    """`EchoMimicTransformer` arguments -> upstream's config.json (with the audio and image
    widths, which upstream's own file leaves to its constants)."""
    dim = config["num_attention_heads"] * config["attention_head_dim"]
    return {
        "model_type": "i2v",
        "patch_size": list(config["patch_size"]),
        "text_len": 512,
        "in_dim": config["in_channels"],
        "dim": dim,
        "ffn_dim": config["ffn_dim"],
        "freq_dim": config["freq_dim"],
        "text_dim": config["text_dim"],
        "out_dim": config["out_channels"],
        "num_heads": config["num_attention_heads"],
        "num_layers": config["num_layers"],
        "qk_norm": config["qk_norm"] is not None,
        "cross_attn_norm": config["cross_attn_norm"],
        "eps": config["eps"],
        "image_dim": config["image_dim"],
        "audio_layers": config["audio_layers"],
        "audio_width": config["audio_width"],
    }


# CLIP ----------------------------------------------------------------------------------------

CLIP_TOP = {
    "visual.patch_embedding.weight": "embeddings.patch_embedding.weight",
    "visual.pre_norm.weight": "pre_layrnorm.weight",
    "visual.pre_norm.bias": "pre_layrnorm.bias",
    "visual.post_norm.weight": "post_layernorm.weight",
    "visual.post_norm.bias": "post_layernorm.bias",
}
CLIP_LAYER = {
    "norm1": "layer_norm1",
    "norm2": "layer_norm2",
    "attn.proj": "self_attn.out_proj",
    "mlp.0": "mlp.fc1",
    "mlp.2": "mlp.fc2",
}
_CLIP_LAYER_KEY = re.compile(r"^visual\.transformer\.(\d+)\.(.+)\.(weight|bias)$")


def clip_to_transformers(state: dict[str, Any]) -> dict[str, Any]:
    """Wan's CLIP state dict (original names) -> `CLIPVisionModel`'s (transformers 5 names them
    without `vision_model.`). Text-tower keys and the vision head (not used: Wan takes the 31st
    block's hidden states) are dropped."""
    out: dict[str, Any] = {}
    for key, tensor in state.items():
        if not key.startswith("visual.") or key == "visual.head":
            continue
        if key == "visual.cls_embedding":
            out["embeddings.class_embedding"] = tensor.reshape(-1)
        elif key == "visual.pos_embedding":
            out["embeddings.position_embedding.weight"] = tensor.reshape(-1, tensor.shape[-1])
        elif key in CLIP_TOP:
            out[CLIP_TOP[key]] = tensor
        elif found := _CLIP_LAYER_KEY.match(key):
            index, module, leaf = found.groups()
            prefix = f"encoder.layers.{index}."
            if module == "attn.to_qkv":
                for name, part in zip(("q_proj", "k_proj", "v_proj"), tensor.chunk(3, dim=0), strict=True):
                    out[f"{prefix}self_attn.{name}.{leaf}"] = part
            elif module in CLIP_LAYER:
                out[f"{prefix}{CLIP_LAYER[module]}.{leaf}"] = tensor
            else:
                raise ModelError(f"Wan CLIP checkpoint: no rename for the key {key!r}")
        else:
            raise ModelError(f"Wan CLIP checkpoint: no rename for the key {key!r}")
    return out


def clip_to_original(state: dict[str, Any]) -> dict[str, Any]:
    """The inverse of `clip_to_transformers` for the keys it keeps (the tiny builder uses it)."""
    import torch

    top = _inverse(CLIP_TOP)
    layer = _inverse(CLIP_LAYER)
    out: dict[str, Any] = {}
    qkv: dict[str, dict[str, Any]] = {}
    for key, tensor in state.items():
        if key == "embeddings.class_embedding":
            out["visual.cls_embedding"] = tensor.reshape(1, 1, -1)
        elif key == "embeddings.position_embedding.weight":
            out["visual.pos_embedding"] = tensor.unsqueeze(0)
        elif key in top:
            out[top[key]] = tensor
        elif found := re.match(r"^encoder\.layers\.(\d+)\.(.+)\.(weight|bias)$", key):
            index, module, leaf = found.groups()
            if module.startswith("self_attn.") and module != "self_attn.out_proj":
                qkv.setdefault(f"visual.transformer.{index}.attn.to_qkv.{leaf}", {})[module] = tensor
            else:
                out[f"visual.transformer.{index}.{layer[module]}.{leaf}"] = tensor
    for key, parts in qkv.items():
        out[key] = torch.cat([parts["self_attn.q_proj"], parts["self_attn.k_proj"], parts["self_attn.v_proj"]])
    return out


# Audio modules ---------------------------------------------------------------------------------

AUDIO_TOKENS = 32  # context tokens per latent frame (upstream's AudioProjModel)
AUDIO_HIDDEN = 512
AUDIO_FRAMES_FIRST, AUDIO_FRAMES_LATER = 5, 8  # wav2vec2 windows: first latent frame, later ones


def audio_shapes(config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """The audio parameters upstream adds to Wan, by their names in `EchoMimicTransformer`, with
    their shapes, for constructor arguments `config` (the tiny builder makes them from this)."""
    dim = config["num_attention_heads"] * config["attention_head_dim"]
    per_frame = config["audio_layers"] * config["audio_width"]
    linear = {
        "audio_injection.proj1": (AUDIO_HIDDEN, AUDIO_FRAMES_FIRST * per_frame),
        "audio_injection.proj1_vf": (AUDIO_HIDDEN, AUDIO_FRAMES_LATER * per_frame),
        "audio_injection.proj2": (AUDIO_HIDDEN, AUDIO_HIDDEN),
        "audio_injection.proj3": (AUDIO_TOKENS * dim, AUDIO_HIDDEN),
    }
    for block in range(config["num_layers"]):
        for name in ("q_audio", "k_audio", "v_audio"):
            linear[f"blocks.{block}.attn2.{name}"] = (dim, dim)
    shapes: dict[str, tuple[int, ...]] = {}
    for name, (out, into) in linear.items():
        shapes[f"{name}.weight"], shapes[f"{name}.bias"] = (out, into), (out,)
    shapes["audio_injection.norm.weight"] = shapes["audio_injection.norm.bias"] = (dim,)
    for block in range(config["num_layers"]):
        shapes[f"blocks.{block}.attn2.norm_k_audio.weight"] = (dim,)
    return shapes
