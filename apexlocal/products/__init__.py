"""The products, each in its own package: routes, wire schemas, validation, price and the plan of
engines it runs. Adding one is a new package and a line here."""

from __future__ import annotations

from collections.abc import Mapping

from apexlocal.jobs.types import JobType, job_types
from apexlocal.products.avatar import PRODUCT as AVATAR
from apexlocal.products.base import Product
from apexlocal.products.brand import PRODUCT as BRAND
from apexlocal.products.chat import PRODUCT as CHAT
from apexlocal.products.clip import PRODUCT as CLIP
from apexlocal.products.commercial import PRODUCT as COMMERCIAL
from apexlocal.products.image import PRODUCT as IMAGE
from apexlocal.products.instant_ad import PRODUCT as INSTANT_AD
from apexlocal.products.photoshoot import PRODUCT as PHOTOSHOOT
from apexlocal.products.transcriptions import PRODUCT as TRANSCRIPTIONS
from apexlocal.products.translate import PRODUCT as TRANSLATE
from apexlocal.products.video import PRODUCT as VIDEO
from apexlocal.products.voice import PRODUCT as VOICE
from apexlocal.products.voice_agent import PRODUCT as VOICE_AGENT

PRODUCTS: tuple[Product, ...] = (
    IMAGE,
    VOICE,
    VIDEO,
    AVATAR,
    TRANSLATE,
    CLIP,
    TRANSCRIPTIONS,
    CHAT,
    COMMERCIAL,
    BRAND,
    INSTANT_AD,
    VOICE_AGENT,
    PHOTOSHOOT,
)


def all_job_types() -> Mapping[str, JobType]:
    return job_types(t for product in PRODUCTS for t in product.job_types)
