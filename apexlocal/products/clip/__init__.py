"""Auto-clip (`POST /api/generate/clip`): the best moments of a long video, scored, reframed and
captioned, run by the `clip` engine; the job's model is the speech-to-text model that hears it."""

from apexlocal.jobs.types import JobType
from apexlocal.products.base import Product
from apexlocal.products.clip import routes

PRODUCT = Product(
    name="clip",
    routes=routes.routes,
    job_types=[JobType("clip", task="clip", label="Clip generation", engine="clip")],
)
