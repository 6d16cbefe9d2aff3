"""A clip job's spec, checked, with the documented defaults (the route checks the same rules
before anything is charged; the engine checks again because a spec may come from elsewhere)."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

from apexlocal.errors import JobError

FIELD = "sourceVideoUrl"
ASPECTS = ("9:16", "1:1", "16:9")
MAX_CLIPS = (1, 20)
DURATION_RANGE = (3.0, 180.0)  # seconds, for minDuration and maxDuration alike
SCORE_RANGE = (1.0, 10.0)
DEFAULT_MAX_CLIPS = 5
DEFAULT_MIN_DURATION = 15.0
DEFAULT_MAX_DURATION = 60.0
DEFAULT_ASPECT = "9:16"
DEFAULT_THRESHOLD = 1.0  # every clip found is kept unless a threshold is asked for


@dataclass(frozen=True)
class ClipJob:
    source_url: str
    max_clips: int = DEFAULT_MAX_CLIPS
    min_duration: float = DEFAULT_MIN_DURATION
    max_duration: float = DEFAULT_MAX_DURATION
    add_captions: bool = True
    aspect: str = DEFAULT_ASPECT
    threshold: float = DEFAULT_THRESHOLD
    language: str | None = None


def duration_rule(min_duration: float, max_duration: float) -> str | None:
    """The message for a minDuration above maxDuration (either may be its default), else None."""
    if min_duration <= max_duration:
        return None
    return (
        f"minDuration: must be at most maxDuration ({min_duration:g} s > {max_duration:g} s; "
        f"the defaults are {DEFAULT_MIN_DURATION:g} and {DEFAULT_MAX_DURATION:g} s)"
    )


def parse_request(spec: dict[str, Any]) -> ClipJob:
    url = spec.get(FIELD)
    if not isinstance(url, str) or not url:
        raise JobError(f"{FIELD}: required")
    aspect = spec.get("aspectRatio") or DEFAULT_ASPECT
    if aspect not in ASPECTS:
        raise JobError(f"aspectRatio: must be one of {' | '.join(ASPECTS)}")
    job = ClipJob(
        source_url=url,
        max_clips=int(_number(spec, "maxClips", DEFAULT_MAX_CLIPS, MAX_CLIPS)),
        min_duration=_number(spec, "minDuration", DEFAULT_MIN_DURATION, DURATION_RANGE),
        max_duration=_number(spec, "maxDuration", DEFAULT_MAX_DURATION, DURATION_RANGE),
        add_captions=bool(spec.get("addCaptions", True)),
        aspect=aspect,
        threshold=_number(spec, "viralScoreThreshold", DEFAULT_THRESHOLD, SCORE_RANGE),
        language=spec.get("language") or None,
    )
    problem = duration_rule(job.min_duration, job.max_duration)
    if problem:
        raise JobError(problem)
    return job


def _number(spec: dict[str, Any], name: str, default: float, bounds: tuple[float, float]) -> float:
    value = spec.get(name)
    if value is None:
        return float(default)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not bounds[0] <= float(value) <= bounds[1]:
        raise JobError(f"{name}: must be a number from {bounds[0]:g} to {bounds[1]:g}")
    return float(value)
