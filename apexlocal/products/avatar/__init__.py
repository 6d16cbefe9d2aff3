"""Avatar: a talking-head video from a photo and speech (a recording, or text spoken by a voice),
run by the `talking-head` engine of the avatar model."""

from apexlocal.jobs.types import JobType
from apexlocal.products.avatar import routes
from apexlocal.products.base import Product
from apexlocal.products.voice.voices import attach_cloned_voice

PRODUCT = Product(
    name="avatar",
    routes=routes.routes,
    job_types=[JobType("avatar", task="avatar", label="Avatar video", prepare=attach_cloned_voice)],
)
