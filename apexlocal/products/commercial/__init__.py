"""Commercial: a finished ad from a product description, written by the writer, narrated, pictured,
scored and composed by the `commercial` engine (apexlocal/engines/commercial)."""

from apexlocal.jobs.types import JobType
from apexlocal.products.base import Product
from apexlocal.products.commercial import routes
from apexlocal.products.voice.voices import attach_cloned_voice

PRODUCT = Product(
    name="commercial",
    routes=routes.routes,
    job_types=[
        JobType(
            "commercial",
            task="video",
            label="Commercial",
            engine="commercial",
            prepare=attach_cloned_voice,
        )
    ],
)
