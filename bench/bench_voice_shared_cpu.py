"""Benchmark of the Piper voice's onnxruntime options on a shared CPU: the same text spoken with
apexlocal's options (`piper_voice.session_options`: threads that sleep while they wait) and with
onnxruntime's defaults (threads that spin), on an idle machine and then beside a busy loop on
another core (as the API, another job or another program would be). Interleaved, medians.

    PYTHONPATH=. python bench/bench_voice_shared_cpu.py [--rounds 3] [--chars 900]

Prints seconds of wall and CPU time per run and the ratios; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from typing import Any

TEXT = "The harbor wakes before the town, and the boats go out in the grey light of the morning. "


def _speak(voice: Any, text: str) -> tuple[float, float]:
    from apexlocal.engines.voice.piper_voice import PiperSynthesizer

    synthesizer = PiperSynthesizer(voice, None)
    synthesizer.synthesize("Warm up.", 1.0)
    wall, cpu = time.perf_counter(), time.process_time()
    synthesizer.synthesize(text, 1.0)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chars", type=int, default=900)
    args = parser.parse_args()

    import onnxruntime

    from apexlocal.engines.voice.piper_voice import load_voice, session_options, voice_files, with_alignments
    from apexlocal.models.manifest import load_manifest
    from apexlocal.models.packaged import check_package

    model_dir = check_package(load_manifest().default_for("voice"))
    voice = load_voice(model_dir)
    model = with_alignments(voice_files(model_dir)[0])
    sessions = {
        "apexlocal": voice.session,
        "defaults": onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"]),
    }
    assert session_options().get_session_config_entry("session.intra_op.allow_spinning") == "0"
    text = (TEXT * (args.chars // len(TEXT) + 1))[: args.chars]
    for machine in ("idle", "busy"):
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if machine == "busy" else None
        try:
            runs: dict[str, list[tuple[float, float]]] = {name: [] for name in sessions}
            for _ in range(args.rounds):
                for name, session in sessions.items():
                    voice.session = session
                    runs[name].append(_speak(voice, text))
        finally:
            if hog is not None:
                hog.kill()
        medians = {name: [statistics.median(r[i] for r in rs) for i in (0, 1)] for name, rs in runs.items()}
        for name, (wall, cpu) in medians.items():
            print(f"{machine:5s} {name:10s} wall {wall:6.2f} s  cpu {cpu:6.2f} s")
        ours, theirs = medians["apexlocal"], medians["defaults"]
        print(f"{machine:5s} apexlocal / defaults: wall {ours[0] / theirs[0]:.2f}, cpu {ours[1] / theirs[1]:.2f}")


if __name__ == "__main__":
    main()
