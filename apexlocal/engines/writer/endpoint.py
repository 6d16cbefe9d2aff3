"""The external writer's address: an OpenAI-compatible server (Ollama, vLLM, llama.cpp's
llama-server, another apexlocal) named by the `writer_*` settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from apexlocal.settings import Settings


@dataclass(frozen=True)
class WriterEndpoint:
    base_url: str  # up to and including /v1, e.g. http://127.0.0.1:11434/v1
    model: str  # the name that server knows the model by
    api_key: str = field(default="", repr=False)  # sent as a bearer token, never logged
    timeout_s: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> WriterEndpoint | None:
        """The endpoint the settings name, or None when `writer_base_url` is empty."""
        base = settings.writer_base_url.strip()
        if not base:
            return None
        return cls(base_url=base.rstrip("/"), model=settings.writer_model, api_key=settings.writer_api_key)
