"""Benchmark of loading the tiny set's writer (the packaged SmolLM2-135M-Instruct GGUF): from the
GGUF, which transformers dequantizes on every load, against the converted folder (safetensors +
tokenizer) that the first load leaves in the cache.

    PYTHONPATH=. python bench/bench_writer_load.py [--reps 3]

In one run, interleaved: the GGUF load (no cache), then the first cached load (it converts and
writes the folder) once, then the load from the folder. Medians of `--reps`; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from apexlocal.engines.writer.loading import load_model
from apexlocal.models.manifest import load_manifest
from apexlocal.models.packaged import check_package


def timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    entry = load_manifest().resolve("smollm2-135m-instruct")
    assert entry is not None
    model_dir = check_package(entry)
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        convert = timed(lambda: load_model(entry, model_dir, "cpu", cache))
        gguf, folder = [], []
        for _ in range(args.reps):
            gguf.append(timed(lambda: load_model(entry, model_dir, "cpu", None)))
            folder.append(timed(lambda: load_model(entry, model_dir, "cpu", cache)))
    g, f = statistics.median(gguf), statistics.median(folder)

    def runs(values: list[float]) -> str:
        return ", ".join(f"{x:.2f}" for x in values)

    print(f"first cached load (converts and writes the folder): {convert:.2f} s")
    print(f"load from the GGUF (every process before):          {g:.2f} s  (runs: {runs(gguf)})")
    print(f"load from the converted folder:                     {f:.2f} s  (runs: {runs(folder)})")
    print(f"speed-up: {g / f:.1f}x")


if __name__ == "__main__":
    main()
