"""Transcription: OpenAI's `POST /v1/audio/transcriptions` over the speech-to-text engine, charged
per started minute of audio and recorded as a `transcription` job."""

from apexlocal.jobs.types import JobType
from apexlocal.products.base import Product
from apexlocal.products.transcriptions.routes import transcription_router

PRODUCT = Product(
    name="transcriptions",
    job_types=[JobType("transcription", task="speech-to-text", label="Transcription")],
    root_routes=[transcription_router()],
)
