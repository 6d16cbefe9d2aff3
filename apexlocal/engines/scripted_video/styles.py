"""Style presets of the narrated video: wording added to every scene's prompt, and the negative
prompt. The video engine's common negative wording applies to every preset."""

from __future__ import annotations

from apexlocal.engines.video.styles import COMMON_NEGATIVE, Style, apply_style

STYLES: dict[str, Style] = {
    "professional": Style(
        prompt="polished commercial footage, clean modern settings, soft even lighting, steady camera",
        negative=f"{COMMON_NEGATIVE}, cluttered, chaotic, amateur footage, cartoon",
    ),
    "casual": Style(
        prompt="relaxed lifestyle footage, warm natural light, handheld camera, everyday places, authentic",
        negative=f"{COMMON_NEGATIVE}, staged studio look, stiff poses, cartoon",
    ),
    "energetic": Style(
        prompt="dynamic fast-moving shots, vivid saturated colors, bold camera motion, upbeat mood",
        negative=f"{COMMON_NEGATIVE}, static camera, dull colors, slow motion",
    ),
}


def scene_prompt(text: str, style: str | None) -> tuple[str, str]:
    """The prompt and negative prompt of a scene whose narration is `text`."""
    return apply_style(text, style, STYLES)
