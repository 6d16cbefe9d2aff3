"""The released checkpoints load key for key: upstream's module trees (reference_layout.py, copied
from antgroup/echomimic_v3) give the keys and shapes; renamed by apexlocal/models/echomimic_keys.py
they are exactly this package's, for the real 1.3B config (built on the meta device) and for the tiny one. The tiny
builder's file (original names) loads strictly, and its tensors are the model's. On the same
weights, this model and upstream's forward code (reference_forward.py) compute the same output."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from apexlocal.engines.echomimic.transformer import echomimic_transformer
from apexlocal.errors import ModelError
from apexlocal.models import echomimic_keys as keys
from tests.engines.echomimic.reference_layout import WanClipVisual, WanTransformerAudioMask3DModel

# Wan2.1-Fun-V1.1-1.3B-InP's transformer (upstream's config.json values for the 1.3B InP model)
REAL = {"model_type": "i2v", "in_dim": 36, "dim": 1536, "ffn_dim": 8960, "freq_dim": 256, "text_dim": 4096,
        "out_dim": 16, "num_heads": 12, "num_layers": 30, "eps": 1e-6}  # fmt: skip
TINY = {**REAL, "dim": 32, "ffn_dim": 64, "freq_dim": 16, "text_dim": 16, "num_heads": 2, "num_layers": 2,
        "audio_layers": 2, "audio_width": 8, "image_dim": 16}  # fmt: skip


def shapes(module: torch.nn.Module) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def reference(config: dict[str, Any]) -> torch.nn.Module:
    return WanTransformerAudioMask3DModel(
        in_dim=config["in_dim"], dim=config["dim"], ffn_dim=config["ffn_dim"], freq_dim=config["freq_dim"],
        text_dim=config["text_dim"], out_dim=config["out_dim"], num_heads=config["num_heads"],
        num_layers=config["num_layers"], audio_blocks=config.get("audio_layers", 12),
        audio_channels=config.get("audio_width", 768), image_dim=config.get("image_dim", 1280),
    )  # fmt: skip


@pytest.mark.parametrize("config", [REAL, TINY], ids=["real-1.3B", "tiny"])
def test_upstream_keys_renamed_are_exactly_the_models(config: dict[str, Any]) -> None:
    with torch.device("meta"):
        upstream = shapes(reference(config))
        ours = shapes(echomimic_transformer(**keys.transformer_config(config)))
    renamed = {keys.to_diffusers(k): v for k, v in upstream.items()}
    assert len(renamed) == len(upstream)
    assert set(renamed) == set(ours)
    assert {k: v for k, v in renamed.items() if ours[k] != v} == {}
    assert all(keys.to_original(keys.to_diffusers(k)) == k for k in upstream)
    if config is REAL:  # the audio parts are there: 4 per block and the projection
        assert sum(".attn2.k_audio." in k for k in ours) == 2 * 30
        assert ours["audio_injection.proj1.weight"] == (512, 5 * 12 * 768)
        assert ours["audio_injection.proj1_vf.weight"] == (512, 8 * 12 * 768)


def test_an_unknown_key_is_refused() -> None:
    with pytest.raises(ModelError, match=r"no rename for the key 'blocks\.0\.cross_attn\.gate\.weight'"):
        keys.to_diffusers("blocks.0.cross_attn.gate.weight")


def test_the_config_maps_both_ways() -> None:
    config = keys.transformer_config(TINY)
    back = keys.transformer_config(keys.original_config(config))
    assert back == config
    with pytest.raises(ModelError, match="i2v"):
        keys.transformer_config({**REAL, "model_type": "t2v"})


@pytest.mark.parametrize(
    ("dims", "hf"),
    [
        ({"image_size": 224, "patch_size": 14, "dim": 1280, "mlp_ratio": 4, "out_dim": 1024, "num_layers": 32},
         {"hidden_size": 1280, "intermediate_size": 5120, "num_hidden_layers": 32, "num_attention_heads": 16,
          "image_size": 224, "patch_size": 14}),
        ({"image_size": 28, "patch_size": 14, "dim": 16, "mlp_ratio": 4, "out_dim": 8, "num_layers": 3},
         {"hidden_size": 16, "intermediate_size": 64, "num_hidden_layers": 3, "num_attention_heads": 1,
          "image_size": 28, "patch_size": 14}),
    ],
    ids=["real-ViT-H-14", "tiny"],
)  # fmt: skip
def test_wan_clip_keys_renamed_are_exactly_clip_vision_models(dims: dict[str, int], hf: dict[str, int]) -> None:
    from transformers import CLIPVisionConfig, CLIPVisionModel

    from apexlocal.engines.echomimic.loading import clip_config

    with torch.device("meta"):
        wan = WanClipVisual(**dims).state_dict()
        ours = shapes(CLIPVisionModel(CLIPVisionConfig(**hf, hidden_act="gelu", layer_norm_eps=1e-5)))
    renamed = keys.clip_to_transformers({**wan, "textual.head.0.weight": torch.empty(0), "log_scale": torch.empty(0)})
    assert {k: tuple(v.shape) for k, v in renamed.items()} == ours
    inferred = clip_config(renamed)
    assert {k: getattr(inferred, k) for k in hf} == hf


def test_the_tiny_files_load_strictly_with_the_same_tensors(em_models: Any, em_manifest: Any) -> None:
    from safetensors.torch import load_file

    from apexlocal.engines.echomimic.loading import TRANSFORMER_DIR, TRANSFORMER_WEIGHTS, load_transformer

    folder = em_models(em_manifest.by_id()["echomimic-v3-flash"]) / TRANSFORMER_DIR
    stored = load_file(folder / TRANSFORMER_WEIGHTS)
    assert "blocks.0.cross_attn.k_audio.weight" in stored and "head.modulation" in stored  # upstream's names
    model = load_transformer(folder, torch.float32)
    loaded = model.state_dict()
    assert all(torch.equal(loaded[keys.to_diffusers(k)], v) for k, v in stored.items())
    assert model.rope.freqs_cos.device.type == "cpu"  # built at init, not left on the meta device


def test_the_model_computes_what_upstreams_forward_computes() -> None:
    from tests.engines.echomimic.reference_forward import forward

    torch.manual_seed(0)
    upstream = reference(TINY).eval()
    for block in upstream.blocks:  # upstream's RMSNorm weights start at 1: make them count
        for norm in (block.self_attn.norm_q, block.cross_attn.norm_k_audio, block.norm3):
            norm.weight.data.uniform_(0.5, 1.5)
    ours = echomimic_transformer(**keys.transformer_config(TINY)).eval()
    ours.load_state_dict({keys.to_diffusers(k): v for k, v in upstream.state_dict().items()}, strict=True)
    x, y = torch.randn(1, 16, 3, 4, 6), torch.randn(1, 20, 3, 4, 6)
    t = torch.tensor([731.0])
    text = torch.randn(1, 7, TINY["text_dim"])  # 7 prompt tokens; both pad them to 512 with zeros
    image = torch.randn(1, 257, TINY["image_dim"])
    audio = torch.randn(1, 9, 5, TINY["audio_layers"], TINY["audio_width"])
    padded = torch.cat([text, torch.zeros(1, 512 - 7, TINY["text_dim"])], dim=1)
    with torch.no_grad():
        theirs = forward(upstream, x, t, text, image, y, audio, heads=TINY["num_heads"], freq_dim=TINY["freq_dim"])
        mine = ours(torch.cat([x, y], dim=1), t, padded, image, audio)
    assert mine.shape == theirs.shape == (1, 16, 3, 4, 6)
    assert torch.allclose(mine, theirs, atol=1e-4, rtol=1e-4), (mine - theirs).abs().max()
