"""The full set's writer path on a tiny random-weight Qwen3ForCausalLM with a Qwen-layout tokenizer
and chat template, saved and loaded as a folder (the way Qwen3-4B-Instruct-2507's files load): the
prompt in ChatML with thinking switched off, and a schema answer that validates whatever the
random weights say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from apexlocal.engines.writer import ChatMessage
from apexlocal.engines.writer.choice import default_writer
from apexlocal.engines.writer.loading import load_model
from apexlocal.engines.writer.local import LocalWriter
from apexlocal.models.manifest import Manifest

SCHEMA = {
    "type": "object",
    "properties": {
        "mood": {"enum": ["calm", "happy"]},
        "words": {"type": "array", "items": {"type": "string", "maxLength": 6}, "maxItems": 2},
        "score": {"type": "integer", "minimum": 0, "maximum": 9},
    },
    "required": ["mood", "words", "score"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def qwen_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import Qwen3ForCausalLM

    from apexlocal.models.tiny_text import qwen3_config, qwen_tokenizer

    folder = tmp_path_factory.mktemp("tiny-qwen3-writer")
    tokenizer = qwen_tokenizer()
    tokenizer.eos_token = "<|im_end|>"
    torch.manual_seed(0)
    Qwen3ForCausalLM(qwen3_config(len(tokenizer), 2)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_the_full_sets_default_writer_is_qwen3(manifest: Manifest) -> None:
    entry = default_writer(manifest, "full")
    assert (entry.id, entry.pipeline, entry.license, entry.commercial) == (
        "qwen3-4b-instruct-2507",
        "Qwen3ForCausalLM",
        "apache-2.0",
        True,
    )
    assert default_writer(manifest, "tiny").id == "smollm2-135m-instruct"


def test_a_qwen3_folder_writes_a_schema_answer(manifest: Manifest, qwen_folder: Path) -> None:
    entry = manifest.by_id()["qwen3-4b-instruct-2507"]
    writer = LocalWriter(entry, load_model(entry, qwen_folder, "cpu"))
    assert writer.loaded.context_tokens == 32768  # the manifest's bound, not the config's
    messages = [ChatMessage("system", "Be brief."), ChatMessage("user", "Hi")]
    prompt = writer.loaded.tokenizer.decode(writer.prompt_ids(messages, 10))
    assert prompt == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\n<think>\n\n</think>\n\n"
    )
    for seed in (1, 2, 3):
        result: Any = writer.complete(messages, max_tokens=120, temperature=1.0, json_schema=SCHEMA, seed=seed)
        assert result.finish_reason == "stop", result
        jsonschema.validate(json.loads(result.text), SCHEMA)
