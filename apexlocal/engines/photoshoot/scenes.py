"""What each request choice means: the scene's wording for the image model, where the product
stands, and how its shadows fall."""

from __future__ import annotations

from dataclasses import dataclass

BACKGROUNDS = ("studio-white", "lifestyle", "outdoor", "flat-lay", "custom")
ANGLES = ("front", "hero", "45-degree", "top-down", "lifestyle")
LIGHTINGS = ("studio", "natural", "dramatic", "soft", "golden-hour")


@dataclass(frozen=True)
class Background:
    words: str
    shadow: str  # "reflection": contact shadow and a mirror image; "drop": contact and cast shadow


@dataclass(frozen=True)
class Angle:
    words: str
    height: float  # the product's height as a share of the canvas
    center_x: float  # where its middle stands, as a share of the canvas width
    base_y: float  # where its bottom stands, as a share of the canvas height
    new_view: bool  # the photo does not show the product from here: the editing model renders it


@dataclass(frozen=True)
class Lighting:
    words: str
    shadow_strength: float  # how dark the contact and cast shadows are, 0..1
    shadow_blur: float  # their softness, as a share of the product's height
    cast: tuple[float, float]  # where the cast shadow falls, as a share of the product's height (x, y)


BACKGROUND: dict[str, Background] = {
    "studio-white": Background("on a seamless white studio sweep with a glossy white floor", "reflection"),
    "lifestyle": Background("in a lived-in home interior, on a wooden tabletop, shallow depth of field", "drop"),
    "outdoor": Background("outdoors in natural surroundings, on a stone ledge, soft bokeh background", "drop"),
    "flat-lay": Background("flat lay on a textured surface with a few complementary props around it", "drop"),
    "custom": Background("", "drop"),
}

ANGLE: dict[str, Angle] = {
    "front": Angle("straight-on front view at eye level", 0.6, 0.5, 0.82, False),
    "hero": Angle("low hero angle, the product large and imposing in frame", 0.74, 0.5, 0.9, False),
    "45-degree": Angle("three-quarter view turned 45 degrees", 0.6, 0.5, 0.82, True),
    "top-down": Angle("seen from directly above, top-down view", 0.6, 0.5, 0.8, True),
    "lifestyle": Angle("in context, off-centre in a wider lifestyle composition", 0.42, 0.62, 0.84, False),
}

LIGHTING: dict[str, Lighting] = {
    "studio": Lighting("even professional studio lighting, softboxes", 0.45, 0.05, (0.08, 0.02)),
    "natural": Lighting("natural window daylight", 0.35, 0.07, (0.15, 0.03)),
    "dramatic": Lighting("dramatic low-key lighting, strong key light, deep shadows", 0.7, 0.02, (0.3, 0.04)),
    "soft": Lighting("soft diffused light, gentle shadows", 0.25, 0.1, (0.05, 0.02)),
    "golden-hour": Lighting("warm golden-hour sunlight, long shadows", 0.5, 0.04, (0.45, 0.05)),
}


def scene_prompt(background: str, custom: str | None, angle: str, lighting: str) -> str:
    """The image model's prompt for one shot."""
    where = custom.strip() if background == "custom" and custom else BACKGROUND[background].words
    view = ANGLE[angle]
    keep = (
        "the product from the reference image, rendered from this new viewpoint with the same shape, label, "
        "logo and colours"
        if view.new_view
        else "the product from the reference image, unchanged, same position and size"
    )
    return (
        f"Professional commercial product photograph: {keep}, {view.words}, {where}, "
        f"{LIGHTING[lighting].words}, high detail, sharp focus"
    )


NEGATIVE = "distorted product, altered label, extra objects in front of the product, text artifacts, blurry"
