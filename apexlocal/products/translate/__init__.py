"""Video translation (`POST /api/generate/translate`): the video's speech in another language,
lip-synced, run by the `video-translate` engine, which drives speech to text, translation, voice,
mixing and the talking-head engine."""

from apexlocal.jobs.types import JobType
from apexlocal.products.base import Product
from apexlocal.products.translate import routes

PRODUCT = Product(
    name="translate",
    routes=routes.routes,
    job_types=[JobType("translate", task="translate", label="Video translation", engine="video-translate")],
)
