"""A narrated video job's spec (the API's camelCase keys), checked before any model is touched.

Besides the request's own fields, the spec carries what was decided when the job was submitted:
`voiceModel` (the manifest id of the voice that narrates) and, for a cloned voice, `clonedVoice`
(see `jobs.voices`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apexlocal.engines.music.moods import canonical_mood, mood_error
from apexlocal.engines.scripted_video.styles import STYLES
from apexlocal.engines.spec_checks import seconds_of, seed_of
from apexlocal.errors import JobError
from apexlocal.models.manifest import ModelEntry

RESOLUTIONS = ("720p", "1080p")
DEFAULT_RESOLUTION = "720p"
MIN_DURATION_S, MAX_DURATION_S = 3, 60
MAX_SCRIPT_CHARS = 5000


@dataclass(frozen=True)
class ScriptRequest:
    script: str
    max_duration_s: float
    resolution: str
    style: str | None
    seed: int
    captions: bool
    model_name: str  # the video model as requested (an alias such as "wan-2.6")
    voice_model: str | None  # manifest id; None: the manifest's default voice
    voice_spec: dict[str, Any] = field(default_factory=dict)  # voiceId, clonedVoice
    music_mood: str | None = None  # a bed under the narration (engines.music); None: no music
    music_model: str | None = None  # manifest id; None: the manifest's default


def parse_request(spec: dict[str, Any], model: ModelEntry) -> ScriptRequest:
    """Raises JobError naming the field at fault."""
    script = spec.get("script")
    if not isinstance(script, str) or not script.strip():
        raise JobError("script: must be a non-empty string")
    if len(script) > MAX_SCRIPT_CHARS:
        raise JobError(f"script: must be at most {MAX_SCRIPT_CHARS} characters")
    resolution = spec.get("resolution") or DEFAULT_RESOLUTION
    if resolution not in RESOLUTIONS:
        raise JobError(f"resolution: must be one of {', '.join(RESOLUTIONS)}")
    style = spec.get("style")
    if style is not None and style not in STYLES:
        raise JobError(f"style: must be one of {', '.join(STYLES)}")
    captions = spec.get("captions", True)
    if not isinstance(captions, bool):
        raise JobError("captions: must be true or false")
    return ScriptRequest(
        script=" ".join(script.split()),
        max_duration_s=seconds_of(spec.get("duration"), MIN_DURATION_S, MAX_DURATION_S, MAX_DURATION_S),
        resolution=resolution,
        style=style,
        seed=seed_of(spec.get("seed")),
        captions=captions,
        model_name=str(spec.get("model") or model.id),
        voice_model=_optional_str(spec, "voiceModel"),
        voice_spec=_voice_spec(spec),
        music_mood=_music_mood(spec),
        music_model=_optional_str(spec, "musicModel"),
    )


def _music_mood(spec: dict[str, Any]) -> str | None:
    mood = _optional_str(spec, "musicMood")
    if mood is not None and canonical_mood(mood) is None:
        raise JobError(mood_error("musicMood", mood) or "musicMood: unknown mood")
    return canonical_mood(mood) if mood is not None else None


def _optional_str(spec: dict[str, Any], name: str) -> str | None:
    value = spec.get(name)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise JobError(f"{name}: must be a non-empty string")
    return value


def _voice_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """What the voice engine is given besides the text."""
    voice_id = _optional_str(spec, "voiceId")
    out: dict[str, Any] = {"voiceId": None if voice_id == "default" else voice_id}
    if isinstance(spec.get("clonedVoice"), dict):
        out["clonedVoice"] = spec["clonedVoice"]
    return out
