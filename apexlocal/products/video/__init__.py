"""Video: text to video, b-roll, and the narrated video that drives the voice, video and
composition engines (`scripted-video`)."""

from apexlocal.jobs.types import JobType
from apexlocal.products.base import Product
from apexlocal.products.video import routes
from apexlocal.products.voice.voices import attach_cloned_voice

PRODUCT = Product(
    name="video",
    routes=routes.routes,
    job_types=[
        JobType("video", task="video", label="Video generation", engine="scripted-video", prepare=attach_cloned_voice),
        JobType("text2video", task="text2video", label="Text to video"),
        JobType("b-roll", task="b-roll", label="B-roll generation"),
    ],
)
