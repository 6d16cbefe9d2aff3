"""The embedded writer: a manifest model run by transformers in this process, kept warm in the
engines' runtime, its answers constrained by a JSON schema when one is given."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from apexlocal.engines.base import EngineContext
from apexlocal.engines.runtime import GIB
from apexlocal.engines.writer.decoding import Ending, tokens
from apexlocal.engines.writer.grammar import SchemaGrammar
from apexlocal.engines.writer.loading import LoadedModel, load_model
from apexlocal.engines.writer.messages import (
    ChatMessage,
    Completion,
    PromptTooLong,
    TextStream,
    as_dicts,
    check_messages,
)
from apexlocal.engines.writer.text_stream import Detokenizer, StopFilter
from apexlocal.models.manifest import ModelEntry


def load_warm(ctx: EngineContext, entry: ModelEntry) -> LoadedModel:
    model_dir = Path(ctx.model_dir(entry))
    size = int(entry.memory_gb * GIB) if entry.memory_gb else None
    key = f"writer:{entry.id}:{model_dir.resolve()}:{ctx.device}"
    loaded: LoadedModel = ctx.runtime.get(key, lambda: load_model(entry, model_dir, ctx.device, ctx.cache_dir), size)
    return loaded


class LocalWriter:
    def __init__(self, entry: ModelEntry, loaded: LoadedModel) -> None:
        self.entry, self.loaded = entry, loaded
        self.model_id = entry.id

    def prompt_ids(self, messages: Sequence[ChatMessage], max_tokens: int) -> list[int]:
        check_messages(messages)
        encoded = self.loaded.tokenizer.apply_chat_template(
            as_dicts(messages), add_generation_prompt=True, tokenize=True, enable_thinking=False
        )
        ids = encoded["input_ids"] if isinstance(encoded, dict) or hasattr(encoded, "keys") else encoded
        ids = [int(i) for i in ids]
        room = self.loaded.context_tokens - len(ids)
        if room < min(max_tokens, 16):
            raise PromptTooLong(
                f"the messages take {len(ids)} tokens; {self.model_id} reads at most "
                f"{self.loaded.context_tokens} tokens, answer included"
            )
        return ids

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 512,
        temperature: float = 0.7,
        json_schema: dict[str, Any] | None = None,
        stop: Sequence[str] = (),
        cancelled: Callable[[], bool] | None = None,
        seed: int | None = None,
    ) -> Completion:
        stream = self.stream(
            messages,
            max_tokens=max_tokens,
            temperature=temperature,
            json_schema=json_schema,
            stop=stop,
            cancelled=cancelled,
            seed=seed,
        )
        for _piece in stream:
            pass
        assert stream.result is not None  # set when the stream ends
        return stream.result

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 512,
        temperature: float = 0.7,
        json_schema: dict[str, Any] | None = None,
        stop: Sequence[str] = (),
        cancelled: Callable[[], bool] | None = None,
        seed: int | None = None,
    ) -> TextStream:
        """The answer piece by piece; `.result` holds the completion once it has ended. The prompt is
        checked (and the schema compiled) here, before the first piece is asked for."""
        prompt = self.prompt_ids(messages, max_tokens)
        max_tokens = min(max_tokens, self.loaded.context_tokens - len(prompt))
        grammar = SchemaGrammar(self.loaded, json_schema) if json_schema is not None else None
        text_stream: TextStream

        def pieces() -> Iterator[str]:
            ending = Ending()
            detok, stops, text = Detokenizer(self.loaded.tokenizer), StopFilter(() if grammar else stop), []
            for token in tokens(
                self.loaded,
                prompt,
                max_tokens=max_tokens,
                temperature=temperature,
                grammar=grammar,
                cancelled=cancelled or (lambda: False),
                ending=ending,
                seed=seed,
            ):
                piece = stops.push(detok.push(token))
                if piece:
                    text.append(piece)
                    yield piece
                if stops.stopped:
                    ending.reason = "stop"
                    break
            tail = stops.flush()
            if tail:
                text.append(tail)
                yield tail
            text_stream.result = Completion(
                text="".join(text),
                prompt_tokens=len(prompt),
                completion_tokens=ending.tokens,
                finish_reason=ending.reason,
                model=self.model_id,
            )

        text_stream = TextStream(pieces())
        return text_stream
