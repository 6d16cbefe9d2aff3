"""Chat: OpenAI's `POST /v1/chat/completions` (and `GET /v1/models`) over the writer engine,
charged per 1,000 tokens and recorded as a `chat` job."""

from apexlocal.jobs.types import JobType
from apexlocal.products.base import Product
from apexlocal.products.chat.routes import chat_router

PRODUCT = Product(
    name="chat",
    job_types=[JobType("chat", task="writer", label="Chat completion")],
    root_routes=[chat_router()],
)
