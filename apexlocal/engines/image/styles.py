"""Style presets of the image endpoint: wording added to the prompt, and to the negative prompt
where the model takes one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    prompt: str  # appended to the user's prompt
    negative: str  # joined to the user's negative prompt


STYLES: dict[str, Style] = {
    "photorealistic": Style(
        prompt="photorealistic photograph, natural lighting, sharp focus, realistic detail",
        negative="illustration, painting, cartoon, 3d render, cgi, drawing",
    ),
    "illustration": Style(
        prompt="digital illustration, clean linework, rich colors, artistic",
        negative="photograph, photorealistic, 3d render",
    ),
    "3d": Style(
        prompt="3d render, octane render, soft global illumination, detailed materials",
        negative="photograph, flat illustration, sketch, 2d",
    ),
    "flat": Style(
        prompt="flat design, vector art, simple shapes, solid colors, minimal",
        negative="photograph, photorealistic, 3d render, gradients, texture",
    ),
}


def apply_style(prompt: str, negative: str | None, style: str | None) -> tuple[str, str | None]:
    """The prompt and negative prompt with the preset's wording added; unchanged for no style."""
    if style is None:
        return prompt, negative
    preset = STYLES[style]
    styled_negative = f"{negative}, {preset.negative}" if negative else preset.negative
    return f"{prompt}, {preset.prompt}", styled_negative
