"""Output sizes: aspect ratios and named resolutions, always in even pixels (yuv420p needs both
dimensions even).

A named resolution names the SHORT side, as platforms do: "720p" is 1280x720 at 16:9, 720x1280 at
9:16, 720x720 at 1:1 and 720x900 at 4:5. The long side is rounded to the nearest even number, which
gives the customary 854x480 for 480p at 16:9.
"""

from __future__ import annotations

from fractions import Fraction

from apexlocal.errors import JobError

ASPECTS: dict[str, Fraction] = {  # width / height
    "16:9": Fraction(16, 9),
    "9:16": Fraction(9, 16),
    "1:1": Fraction(1, 1),
    "4:5": Fraction(4, 5),
}
RESOLUTIONS: dict[str, int] = {"480p": 480, "720p": 720, "1080p": 1080}  # the short side


def even(value: float | Fraction) -> int:
    """The nearest even integer, at least 2."""
    return max(2, int(round(value / 2)) * 2)


def resolve_size(resolution: str = "720p", aspect: str = "16:9") -> tuple[int, int]:
    """(width, height) of a named resolution at an aspect ratio; raises JobError for unknown names."""
    if resolution not in RESOLUTIONS:
        raise JobError(f"resolution: must be one of {', '.join(RESOLUTIONS)}")
    if aspect not in ASPECTS:
        raise JobError(f"aspect: must be one of {', '.join(ASPECTS)}")
    short, ratio = RESOLUTIONS[resolution], ASPECTS[aspect]
    if ratio >= 1:
        return even(short * ratio), short
    return short, even(short / ratio)


def aspect_of(width: int, height: int) -> str | None:
    """The named aspect ratio a size has (within rounding to even pixels), or None."""
    for name, ratio in ASPECTS.items():
        if abs(width / height - float(ratio)) < 2.5 / min(width, height):
            return name
    return None


def check_size(width: int, height: int) -> tuple[int, int]:
    """A size the encoder accepts: positive and even; raises JobError otherwise."""
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 2 or value % 2:
            raise JobError(f"{name}: must be a positive even integer, got {value!r}")
    return width, height
