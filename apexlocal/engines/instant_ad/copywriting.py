"""Ad copy: `count` variations (headline, body, call to action, angle) written by the writer under a
JSON schema, then made safe to print.

The schema fixes the shape and the lengths, so even the tiny SmolLM2 returns `count` complete
variations; what it cannot fix is the wording, so after decoding, in this order:
- the brand's banned words are removed from every field (whole words, any case);
- a headline that does not name the product gets the product name put in front of it ("Aurora
  Bottle: Stay cold"), or becomes the name alone when it would be too long or is empty: an ad must
  say what it sells, and a small model often forgets to;
- an empty body becomes the page's description, an empty call to action the platform's usual one;
- the angle is one of ANGLES (the schema's enum), so it always names what the variation leans on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apexlocal.engines.instant_ad.page import ProductFacts

HEADLINE_MAX, BODY_MAX, CTA_MAX = 60, 110, 24  # characters; shorter copy is fewer tokens to write
ANGLES = ("benefit", "problem-solution", "value", "quality", "lifestyle", "urgency", "social-proof")
DEFAULT_CTA = {
    "tiktok": "Shop now",
    "youtube": "Learn more",
    "instagram": "Shop now",
    "facebook": "Shop now",
    "linkedin": "Learn more",
}
STYLE_VOICE = {
    "modern": "clean, confident and current",
    "bold": "loud, punchy and direct",
    "minimal": "calm, short and understated",
    "luxury": "refined, elegant and exclusive",
    "playful": "fun, friendly and witty",
}


@dataclass(frozen=True)
class Variation:
    headline: str
    body: str
    call_to_action: str
    angle: str

    def wire(self) -> dict[str, str]:
        """camelCase, as the job's metadata shows it."""
        return {"headline": self.headline, "body": self.body, "callToAction": self.call_to_action, "angle": self.angle}


def schema(count: int) -> dict[str, Any]:
    item = {
        "type": "object",
        "properties": {
            "headline": {"type": "string", "minLength": 3, "maxLength": HEADLINE_MAX},
            "body": {"type": "string", "minLength": 10, "maxLength": BODY_MAX},
            "callToAction": {"type": "string", "minLength": 2, "maxLength": CTA_MAX},
            "angle": {"type": "string", "enum": list(ANGLES)},
        },
        "required": ["headline", "body", "callToAction", "angle"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"variations": {"type": "array", "items": item, "minItems": count, "maxItems": count}},
        "required": ["variations"],
        "additionalProperties": False,
    }


def prompt(facts: ProductFacts, count: int, platform: str, style: str, brand: dict[str, Any] | None) -> str:
    lines = [
        f"Write {count} different ad variations for {platform} about this product.",
        f"Product: {facts.name}",
    ]
    if facts.price:
        lines.append(f"Price: {facts.price}")
    if facts.brand or facts.site:
        lines.append(f"Brand: {facts.brand or facts.site}")
    if facts.description:
        lines.append(f"Description: {facts.description}")
    if facts.text and facts.text[:300] != facts.description[:300]:
        lines.append(f"From the page: {facts.text[:600]}")
    lines.append(f"Tone: {STYLE_VOICE[style]}.")
    if brand:
        if brand.get("tone"):
            lines.append(f"Brand voice: {brand['tone']}.")
        if brand.get("tagline"):
            lines.append(f"Brand tagline: {brand['tagline']}")
        if brand.get("bannedWords"):
            lines.append("Never use these words: " + ", ".join(brand["bannedWords"]) + ".")
    lines.append(
        f"Each headline names the product and has at most {HEADLINE_MAX} characters; the body is one or two "
        f"sentences; the call to action is two or three words. Give each variation a different angle."
    )
    return "\n".join(lines)


def remove_banned(text: str, banned: list[str]) -> str:
    """`text` without the banned words or phrases (whole words, any case), spaces tidied."""
    for word in sorted(banned, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", " ", text, flags=re.IGNORECASE)
    text = re.sub(r"\s+([,.!?;:])", r"\1", re.sub(r"\s+", " ", text)).strip()
    return text.strip(" ,;:-")


def names_product(headline: str, name: str) -> bool:
    return _key(name) in _key(headline)


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.casefold()).strip()


def with_product_name(headline: str, name: str) -> str:
    """The headline, naming the product (see the module's docs)."""
    if names_product(headline, name):
        return headline
    joined = f"{name}: {headline}" if headline else name
    return joined if len(joined) <= HEADLINE_MAX or not headline else name


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


def finish(raw: dict[str, Any], facts: ProductFacts, platform: str, banned: list[str]) -> Variation:
    """One decoded variation made safe to print (the rules in the module's docs)."""
    headline = remove_banned(str(raw.get("headline", "")), banned)
    body = remove_banned(str(raw.get("body", "")), banned)
    cta = remove_banned(str(raw.get("callToAction", "")), banned)
    angle = raw.get("angle") if raw.get("angle") in ANGLES else ANGLES[0]
    fallback_body = remove_banned(facts.description or facts.text, banned)
    return Variation(
        headline=with_product_name(headline, facts.name),
        body=_shorten(body or fallback_body, BODY_MAX),
        call_to_action=_shorten(cta or DEFAULT_CTA[platform], CTA_MAX),
        angle=str(angle),
    )


WriteJson = Callable[[str, dict[str, Any], int], dict[str, Any]]


def write_variations(
    write: WriteJson, facts: ProductFacts, count: int, platform: str, style: str, brand: dict[str, Any] | None
) -> list[Variation]:
    """`count` variations: `write(prompt, schema, max_tokens)` answers under the schema."""
    # The schema bounds every string, so this budget (about one token per character of the longest
    # answer) is never the reason an answer stops; a model that closes its strings stops far sooner.
    budget = count * (HEADLINE_MAX + BODY_MAX + CTA_MAX + 60) + 20
    answer = write(prompt(facts, count, platform, style, brand), schema(count), budget)
    drafts = [v for v in answer.get("variations", []) if isinstance(v, dict)]
    drafts += [{}] * (count - len(drafts))  # a foreign endpoint that sent fewer: fallbacks fill them
    banned = list((brand or {}).get("bannedWords") or [])
    return [finish(raw, facts, platform, banned) for raw in drafts[:count]]
