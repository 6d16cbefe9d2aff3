"""Benchmark of the voice agent's turn: from the caller's speech ending to the agent's first
audio queued on the line, over N turns of a real conversation loop on the CPU with the small
models (Silero VAD, Whisper tiny.en, Piper, and the writer), split into VAD (the detector's quiet
hangover), speech to text, language model (to its first sentence) and speech (the first
sentence); then the same with an instant stand-in answer, the floor of the pipeline's own overhead.
Each is run twice in the same process: speech to text once the turn ends (before), and while the
caller speaks (the turn so far transcribed at its pauses; after), with the ratio after/before.

    PYTHONPATH=. python bench/bench_turns.py [--turns 20] [--writer stand-in]

The caller is Piper speech fed in real time at 8 kHz (a G.711 line's rate), a question per turn.
Prints p50/p95 per stage measured in this one run; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

QUESTIONS = [
    "What time do you open tomorrow?",
    "Do you have any bread left today?",
    "Can I order a birthday cake for Saturday?",
    "How much is a loaf of rye bread?",
    "Is there parking near the shop?",
]


def context() -> Any:
    from apexlocal.engines.base import EngineContext
    from apexlocal.engines.runtime import ModelRuntime
    from apexlocal.models.manifest import load_manifest
    from apexlocal.models.packaged import check_package

    return EngineContext(
        "bench-turns",
        "cpu",
        Path(tempfile.mkdtemp(prefix="bench-turns-")),
        "tiny",
        lambda f, s: None,
        lambda: False,
        check_package,
        ModelRuntime("cpu"),
        manifest=load_manifest(),
    )


def brain(ctx: Any, writer: Any) -> Any:
    from apexlocal.telephony.conversation import Brain
    from apexlocal.telephony.speech import load_ears, load_vad, load_voice

    manifest = ctx.manifest
    voice = load_voice(ctx, manifest.default_for("voice"), {"voiceId": None, "speed": 1.0, "language": "en"})
    ears = load_ears(ctx, manifest.default_for("speech-to-text"), "en")
    return Brain(ears, voice, load_vad(ctx), writer)


def converse(the_brain: Any, turns: int, while_speaking: bool = True) -> list[Any]:
    """A loop over a line whose caller asks a question each time the agent has finished talking."""
    import numpy as np

    from apexlocal.engines.speech_to_text.whisper import resample
    from apexlocal.telephony.audio import CallAudio
    from apexlocal.telephony.conversation import AgentPlan, Conversation, Hooks

    rate = 8000
    line = CallAudio(rate)
    questions = [resample(the_brain.voice.speak(q), the_brain.voice.rate, rate) for q in QUESTIONS]
    plan = AgentPlan("You answer calls for a bakery. Answer in one short sentence.", "Hello.", None, 3600)
    done = threading.Event()
    hooks = Hooks(lambda n: True, lambda: "api" if done.is_set() else None)
    convo = Conversation(line, plan, the_brain, hooks, hear_while_speaking=while_speaking)

    def pacer() -> None:
        deadline = time.monotonic()
        while not done.is_set():
            line.next_frame(160)
            deadline += 0.02
            time.sleep(max(0.0, deadline - time.monotonic()))

    def caller() -> None:
        silence = np.zeros(160, np.float32)
        asked = 0
        while asked < turns and not done.is_set():
            if line.playing or convo._busy.is_set() or asked > len(convo.timings):
                line.feed(silence)
                time.sleep(0.02)
                continue
            for i in range(0, len(questions[asked % len(questions)]), 160):
                line.feed(questions[asked % len(questions)][i : i + 160])
                time.sleep(0.02)
            asked += 1
        while len(convo.timings) < turns and not done.is_set():
            line.feed(silence)
            time.sleep(0.02)
        done.set()

    threads = [threading.Thread(target=f, daemon=True) for f in (pacer, caller)]
    for t in threads:
        t.start()
    convo.run()
    done.set()
    return convo.timings


def percentiles(timings: list[Any], stage: str) -> tuple[float, float]:
    values = sorted(getattr(t, stage) * 1000 for t in timings)
    if not values:
        return 0.0, 0.0
    return statistics.median(values), values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def report(label: str, timings: list[Any]) -> None:
    print(f"{label}: {len(timings)} turns")
    for stage in ("vad", "stt", "llm", "tts", "total"):
        p50, p95 = percentiles(timings, stage)
        print(f"  {stage:5s} p50 {p50:7.0f} ms   p95 {p95:7.0f} ms")


def compare(label: str, before: list[Any], after: list[Any]) -> None:
    """Speech to text once the turn ends (before) against while the caller speaks (after)."""
    for stage in ("stt", "total"):
        (b50, b95), (a50, a95) = percentiles(before, stage), percentiles(after, stage)
        print(f"{label} {stage}: after/before p50 {a50 / max(b50, 1e-9):.2f}, p95 {a95 / max(b95, 1e-9):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--writer", choices=["writer", "stand-in"], default="writer")
    args = parser.parse_args()
    from apexlocal.telephony.standin import StandInWriter

    ctx = context()
    writers = [("stand-in answer (floor)", StandInWriter())]
    if args.writer == "writer":
        try:
            from apexlocal.engines.writer import open_writer  # type: ignore[import-not-found,unused-ignore]

            writers.insert(0, ("writer " + (w := open_writer(ctx)).model_id, w))
        except ImportError:
            print("the writer engine (apexlocal.engines.writer) is not installed: stand-in only")
    for label, writer in writers:
        the_brain = brain(ctx, writer)
        before = converse(the_brain, args.turns, while_speaking=False)
        report(label + ", speech to text once the turn ends", before)
        after = converse(the_brain, args.turns, while_speaking=True)
        report(label + ", speech to text while the caller speaks", after)
        compare(label, before, after)


if __name__ == "__main__":
    main()
