"""Benchmark of a commercial (the `commercial` engine) on the tiny set, the CPU: wall time of each
stage (writer, voice, spokesperson, music, scenes, composition) of the acceptance case: "a reusable
steel water bottle", tiktok (1080x1920), 15 s, energetic, written by the embedded SmolLM2-135M,
spoken by the packaged Piper voice, scored from the packaged music library, pictured by the tiny
Wan2.2 stand-in (and with --images N, N generated product photos).

    PYTHONPATH=. python bench/bench_commercial.py [--platform tiktok] [--duration 15] [--images 0] [--runs 1]

In this one process, models warm: a first commercial loads the writer, the voice and the video
model and builds the tiny stand-in; it is not counted. Then --runs commercials are timed, and as
the floor the same timeline is composed from a still picture with the same narration-length sound
and captions (what any engine that writes every frame of that size pays). Prints each stage's
seconds (the median over the runs), its share, and the composition against the floor. The tiny
video model's random weights make its share of the scenes smaller than a real model's. Nothing is
asserted.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

PRODUCT = "a reusable steel water bottle"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", default="tiktok", choices=("tiktok", "instagram", "youtube", "tv"))
    parser.add_argument("--duration", type=int, default=15, choices=(15, 30, 60))
    parser.add_argument("--images", type=int, default=0, help="product photos to show")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-commercial-") as tmp:
        root = Path(tmp)
        make_ctx, manifest = _contexts(root)
        spec = {
            "product": PRODUCT,
            "platform": args.platform,
            "duration": args.duration,
            "tone": "energetic",
        }
        spec["productImages"] = [str(_photo(root / f"photo-{i}.png", i)) for i in range(args.images)]
        started = time.perf_counter()
        _commercial(make_ctx, manifest, {**spec, "seed": 1}, "warm")
        warm = time.perf_counter() - started
        runs = []
        for i in range(args.runs):
            started = time.perf_counter()
            meta = _commercial(make_ctx, manifest, {**spec, "seed": 100 + i}, f"run-{i}")
            runs.append((time.perf_counter() - started, meta))
        floor = _floor(root / "floor.mp4", meta)
    total = statistics.median(t for t, _ in runs)
    stages = {name: statistics.median(m["stageSeconds"].get(name, 0.0) for _, m in runs) for name in _names(runs)}
    print(
        f"{meta['duration']} s {meta['platform']} commercial, {meta['width']}x{meta['height']} at {meta['fps']:g} fps, "
        f"{len(meta['sceneClips'])} parts ({', '.join(c['source'] for c in meta['sceneClips'])}), "
        f"writer {meta['writerModel']}, {args.runs} run(s) after a warm-up of {warm:.1f} s"
    )
    print(f"  {'stage':<13}{'seconds':>9}{'share':>8}")
    for stage, seconds in stages.items():
        print(f"  {stage:<13}{seconds:9.2f}{seconds / total:8.0%}")
    print(f"  {'total':<13}{total:9.2f}{1:8.0%}")
    composition = stages.get("composition", 0.0)
    print(f"  floor (the same frames from a still, same sound and captions): {floor:.2f} s; "
          f"composition = {composition / floor:.2f}x it")  # fmt: skip


def _names(runs: list[tuple[float, dict[str, Any]]]) -> list[str]:
    names: list[str] = []
    for _, meta in runs:
        names += [n for n in meta["stageSeconds"] if n not in names]
    return names


def _contexts(root: Path) -> tuple[Any, Any]:
    from apexlocal.engines.base import EngineContext
    from apexlocal.engines.runtime import ModelRuntime
    from apexlocal.models.manifest import ModelEntry, load_manifest
    from apexlocal.models.store import ModelStore
    from apexlocal.settings import load_settings

    manifest = load_manifest()
    settings = load_settings(
        environ={},
        overrides={
            "data_dir": root / "data",
            "models_dir": root / "models",
            "model_set": "tiny",
        },
    )
    store, runtime = (
        ModelStore(settings, manifest),
        ModelRuntime("cpu", budget_bytes=None),
    )

    def model_dir(entry: ModelEntry) -> Path:
        return store.path(entry) if store.is_installed(entry) else store.pull(entry)

    def make(name: str) -> EngineContext:
        scratch = root / name
        scratch.mkdir()

        def fetch(url: str, _field: str) -> Path:
            return Path(shutil.copy(url, scratch / Path(url).name))

        return EngineContext(
            name, "cpu", scratch, "tiny", lambda f, s: None, lambda: False, model_dir, runtime,
            fetch_input=fetch, manifest=manifest,
        )  # fmt: skip

    return make, manifest


def _commercial(make_ctx: Any, manifest: Any, spec: dict[str, Any], name: str) -> dict[str, Any]:
    from apexlocal.engines.commercial.engine import make_commercial

    return make_commercial(spec, manifest.default_for("video"), make_ctx(name)).metadata


def _photo(out: Path, i: int) -> Path:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(i)
    Image.fromarray(rng.integers(0, 255, (720, 720, 3), dtype=np.uint8)).save(out)
    return out


def _floor(out: Path, meta: dict[str, Any]) -> float:
    """Composing the commercial's frame count from one still picture, with a tone as long as the
    narration under the same captions: encoding, fitting and drawing, no model."""
    import numpy as np

    from apexlocal.engines import compose as c

    size, fps, duration = (
        (meta["width"], meta["height"]),
        meta["fps"],
        float(meta["duration"]),
    )
    rate = 22_050
    t = np.arange(int(duration * rate)) / rate
    tone = (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    words = [
        (w, i * 0.4, i * 0.4 + 0.35)
        for i, w in enumerate(" ".join(c_["voiceover"] for c_ in meta["sceneClips"]).split())
    ]
    picture = np.full((size[1] // 10, size[0] // 10, 3), 90, np.uint8)
    started = time.perf_counter()
    c.compose(
        [c.Segment(c.still(picture, duration, fps=fps), duration=duration)],
        out,
        size,
        fps=fps,
        audio_tracks=[c.AudioTrack(c.AudioArray(tone, rate), role="narration")],
        captions=[w for w in words if w[2] < duration],
    )
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
