"""M2M100 on transformers: `m2m100`. Meta's many-to-many model translates directly between any two
of its 100 languages (no pivot through English): the tokenizer is told the source language, and
generation starts with the target language's token (`forced_bos_token_id`).

Lines are translated in batches, each line on its own (a line is one subtitle or spoken segment), on
the GPU when there is one, in the runtime's dtype for the device (bfloat16 or float16 on CUDA,
float32 on a CPU); progress after each batch, cancel checked between them.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from apexlocal.engines.base import EngineContext
from apexlocal.engines.runtime import GIB
from apexlocal.engines.translation.translate import STAGE, TranslationEngine
from apexlocal.errors import ModelError
from apexlocal.models.manifest import ModelEntry

MAX_INPUT_TOKENS = 256  # a line longer than this is cut: one spoken segment is far shorter
BATCH = {"cuda": 32, "mps": 16, "cpu": 8}


def load(model_dir: Path, device: str) -> tuple[Any, Any]:
    """(tokenizer, model) from a folder of the hub's files, or of the tiny stand-in's."""
    from transformers import M2M100ForConditionalGeneration, M2M100Tokenizer

    from apexlocal.engines.runtime import torch_dtype_for

    try:
        tokenizer = M2M100Tokenizer.from_pretrained(str(model_dir), local_files_only=True)
        net: Any = M2M100ForConditionalGeneration.from_pretrained(
            str(model_dir), local_files_only=True, dtype=torch_dtype_for(device)
        )
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelError(f"cannot load M2M100 from {model_dir} ({type(exc).__name__}: {exc})") from exc
    return tokenizer, net.to(device).eval()


def _decode(tokenizer: Any, ids: Any) -> list[str]:
    """Text of generated ids. The language tokens are dropped by id: transformers 5's M2M100
    tokenizer kept "__es__" with `skip_special_tokens` (its language tokens are not always special)."""
    languages = set(tokenizer.lang_token_to_id.values())
    rows = [[int(i) for i in row if int(i) not in languages] for row in ids.tolist()]
    return [str(text) for text in tokenizer.batch_decode(rows, skip_special_tokens=True)]


class M2M100Engine(TranslationEngine):
    name = "m2m100"

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the tokenizer's source language is state of the shared tokenizer

    def translate(self, ctx: EngineContext, model: ModelEntry, lines: list[str], source: str, target: str) -> list[str]:
        import torch

        model_dir = ctx.model_dir(model)
        size = int(model.memory_gb * GIB) if ctx.model_set == "full" and model.memory_gb else None
        ctx.check_cancelled()
        ctx.progress(0.0, "loading")
        tokenizer, net = ctx.runtime.get(
            f"m2m100:{Path(model_dir).resolve()}:{ctx.device}", lambda: load(model_dir, ctx.device), size
        )
        ctx.progress(1.0, "loading")
        step = BATCH.get(ctx.device.split(":", 1)[0], 8)
        beams = int(model.defaults.get("num_beams", 4))
        out: list[str] = []
        ctx.progress(0.0, STAGE)
        for first in range(0, len(lines), step):
            ctx.check_cancelled()
            with self._lock:
                tokenizer.src_lang = source
                batch = tokenizer(
                    lines[first : first + step],
                    return_tensors="pt",
                    padding=True,
                    truncation=True,
                    max_length=MAX_INPUT_TOKENS,
                ).to(net.device)
                forced = tokenizer.get_lang_id(target)
            with torch.inference_mode():
                ids = net.generate(
                    **batch,
                    forced_bos_token_id=forced,
                    num_beams=beams,
                    max_new_tokens=2 * int(batch["input_ids"].shape[1]) + 16,
                )
            out += _decode(tokenizer, ids)
            ctx.progress(len(out) / len(lines), STAGE)
        return out
