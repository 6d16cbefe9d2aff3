"""A commercial job's spec (the API's camelCase keys), checked before any model is touched.

Besides the request's fields, the spec carries what was decided at submit: `voiceModel` (the
manifest id of the voice), `clonedVoice` for a cloned voice, `musicModel` (the manifest's music
model), `musicMood` as one of the library's moods, and `brandProfile` (a snapshot of the brand
profile named by `brandProfileId`), when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apexlocal.engines.music.moods import canonical_mood, mood_error
from apexlocal.engines.spec_checks import seed_of
from apexlocal.errors import JobError
from apexlocal.models.manifest import ModelEntry

# platform -> (aspect, frame): 9:16 for the vertical feeds, 16:9 for YouTube and TV.
PLATFORMS: dict[str, tuple[str, tuple[int, int]]] = {
    "tiktok": ("9:16", (1080, 1920)),
    "instagram": ("9:16", (1080, 1920)),
    "youtube": ("16:9", (1920, 1080)),
    "tv": ("16:9", (1920, 1080)),
}
DURATIONS = (15, 30, 60)
TONES = ("professional", "energetic", "casual", "luxury", "funny")
# A commercial without musicMood gets the mood of its tone.
TONE_MOODS = {"professional": "calm", "energetic": "energetic", "casual": "happy", "luxury": "tender", "funny": "happy"}
MAX_PRODUCT_CHARS = 500
MAX_PRODUCT_IMAGES = 8


@dataclass(frozen=True)
class CommercialRequest:
    product: str
    platform: str
    duration: int
    tone: str
    target_audience: str | None
    spokesperson_image: str | None
    product_images: tuple[str, ...]
    music_mood: str  # one of the library's moods
    music_model: str | None  # manifest id; None: the manifest's default
    seed: int
    model_name: str  # the video model as requested
    voice_model: str | None
    voice_spec: dict[str, Any] = field(default_factory=dict)
    brand: dict[str, Any] | None = None

    @property
    def aspect(self) -> str:
        return PLATFORMS[self.platform][0]

    @property
    def frame(self) -> tuple[int, int]:
        return PLATFORMS[self.platform][1]


def parse_request(spec: dict[str, Any], model: ModelEntry) -> CommercialRequest:
    """Raises JobError naming the field at fault."""
    product = _text(spec, "product", MAX_PRODUCT_CHARS, required=True)
    assert product is not None
    platform = _choice(spec, "platform", tuple(PLATFORMS))
    duration = spec.get("duration")
    if isinstance(duration, bool) or duration not in DURATIONS:
        raise JobError(f"duration: must be one of {', '.join(map(str, DURATIONS))} seconds")
    tone = _choice(spec, "tone", TONES)
    images = spec.get("productImages") or []
    if not isinstance(images, list) or len(images) > MAX_PRODUCT_IMAGES or not all(isinstance(u, str) for u in images):
        raise JobError(f"productImages: must be a list of at most {MAX_PRODUCT_IMAGES} URLs")
    brand = spec.get("brandProfile")
    return CommercialRequest(
        product=product,
        platform=platform,
        duration=int(duration),
        tone=tone,
        target_audience=_text(spec, "targetAudience", 500),
        spokesperson_image=_text(spec, "spokespersonImage", 4096),
        product_images=tuple(images),
        music_mood=_mood(spec, tone),
        music_model=_text(spec, "musicModel", 100),
        seed=seed_of(spec.get("seed")),
        model_name=str(spec.get("videoModel") or model.id),
        voice_model=_text(spec, "voiceModel", 100),
        voice_spec=_voice_spec(spec),
        brand=brand if isinstance(brand, dict) else None,
    )


def _text(spec: dict[str, Any], name: str, limit: int, required: bool = False) -> str | None:
    value = spec.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise JobError(f"{name}: must be a non-empty string")
    if len(value) > limit:
        raise JobError(f"{name}: must be at most {limit} characters")
    return " ".join(value.split())


def _choice(spec: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = spec.get(name)
    if value not in allowed:
        raise JobError(f"{name}: must be one of {', '.join(allowed)}")
    return str(value)


def _mood(spec: dict[str, Any], tone: str) -> str:
    mood = spec.get("musicMood")
    if mood is None:
        return TONE_MOODS[tone]
    canonical = canonical_mood(mood) if isinstance(mood, str) else None
    if canonical is None:
        raise JobError(mood_error("musicMood", str(mood)) or "musicMood: unknown mood")
    return canonical


def _voice_spec(spec: dict[str, Any]) -> dict[str, Any]:
    voice_id = spec.get("voiceId")
    out: dict[str, Any] = {"voiceId": None if voice_id in (None, "default") else str(voice_id)}
    if isinstance(spec.get("clonedVoice"), dict):
        out["clonedVoice"] = spec["clonedVoice"]
    return out
