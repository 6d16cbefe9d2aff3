"""The two Chatterbox checkpoints the `voice-clone` engine runs, told apart by the manifest's
`pipeline`: what each loads, how it reads text, and which files its conditionals depend on.

- `ChatterboxTTS`, English (`t3_cfg.safetensors`, 704 text tokens, `EnTokenizer`).
- `ChatterboxMultilingualTTS`, 23 languages (`t3_mtl23ls_v2.safetensors`, 2454 text tokens,
  `MTLTokenizer`). Its text is lower-cased, NFKD-decomposed, prefixed with the language's token
  (`[es]` ...) and, for some languages, rewritten first: Chinese into Cangjie codes (the table
  `Cangjie5_TC.json`, read here from the model's folder rather than from the hub, and word
  segmentation by spacy-pkuseg where installed), Japanese kanji into hiragana (pykakasi), Hebrew
  with vowel points (dicta-onnx), Russian with stress marks (russian-text-stresser). Chatterbox
  logs a warning and keeps the text as it is where one of those packages is missing. At every
  step of T3's sampling its alignment analyzer reads three attention heads (it stops a
  hallucinating tail and holds the stop token back until the text is read); T3 registers a fresh
  hook for it on each call and never removes it, so `inference` removes them afterwards.

Both share the voice encoder and S3Gen architecture and `prepare_conditionals`, so a voice's
conditionals are computed, stored (`conditionals.py`) and used the same way by either; a file made
by one is refused by the other (its fingerprint names other files) and computed from the clip.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apexlocal.errors import ModelError
from apexlocal.models.manifest import ModelEntry


@dataclass(frozen=True)
class Checkpoint:
    pipeline: str  # the manifest's `pipeline`, the chatterbox class
    required: tuple[str, ...]  # files `from_local` reads
    fingerprint: tuple[str, ...]  # the voice encoder's and S3Gen's weights: what conditionals depend on
    multilingual: bool


ENGLISH = Checkpoint(
    "ChatterboxTTS",
    ("ve.safetensors", "t3_cfg.safetensors", "s3gen.safetensors", "tokenizer.json"),
    ("ve.safetensors", "s3gen.safetensors"),
    multilingual=False,
)
MULTILINGUAL = Checkpoint(
    "ChatterboxMultilingualTTS",
    ("ve.pt", "t3_mtl23ls_v2.safetensors", "s3gen.pt", "grapheme_mtl_merged_expanded_v1.json"),
    ("ve.pt", "s3gen.pt"),
    multilingual=True,
)
CHECKPOINTS = {c.pipeline: c for c in (ENGLISH, MULTILINGUAL)}


def checkpoint_of(model: ModelEntry) -> Checkpoint:
    """The checkpoint a manifest entry names (an entry without `pipeline` is the English model)."""
    found = CHECKPOINTS.get(model.pipeline or ENGLISH.pipeline)
    if found is None:
        raise ModelError(
            f"{model.id}: the voice-clone engine runs {' or '.join(CHECKPOINTS)}, not pipeline {model.pipeline!r}"
        )
    return found


def load(checkpoint: Checkpoint, model_dir: Path, device: str) -> Any:
    """The chatterbox class's own `from_local`, for the real weights and for the tiny stand-in alike
    (whose `tiny_sizes.json` sets the widths its constructors build)."""
    from apexlocal.models.tiny_clone import read_tiny_sizes, sized_components
    from apexlocal.models.torchaudio_compat import import_chatterbox, import_chatterbox_multilingual

    model_dir = Path(model_dir)
    missing = [name for name in checkpoint.required if not (model_dir / name).is_file()]
    if missing:
        raise ModelError(f"{checkpoint.pipeline} needs {', '.join(missing)} in {model_dir}")
    try:
        with sized_components(read_tiny_sizes(model_dir)):
            if not checkpoint.multilingual:
                return import_chatterbox().ChatterboxTTS.from_local(model_dir, device)
            mtl = import_chatterbox_multilingual()
            with _hub_files_from(model_dir):
                return mtl.ChatterboxMultilingualTTS.from_local(model_dir, device)
    except (RuntimeError, OSError, ValueError, KeyError, AssertionError) as exc:
        raise ModelError(f"cannot load {checkpoint.pipeline} from {model_dir} ({type(exc).__name__}: {exc})") from exc


@contextlib.contextmanager
def _hub_files_from(model_dir: Path) -> Iterator[None]:
    """`MTLTokenizer` fetches `Cangjie5_TC.json` from the hub when it is built; within this, that
    file comes from the model's own folder (pulled with the rest), and a missing one is what the
    tokenizer already copes with (no Cangjie table: a warning). Callers hold the construction
    lock of `sized_components`, which keeps the swap from other threads' constructions."""
    from chatterbox.models.tokenizers import tokenizer

    def local_file(repo_id: str, filename: str, **_kwargs: Any) -> str:
        path = model_dir / filename
        if not path.is_file():
            raise FileNotFoundError(f"{filename} is not in {model_dir}")
        return str(path)

    real = tokenizer.hf_hub_download
    tokenizer.hf_hub_download = local_file
    try:
        yield
    finally:
        tokenizer.hf_hub_download = real


def text_tokens(model: Any, text: str, language: str) -> Any:
    """(1, n) text tokens of `text` as the model's own `generate` makes them: its punctuation
    cleanup, then its tokenizer (the multilingual one with `language_id`)."""
    if getattr(model.t3.hp, "is_multilingual", False):
        from chatterbox.mtl_tts import punc_norm as mtl_punc_norm

        return model.tokenizer.text_to_tokens(mtl_punc_norm(text), language_id=language.lower())
    from chatterbox.tts import punc_norm

    return model.tokenizer.text_to_tokens(punc_norm(text))


@contextlib.contextmanager
def hooks_removed_after(t3: Any) -> Iterator[None]:
    """Removes the attention hooks a T3 call registers (the multilingual alignment analyzer's)."""
    attention = [layer.self_attn for layer in getattr(t3.tfmr, "layers", [])]
    before = [set(module._forward_hooks) for module in attention]
    try:
        yield
    finally:
        for module, kept in zip(attention, before, strict=True):
            for key in set(module._forward_hooks) - kept:
                del module._forward_hooks[key]
