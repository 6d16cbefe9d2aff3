"""The tiny model set: random-weight stand-ins of the real pipeline classes, built locally, saved
with save_pretrained and loaded back with from_pretrained(local_files_only=True)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from apexlocal.errors import ModelError
from apexlocal.models import tiny
from apexlocal.models.manifest import load_manifest

PIPELINES = {
    "flux2_klein": "Flux2KleinPipeline",
    "z_image": "ZImagePipeline",
    "qwen_image": "QwenImagePipeline",
    "flux2_dev": "Flux2Pipeline",
}
TEXT_ENCODERS = {
    "flux2_klein": "Qwen3ForCausalLM",
    "z_image": "Qwen3Model",
    "qwen_image": "Qwen2_5_VLForConditionalGeneration",
    "flux2_dev": "Mistral3ForConditionalGeneration",
}


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-builds")
    for name in PIPELINES:
        tiny.build(name, root / name, {})
    return {name: root / name for name in PIPELINES}


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_every_image_model_in_the_manifest_has_a_builder_of_its_class() -> None:
    for entry in load_manifest().model:
        if entry.engine == "diffusers-image":
            assert entry.tiny is not None, entry.id
            assert PIPELINES[entry.tiny.builder] == entry.pipeline
    assert set(tiny.BUILDERS) == set(PIPELINES)


@pytest.mark.parametrize("name", list(PIPELINES))
def test_builds_and_reloads_as_the_real_class(built: dict[str, Path], name: str) -> None:
    import diffusers
    import torch

    index = json.loads((built[name] / "model_index.json").read_text())
    assert index["_class_name"] == PIPELINES[name]
    assert index["text_encoder"] == ["transformers", TEXT_ENCODERS[name]]
    pipeline_class = getattr(diffusers, PIPELINES[name])
    pipe = pipeline_class.from_pretrained(built[name], local_files_only=True)
    assert type(pipe) is pipeline_class
    assert pipe.vae_scale_factor == 8  # 1024px -> 128 latent rows -> 64 tokens a side after 2x2 patches
    pipe.set_progress_bar_config(disable=True)
    image = pipe(
        prompt="a small test",
        width=128,
        height=64,
        num_inference_steps=2,
        generator=torch.Generator("cpu").manual_seed(0),
    ).images[0]
    assert image.size == (128, 64)
    assert any(low < high for low, high in image.getextrema())  # noise, not a blank frame


def test_build_is_reproducible(built: dict[str, Path], tmp_path: Path) -> None:
    # z_image has parameters that start as torch.empty: the builder must fill them.
    for name in ("z_image", "flux2_dev"):
        tiny.build(name, tmp_path / name, {})
        assert tree_digest(tmp_path / name) == tree_digest(built[name])


def test_seed_option_changes_the_weights(built: dict[str, Path], tmp_path: Path) -> None:
    tiny.build("flux2_klein", tmp_path / "other", {"seed": 1})
    weights = "transformer/diffusion_pytorch_model.safetensors"
    assert tree_digest(tmp_path / "other")[weights] != tree_digest(built["flux2_klein"])[weights]


def test_rebuild_replaces_the_folder_and_leaves_nothing_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "models" / "klein"
    target.mkdir(parents=True)
    (target / "stale.bin").write_bytes(b"old")
    tiny.build("flux2_klein", target, {})
    assert not (target / "stale.bin").exists()
    assert (target / "model_index.json").is_file()
    assert [p.name for p in target.parent.iterdir()] == ["klein"]


def test_failed_build_leaves_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(seed: int) -> object:
        raise RuntimeError("out of memory")

    monkeypatch.setitem(tiny.BUILDERS, "flux2_klein", broken)
    with pytest.raises(RuntimeError):
        tiny.build("flux2_klein", tmp_path / "klein", {})
    assert list(tmp_path.iterdir()) == []


def test_unknown_builder_or_option_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no tiny builder named 'sdxl'"):
        tiny.build("sdxl", tmp_path / "x", {})
    with pytest.raises(ModelError, match="unknown options layers"):
        tiny.build("flux2_klein", tmp_path / "x", {"layers": 2})
    with pytest.raises(ModelError, match="seed"):
        tiny.build("flux2_klein", tmp_path / "x", {"seed": -1})
    assert not (tmp_path / "x").exists()


def test_build_leaves_the_global_random_state_alone(tmp_path: Path) -> None:
    import torch

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    tiny.build("flux2_klein", tmp_path / "k", {})
    assert torch.equal(torch.rand(3), expected)
