"""Wording added to every video scene's prompt by the commercial's tone, and its negative prompt."""

from __future__ import annotations

from apexlocal.engines.scripted_video.styles import STYLES as NARRATED
from apexlocal.engines.video.styles import COMMON_NEGATIVE, Style, apply_style

STYLES: dict[str, Style] = {
    **NARRATED,  # professional, casual, energetic: the narrated video's presets
    "luxury": Style(
        prompt="luxury product commercial, elegant close-ups, rich deep tones, soft rim light, slow graceful camera",
        negative=f"{COMMON_NEGATIVE}, cheap, cluttered, harsh light, cartoon",
    ),
    "funny": Style(
        prompt="playful comedic commercial, bright colors, expressive moments, quirky camera moves",
        negative=f"{COMMON_NEGATIVE}, gloomy, dark, serious mood",
    ),
}


def scene_prompt(visual: str, product: str, tone: str) -> tuple[str, str]:
    """The prompt and negative prompt of a video scene showing `visual` in a commercial for `product`."""
    return apply_style(f"{visual}, featuring {product}, product commercial", tone, STYLES)
