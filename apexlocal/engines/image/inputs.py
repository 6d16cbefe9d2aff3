"""Pictures a job takes as input (an image to edit, references, a product photo): fetched through
the job's context, decoded fully (a truncated file fails here, not halfway through a model run),
turned upright by their EXIF orientation, and checked for a usable size."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apexlocal.engines.base import EngineContext
from apexlocal.errors import JobError

if TYPE_CHECKING:
    from PIL import Image

MIN_SIDE = 64  # pixels: below this there is nothing for a model to keep or edit
MAX_PIXELS = 40_000_000  # a decompression bomb guard well above any camera's photo


def read_image(path: object, field: str) -> Image.Image:
    """The picture at `path` as RGB; JobError naming `field` when it is not a whole, readable
    picture of at least MIN_SIDE x MIN_SIDE pixels."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as opened:  # type: ignore[arg-type]
            width, height = opened.size
            if width * height > MAX_PIXELS:
                raise JobError(f"{field}: the picture is {width}x{height}, more than {MAX_PIXELS:,} pixels")
            opened.load()  # decodes every byte: a truncated file raises here
            picture = _flatten(ImageOps.exif_transpose(opened))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise JobError(f"{field}: not a readable picture (truncated or corrupt file: {exc})") from None
    if min(picture.size) < MIN_SIDE:
        raise JobError(
            f"{field}: the picture is {picture.width}x{picture.height} pixels; at least {MIN_SIDE}x{MIN_SIDE} is needed"
        )
    return picture


def _flatten(picture: Image.Image) -> Image.Image:
    """RGB; a transparent picture (a product already cut out) on white, not on whatever colour its
    transparent pixels happen to hold."""
    from PIL import Image

    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return picture.convert("RGB")


def fetch_image(ctx: EngineContext, url: str, field: str) -> Image.Image:
    """The input at `url` (this server's file, or one the fetch policy allows) as a checked picture."""
    if ctx.fetch_input is None:
        raise JobError(f"{field}: this worker cannot fetch input files")
    return read_image(ctx.fetch_input(url, field), field)
