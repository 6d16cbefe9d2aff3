"""A video job's spec (the API's camelCase keys), checked before any model is touched."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apexlocal.engines.spec_checks import seconds_of, seed_of
from apexlocal.engines.video.styles import STYLES, apply_style
from apexlocal.errors import JobError
from apexlocal.models.manifest import ModelEntry

# Output sizes: 16:9, width rounded to the nearest even number (H.264 in yuv420p needs even sizes).
RESOLUTIONS: dict[str, tuple[int, int]] = {
    "480p": (854, 480),
    "720p": (1280, 720),
    "1080p": (1920, 1080),
}
DEFAULT_RESOLUTION = "720p"
MIN_DURATION_S, MAX_DURATION_S, DEFAULT_DURATION_S = 1, 120, 5
MAX_PROMPT_CHARS = 5000


@dataclass(frozen=True)
class VideoRequest:
    """A validated video job: style folded into the prompts, seed chosen."""

    prompt: str
    negative_prompt: str
    duration_s: float
    resolution: str
    seed: int
    model_name: str  # as requested (an alias such as "wan-2.6"), for the metadata

    @property
    def size(self) -> tuple[int, int]:
        return RESOLUTIONS[self.resolution]

    def frame_count(self, fps: float) -> int:
        """Frames of the whole video: its duration is exactly frame_count / fps."""
        return max(1, round(self.duration_s * fps))


def parse_request(spec: dict[str, Any], model: ModelEntry) -> VideoRequest:
    """Check a text2video / b-roll spec; raises JobError naming the field at fault."""
    style = spec.get("style")
    if style is not None and style not in STYLES:
        raise JobError(f"style: must be one of {', '.join(STYLES)}")
    resolution = spec.get("resolution", DEFAULT_RESOLUTION)
    if resolution not in RESOLUTIONS:
        raise JobError(f"resolution: must be one of {', '.join(RESOLUTIONS)}")
    prompt, negative = apply_style(_prompt(spec), style)
    return VideoRequest(
        prompt=prompt,
        negative_prompt=negative,
        duration_s=seconds_of(spec.get("duration"), MIN_DURATION_S, MAX_DURATION_S, DEFAULT_DURATION_S),
        resolution=resolution,
        seed=seed_of(spec.get("seed")),
        model_name=str(spec.get("model") or model.id),
    )


def _prompt(spec: dict[str, Any]) -> str:
    # text2video calls it `script`, b-roll `prompt`; the engine serves both.
    name = "script" if "script" in spec else "prompt"
    text = spec.get(name)
    if not isinstance(text, str) or not text.strip():
        raise JobError(f"{name}: must be a non-empty string")
    if len(text) > MAX_PROMPT_CHARS:
        raise JobError(f"{name}: must be at most {MAX_PROMPT_CHARS} characters")
    return " ".join(text.split())
