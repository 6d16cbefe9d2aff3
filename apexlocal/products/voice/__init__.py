"""Voice: text to speech jobs, voice cloning, the voice library, and the OpenAI-compatible
streaming speech route."""

from apexlocal.jobs.services import Services
from apexlocal.jobs.types import JobType
from apexlocal.products.base import Product
from apexlocal.products.voice import clone, library, preview, routes
from apexlocal.products.voice.openai_speech import speech_router
from apexlocal.products.voice.voices import attach_cloned_voice


def install(services: Services) -> None:
    """Cloning and previews run on the `clone` queue."""
    clone.install(services)
    preview.install(services)


PRODUCT = Product(
    name="voice",
    routes=[*routes.routes, *library.routes, *preview.routes],
    job_types=[JobType("voice", task="voice", label="Voice generation", prepare=attach_cloned_voice)],
    root_routes=[speech_router()],
    install=install,
    on_startup=[clone.recover],
)
