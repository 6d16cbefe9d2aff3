"""The diffusers image engine on tiny stand-ins of the real pipeline classes, on the CPU."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from apexlocal.engines.diffusers_loading import pipeline_key
from apexlocal.engines.image.diffusers_image import DiffusersImageEngine, fit_size, generate, parse_request
from apexlocal.engines.image.styles import STYLES
from apexlocal.errors import JobCancelled, JobError, ModelError
from apexlocal.models.manifest import Manifest, ModelEntry

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"width": 256, "height": 256, "steps": 2}


@pytest.fixture
def klein(manifest: Manifest) -> ModelEntry:
    return manifest.by_id()["flux2-klein-4b"]


@pytest.fixture
def qwen(manifest: Manifest) -> ModelEntry:
    return manifest.by_id()["qwen-image"]


def run(make_ctx: Any, model: ModelEntry, spec: dict[str, Any]) -> Any:
    ctx, rec = make_ctx()
    out = DiffusersImageEngine().run(spec, model, ctx)
    return out, rec


def png_bytes(output: Any) -> bytes:
    return output.files[0].path.read_bytes()


def test_default_model_makes_1024_png_with_defaults(make_ctx: Any, manifest: Manifest) -> None:
    model = manifest.default_for("image")
    out, _ = run(make_ctx, model, {"prompt": "a lighthouse at dusk", "model": "flux-2-pro"})
    [file] = out.files
    assert (file.name, file.content_type) == ("output.png", "image/png")
    assert file.path.parent.name.startswith("job-")
    with Image.open(file.path) as image:
        assert (image.format, image.mode, image.size) == ("PNG", "RGB", (1024, 1024))
    meta = out.metadata
    assert meta["model"] == "flux-2-pro" and meta["modelId"] == model.id
    assert (meta["width"], meta["height"], meta["steps"]) == (1024, 1024, model.defaults["steps"])
    assert isinstance(meta["seed"], int) and 0 <= meta["seed"] < 2**32
    assert isinstance(meta["durationMs"], int) and meta["durationMs"] >= 0


def test_size_is_rounded_to_the_pipeline_multiple_and_reported(make_ctx: Any, klein: ModelEntry) -> None:
    out, _ = run(make_ctx, klein, {"prompt": "a cat", **SMALL, "width": 300, "height": 260, "seed": 1})
    # FLUX.2: 8x VAE and 2x2 patches, so multiples of 16.
    assert (out.metadata["width"], out.metadata["height"]) == (304, 256)
    with Image.open(out.files[0].path) as image:
        assert image.size == (304, 256)


@pytest.mark.parametrize(
    ("value", "multiple", "expected"),
    [
        (1024, 16, 1024),
        (1000, 16, 1008),
        (1001, 16, 1008),
        (999, 16, 992),
        (256, 16, 256),
        (2048, 16, 2048),
        (257, 64, 256),
        (2047, 64, 2048),
        (300, 128, 256),
        (2000, 128, 2048),
        (1900, 128, 1920),
    ],
)
def test_fit_size(value: int, multiple: int, expected: int) -> None:
    assert fit_size(value, multiple) == expected


def test_same_seed_same_bytes_other_seed_other_bytes(make_ctx: Any, klein: ModelEntry) -> None:
    spec = {"prompt": "a red bicycle", **SMALL, "seed": 1234}
    first, _ = run(make_ctx, klein, spec)
    again, _ = run(make_ctx, klein, spec)
    other, _ = run(make_ctx, klein, {**spec, "seed": 1235})
    assert png_bytes(first) == png_bytes(again)
    assert png_bytes(first) != png_bytes(other)
    assert first.metadata["seed"] == 1234


def test_no_seed_picks_one_and_reports_it(make_ctx: Any, klein: ModelEntry) -> None:
    spec = {"prompt": "a red bicycle", **SMALL}
    first, _ = run(make_ctx, klein, spec)
    replay, _ = run(make_ctx, klein, {**spec, "seed": first.metadata["seed"]})
    assert png_bytes(first) == png_bytes(replay)


def test_png_has_no_metadata_chunks(make_ctx: Any, klein: ModelEntry) -> None:
    out, _ = run(make_ctx, klein, {"prompt": "x", **SMALL, "seed": 3})
    data = png_bytes(out)
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"tIME"):
        assert chunk not in data


def test_negative_prompt_is_used_where_the_pipeline_takes_one(make_ctx: Any, qwen: ModelEntry) -> None:
    spec = {"prompt": "a bowl of fruit", **SMALL, "seed": 9}
    plain, _ = run(make_ctx, qwen, spec)
    negative, _ = run(make_ctx, qwen, {**spec, "negativePrompt": "blurry, low quality"})
    assert png_bytes(plain) != png_bytes(negative)


def test_negative_prompt_is_accepted_where_the_pipeline_has_none(make_ctx: Any, klein: ModelEntry) -> None:
    spec = {"prompt": "a bowl of fruit", **SMALL, "seed": 9}
    plain, _ = run(make_ctx, klein, spec)
    negative, _ = run(make_ctx, klein, {**spec, "negativePrompt": "blurry"})
    assert png_bytes(plain) == png_bytes(negative)  # FLUX.2 [klein] has no negative prompt


def test_style_adds_wording_to_prompt_and_negative(klein: ModelEntry) -> None:
    request = parse_request({"prompt": "a fox", "negativePrompt": "text", "style": "3d", "seed": 1}, klein)
    assert request.prompt == f"a fox, {STYLES['3d'].prompt}"
    assert request.negative_prompt == f"text, {STYLES['3d'].negative}"
    plain = parse_request({"prompt": "a fox", "seed": 1}, klein)
    assert (plain.prompt, plain.negative_prompt) == ("a fox", None)


def test_style_changes_the_image(make_ctx: Any, klein: ModelEntry) -> None:
    spec = {"prompt": "a fox", **SMALL, "seed": 5}
    plain, _ = run(make_ctx, klein, spec)
    styled, _ = run(make_ctx, klein, {**spec, "style": "illustration"})
    assert png_bytes(plain) != png_bytes(styled)


def test_progress_reaches_one_with_stage_names(make_ctx: Any, klein: ModelEntry) -> None:
    _, rec = run(make_ctx, klein, {"prompt": "a boat", **SMALL, "steps": 4, "seed": 2})
    stages = [s for s, _ in rec.events]
    assert stages[0] == "loading" and stages[-1] == "encoding"
    assert [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s] == ["loading", "denoising", "encoding"]
    assert rec.stage("denoising") == [0.25, 0.5, 0.75, 1.0]
    assert rec.stage("loading")[-1] == 1.0 and rec.stage("encoding")[-1] == 1.0


def test_cancel_after_first_step_stops_within_one_step(
    make_ctx: Any, klein: ModelEntry, tiny_dirs: dict[str, Path], runtime: Any
) -> None:
    run(make_ctx, klein, {"prompt": "warm-up", **SMALL, "seed": 1})  # loads the pipeline
    pipe = runtime.get(pipeline_key(klein, tiny_dirs[klein.id], "cpu"), _must_not_load)
    calls: list[int] = []
    hook = pipe.transformer.register_forward_hook(lambda *args: calls.append(1))
    ctx, rec = make_ctx(cancel_when=lambda events: any(s == "denoising" for s, _ in events))
    try:
        with pytest.raises(JobCancelled):
            DiffusersImageEngine().run({"prompt": "a train", **SMALL, "steps": 8, "seed": 4}, klein, ctx)
    finally:
        hook.remove()
    assert rec.stage("denoising") == [1 / 8]
    assert len(calls) == 1  # one transformer pass (no CFG in klein), then the run stopped
    assert not (ctx.scratch_dir / "output.png").exists()


def test_cancel_before_loading_touches_no_model(make_ctx: Any, klein: ModelEntry) -> None:
    ctx, rec = make_ctx(cancel_when=lambda events: True, runtime_=_ExplodingRuntime())
    with pytest.raises(JobCancelled):
        DiffusersImageEngine().run({"prompt": "a train", **SMALL}, klein, ctx)
    assert rec.events == []


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({}, "prompt"),
        ({"prompt": "   "}, "prompt"),
        ({"prompt": 3}, "prompt"),
        ({"prompt": "x", "width": 255}, "width"),
        ({"prompt": "x", "width": 2049}, "width"),
        ({"prompt": "x", "height": 512.0}, "height"),
        ({"prompt": "x", "height": True}, "height"),
        ({"prompt": "x", "steps": 0}, "steps"),
        ({"prompt": "x", "steps": 51}, "steps"),
        ({"prompt": "x", "seed": -1}, "seed"),
        ({"prompt": "x", "seed": "7"}, "seed"),
        ({"prompt": "x", "style": "watercolor"}, "style"),
        ({"prompt": "x", "negativePrompt": ["a"]}, "negativePrompt"),
    ],
)
def test_invalid_spec_fails_before_any_model_work(
    make_ctx: Any, klein: ModelEntry, spec: dict[str, Any], field: str
) -> None:
    ctx, rec = make_ctx(runtime_=_ExplodingRuntime())
    with pytest.raises(JobError) as info:
        DiffusersImageEngine().run(spec, klein, ctx)
    assert str(info.value).startswith(f"{field}:")
    assert rec.events == []


def test_steps_default_to_the_model_defaults(manifest: Manifest) -> None:
    for model in manifest.model:
        if model.engine == "diffusers-image":
            request = parse_request({"prompt": "x"}, model)
            assert request.steps == model.defaults.get("steps", 4)
            assert "steps" not in request.call_options
            assert (request.width, request.height) == (1024, 1024)


def test_generate_is_what_the_engine_runs(
    make_ctx: Any, klein: ModelEntry, tiny_dirs: dict[str, Path], runtime: Any
) -> None:
    spec = {"prompt": "a kite", **SMALL, "seed": 77}
    out, _ = run(make_ctx, klein, spec)
    pipe = runtime.get(pipeline_key(klein, tiny_dirs[klein.id], "cpu"), _must_not_load)
    steps: list[tuple[int, int]] = []
    image = generate(pipe, parse_request(spec, klein), "cpu", lambda done, total: steps.append((done, total)))
    with Image.open(out.files[0].path) as engine_image:
        assert engine_image.tobytes() == image.convert("RGB").tobytes()
    assert steps == [(1, 2), (2, 2)]


def test_unloadable_model_dir_is_a_model_error(make_ctx: Any, klein: ModelEntry, tmp_path: Path) -> None:
    from apexlocal.engines.runtime import ModelRuntime

    ctx, _ = make_ctx(runtime_=ModelRuntime("cpu"))
    empty = tmp_path / "empty-model"
    empty.mkdir()
    ctx.model_dir = lambda entry: empty
    with pytest.raises(ModelError, match="flux2-klein-4b: cannot load"):
        DiffusersImageEngine().run({"prompt": "x", **SMALL}, klein, ctx)


def test_importing_the_engine_does_not_import_torch() -> None:
    code = (
        "import sys, apexlocal.engines.image.diffusers_image, apexlocal.engines.runtime; "
        "heavy = {'torch', 'diffusers', 'transformers', 'PIL'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def _must_not_load() -> object:
    raise AssertionError("the pipeline should be warm already")


class _ExplodingRuntime:
    def get(self, *args: Any, **kwargs: Any) -> object:
        raise AssertionError("no model may be loaded for this job")
