"""Loading a causal language model and its tokenizer with transformers: from a GGUF file (the
manifest's `defaults.gguf_file`, dequantized to the device's dtype as transformers does, and kept
dequantized in the cache folder when there is one: converted.py), or from a folder of safetensors
shards and tokenizer files.

The chat template is the one the model ships (inside the GGUF, or tokenizer_config.json); a model
without one gets ChatML, the format SmolLM2 and Qwen were trained on.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apexlocal.errors import ModelError
from apexlocal.models.manifest import ModelEntry

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@dataclass
class LoadedModel:
    """A model warm in the runtime. `lock` serialises forward passes: concurrent answers take turns
    token by token rather than fighting over the same cores."""

    tokenizer: Any
    model: Any
    device: str
    eos_ids: frozenset[int]
    context_tokens: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    grammars: dict[str, Any] = field(default_factory=dict)  # compiled schema grammars, by schema text
    ll_tokenizer: Any = None  # llguidance's view of the tokenizer, made at the first schema

    @property
    def vocab_size(self) -> int:
        return int(self.model.get_output_embeddings().weight.shape[0])


def load_model(entry: ModelEntry, model_dir: Path, device: str, cache_dir: Path | None = None) -> LoadedModel:
    """The model warm on `device`. A GGUF model is dequantized once into `cache_dir` (when given) and
    loaded from that folder afterwards (see converted.py)."""
    from apexlocal.engines.runtime import torch_dtype_for

    dtype = torch_dtype_for(device)
    gguf = entry.defaults.get("gguf_file")
    if gguf and cache_dir is not None:
        tokenizer, model = _load_converted(entry, model_dir / gguf, dtype, cache_dir)
    else:
        tokenizer, model = _load_pretrained(entry, model_dir, dtype, gguf)
    model = model.to(device).eval()
    return LoadedModel(
        tokenizer=tokenizer,
        model=model,
        device=device,
        eos_ids=_eos_ids(tokenizer, model),
        context_tokens=int(entry.defaults.get("context_tokens") or model.config.max_position_embeddings),
    )


def _load_pretrained(entry: ModelEntry, folder: Path, dtype: Any, gguf: str | None) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from apexlocal.engines.writer.gguf_once import read_once

    extra = {"gguf_file": gguf} if gguf else {"local_files_only": True}
    try:
        with read_once() if gguf else contextlib.nullcontext():
            tokenizer = AutoTokenizer.from_pretrained(str(folder), **extra)
            model: Any = AutoModelForCausalLM.from_pretrained(str(folder), dtype=dtype, **extra)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise ModelError(f"cannot load {entry.id} from {folder} ({type(exc).__name__}: {exc})") from exc
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = CHATML
    return tokenizer, model


def _load_converted(entry: ModelEntry, gguf: Path, dtype: Any, cache_dir: Path) -> tuple[Any, Any]:
    from apexlocal.engines.writer.converted import converted_folder, is_current, save_converted, source_key
    from apexlocal.models.files import model_lock

    folder = converted_folder(cache_dir, entry.id)
    key = source_key(gguf, str(dtype).removeprefix("torch."))
    if is_current(folder, key):
        return _load_pretrained(entry, folder, dtype, None)
    with contextlib.ExitStack() as held:
        # One process converts; another that asks meanwhile waits for it and loads its result. A
        # read-only cache (no lock, no saving) only costs each process the slow load.
        with contextlib.suppress(OSError):
            held.enter_context(model_lock(cache_dir, entry.id))
        if is_current(folder, key):
            return _load_pretrained(entry, folder, dtype, None)
        tokenizer, model = _load_pretrained(entry, gguf.parent, dtype, gguf.name)
        with contextlib.suppress(OSError):
            save_converted(folder, key, tokenizer, model)
        return tokenizer, model


def _eos_ids(tokenizer: Any, model: Any) -> frozenset[int]:
    """Every id that ends a turn: the tokenizer's end of text, the generation config's list (Qwen
    ends turns with <|im_end|> and text with <|endoftext|>), and <|im_end|> where the vocabulary has it."""
    ids: set[int] = set()
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    for value in (tokenizer.eos_token_id, configured):
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, (list, tuple)):
            ids.update(int(v) for v in value)
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    if isinstance(im_end, int) and im_end != tokenizer.unk_token_id:
        ids.add(im_end)
    return frozenset(ids)
