"""Benchmark of the lip-sync engine (MuseTalk's tiny stand-ins, the CPU): frames per second of
render_talking_head against the floor, plain decode-and-encode of the same frames.

    PYTHONPATH=. python bench/bench_lipsync.py [--seconds 4] [--size 854x480] [--repeats 3]

In this one process, models warm (a first run loads them and is not counted):
  lip-sync   render_talking_head: a still photo (scikit-image's astronaut) placed in the frame,
             speech (a tone of --seconds), MuseTalk per frame (audio windows, UNet, VAE decode),
             paste back, blinks and head motion, H.264 + AAC encode
  model      the model's share alone: face_latents once, then generate() over the same frames
  floor      the lip-sync's output decoded and encoded again, frame by frame, with the same
             sound, size, rate and encoder settings: what any frame-by-frame engine pays
Prints medians, frames per second and the ratios lip-sync / floor and model / lip-sync. The tiny
set's random weights make the model's share small next to the real MuseTalk's (a 0.86B UNet and
sd-vae-ft-mse at 256x256): these figures measure the engine around the model. Nothing is asserted.

Then EchoMimicV3 Flash (render_echomimic, its tiny stand-ins: 8 steps x 2 passes of a 2-layer
transformer per 33-frame clip at 32x32, the Wan VAE, wav2vec2, CLIP; paste back; encode) against
its own floor, interleaved run by run. Random weights at 32x32: the real model (1.3B, up to 768x768,
81-frame clips) is orders of magnitude slower; nothing here ran on real weights or a GPU.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="speech length")
    parser.add_argument("--size", default="854x480", help="output WxH")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ctx, model = _context(root)
        photo, speech = _inputs(root, args.seconds)
        _lipsync(ctx, model, photo, speech, root / "warm.mp4", (width, height))  # loads the models
        lip = [_lipsync(ctx, model, photo, speech, root / f"out{i}.mp4", (width, height)) for i in range(args.repeats)]
        frames = lip[0][1]
        floor = [_floor(root / "out0.mp4", speech, root / f"floor{i}.mp4") for i in range(args.repeats)]
        model_only = [_model_only(ctx, model, photo, speech, (width, height), frames) for _ in range(args.repeats)]
        echo_model = ctx.manifest.by_id()["echomimic-v3-flash"]
        _echomimic(ctx, echo_model, photo, speech, root / "echo-warm.mp4", (width, height))  # loads the models
        echo, echo_floor = [], []
        for i in range(args.repeats):  # interleaved with its floor
            echo.append(_echomimic(ctx, echo_model, photo, speech, root / f"echo{i}.mp4", (width, height)))
            echo_floor.append(_floor(root / "echo0.mp4", speech, root / f"echo-floor{i}.mp4"))
    lip_s = statistics.median(t for t, _ in lip)
    floor_s, model_s = statistics.median(floor), statistics.median(model_only)
    print(f"{frames} frames of {width}x{height} at 25 fps ({args.seconds:g} s of speech), median of {args.repeats}")
    print(f"  lip-sync  {lip_s:7.2f} s  {frames / lip_s:7.1f} fps")
    print(f"  model     {model_s:7.2f} s  {frames / model_s:7.1f} fps  ({model_s / lip_s:.0%} of the lip-sync's time)")
    print(f"  floor     {floor_s:7.2f} s  {frames / floor_s:7.1f} fps  (decode + encode)")
    print(f"  lip-sync runs at {floor_s / lip_s:.2f}x the floor's frame rate ({lip_s / floor_s:.1f}x its time)")
    echo_s, echo_floor_s = statistics.median(t for t, _ in echo), statistics.median(echo_floor)
    echo_frames = echo[0][1]
    print(f"EchoMimicV3 Flash (tiny stand-ins, {echo_frames} frames, floor interleaved)")
    print(f"  echomimic {echo_s:7.2f} s  {echo_frames / echo_s:7.1f} fps")
    print(f"  floor     {echo_floor_s:7.2f} s  {echo_frames / echo_floor_s:7.1f} fps  (decode + encode)")
    ratio = echo_floor_s / echo_s
    print(f"  echomimic runs at {ratio:.2f}x the floor's frame rate ({1 / ratio:.1f}x its time)")


def _context(root: Path) -> tuple[Any, Any]:
    from apexlocal.engines.base import EngineContext
    from apexlocal.engines.runtime import ModelRuntime
    from apexlocal.models import tiny
    from apexlocal.models.manifest import load_manifest

    manifest = load_manifest()
    built: dict[str, Path] = {}

    def model_dir(entry: Any) -> Path:
        if entry.id not in built:
            tiny.build(entry.tiny.builder, root / "models" / entry.id, dict(entry.tiny.options))
            built[entry.id] = root / "models" / entry.id
        return built[entry.id]

    scratch = root / "job"
    scratch.mkdir()
    ctx = EngineContext(
        job_id="bench",
        device="cpu",
        scratch_dir=scratch,
        model_set="tiny",
        progress=lambda fraction, stage: None,
        cancelled=lambda: False,
        model_dir=model_dir,
        runtime=ModelRuntime("cpu"),
        manifest=manifest,
    )
    return ctx, manifest.by_id()["musetalk-1.5"]


def _inputs(root: Path, seconds: float) -> tuple[Path, Path]:
    import numpy as np
    import skimage.data
    from PIL import Image

    from apexlocal.engines.voice.audio import write_wav

    photo = root / "astronaut.png"
    Image.fromarray(skimage.data.astronaut()).save(photo)
    t = np.arange(int(seconds * 16_000)) / 16_000
    speech = root / "speech.wav"
    syllables = (1 + np.sin(2 * np.pi * 3 * t)) / 2  # a 220 Hz tone, loud and soft three times a second
    write_wav(speech, (0.3 * np.sin(2 * np.pi * 220 * t) * syllables).astype(np.float32), 16_000)
    return photo, speech


def _lipsync(ctx: Any, model: Any, photo: Path, speech: Path, out: Path, size: tuple[int, int]) -> tuple[float, int]:
    from apexlocal.engines.talking_head.render import render_talking_head

    started = time.perf_counter()
    head = render_talking_head(ctx, model, photo, speech, out, size)
    return time.perf_counter() - started, head.frames


def _echomimic(ctx: Any, model: Any, photo: Path, speech: Path, out: Path, size: tuple[int, int]) -> tuple[float, int]:
    from apexlocal.engines.echomimic.render import render_echomimic

    started = time.perf_counter()
    head = render_echomimic(ctx, model, photo, speech, out, size)
    return time.perf_counter() - started, head.frames


def _floor(video: Path, speech: Path, out: Path) -> float:
    from apexlocal.engines import compose as c

    started = time.perf_counter()
    clip = c.open_video(video, audio=False)
    c.compose(
        [c.Segment(clip)],
        out,
        (clip.width, clip.height),
        fps=clip.fps,
        audio_tracks=[c.AudioTrack(c.AudioFile(speech), role="narration")],
    )
    return time.perf_counter() - started


def _model_only(ctx: Any, model: Any, photo: Path, speech: Path, size: tuple[int, int], frames: int) -> float:
    import numpy as np

    from apexlocal.engines.faces import find_faces
    from apexlocal.engines.speech_to_text.decode import decode_audio
    from apexlocal.engines.talking_head.geometry import mouth_region
    from apexlocal.engines.talking_head.musetalk import CROP, load_musetalk
    from apexlocal.engines.talking_head.placement import place_photo
    from apexlocal.engines.talking_head.source import read_picture

    picture = read_picture(photo)
    assert picture is not None
    canvas = place_photo(picture, size)
    musetalk = load_musetalk(model, ctx)
    started = time.perf_counter()
    features = musetalk.speech_features(decode_audio(speech), 25.0)
    region = mouth_region(find_faces(canvas)[0], size)
    latents = musetalk.face_latents(np.ascontiguousarray(region.cut(canvas, CROP)[None]))
    for start in range(0, frames, musetalk.batch_size):
        batch = range(start, min(frames, start + musetalk.batch_size))
        musetalk.generate(latents.expand(len(batch), -1, -1, -1), features.windows(batch))
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
