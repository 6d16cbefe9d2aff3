"""The `instant-ad` engine: a product page to `count` ad creatives (PNG and/or MP4).

Stages: "reading page" (the page through the job's SSRF-safe fetcher, read into product facts),
"product picture" (the page's product image, fetched the same way, cut out), "writing" (the
variations, by the writer under a JSON schema), "background" (the job's image model), "drawing"
(one PNG per variation at the platform's size) and "video" (one MP4 per variation). A page that
cannot be fetched, is not HTML, or has no usable content fails the job with the reason (the
runner refunds it), before the writer or any model runs.
"""

from __future__ import annotations

import time
import zlib
from typing import TYPE_CHECKING, Any

from apexlocal.engines.base import EngineContext, EngineOutput, OutputFile
from apexlocal.engines.instant_ad import copywriting, page, pictures
from apexlocal.engines.instant_ad.copywriting import Variation
from apexlocal.engines.instant_ad.creative import Parts, flatten, render_parts
from apexlocal.engines.instant_ad.look import Look, look_for
from apexlocal.engines.instant_ad.request import IMAGE_SIZES, VIDEO_SECONDS, VIDEO_SIZES, AdRequest, parse_request
from apexlocal.engines.instant_ad.video import make_video, music_track
from apexlocal.errors import JobError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    from PIL import Image

MAX_PAGE_BYTES = 5 * 1024 * 1024
SYSTEM = "You write short, concrete, honest ad copy. Only state facts given about the product."


def read_product_page(ctx: EngineContext, url: str) -> page.ProductFacts:
    if ctx.fetch_input is None:
        raise JobError("websiteUrl: this worker cannot fetch input URLs")
    path = ctx.fetch_input(url, "websiteUrl")  # JobError naming websiteUrl: HTTP status, type, address
    if path.stat().st_size > MAX_PAGE_BYTES:
        raise JobError(f"websiteUrl: the page is larger than {MAX_PAGE_BYTES // (1024 * 1024)} MB")
    return page.read_page(page.decode_html(path.read_bytes()), url)


def write_copy(ctx: EngineContext, facts: page.ProductFacts, request: AdRequest) -> tuple[list[Variation], str]:
    from apexlocal.engines.writer import ChatMessage, open_writer, write_json

    writer = open_writer(ctx)

    def write(prompt: str, schema: dict[str, Any], max_tokens: int) -> dict[str, Any]:
        messages = [ChatMessage("system", SYSTEM), ChatMessage("user", prompt)]
        return write_json(writer, messages, schema, max_tokens=max_tokens, cancelled=ctx.cancelled)

    variations = copywriting.write_variations(
        write, facts, request.count, request.platform, request.style, request.brand
    )
    return variations, writer.model_id


class InstantAdEngine:
    def run(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput:
        started = time.monotonic()
        request = parse_request(spec)
        seed = zlib.crc32(ctx.job_id.encode())
        ctx.progress(0.0, "reading page")
        facts = read_product_page(ctx, request.website_url)
        ctx.progress(0.0, "product picture")
        photo, photo_url = pictures.product_photo(ctx, facts.images)
        product, placement = pictures.cut_out_product(ctx, photo) if photo is not None else (None, "none")
        logo = pictures.logo_image(ctx, request.brand)
        ctx.check_cancelled()
        ctx.progress(0.0, "writing")
        variations, writer_model = write_copy(ctx, facts, request)
        look = look_for(request.style, request.brand)
        image_size = IMAGE_SIZES[request.platform]
        ctx.progress(0.0, "background")
        backdrop, backdrop_source = pictures.background(ctx, model, look, facts.name, photo, image_size, seed)
        files: list[OutputFile] = []
        if request.images:
            files += self._images(ctx, request, look, variations, backdrop, product, logo)
        music_info = None
        if request.videos:
            music, music_info = music_track(ctx, look.mood, VIDEO_SECONDS, seed)
            files += self._videos(ctx, request, look, variations, backdrop, product, logo, music)
        metadata = {
            "variationCount": len(variations),
            "platform": request.platform,
            "format": request.output_format,
            "style": request.style,
            "variations": [v.wire() for v in variations],
            "imageSize": list(image_size) if request.images else None,
            "videoSize": list(VIDEO_SIZES[request.platform]) if request.videos else None,
            "product": {**facts.summary(), "image": photo_url, "placement": placement},
            "background": backdrop_source,
            "music": music_info,
            "writerModel": writer_model,
            "brandProfileId": (request.brand or {}).get("id"),
            "durationMs": round((time.monotonic() - started) * 1000),
        }
        return EngineOutput(files=files, metadata=metadata)

    @staticmethod
    def _images(
        ctx: EngineContext,
        request: AdRequest,
        look: Look,
        variations: list[Variation],
        backdrop: Image.Image,
        product: Image.Image | None,
        logo: Image.Image | None,
    ) -> list[OutputFile]:
        files = []
        size = IMAGE_SIZES[request.platform]
        for i, variation in enumerate(variations, start=1):
            ctx.check_cancelled()
            ctx.progress((i - 1) / len(variations), "drawing")
            path = ctx.scratch_dir / f"ad-{i}.png"
            flatten(render_parts(size, look, variation, backdrop, product, logo)).save(path, format="PNG")
            meta = {"variation": i, "width": size[0], "height": size[1]}
            files.append(OutputFile(path, "image/png", path.name, meta))
        return files

    @staticmethod
    def _videos(
        ctx: EngineContext,
        request: AdRequest,
        look: Look,
        variations: list[Variation],
        backdrop: Image.Image,
        product: Image.Image | None,
        logo: Image.Image | None,
        music: Any,
    ) -> list[OutputFile]:
        files = []
        size = VIDEO_SIZES[request.platform]
        for i, variation in enumerate(variations, start=1):
            ctx.check_cancelled()
            parts: Parts = render_parts(size, look, variation, backdrop, product, logo)
            path = ctx.scratch_dir / f"ad-{i}.mp4"
            seconds = make_video(ctx, parts, path, music, f"video {i} of {len(variations)}")
            meta = {"variation": i, "width": size[0], "height": size[1], "durationSeconds": round(seconds, 3)}
            files.append(OutputFile(path, "video/mp4", path.name, meta))
        return files
