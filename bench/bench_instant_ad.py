"""Benchmark of an instant ad's stages on the CPU, in this one process: where its wall time goes.

    PYTHONPATH=. python bench/bench_instant_ad.py [--repeats 3] [--writer]

Per platform size: reading a product page (extruct + trafilatura), drawing one PNG creative (the
baseline), and one 6 s video ad (frames drawn and encoded by the composition engine, no music);
with --writer, the tiny SmolLM2 writing 1 and 3 variations under the JSON schema (models warm).
Prints medians and ratios against drawing the PNG; nothing is asserted.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PAGE = """<html><head><title>Aurora Steel Bottle | Aurora</title>
<meta property="og:title" content="Aurora Steel Bottle"><meta property="og:image" content="/img/b.png">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Product","name":"Aurora Steel Bottle",
"image":"/img/bottle.png","description":"Keeps drinks cold 24 hours.","offers":{"@type":"Offer","price":"29.00",
"priceCurrency":"USD"}}</script></head><body><h1>Aurora Steel Bottle</h1><p>Our double-walled steel bottle keeps
water cold for 24 hours and hot for 12. It is made from recycled steel and fits every cup holder.</p></body></html>"""


def median_s(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def writer_figures(facts: Any, repeats: int) -> dict[str, float]:
    from apexlocal.engines.base import EngineContext
    from apexlocal.engines.instant_ad import copywriting
    from apexlocal.engines.runtime import ModelRuntime
    from apexlocal.engines.writer import ChatMessage, open_writer, write_json
    from apexlocal.models.manifest import load_manifest
    from apexlocal.models.packaged import check_package

    ctx = EngineContext(
        "bench",
        "cpu",
        Path(tempfile.mkdtemp()),
        "tiny",
        lambda f, s: None,
        lambda: False,
        check_package,
        ModelRuntime("cpu"),
        manifest=load_manifest(),
    )
    writer = open_writer(ctx)

    def write(prompt: str, schema: dict[str, Any], max_tokens: int) -> dict[str, Any]:
        return write_json(writer, [ChatMessage("user", prompt)], schema, max_tokens=max_tokens)

    return {
        f"writer, {n} variation{'s' if n > 1 else ''}": median_s(
            lambda n=n: copywriting.write_variations(write, facts, n, "tiktok", "modern", None), repeats
        )
        for n in (1, 3)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--writer", action="store_true", help="also time the tiny writer")
    args = parser.parse_args()

    from PIL import Image

    from apexlocal.engines.base import EngineContext
    from apexlocal.engines.instant_ad import page, pictures
    from apexlocal.engines.instant_ad.copywriting import Variation
    from apexlocal.engines.instant_ad.creative import flatten, render_parts
    from apexlocal.engines.instant_ad.look import STYLES
    from apexlocal.engines.instant_ad.request import IMAGE_SIZES, VIDEO_SIZES
    from apexlocal.engines.instant_ad.video import make_video
    from apexlocal.models.manifest import load_manifest

    scratch = Path(tempfile.mkdtemp(prefix="bench-instant-ad-"))
    ctx = EngineContext(
        "bench",
        "cpu",
        scratch,
        "tiny",
        lambda f, s: None,
        lambda: False,
        lambda e: scratch,
        None,
        manifest=load_manifest(),
    )
    ad = Variation("Aurora Steel Bottle: cold all day", "Double-walled steel keeps water cold.", "Shop now", "benefit")
    photo = Image.new("RGB", (400, 600), (230, 230, 235))
    photo.paste((30, 90, 150), (150, 80, 250, 560))
    product = pictures.on_card(photo)
    facts = page.read_page(PAGE, "https://shop.example.com/p")
    rows: list[tuple[str, float]] = [("read page", median_s(lambda: page.read_page(PAGE, "https://x/p"), args.repeats))]
    baseline = None
    for platform in ("tiktok", "instagram", "linkedin"):
        size, video_size = IMAGE_SIZES[platform], VIDEO_SIZES[platform]
        backdrop = pictures.gradient(size, (30, 30, 60), (200, 120, 40))
        still = functools.partial(render_parts, size, STYLES["modern"], ad, backdrop, product, None)
        png = median_s(lambda still=still: flatten(still()), args.repeats)
        baseline = baseline or png
        parts = render_parts(video_size, STYLES["modern"], ad, backdrop, product, None)
        video = median_s(functools.partial(make_video, ctx, parts, scratch / "ad.mp4", None, "video"), 1)
        rows.append((f"{platform} PNG {size[0]}x{size[1]}", png))
        rows.append((f"{platform} video {video_size[0]}x{video_size[1]}, 6 s", video))
    if args.writer:
        rows += list(writer_figures(facts, max(1, args.repeats // 2)).items())
    assert baseline is not None
    print(f"{'stage':40} {'median s':>10} {'x tiktok PNG':>13}")
    for name, seconds in rows:
        print(f"{name:40} {seconds:10.3f} {seconds / baseline:13.2f}")


if __name__ == "__main__":
    main()
