"""Instant ad: ad creatives (PNG and/or MP4) from a product page, run by the `instant-ad` engine."""

from apexlocal.jobs.types import JobType
from apexlocal.products.base import Product
from apexlocal.products.instant_ad import routes

PRODUCT = Product(
    name="instant-ad",
    routes=routes.routes,
    job_types=[JobType("instant-ad", task="instant-ad", label="Instant ad", engine="instant-ad")],
)
