"""A photoshoot job's spec, checked again in the engine (the API checked it first): a job may come
from an old row or another worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apexlocal.engines.photoshoot.scenes import ANGLE, ANGLES, BACKGROUNDS, LIGHTINGS
from apexlocal.engines.spec_checks import seed_of
from apexlocal.errors import JobError
from apexlocal.models.manifest import ModelEntry

MAX_COUNT = 4
MAX_CUSTOM = 500  # characters of customBackground


@dataclass(frozen=True)
class PhotoshootRequest:
    product_url: str
    background: str
    custom: str | None
    angle: str
    lighting: str
    count: int
    seed: int  # the first shot's; shot i uses seed + i
    model_name: str


def _choice(spec: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = spec.get(name)
    if value not in allowed:
        raise JobError(f"{name}: must be one of {', '.join(allowed)}")
    return str(value)


def parse_request(spec: dict[str, Any], model: ModelEntry) -> PhotoshootRequest:
    url = spec.get("productImage")
    if not isinstance(url, str) or not url:
        raise JobError("productImage: must be a URL")
    background = _choice(spec, "background", BACKGROUNDS)
    custom = spec.get("customBackground")
    if background == "custom" and (not isinstance(custom, str) or not custom.strip()):
        raise JobError("customBackground: required when background is custom")
    if custom is not None and (not isinstance(custom, str) or len(custom) > MAX_CUSTOM):
        raise JobError(f"customBackground: must be a description of at most {MAX_CUSTOM} characters")
    angle = _choice(spec, "angle", tuple(ANGLES))
    if ANGLE[angle].new_view and model.reference_images == 0:
        raise JobError(
            f"angle: {angle} needs a new view of the product, which only models that take reference images make"
        )
    count = spec.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise JobError(f"count: must be an integer from 1 to {MAX_COUNT}")
    return PhotoshootRequest(
        product_url=url,
        background=background,
        custom=custom.strip() if isinstance(custom, str) else None,
        angle=angle,
        lighting=_choice(spec, "lighting", LIGHTINGS),
        count=count,
        seed=seed_of(spec.get("seed")),
        model_name=str(spec.get("model") or model.id),
    )
