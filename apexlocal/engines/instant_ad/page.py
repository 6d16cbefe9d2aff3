"""A product page read into the facts an ad needs, with maintained extractors: extruct for the
page's JSON-LD (a schema.org `Product`, also inside `@graph` or a list) and OpenGraph tags,
trafilatura for the readable main text and the title. Structured data wins over text: the
JSON-LD product's name, description, price and images first, then OpenGraph's, then the page's
title and main text.

A page with neither a product name nor any readable text has no usable content: `read_page`
raises JobError naming websiteUrl.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from apexlocal.errors import JobError

MAX_TEXT = 2000  # characters of main text kept for the writer
MAX_IMAGES = 6
NO_CONTENT = "websiteUrl: the page has no usable content (no product name, title or readable text found)"
NOT_HTML = "websiteUrl: the page could not be read as HTML"


@dataclass(frozen=True)
class ProductFacts:
    name: str
    description: str = ""
    price: str = ""  # "29.00 USD" as the page gives it, "" when it gives none
    brand: str = ""
    site: str = ""
    text: str = ""  # the page's readable main text, trimmed to MAX_TEXT
    images: list[str] = field(default_factory=list)  # absolute http(s) URLs, best first
    sources: list[str] = field(default_factory=list)  # which extractors gave facts: json-ld, opengraph, text

    def summary(self) -> dict[str, Any]:
        """What the job's metadata says of the page."""
        return {"name": self.name, "price": self.price or None, "brand": self.brand or None, "sources": self.sources}


def _clean(value: Any, limit: int = 300) -> str:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), "")
    if not isinstance(value, str):
        return ""
    return re.sub(r"\s+", " ", value).strip()[:limit]


def _types(item: dict[str, Any]) -> list[str]:
    kind = item.get("@type", [])
    return [str(k).rsplit("/", 1)[-1] for k in (kind if isinstance(kind, list) else [kind])]


def _walk(node: Any) -> list[dict[str, Any]]:
    """Every object of a JSON-LD document, `@graph`s and lists included."""
    found: list[dict[str, Any]] = []
    if isinstance(node, list):
        for item in node:
            found += _walk(item)
    elif isinstance(node, dict):
        found.append(node)
        for key in ("@graph", "mainEntity", "itemListElement"):
            if key in node:
                found += _walk(node[key])
    return found


def _product(jsonld: list[Any]) -> dict[str, Any] | None:
    return next((item for item in _walk(jsonld) if "Product" in _types(item)), None)


def _image_urls(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _image_urls(value.get("url") or value.get("contentUrl") or value.get("@id"))
    if isinstance(value, list):
        return [u for v in value for u in _image_urls(v)]
    return []


def _price(offers: Any) -> str:
    offer = offers[0] if isinstance(offers, list) and offers else offers
    if not isinstance(offer, dict):
        return ""
    amount = offer.get("price") or offer.get("lowPrice")
    if amount is None and isinstance(offer.get("priceSpecification"), dict):
        amount = offer["priceSpecification"].get("price")
    if amount is None or isinstance(amount, (dict, list)):
        return ""
    currency = _clean(offer.get("priceCurrency"), 8)
    return f"{_clean(str(amount), 20)} {currency}".strip()


def _brand(value: Any) -> str:
    return _clean(value.get("name") if isinstance(value, dict) else value, 100)


def _absolute(urls: list[str], base: str) -> list[str]:
    out: list[str] = []
    for url in urls:
        full = urljoin(base, url.strip())
        if urlsplit(full).scheme in ("http", "https") and full not in out:
            out.append(full)
    return out[:MAX_IMAGES]


def extract(html: str, url: str) -> dict[str, Any]:
    """The raw extractions: extruct's JSON-LD and OpenGraph, trafilatura's text and title."""
    import extruct
    import trafilatura

    try:
        data = extruct.extract(html, base_url=url, syntaxes=["json-ld", "opengraph"], uniform=True, errors="ignore")
    except Exception:  # a page extruct cannot parse still has text; a broken JSON-LD block is no failure
        data = {}
    metadata = trafilatura.extract_metadata(html)
    return {
        "jsonld": data.get("json-ld") or [],
        "opengraph": (data.get("opengraph") or [{}])[0],
        "text": trafilatura.extract(html, include_comments=False, include_tables=False) or "",
        "title": (metadata.title if metadata is not None else "") or "",
        "site": (metadata.sitename if metadata is not None else "") or "",
    }


def read_page(html: str, url: str) -> ProductFacts:
    """The product facts of a page; JobError when it has no usable content."""
    if not html.strip():
        raise JobError(NO_CONTENT)
    raw = extract(html, url)
    product, og = _product(raw["jsonld"]) or {}, raw["opengraph"]
    sources = [name for name, found in (("json-ld", product), ("opengraph", og), ("text", raw["text"])) if found]
    name = _clean(product.get("name"), 120) or _clean(og.get("og:title"), 120) or _clean(raw["title"], 120)
    text = _clean(raw["text"], MAX_TEXT)
    if not name:
        name = _clean(text.split(".")[0], 80)
    if not name:
        raise JobError(NO_CONTENT)
    description = _clean(product.get("description"), 400) or _clean(og.get("og:description"), 400) or text[:400]
    images = _image_urls(product.get("image")) + _image_urls(og.get("og:image"))
    return ProductFacts(
        name=name,
        description=description,
        price=_price(product.get("offers")),
        brand=_brand(product.get("brand")),
        site=_clean(og.get("og:site_name"), 100) or _clean(raw["site"], 100),
        text=text,
        images=_absolute(images, url),
        sources=sources,
    )


def decode_html(data: bytes) -> str:
    """The page's bytes as text: its declared charset when it names one, else UTF-8 (replacing
    what does not decode)."""
    head = data[:2048].decode("ascii", "replace")
    match = re.search(r"charset=[\"']?([A-Za-z0-9_-]+)", head)
    try:
        return data.decode(match.group(1) if match else "utf-8", "replace")
    except LookupError:
        return data.decode("utf-8", "replace")
