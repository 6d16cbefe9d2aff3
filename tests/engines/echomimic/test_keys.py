"""The released checkpoints load key for key, and this package's models compute what upstream's do.
Both are checked against data recorded from upstream's own code (antgroup/echomimic_v3, imported
by record_reference.py; the files under reference/ name the commit):

- keys: the state dicts of upstream's transformer (real 1.3B config, built on the meta device, and
  the tiny one) and of Wan's CLIP, renamed by apexlocal/models/echomimic_keys.py, are exactly this
  package's transformer's and transformers' CLIPVisionModel's, key for key and shape for shape;
- forward: with the recorded weights (recorded.reference_weights) loaded through the key mapping,
  this package's tiny transformer and CLIP tower give upstream's recorded outputs on the recorded
  inputs to 1e-4, and a 1% change of any one of several weights is caught.

The tiny builder's file (original names) loads strictly with the same tensors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from apexlocal.engines.echomimic.transformer import echomimic_transformer
from apexlocal.errors import ModelError
from apexlocal.models import echomimic_keys as keys
from tests.engines.echomimic import recorded


def shapes(module: torch.nn.Module) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def upstream_shapes(name: str) -> tuple[dict[str, Any], dict[str, tuple[int, ...]]]:
    data = recorded.read_keys(name)
    return data["config"], {k: tuple(v) for k, v in data["keys"].items()}


@pytest.mark.parametrize("name", ["transformer_real", "transformer_tiny"], ids=["real-1.3B", "tiny"])
def test_upstream_keys_renamed_are_exactly_the_models(name: str) -> None:
    config, upstream = upstream_shapes(name)
    assert config == (recorded.REAL if name == "transformer_real" else recorded.TINY)
    with torch.device("meta"):
        ours = shapes(echomimic_transformer(**keys.transformer_config(config)))
    renamed = {keys.to_diffusers(k): v for k, v in upstream.items()}
    assert len(renamed) == len(upstream)
    assert set(renamed) == set(ours)
    assert {k: v for k, v in renamed.items() if ours[k] != v} == {}
    assert all(keys.to_original(keys.to_diffusers(k)) == k for k in upstream)
    if name == "transformer_real":  # the audio parts are there: 4 per block and the projection
        assert sum(".attn2.k_audio." in k for k in ours) == 2 * 30
        assert ours["audio_injection.proj1.weight"] == (512, 5 * 12 * 768)
        assert ours["audio_injection.proj1_vf.weight"] == (512, 8 * 12 * 768)


def test_an_unknown_key_is_refused() -> None:
    with pytest.raises(ModelError, match=r"no rename for the key 'blocks\.0\.cross_attn\.gate\.weight'"):
        keys.to_diffusers("blocks.0.cross_attn.gate.weight")


def test_the_config_maps_both_ways() -> None:
    config = keys.transformer_config(recorded.TINY)
    back = keys.transformer_config(keys.original_config(config))
    assert back == config
    with pytest.raises(ModelError, match="i2v"):
        keys.transformer_config({**recorded.REAL, "model_type": "t2v"})


@pytest.mark.parametrize(
    ("name", "hf"),
    [
        ("clip_real", {"hidden_size": 1280, "intermediate_size": 5120, "num_hidden_layers": 32,
                       "num_attention_heads": 16, "image_size": 224, "patch_size": 14}),
        ("clip_tiny", {"hidden_size": 16, "intermediate_size": 64, "num_hidden_layers": 3, "num_attention_heads": 1,
                       "image_size": 28, "patch_size": 14}),
    ],
    ids=["real-ViT-H-14", "tiny"],
)  # fmt: skip
def test_wan_clip_keys_renamed_are_exactly_clip_vision_models(name: str, hf: dict[str, Any]) -> None:
    from transformers import CLIPVisionConfig, CLIPVisionModel

    from apexlocal.engines.echomimic.loading import clip_config

    _, upstream = upstream_shapes(name)
    assert any(k.startswith("textual.") for k in upstream) and "log_scale" in upstream  # the whole file's keys
    with torch.device("meta"):
        wan = {k: torch.empty(shape) for k, shape in upstream.items()}
        ours = shapes(CLIPVisionModel(CLIPVisionConfig(**hf, hidden_act="gelu", layer_norm_eps=1e-5)))
    renamed = keys.clip_to_transformers(wan)
    assert {k: tuple(v.shape) for k, v in renamed.items()} == ours
    inferred = clip_config(renamed)
    assert {k: getattr(inferred, k) for k in hf} == hf


def test_the_tiny_files_load_strictly_with_the_same_tensors(th_models: Any, th_manifest: Any) -> None:
    from safetensors.torch import load_file

    from apexlocal.engines.echomimic.loading import TRANSFORMER_DIR, TRANSFORMER_WEIGHTS, load_transformer

    folder = th_models(th_manifest.by_id()["echomimic-v3-flash"]) / TRANSFORMER_DIR
    stored = load_file(folder / TRANSFORMER_WEIGHTS)
    assert "blocks.0.cross_attn.k_audio.weight" in stored and "head.modulation" in stored  # upstream's names
    model = load_transformer(folder, torch.float32)
    loaded = model.state_dict()
    assert all(torch.equal(loaded[keys.to_diffusers(k)], v) for k, v in stored.items())
    assert model.rope.freqs_cos.device.type == "cpu"  # built at init, not left on the meta device


# the forward checks ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def record() -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    from safetensors import safe_open

    if not recorded.FORWARD_FILE.exists():
        pytest.fail(f"{recorded.FORWARD_FILE} is missing: re-record it with `{recorded.RECORD_COMMAND}`")
    with safe_open(recorded.FORWARD_FILE, "pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata())  # noqa: SIM118 (a safe_open handle, not a dict)


def recorded_weights(name: str, metadata: dict[str, str], sums_key: str) -> dict[str, torch.Tensor]:
    """The weights the recorder loaded into upstream's model (original names), checked by their sums."""
    weights = recorded.reference_weights(recorded.read_keys(name)["keys"])
    expected = json.loads(metadata[sums_key])
    made = recorded.weight_sums(weights)
    assert made.keys() == expected.keys()
    off = {k: (made[k], v) for k, v in expected.items() if abs(made[k] - v) > 1e-6 * (1 + abs(v))}
    assert not off, f"the weight rule no longer makes the recorded weights {off}: re-record ({recorded.RECORD_COMMAND})"
    return weights


def tiny_transformer(weights: dict[str, torch.Tensor]) -> torch.nn.Module:
    model = echomimic_transformer(**keys.transformer_config(recorded.TINY)).eval()
    model.load_state_dict({keys.to_diffusers(k): v for k, v in weights.items()}, strict=True)
    return model


def transformer_output(model: torch.nn.Module, data: dict[str, torch.Tensor]) -> torch.Tensor:
    text = data["text"]  # upstream pads the prompt's tokens to 512 with zeros inside its forward
    padded = torch.cat([text, text.new_zeros(1, 512 - text.shape[1], text.shape[2])], dim=1)
    with torch.no_grad():
        out: torch.Tensor = model(
            torch.cat([data["x"], data["y"]], dim=1), data["t"], padded, data["image"], data["audio"]
        )
    return out


@pytest.fixture(scope="module")
def transformer_weights(record: Any) -> dict[str, torch.Tensor]:
    return recorded_weights("transformer_tiny", record[1], "weight_sums")


def test_the_record_names_one_upstream_commit(record: Any) -> None:
    _, metadata = record
    assert metadata["repository"] == "antgroup/echomimic_v3" and len(metadata["commit"]) == 40
    assert all(recorded.read_keys(n)["upstream"]["commit"] == metadata["commit"] for n in
               ("transformer_real", "transformer_tiny", "clip_real", "clip_tiny"))  # fmt: skip


def test_the_model_computes_what_upstreams_forward_computed(record: Any, transformer_weights: Any) -> None:
    data, _ = record
    mine = transformer_output(tiny_transformer(transformer_weights), data)
    theirs = data["out"]
    assert mine.shape == theirs.shape == (1, 16, *recorded.LATENT)
    assert theirs.abs().max() > 0.1  # a real output, not a zero head
    assert torch.allclose(mine, theirs, atol=1e-4, rtol=1e-4), (mine - theirs).abs().max()


# value and norm weights: a key projection followed by its RMSNorm is scale-free (all but its bias)
@pytest.mark.parametrize(
    "key",
    ["blocks.1.cross_attn.v_audio.weight", "blocks.1.cross_attn.norm_k_audio.weight", "audio_injection.proj1_vf.weight",
     "blocks.0.cross_attn.v_img.weight", "img_emb.proj.1.weight", "text_embedding.0.weight",
     "blocks.0.self_attn.norm_q.weight", "head.modulation"],
)  # fmt: skip
def test_a_one_percent_weight_change_is_caught(record: Any, transformer_weights: Any, key: str) -> None:
    data, _ = record
    changed = {**transformer_weights, key: transformer_weights[key] * 1.01}
    mine = transformer_output(tiny_transformer(changed), data)
    assert not torch.allclose(mine, data["out"], atol=1e-4, rtol=1e-4)


def test_the_clip_tower_computes_what_upstreams_computed(record: Any, tmp_path: Path) -> None:
    from apexlocal.engines.echomimic.loading import load_clip

    data, metadata = record
    path = tmp_path / "clip.pth"  # the file layout of Wan's CLIP, original names, text tower and all
    torch.save(recorded_weights("clip_tiny", metadata, "clip_weight_sums"), path)
    model = load_clip(path, torch.float32).eval()
    with torch.no_grad():  # Wan takes the 31st of 32 blocks' states: upstream's use_31_block
        mine = model(pixel_values=data["clip_pixels"], output_hidden_states=True).hidden_states[-2]
    assert mine.shape == data["clip_out"].shape
    assert torch.allclose(mine, data["clip_out"], atol=1e-4, rtol=1e-4), (mine - data["clip_out"]).abs().max()
