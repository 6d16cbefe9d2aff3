"""Benchmark of the photoshoot engine on the tiny set, the CPU: a 4-shot photoshoot's time split into
cut-out, generation and compositing, and the cut-out's speed against the bare onnxruntime call.

    PYTHONPATH=. python bench/bench_photoshoot.py [--count 4] [--repeats 3] [--cutouts 10]

In this one process, models warm (a first 1-shot run loads them and is not counted):
  photoshoot  PhotoshootEngine.run on the test's product photo (scikit-image's coffee photo cut to a
              bottle's outline on a plain backdrop, 512x384): decode, cut-out (U2-Net-p, real
              weights), the tiny FLUX.2 [klein]'s inpainting run (the product as its reference) for
              all shots in one batch, then per shot placement, shadows, reflection and
              relighting, PNG writing. The stage split is the engine's own `timings` metadata;
              the rest of the wall time (decode, PNG writing) is shown apart.
  cut-out     cut_out(): resize to 320x320, normalise, the ONNX session, the mask scaled back to the
              photo, the object check, against
  bare        the same session's run() alone on an input prepared beforehand: the floor of any
              U2-Net-p cut-out.
Prints medians and the ratio cut-out / bare. The tiny klein's random weights are small: generation
with the real FLUX.2 [klein] 4B is seconds per shot on a GPU and far more on a CPU, so these figures
measure the engine around the model. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

SPEC = {"productImage": "bench://product", "background": "studio-white", "angle": "front", "lighting": "studio"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=4, help="shots per photoshoot (1-4)")
    parser.add_argument("--repeats", type=int, default=3, help="photoshoots measured")
    parser.add_argument("--cutouts", type=int, default=10, help="cut-outs measured, and bare calls")
    args = parser.parse_args()

    from apexlocal.engines.photoshoot.engine import PhotoshootEngine
    from tests.engines.cutout.product_photo import product_photo

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        photo = product_photo()
        (root / "product.png").write_bytes(photo.png())
        make_ctx, manifest = _contexts(root)
        model = manifest.by_id()["flux2-klein-4b"]
        engine = PhotoshootEngine()
        engine.run({**SPEC, "count": 1, "seed": 1}, model, make_ctx())  # loads the models
        runs = []
        for i in range(args.repeats):
            started = time.monotonic()
            out = engine.run({**SPEC, "count": args.count, "seed": 10 * i}, model, make_ctx())
            runs.append((time.monotonic() - started, out.metadata["timings"]))
        cut_s, bare_s = _cutout_vs_bare(make_ctx(), manifest, photo.rgb, args.cutouts)

    total = statistics.median(t for t, _ in runs)
    stages = {k: statistics.median(m[k] for _, m in runs) / 1000 for k in ("cutoutMs", "generationMs", "compositingMs")}
    rest = total - sum(stages.values())
    print(f"{args.count}-shot photoshoot, 512x512 shots, tiny set, CPU, median of {args.repeats}")
    print("| stage | seconds | share |\n|---|---|---|")
    for label, key in (("cut-out", "cutoutMs"), ("generation", "generationMs"), ("compositing", "compositingMs")):
        print(f"| {label} | {stages[key]:.2f} | {stages[key] / total:.0%} |")
    print(f"| other (decode, PNG writing) | {rest:.2f} | {rest / total:.0%} |")
    print(f"| total | {total:.2f} | 100% |")
    print(f"compositing per shot: {stages['compositingMs'] / args.count * 1000:.0f} ms")
    print(f"cut-out {cut_s * 1000:.0f} ms vs bare session.run {bare_s * 1000:.0f} ms (median of {args.cutouts}):")
    print(f"  cut-out / bare = {cut_s / bare_s:.2f}x")


def _contexts(root: Path) -> tuple[Any, Any]:
    from apexlocal.engines.base import EngineContext
    from apexlocal.engines.runtime import ModelRuntime
    from apexlocal.models import packaged, tiny
    from apexlocal.models.manifest import load_manifest

    manifest = load_manifest()
    runtime = ModelRuntime("cpu")
    built: dict[str, Path] = {}

    def model_dir(entry: Any) -> Path:
        if entry.source.kind == "pypi":
            return packaged.check_package(entry)
        if entry.id not in built:
            tiny.build(entry.tiny.builder, root / "models" / entry.id, dict(entry.tiny.options))
            built[entry.id] = root / "models" / entry.id
        return built[entry.id]

    counter = iter(range(1_000_000))

    def make_ctx() -> EngineContext:
        scratch = root / f"job-{next(counter)}"
        scratch.mkdir()
        return EngineContext(
            job_id=scratch.name,
            device="cpu",
            scratch_dir=scratch,
            model_set="tiny",
            progress=lambda fraction, stage: None,
            cancelled=lambda: False,
            model_dir=model_dir,
            runtime=runtime,
            fetch_input=lambda url, field: root / "product.png",
            manifest=manifest,
        )

    return make_ctx, manifest


def _cutout_vs_bare(ctx: Any, manifest: Any, rgb: Any, repeats: int) -> tuple[float, float]:
    from apexlocal.engines.cutout import cut_out, u2net
    from apexlocal.models import packaged

    entry = manifest.by_id()["u2netp"]
    session = u2net.load(packaged.check_package(entry), entry)
    feed = {session.get_inputs()[0].name: u2net.model_input(rgb)}
    cut_out(ctx, rgb)  # warm: the engine's own session is made here
    session.run(None, feed)
    cut, bare = [], []
    for _ in range(repeats):  # interleaved, so load changes hit both alike
        started = time.monotonic()
        cut_out(ctx, rgb)
        cut.append(time.monotonic() - started)
        started = time.monotonic()
        session.run(None, feed)
        bare.append(time.monotonic() - started)
    return statistics.median(cut), statistics.median(bare)


if __name__ == "__main__":
    main()
