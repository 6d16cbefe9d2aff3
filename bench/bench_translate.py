"""Benchmark of video translation (the `video-translate` engine) on the tiny set, the CPU: wall time
of each stage for a clip of --seconds (60 by default) of English speech (the packaged Piper voice)
over a face (scikit-image's astronaut), translated into Spanish (Apertium, espeak-ng's voice, the
tiny MuseTalk stand-in).

    PYTHONPATH=. python bench/bench_translate.py [--seconds 60] [--size 256x256] [--fps 25]

In this one process, models warm (a first run on a 4 s clip loads Whisper base and MuseTalk and
joins Whisper's packaged parts; it is not counted). Then the clip is translated once, and as the
floor the same clip is decoded and encoded again, frame by frame with its sound (what any engine
that writes every frame pays). Prints each stage's seconds, its share of the run, its real-time
factor (seconds per second of video), and lip-sync + encoding against the floor. The tiny set's
random-weight MuseTalk makes the model's share of the lip-sync small next to the real one's.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

SENTENCES = [
    "Good morning, everyone, and welcome to our city.",
    "Today we walk from the old market to the river.",
    "The children play in the park every day.",
    "Their parents sit in the shade and talk.",
    "On the left you can see the town hall.",
    "It was built more than two hundred years ago.",
    "The bridge over the river is made of stone.",
    "In the summer, boats carry visitors to the island.",
    "The museum opens at ten in the morning.",
    "Many people come here to see the paintings.",
    "After lunch we will visit the botanical garden.",
    "The flowers are very beautiful in the spring.",
    "Please stay together and follow the guide.",
    "Thank you very much, and enjoy your day.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the clip")
    parser.add_argument("--size", default="256x256", help="frame WxH of the clip")
    parser.add_argument("--fps", type=float, default=25.0)
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    assert len(size) == 2

    with tempfile.TemporaryDirectory(prefix="bench-translate-") as tmp:
        root = Path(tmp)
        make_ctx, manifest = _contexts(root)
        warm = _clip(root / "warm.mp4", 4.0, size, args.fps)
        _translate(make_ctx, manifest, warm)
        clip = _clip(root / "clip.mp4", args.seconds, size, args.fps)
        started = time.perf_counter()
        meta = _translate(make_ctx, manifest, clip)
        total = time.perf_counter() - started
        floor = _floor(clip, root / "floor.mp4", size, args.fps)
    duration = meta["durationSeconds"]
    stages = meta["stageSeconds"]
    print(f"{duration:.1f} s clip, {size[0]}x{size[1]} at {args.fps:g} fps, {len(meta['lines'])} lines, en -> es")
    print(f"  {'stage':<11}{'seconds':>9}{'share':>8}{'s per s':>9}")
    for stage, seconds in stages.items():
        print(f"  {stage:<11}{seconds:9.2f}{seconds / total:8.0%}{seconds / duration:9.3f}")
    print(f"  {'total':<11}{total:9.2f}{1:8.0%}{total / duration:9.3f}")
    picture = stages.get("lip-sync", 0.0) + stages.get("encoding", 0.0)
    print(f"  floor (decode + encode of the same clip): {floor:.2f} s; lip-sync + encoding = {picture / floor:.1f}x it")


def _contexts(root: Path) -> tuple[Any, Any]:
    from apexlocal.engines.base import EngineContext
    from apexlocal.engines.runtime import ModelRuntime
    from apexlocal.models.manifest import ModelEntry, load_manifest
    from apexlocal.models.store import ModelStore
    from apexlocal.settings import load_settings

    manifest = load_manifest()
    settings = load_settings(
        environ={}, overrides={"data_dir": root / "data", "models_dir": root / "models", "model_set": "tiny"}
    )
    store, runtime = ModelStore(settings, manifest), ModelRuntime("cpu", budget_bytes=None)

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


def _translate(make_ctx: Any, manifest: Any, clip: Path) -> dict[str, Any]:
    from apexlocal.engines.video_translate.engine import translate_video
    from apexlocal.engines.voice.languages import stock_voice_for

    voice = stock_voice_for(manifest, lambda m: True, "es", model_set="tiny")
    assert voice is not None
    spec = {
        "videoUrl": str(clip),
        "outputLanguage": "es",
        "speechModel": "whisper-base",
        "translationModels": ["apertium"],
        "voiceModel": voice[0].id,
        "voiceId": voice[1],
    }
    lipsync = manifest.default_for("translate")
    return translate_video(spec, lipsync, make_ctx(f"job-{clip.stem}")).metadata


def _clip(out: Path, seconds: float, size: tuple[int, ...], fps: float) -> Path:
    """English sentences, one every few seconds, over the astronaut, for `seconds`."""
    import numpy as np
    from PIL import Image
    from skimage import data

    from apexlocal.engines import compose as c
    from apexlocal.engines.voice.piper_voice import PiperSynthesizer, load_voice
    from apexlocal.models.manifest import load_manifest
    from apexlocal.models.packaged import check_package

    piper = PiperSynthesizer(load_voice(check_package(load_manifest().default_for("voice"))), None)
    rate = piper.sample_rate
    track = np.zeros(int(seconds * rate), np.float32)
    at, i = 0.5, 0
    while True:
        speech = piper.synthesize(SENTENCES[i % len(SENTENCES)], 1.0)
        if at + speech.shape[0] / rate > seconds - 0.5:
            break
        track[int(at * rate) : int(at * rate) + speech.shape[0]] = speech
        at, i = at + speech.shape[0] / rate + 1.2, i + 1
    face = np.asarray(Image.fromarray(data.astronaut()).resize((size[0], size[1])))
    c.compose(
        [c.Segment(c.still(face, seconds))],
        out,
        (size[0], size[1]),
        fps=fps,
        audio_tracks=[c.AudioTrack(c.AudioArray(track, rate), role="effects")],
        audio=c.AudioSettings(loudness_lufs=None, true_peak_db=None, ducking=None),
    )
    return out


def _floor(clip: Path, out: Path, size: tuple[int, ...], fps: float) -> float:
    from apexlocal.engines import compose as c

    started = time.perf_counter()
    c.compose(
        [c.Segment(c.open_video(clip))],
        out,
        (size[0], size[1]),
        fps=fps,
        audio=c.AudioSettings(loudness_lufs=None, true_peak_db=None, ducking=None),
    )
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
