"""Style presets of the text-to-video endpoint: wording added to the prompt, and to the negative
prompt, which every supported video pipeline takes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    prompt: str  # appended to the user's prompt
    negative: str  # the negative prompt


# Artefacts video models fall into whatever the style; every preset steers away from them.
COMMON_NEGATIVE = "blurry, low quality, jpeg artifacts, watermark, subtitles, static, frozen frame"

STYLES: dict[str, Style] = {
    "cinematic": Style(
        prompt="cinematic shot, dramatic lighting, shallow depth of field, anamorphic lens, film grain",
        negative=f"{COMMON_NEGATIVE}, amateur footage, flat lighting, cartoon",
    ),
    "documentary": Style(
        prompt="documentary footage, natural light, handheld camera, realistic, observational",
        negative=f"{COMMON_NEGATIVE}, cartoon, stylized, cgi, oversaturated",
    ),
    "animation": Style(
        prompt="animated film, vibrant colors, clean shapes, smooth character animation",
        negative=f"{COMMON_NEGATIVE}, photorealistic, live action footage",
    ),
    "aerial": Style(
        prompt="aerial drone shot, wide establishing view from high above, smooth gliding camera",
        negative=f"{COMMON_NEGATIVE}, ground level shot, close-up, shaky camera",
    ),
}


def apply_style(prompt: str, style: str | None, presets: dict[str, Style] | None = None) -> tuple[str, str]:
    """The prompt with the preset's wording, and the negative prompt (the common one for no style).
    `presets` defaults to the text-to-video ones."""
    if style is None:
        return prompt, COMMON_NEGATIVE
    preset = (presets or STYLES)[style]
    return f"{prompt}, {preset.prompt}", preset.negative
