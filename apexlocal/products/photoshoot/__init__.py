"""Product photoshoot (`POST /api/generate/photoshoot`): one product photo into studio, lifestyle,
outdoor or flat-lay shots that keep the product's own pixels, run by the `photoshoot` engine with
the job's image model."""

from apexlocal.jobs.types import JobType
from apexlocal.products.base import Product
from apexlocal.products.photoshoot import routes

PRODUCT = Product(
    name="photoshoot",
    routes=routes.routes,
    job_types=[JobType("photoshoot", task="photoshoot", label="Product photoshoot", engine="photoshoot")],
)
