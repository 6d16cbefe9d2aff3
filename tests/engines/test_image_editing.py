"""Image editing: input pictures given to the pipelines that take them (FLUX.2's `image`), the
catalogue's limit per model, and pictures that cannot be used."""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from apexlocal.engines.image.diffusers_image import DiffusersImageEngine, parse_request
from apexlocal.engines.image.inputs import read_image
from apexlocal.errors import JobError
from apexlocal.models.manifest import Manifest

SMALL = {"width": 256, "height": 256, "steps": 2, "seed": 7}


def picture(path: Path, size: tuple[int, int] = (96, 80), color: tuple[int, int, int] = (200, 40, 40)) -> Path:
    Image.new("RGB", size, color).save(path)
    return path


def with_inputs(make_ctx: Any, files: dict[str, Path]) -> tuple[Any, list[str]]:
    ctx, _ = make_ctx()
    asked: list[str] = []

    def fetch(url: str, field: str) -> Path:
        asked.append(field)
        return files[url]

    ctx.fetch_input = fetch
    return ctx, asked


def test_an_edit_runs_the_editing_pipeline_with_the_pictures(
    make_ctx: Any, manifest: Manifest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import diffusers

    cls = diffusers.Flux2KleinPipeline
    seen: list[tuple[str, Any]] = []
    original = cls.__call__

    @functools.wraps(original)  # keeps the signature the engine reads
    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append((type(self).__name__, kwargs.get("image")))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__call__", spy)
    files = {"u://a": picture(tmp_path / "a.png"), "u://b": picture(tmp_path / "b.png", color=(10, 200, 30))}
    ctx, asked = with_inputs(make_ctx, files)
    spec = {
        "prompt": "make it blue",
        "imageUrl": "u://a",
        "referenceImages": ["u://b"],
        "model": "flux-kontext-max",
        **SMALL,
    }
    out = DiffusersImageEngine().run(spec, manifest.by_id()["flux2-klein-4b"], ctx)
    assert asked == ["imageUrl", "referenceImages[0]"]
    [(name, images)] = seen
    assert name == "Flux2KleinPipeline"
    assert [im.size for im in images] == [(96, 80), (96, 80)]
    assert images[0].getpixel((0, 0)) == (200, 40, 40)
    assert out.metadata["inputImages"] == 2 and out.metadata["pipeline"] == "Flux2KleinPipeline"
    with Image.open(out.files[0].path) as made:
        assert made.size == (256, 256)


def test_a_text_only_model_refuses_an_image_naming_those_that_take_one(manifest: Manifest) -> None:
    with pytest.raises(JobError, match=r"^imageUrl: the model qwen-image makes images from text only") as err:
        parse_request(
            {"prompt": "x", "imageUrl": "https://example.com/a.png"}, manifest.by_id()["qwen-image"], manifest
        )
    assert "flux2-klein-4b (flux-2-pro, flux-kontext-max): up to 4" in str(err.value)
    assert "flux2-dev (flux-2-dev): up to 6" in str(err.value)


def test_more_pictures_than_the_model_takes_are_refused(manifest: Manifest) -> None:
    spec = {"prompt": "x", "imageUrl": "u://a", "referenceImages": ["u://b"] * 4}
    with pytest.raises(JobError, match=r"^referenceImages: flux2-klein-4b takes at most 4 input images"):
        parse_request(spec, manifest.by_id()["flux2-klein-4b"], manifest)
    assert (
        len(parse_request({**spec, "referenceImages": ["u://b"] * 3}, manifest.by_id()["flux2-klein-4b"]).inputs) == 4
    )


def test_a_text_prompt_alone_passes_no_image(manifest: Manifest) -> None:
    assert parse_request({"prompt": "x"}, manifest.by_id()["qwen-image"], manifest).inputs == ()


def test_a_tiny_picture_is_refused(tmp_path: Path) -> None:
    with pytest.raises(JobError, match=r"^imageUrl: the picture is 1x1 pixels; at least 64x64"):
        read_image(picture(tmp_path / "dot.png", (1, 1)), "imageUrl")


def test_a_truncated_png_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.effect_noise((200, 200), 60).convert("RGB").save(buffer, format="PNG")
    cut = tmp_path / "cut.png"
    cut.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(JobError, match=r"^productImage: not a readable picture \(truncated or corrupt"):
        read_image(cut, "productImage")


def test_an_unreadable_picture_fails_before_the_model_loads(make_ctx: Any, manifest: Manifest, tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    ctx, _ = with_inputs(make_ctx, {"u://bad": bad})
    ctx.runtime = None  # any load would fail loudly
    with pytest.raises(JobError, match=r"^imageUrl: not a readable picture"):
        DiffusersImageEngine().run(
            {"prompt": "x", "imageUrl": "u://bad", **SMALL}, manifest.by_id()["flux2-klein-4b"], ctx
        )


def test_a_transparent_picture_is_read_on_white(tmp_path: Path) -> None:
    path = tmp_path / "cut.png"
    picture = Image.new("RGBA", (80, 80), (0, 0, 0, 0))
    picture.paste((200, 40, 40, 255), (20, 20, 60, 60))
    picture.save(path)
    read = read_image(path, "productImage")
    assert read.mode == "RGB" and read.getpixel((0, 0)) == (255, 255, 255) and read.getpixel((40, 40)) == (200, 40, 40)
