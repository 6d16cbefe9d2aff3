"""A music bed made by ACE-Step 1.5 (diffusers `AceStepPipeline`, 48 kHz stereo), for a GPU.

The prompt follows ACE-Step's documented caption order (genre, mood, instruments, production,
tempo) from the mood, with the tempo and key of the library's tracks of the same mood, and
`[Instrumental]` as lyrics: a bed carries no singing over the narration. The turbo checkpoint is
guidance-distilled: 8 steps, shift 3. The bed is made at the video's length (at least
MIN_SECONDS), so it needs no loop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apexlocal.engines.base import EngineContext
from apexlocal.engines.diffusers_loading import step_end, warm_pipeline
from apexlocal.models.manifest import ModelEntry

STAGE = "music: generating"
MIN_SECONDS = 10.0
SAMPLE_RATE = 48_000
# mood -> (caption, bpm, key): the tempo and key of the library's tracks of that mood.
PROMPTS: dict[str, tuple[str, int, str]] = {
    "calm": ("ambient acoustic, calm, soft piano and warm pads, gentle, spacious mix, instrumental", 70, "C major"),
    "energetic": ("electronic pop, energetic, driving drums, synth bass, bright leads, punchy mix", 140, "D minor"),
    "happy": ("indie pop, happy, upbeat acoustic guitar, claps, light percussion, bright mix", 115, "E major"),
    "nostalgic": ("lo-fi, nostalgic, mellow electric piano, vinyl texture, soft drums, warm mix", 80, "F minor"),
    "tender": ("acoustic ballad, tender, fingerpicked guitar, soft strings, intimate mix", 95, "G major"),
}


def generate_bed(ctx: EngineContext, model: ModelEntry, mood: str, duration_s: float, seed: int, out: Path) -> Path:
    """A WAV of `duration_s` (at least MIN_SECONDS) of `mood` music at `out`."""
    import torch

    caption, bpm, key = PROMPTS[mood]
    pipe, _ = warm_pipeline(model, ctx)
    steps = int(model.defaults.get("steps", 8))
    ctx.progress(0.0, STAGE)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    with torch.inference_mode():
        result = pipe(
            prompt=caption,
            lyrics="[Instrumental]",
            audio_duration=max(float(duration_s), MIN_SECONDS),
            num_inference_steps=steps,
            shift=float(model.defaults.get("shift", 3.0)),
            bpm=bpm,
            keyscale=key,
            timesignature="4",
            generator=generator,
            callback_on_step_end=step_end(steps, _on_step(ctx)),
        )
    audio = result.audios[0].float().cpu().numpy()  # (channels, samples)
    rate = int(getattr(pipe, "sample_rate", SAMPLE_RATE))
    write_stereo_wav(out, audio.T, rate)
    ctx.progress(1.0, STAGE)
    return out


def _on_step(ctx: EngineContext) -> Any:
    def on_step(done: int, total: int) -> None:
        ctx.check_cancelled()
        ctx.progress(done / max(total, 1), STAGE)

    return on_step


def write_stereo_wav(path: Path, samples: Any, rate: int) -> None:
    """16-bit PCM WAV of float samples shaped (n,) or (n, channels)."""
    import wave

    import numpy as np

    array = np.asarray(samples, dtype=np.float32)
    if array.ndim == 1:
        array = array[:, None]
    pcm = (np.clip(array, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(array.shape[1])
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
