"""Reading a product page (extruct's JSON-LD and OpenGraph, trafilatura's text) and finishing the
writer's ad copy (banned words, the product's name in every headline, fallbacks), with a fake
writer: the real one runs end to end in tests/products/instant_ad/."""

from __future__ import annotations

import json
from typing import Any

import pytest

from apexlocal.engines.instant_ad import copywriting, page
from apexlocal.errors import JobError

URL = "https://shop.example.com/p/aurora"


def html(ld: Any = None, og: str = "", body: str = "", title: str = "") -> str:
    script = f"<script type='application/ld+json'>{json.dumps(ld)}</script>" if ld is not None else ""
    return f"<html><head><title>{title}</title>{og}{script}</head><body>{body}</body></html>"


def test_json_ld_product_wins_and_its_urls_are_made_absolute():
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "name": "Shop"},
            {
                "@type": ["Product"],
                "name": "Aurora  Steel Bottle",
                "image": [{"@type": "ImageObject", "url": "/img/a.png"}, "https://cdn.example.com/b.jpg"],
                "offers": [{"@type": "Offer", "price": 29, "priceCurrency": "EUR"}],
                "brand": "Aurora",
            },
        ],
    }
    og = "<meta property='og:title' content='Something else'><meta property='og:image' content='/og.png'>"
    facts = page.read_page(html(ld, og, "<p>Cold for a whole day, every day, in every bag you own.</p>"), URL)
    assert (facts.name, facts.price, facts.brand) == ("Aurora Steel Bottle", "29 EUR", "Aurora")
    assert facts.images == [
        "https://shop.example.com/img/a.png",
        "https://cdn.example.com/b.jpg",
        "https://shop.example.com/og.png",
    ]
    assert facts.sources == ["json-ld", "opengraph", "text"]


def test_without_json_ld_opengraph_then_the_title_name_the_product():
    og = "<meta property='og:title' content='Trail Shoe X'><meta property='og:description' content='Light.'>"
    assert page.read_page(html(og=og), URL).name == "Trail Shoe X"
    facts = page.read_page(html(title="Garden Chair", body="<p>A folding chair of oak.</p>"), URL)
    assert facts.name == "Garden Chair" and facts.price == "" and facts.images == []


def test_a_page_with_nothing_in_it_has_no_usable_content():
    for empty in ("", html(), html(ld={"@type": "Product"})):
        with pytest.raises(JobError, match=r"^websiteUrl: the page has no usable content"):
            page.read_page(empty, URL)


def test_a_broken_json_ld_block_still_leaves_the_text():
    broken = "<html><head><title>Lamp</title><script type='application/ld+json'>{oops</script></head></html>"
    assert page.read_page(broken, URL).name == "Lamp"


def test_charset_is_honoured():
    assert page.decode_html("<meta charset='latin-1'>caf\xe9".encode("latin-1")).endswith("café")


FACTS = page.ProductFacts(name="Aurora Bottle", description="Keeps water cold for 24 hours.")


def fake_writer(drafts: list[dict[str, Any]]):
    asked: dict[str, Any] = {}

    def write(prompt: str, schema: dict[str, Any], max_tokens: int) -> dict[str, Any]:
        asked.update(prompt=prompt, schema=schema, max_tokens=max_tokens)
        return {"variations": drafts}

    return write, asked


def test_the_schema_asks_for_exactly_count_complete_variations():
    write, asked = fake_writer(
        [{"headline": "Aurora Bottle, cold all day", "body": "Steel.", "callToAction": "Buy", "angle": "value"}] * 3
    )
    variations = copywriting.write_variations(write, FACTS, 3, "tiktok", "bold", None)
    items = asked["schema"]["properties"]["variations"]
    assert (items["minItems"], items["maxItems"]) == (3, 3)
    assert set(items["items"]["required"]) == {"headline", "body", "callToAction", "angle"}
    assert items["items"]["properties"]["angle"]["enum"] == list(copywriting.ANGLES)
    assert "Aurora Bottle" in asked["prompt"] and "tiktok" in asked["prompt"]
    assert [v.headline for v in variations] == ["Aurora Bottle, cold all day"] * 3


def test_a_headline_without_the_product_gets_its_name():
    write, _ = fake_writer(
        [
            {"headline": "Stay cold", "body": "", "callToAction": "", "angle": "benefit"},
            {"headline": "x" * 58, "body": "Good.", "callToAction": "Get it", "angle": "nonsense"},
        ]
    )
    first, second, third = copywriting.write_variations(write, FACTS, 3, "linkedin", "modern", None)
    assert first.headline == "Aurora Bottle: Stay cold"
    assert first.body == FACTS.description and first.call_to_action == "Learn more"  # the fallbacks
    assert second.headline == "Aurora Bottle" and second.angle == copywriting.ANGLES[0]  # too long to join
    assert third.headline == "Aurora Bottle"  # a variation the writer never sent


def test_banned_words_are_removed_from_every_field():
    brand = {"bannedWords": ["cheap", "best ever"], "tone": "calm", "tagline": "Drink better."}
    write, asked = fake_writer(
        [
            {
                "headline": "Aurora Bottle: the BEST EVER deal",
                "body": "Cheap, cold and steel. Not cheaper though.",
                "callToAction": "Buy cheap",
                "angle": "value",
            }
        ]
    )
    (variation,) = copywriting.write_variations(write, FACTS, 1, "instagram", "playful", brand)
    assert variation.headline == "Aurora Bottle: the deal"
    assert variation.body == "cold and steel. Not cheaper though."  # whole words only: "cheaper" stays
    assert variation.call_to_action == "Buy"
    assert "Never use these words: cheap, best ever." in asked["prompt"] and "Drink better." in asked["prompt"]
