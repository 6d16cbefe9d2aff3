"""The shipped catalogue names, for every Hugging Face model, the files a pull takes and what they
weigh; the selection rules pick one copy of each component's weights."""

from __future__ import annotations

from pathlib import Path

import pytest

from apexlocal.errors import ConfigError
from apexlocal.models.manifest import load_manifest
from apexlocal.models.selection import one_copy_of_weights, pipeline_patterns, select
from tests.models.fake_repos import MANIFEST

SHIPPED = load_manifest()
HUB = [m for m in SHIPPED.model if m.source.kind == "huggingface"]


@pytest.mark.parametrize("entry", HUB, ids=lambda m: m.id)
def test_every_hub_model_names_its_files_and_their_size(entry) -> None:
    source = entry.source
    assert source.files or source.allow_patterns or source.pipeline_files
    sized = [f.size for f in source.files]
    if sized and all(sized):  # every size known: the figure is their sum, not an estimate
        assert (source.download_bytes, source.download_estimated) == (sum(sized), False)
    else:
        assert source.download_estimated
    # size_gb, read by the API and the pull tracker, says the same.
    assert abs(entry.size_gb - source.download_bytes / 1e9) <= 0.05 + 0.001 * entry.size_gb


def test_diffusers_models_take_their_pipeline_components_only() -> None:
    by_id = SHIPPED.by_id()
    for model_id in (
        "z-image-turbo",
        "qwen-image",
        "wan2.2-ti2v-5b",
        "wan2.1-t2v-1.3b",
        "wan2.1-i2v-14b-480p",
        "ltx-2",
    ):
        assert by_id[model_id].source.pipeline_files, model_id
    ltx_repo = [
        "model_index.json",
        "ltx-2-19b-dev.safetensors",
        "ltx-2-19b-dev-fp8.safetensors",
        "ltx-2-spatial-upscaler-x2-1.0.safetensors",
        "latent_upsampler/config.json",
        "transformer/config.json",
        "transformer/diffusion_pytorch_model-00001-of-00008.safetensors",
        "connectors/diffusion_pytorch_model.safetensors",
        "README.md",
        "LICENSE",
    ]
    index = {
        "_class_name": "LTX2Pipeline",
        "transformer": ["diffusers", "LTX2VideoTransformer3DModel"],
        "connectors": ["ltx2", "LTX2TextConnectors"],
        "processor": [None, None],
    }
    assert select(ltx_repo, by_id["ltx-2"].source, index) == [
        "LICENSE",
        "connectors/diffusion_pytorch_model.safetensors",
        "model_index.json",
        "transformer/config.json",
        "transformer/diffusion_pytorch_model-00001-of-00008.safetensors",
    ]


def test_pipeline_patterns_name_each_component_folder() -> None:
    index = {
        "_class_name": "WanPipeline",
        "_diffusers_version": "0.42.1",
        "vae": ["diffusers", "AutoencoderKLWan"],
        "text_encoder": ["transformers", "UMT5EncoderModel"],
        "transformer_2": [None, None],
        "boundary_ratio": None,
        "expand_timesteps": True,
    }
    assert pipeline_patterns(index) == ["model_index.json", "text_encoder/*", "vae/*"]


def test_one_copy_of_each_components_weights() -> None:
    folder = [
        "unet/config.json",
        "unet/diffusion_pytorch_model.safetensors",
        "unet/diffusion_pytorch_model.bin",
        "unet/diffusion_pytorch_model.fp16.safetensors",
        "unet/diffusion_pytorch_model.msgpack",
        "text_encoder/model-00001-of-00002.safetensors",
        "text_encoder/model-00002-of-00002.safetensors",
        "text_encoder/model.safetensors.index.json",
        "text_encoder/model.fp16-00001-of-00001.safetensors",
        "text_encoder/model.safetensors.index.fp16.json",
        "vae/diffusion_pytorch_model.fp16.safetensors",
    ]
    plain = one_copy_of_weights(folder)
    assert plain == [
        "text_encoder/model-00001-of-00002.safetensors",
        "text_encoder/model-00002-of-00002.safetensors",
        "text_encoder/model.safetensors.index.json",
        "unet/config.json",
        "unet/diffusion_pytorch_model.safetensors",
        "vae/diffusion_pytorch_model.fp16.safetensors",
    ]  # a variant that is all there is stays
    assert one_copy_of_weights(folder, "fp16") == [
        "text_encoder/model.fp16-00001-of-00001.safetensors",
        "text_encoder/model.safetensors.index.fp16.json",
        "unet/config.json",
        "unet/diffusion_pytorch_model.fp16.safetensors",
        "vae/diffusion_pytorch_model.fp16.safetensors",
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('pipeline_files = true\nallow_patterns = ["LICENSE*"]\n', "", "alpha: name the files to pull"),
        (
            'revision = "' + "1" * 40 + '"\npipeline_files',
            'revision = "main"\npipeline_files',
            "alpha: revision must be a full commit hash",
        ),
        ("download_bytes = ", "download_bytes = 0\n# ", "alpha: download_bytes must give"),
    ],
)
def test_a_hub_source_that_would_pull_blindly_is_refused(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in MANIFEST
    (tmp_path / "m.toml").write_text(MANIFEST.replace(old, new, 1))
    with pytest.raises(ConfigError, match=message):
        load_manifest(tmp_path / "m.toml")
