"""Chatterbox's conditionals of a cloned voice, as a file kept with the voice.

`ChatterboxTTS.prepare_conditionals(clip)` turns a reference clip into everything Chatterbox is
conditioned on (its `Conditionals`):
  t3   `speaker_emb`, the voice encoder's speaker embedding (256 numbers, from the whole clip);
       `cond_prompt_speech_tokens`, the clip's first 6 s as S3 speech tokens; `emotion_adv`, the
       exaggeration
  gen  for S3Gen, the clip's first 10 s as S3 speech tokens (`prompt_token`) and 80-band mel frames
       (`prompt_feat`), and the CAM++ speaker encoder's x-vector (`embedding`, 192 numbers)
Those are a function of the clip and of the voice encoder's and S3Gen's weights (the English
model's `ve.safetensors` and `s3gen.safetensors`, the multilingual model's `ve.pt` and `s3gen.pt`;
T3's weights take no part). A file written by `save` carries a fingerprint of both files and of
the chatterbox-tts version; `load` refuses a file made with anything else, so a voice whose model
has since changed is conditioned from its clip again instead of with stale numbers.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import threading
from pathlib import Path
from typing import Any

# What a voice row's `embedding_kind` says when this file is stored with the voice.
KIND = "chatterbox-conditionals-v1"
FILE_NAME = "conditionals.pt"
FORMAT = "apexlocal/chatterbox-conditionals/1"
FINGERPRINT_FILES = ("ve.safetensors", "s3gen.safetensors")
GEN_KEYS = ("prompt_token", "prompt_token_len", "prompt_feat", "prompt_feat_len", "embedding")

_fingerprints: dict[tuple[Any, ...], str] = {}
_fingerprints_lock = threading.Lock()


class UnusableConditionals(ValueError):
    """A stored conditionals file that cannot be used: another model's, another format, or damaged."""


def model_fingerprint(model_dir: Path, files: tuple[str, ...] = FINGERPRINT_FILES) -> str:
    """sha256 over the chatterbox-tts version and the voice encoder's and S3Gen's weight files
    (`files`: the English model's by default); worked out once per file version (path, size,
    mtime), since S3Gen's file is 1 GB."""
    model_dir = Path(model_dir).resolve()
    stats = tuple((name, *_stat(model_dir / name)) for name in files)
    key = (str(model_dir), stats)
    with _fingerprints_lock:
        if key in _fingerprints:
            return _fingerprints[key]
    digest = hashlib.sha256(f"chatterbox-tts {_chatterbox_version()}\n".encode())
    for name in files:
        with open(model_dir / name, "rb") as src:
            digest.update(f"{name} {hashlib.file_digest(src, 'sha256').hexdigest()}\n".encode())
    with _fingerprints_lock:
        _fingerprints[key] = digest.hexdigest()
    return digest.hexdigest()


def _stat(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _chatterbox_version() -> str:
    try:
        return importlib.metadata.version("chatterbox-tts")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def save(conds: Any, path: Path, fingerprint: str) -> None:
    """Writes `conds` (a chatterbox `Conditionals`) to `path`, on the CPU, atomically."""
    import torch

    payload = {
        "format": FORMAT,
        "model": fingerprint,
        "t3": {k: _cpu(v) for k, v in conds.t3.__dict__.items()},
        "gen": {k: _cpu(v) for k, v in conds.gen.items()},
    }
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    torch.save(payload, partial)
    os.replace(partial, path)


def _cpu(value: Any) -> Any:
    return value.detach().cpu() if hasattr(value, "detach") else value


def load(path: Path, fingerprint: str, device: str) -> Any:
    """The `Conditionals` in `path`, on `device`. Raises UnusableConditionals when the file was made
    by other weights, is of another format or cannot be read."""
    import pickle

    import torch
    from chatterbox.models.t3.modules.cond_enc import T3Cond
    from chatterbox.tts import Conditionals

    try:
        # weights_only: tensors, numbers and dicts only, never arbitrary pickled objects.
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError) as exc:
        raise UnusableConditionals(f"unreadable ({type(exc).__name__}: {exc})") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise UnusableConditionals("not a conditionals file of this format")
    if payload.get("model") != fingerprint:
        raise UnusableConditionals("made with other Chatterbox weights")
    t3, gen = payload.get("t3"), payload.get("gen")
    if (
        not isinstance(t3, dict)
        or not torch.is_tensor(t3.get("speaker_emb"))
        or not isinstance(gen, dict)
        or set(GEN_KEYS) - set(gen)
    ):
        raise UnusableConditionals("incomplete")
    try:
        return Conditionals(T3Cond(**t3), dict(gen)).to(device)
    except TypeError as exc:
        raise UnusableConditionals(f"unexpected fields ({exc})") from exc
