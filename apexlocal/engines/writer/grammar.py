"""Constrained decoding under a JSON schema with llguidance: before each token, the set of tokens
that keep the answer a valid prefix of some document the schema accepts; the rest of the logits are
set to -inf. The answer then always parses and has every required key, whatever the model.

Whitespace between JSON tokens is not allowed (compact JSON): a small model would otherwise spend
its token budget on newlines and indentation.
"""

from __future__ import annotations

import json
from typing import Any

from apexlocal.errors import JobError

COMPILE_OPTIONS: Any = {"whitespace_flexible": False}  # llguidance.JsonCompileOptions


class SchemaGrammar:
    """One answer's matcher: which tokens may come next, and the tokens taken so far."""

    def __init__(self, loaded: Any, schema: dict[str, Any]) -> None:
        import llguidance
        import llguidance.torch

        self._torch_fill = llguidance.torch.fill_next_token_bitmask
        tokenizer = _ll_tokenizer(loaded)
        grammar = _compiled(loaded, schema)
        self.matcher = llguidance.LLMatcher(tokenizer, grammar, log_level=0)
        if self.matcher.is_error():
            raise JobError(f"json_schema: {self.matcher.get_error()}")
        self.vocab = loaded.vocab_size
        self.bitmask = llguidance.torch.allocate_token_bitmask(1, self.vocab)

    @property
    def finished(self) -> bool:
        return bool(self.matcher.is_stopped())

    def allowed(self) -> Any:
        """A bool tensor over the vocabulary: the tokens the schema allows next."""
        import torch

        self._torch_fill(self.matcher, self.bitmask)
        bits = torch.arange(32, dtype=torch.int32)
        return ((self.bitmask[0].unsqueeze(-1) >> bits) & 1).bool().flatten()[: self.vocab]

    def take(self, token: int) -> None:
        if not self.matcher.consume_token(token):
            raise JobError(f"constrained decoding failed: {self.matcher.get_error()}")


def check_schema(schema: dict[str, Any]) -> str:
    """The schema's llguidance grammar; raises JobError naming what it cannot compile."""
    import llguidance

    try:
        grammar = llguidance.LLMatcher.grammar_from_json_schema(json.dumps(schema), overrides=COMPILE_OPTIONS)
    except ValueError as exc:
        raise JobError(f"json_schema: {exc}") from None
    error = llguidance.LLMatcher.validate_grammar(grammar)
    if error and not error.startswith("WARNING"):
        raise JobError(f"json_schema: {error}")
    return str(grammar)


def _compiled(loaded: Any, schema: dict[str, Any]) -> str:
    key = json.dumps(schema, sort_keys=True)
    grammar = loaded.grammars.get(key)
    if grammar is None:
        grammar = check_schema(schema)
        if len(loaded.grammars) > 64:  # schemas come from callers; keep the cache small
            loaded.grammars.clear()
        loaded.grammars[key] = grammar
    return str(grammar)


def _ll_tokenizer(loaded: Any) -> Any:
    """llguidance's view of the model's tokenizer, made once per loaded model."""
    if loaded.ll_tokenizer is None:
        import llguidance.hf

        eos = loaded.tokenizer.eos_token_id
        loaded.ll_tokenizer = llguidance.hf.from_tokenizer(
            loaded.tokenizer, n_vocab=loaded.vocab_size, eos_token=eos if eos is not None else min(loaded.eos_ids)
        )
    return loaded.ll_tokenizer
