"""A GGUF writer model dequantized once and kept as a transformers folder (safetensors + tokenizer):
transformers dequantizes a GGUF on every load (7 s of CPU time for SmolLM2-135M with the file parsed
once, gguf_once.py; 20 s as transformers alone reads it), while the saved folder loads in about a
second.

The folder is `<cache_dir>/<model id>/`, built atomically, with a marker naming the GGUF's sha256
and the dtype it was saved in: a changed file (or another dtype) rebuilds it whole.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MARKER = "converted-from.json"


def converted_folder(cache_dir: Path, model_id: str) -> Path:
    return cache_dir / model_id


def source_key(gguf: Path, dtype: str) -> dict[str, str]:
    from apexlocal.models.checksums import sha256_file

    return {"gguf": gguf.name, "gguf_sha256": sha256_file(gguf), "dtype": dtype}


def is_current(folder: Path, key: dict[str, str]) -> bool:
    try:
        return bool(json.loads((folder / MARKER).read_text()) == key)
    except (OSError, ValueError):
        return False


def save_converted(folder: Path, key: dict[str, str], tokenizer: Any, model: Any) -> None:
    """Writes the loaded model and tokenizer (chat template included) to `folder`, whole or not at all."""
    from apexlocal.models.staging import build_atomically

    def write(staging: Path) -> None:
        from safetensors.torch import save_model

        # Not model.save_pretrained: transformers refuses to save a model it loaded from a GGUF
        # (it still counts it as quantized). The weights are plain tensors by now.
        save_model(model, str(staging / "model.safetensors"))
        model.config.save_pretrained(str(staging))
        _drop_quantization(staging / "config.json")
        model.generation_config.save_pretrained(str(staging))
        tokenizer.save_pretrained(str(staging))
        (staging / MARKER).write_text(json.dumps(key))

    build_atomically(folder, write)


def _drop_quantization(config_json: Path) -> None:
    """The saved weights are dequantized: a loader must not read them as GGUF-quantized."""
    config = json.loads(config_json.read_text())
    config.pop("quantization_config", None)
    config_json.write_text(json.dumps(config, indent=2))
