"""Images from a text prompt (`POST /api/generate/image`)."""

from apexlocal.jobs.types import JobType
from apexlocal.products.base import Product
from apexlocal.products.image import routes

PRODUCT = Product(
    name="image",
    routes=routes.routes,
    job_types=[JobType("image", task="image", label="Image generation")],
)
