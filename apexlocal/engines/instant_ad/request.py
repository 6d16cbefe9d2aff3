"""An instant-ad job's spec, checked, and the sizes of each platform's creatives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apexlocal.errors import JobError

PLATFORMS = ("tiktok", "youtube", "instagram", "facebook", "linkedin")
STYLES = ("modern", "bold", "minimal", "luxury", "playful")
FORMATS = ("image", "video", "both")
MIN_COUNT, MAX_COUNT = 1, 4
# The image creative of each platform (w, h): TikTok's 9:16 full screen, Instagram's and
# Facebook's square feed post, LinkedIn's single-image ad (1.91:1), a YouTube thumbnail (16:9).
IMAGE_SIZES: dict[str, tuple[int, int]] = {
    "tiktok": (1080, 1920),
    "youtube": (1280, 720),
    "instagram": (1080, 1080),
    "facebook": (1080, 1080),
    "linkedin": (1200, 627),
}
# The video ad's frame (w, h), 720p-class in the platform's aspect (LinkedIn's video is 16:9).
VIDEO_SIZES: dict[str, tuple[int, int]] = {
    "tiktok": (720, 1280),
    "youtube": (1280, 720),
    "instagram": (720, 720),
    "facebook": (720, 720),
    "linkedin": (1280, 720),
}
VIDEO_SECONDS = 6.0
VIDEO_FPS = 24


@dataclass(frozen=True)
class AdRequest:
    website_url: str
    platform: str
    count: int
    style: str
    output_format: str
    brand: dict[str, Any] | None  # the brand profile's snapshot, taken at submit

    @property
    def images(self) -> bool:
        return self.output_format in ("image", "both")

    @property
    def videos(self) -> bool:
        return self.output_format in ("video", "both")


def _choice(spec: dict[str, Any], field: str, allowed: tuple[str, ...], default: str | None = None) -> str:
    value = spec.get(field, default)
    if value not in allowed:
        raise JobError(f"{field}: must be one of {', '.join(allowed)}")
    return str(value)


def parse_request(spec: dict[str, Any]) -> AdRequest:
    url = spec.get("websiteUrl")
    if not isinstance(url, str) or not url:
        raise JobError("websiteUrl: is required")
    count = spec.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not MIN_COUNT <= count <= MAX_COUNT:
        raise JobError(f"count: must be an integer between {MIN_COUNT} and {MAX_COUNT}")
    brand = spec.get("brandProfile")
    return AdRequest(
        website_url=url,
        platform=_choice(spec, "platform", PLATFORMS),
        count=count,
        style=_choice(spec, "style", STYLES),
        output_format=_choice(spec, "outputFormat", FORMATS, "image"),
        brand=brand if isinstance(brand, dict) else None,
    )
