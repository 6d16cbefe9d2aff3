"""The token loop: one forward pass per token over the KV cache, sampling (greedy at temperature 0,
else temperature and nucleus sampling), the schema's mask when there is one, cancel checked between
tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from apexlocal.engines.writer.grammar import SchemaGrammar
from apexlocal.engines.writer.loading import LoadedModel

TOP_P = 0.95


@dataclass
class Ending:
    """How the loop ended: "stop" (end of turn, or the schema's document complete), "length" or "cancelled"."""

    reason: str = "length"
    tokens: int = 0


def tokens(
    loaded: LoadedModel,
    prompt: list[int],
    *,
    max_tokens: int,
    temperature: float,
    grammar: SchemaGrammar | None,
    cancelled: Callable[[], bool],
    ending: Ending,
    seed: int | None = None,
) -> Iterator[int]:
    """The answer's token ids (end-of-turn left out); `ending` says why it stopped."""
    import torch

    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    cache: Any = None
    feed = torch.tensor([prompt], device=loaded.device)
    with torch.inference_mode():
        while ending.tokens < max_tokens:
            if cancelled():
                ending.reason = "cancelled"
                return
            if grammar is not None and grammar.finished:
                ending.reason = "stop"
                return
            with loaded.lock:
                out = loaded.model(input_ids=feed, cache=cache, use_cache=True, logits_to_keep=1)
            cache = out.cache
            logits = out.logits[0, -1].float().cpu()
            if grammar is not None:
                allowed = grammar.allowed()
                logits = logits[: allowed.shape[0]].masked_fill(~allowed, float("-inf"))
            token = _sample(logits, temperature, generator)
            if grammar is not None:
                grammar.take(token)
            if token in loaded.eos_ids:
                ending.reason = "stop"
                return
            ending.tokens += 1
            yield token
            feed = torch.tensor([[token]], device=loaded.device)


def _sample(logits: Any, temperature: float, generator: Any) -> int:
    import torch

    if temperature <= 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits / temperature, dim=-1)
    ordered, order = torch.sort(probs, descending=True)
    keep = torch.cumsum(ordered, dim=-1) - ordered < TOP_P  # the smallest set holding TOP_P of the mass
    ordered = ordered * keep
    pick = torch.multinomial(ordered / ordered.sum(), 1, generator=generator)
    return int(order[pick])
