"""The video stand-ins: the real pipeline classes, built locally from small configs, saved with
save_pretrained and loaded back with from_pretrained(local_files_only=True)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from apexlocal.engines.video.pipelines import IMAGE_TO_VIDEO
from apexlocal.errors import ModelError
from apexlocal.models import tiny, tiny_video
from apexlocal.models.manifest import Manifest, ModelEntry

# builder -> (pipeline class, text encoder class, VAE spatial and temporal compression of the real model)
EXPECTED = {
    "wan21_t2v": ("WanPipeline", "UMT5EncoderModel", 8, 4),
    "wan21_i2v": ("WanImageToVideoPipeline", "UMT5EncoderModel", 8, 4),
    "wan22_ti2v": ("WanPipeline", "UMT5EncoderModel", 16, 4),
    "ltx2": ("LTX2Pipeline", "Gemma3ForConditionalGeneration", 32, 8),
}


def video_entries(manifest: Manifest) -> list[ModelEntry]:
    return [m for m in manifest.model if m.engine == "diffusers-video"]


def test_every_video_model_has_a_builder_of_its_class_and_a_companion(video_manifest: Manifest) -> None:
    entries = video_entries(video_manifest)
    assert {m.tiny.builder for m in entries if m.tiny} == set(tiny_video.BUILDERS) == set(EXPECTED)
    by_id = video_manifest.by_id()
    for entry in entries:
        assert entry.tiny is not None, entry.id
        assert EXPECTED[entry.tiny.builder][0] == entry.pipeline, entry.id
        assert len(entry.source.revision) == 40 and int(entry.source.revision, 16) >= 0
        if entry.pipeline in IMAGE_TO_VIDEO:  # text to video: continued by itself or another entry
            companion = by_id[entry.companion]
            assert companion.id == entry.id or companion.pipeline in IMAGE_TO_VIDEO.values()
            assert "image-to-video" in companion.tasks


def test_hosted_names_resolve(video_manifest: Manifest) -> None:
    def resolved(name: str, task: str) -> str | None:
        entry = video_manifest.resolve(name, task)
        return entry.id if entry else None

    assert resolved("wan-2.6", "b-roll") == "wan2.2-ti2v-5b"
    assert resolved("kling-2.6-pro", "b-roll") == "wan2.1-t2v-1.3b"
    assert resolved("kling-3.0-pro", "text2video") == "wan2.2-ti2v-5b"
    assert resolved("veo-3.1", "text2video") == "ltx-2"
    assert video_manifest.default_for("text2video").id == "wan2.2-ti2v-5b"
    assert video_manifest.default_for("b-roll").id == "wan2.2-ti2v-5b"


@pytest.mark.parametrize("model_id", ["wan2.2-ti2v-5b", "wan2.1-t2v-1.3b", "wan2.1-i2v-14b-480p", "ltx-2"])
def test_builds_and_reloads_as_the_real_class(
    video_manifest: Manifest, model_id: str, video_models: Callable[[ModelEntry], Path]
) -> None:
    import diffusers

    entry = video_manifest.by_id()[model_id]
    assert entry.tiny is not None
    folder = video_models(entry)
    pipeline_name, encoder, spatial, temporal = EXPECTED[entry.tiny.builder]
    index = json.loads((folder / "model_index.json").read_text())
    assert index["_class_name"] == pipeline_name
    assert index["text_encoder"] == ["transformers", encoder]
    cls = getattr(diffusers, pipeline_name)
    pipe = cls.from_pretrained(folder, local_files_only=True)
    assert type(pipe) is cls
    ratios = (
        getattr(pipe, "vae_scale_factor_spatial", None) or pipe.vae_spatial_compression_ratio,
        getattr(pipe, "vae_scale_factor_temporal", None) or pipe.vae_temporal_compression_ratio,
    )
    assert ratios == (spatial, temporal)
    assert not list(folder.parent.glob(f".{folder.name}.building*"))


def test_unknown_builder_and_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no tiny"):
        tiny_video.build("nope", tmp_path / "x")
    with pytest.raises(ModelError, match="unknown options"):
        tiny.build("wan21_t2v", tmp_path / "x", {"width": 3})
    assert list(tmp_path.iterdir()) == []


def test_build_is_reproducible_and_the_seed_changes_it(tmp_path: Path) -> None:
    import hashlib

    def digest(folder: Path) -> dict[str, str]:
        return {
            str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }

    for name, options in (("a", {}), ("b", {}), ("c", {"seed": 1})):
        tiny.build("wan21_t2v", tmp_path / name, options)
    weights = "transformer/diffusion_pytorch_model.safetensors"
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a")[weights] != digest(tmp_path / "c")[weights]
