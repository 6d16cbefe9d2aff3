"""A random-weight stand-in of M2M100, for tests of the `m2m100` translation engine's code path
(tokenizer languages, forced target-language token, batching, decoding) on a CPU in a second.

It is the same `M2M100ForConditionalGeneration` and `M2M100Tokenizer` classes as the real model, a
few channels wide, with a SentencePiece model trained here on a few sentences and M2M100's 100
language tokens. Its output is words of no language, so the manifest does not offer it as the `tiny`
set's translator (Apertium is that); tests build it with `build`.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from apexlocal.errors import ModelError
from apexlocal.models.staging import build_atomically, seed_option

SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")  # ids 0-3, as in the real vocab.json
CORPUS = (
    "Good morning, the meeting starts at nine and ends before lunch.",
    "Buenos días, la reunión empieza a las nueve y termina antes de comer.",
    "Bonjour, la réunion commence à neuf heures et finit avant le déjeuner.",
    "Guten Morgen, das Treffen beginnt um neun und endet vor dem Mittagessen.",
)


def _sentencepiece(staging: Path) -> Path:
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 8),
        model_writer=model,
        vocab_size=120,
        model_type="bpe",
        character_coverage=1.0,
        unk_id=0,
        bos_id=-1,
        eos_id=-1,
        pad_id=-1,
        hard_vocab_limit=False,
        minloglevel=2,
    )
    path = staging / "sentencepiece.bpe.model"
    path.write_bytes(model.getvalue())
    return path


def _m2m100_tiny(seed: int, staging: Path) -> None:
    import sentencepiece as spm
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer

    spm_file = _sentencepiece(staging)
    pieces = spm.SentencePieceProcessor(model_file=str(spm_file))
    vocab = {token: i for i, token in enumerate(SPECIALS)}
    for i in range(pieces.get_piece_size()):
        vocab.setdefault(pieces.id_to_piece(i), len(vocab))
    vocab_file = staging / "vocab.json"
    vocab_file.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = M2M100Tokenizer(vocab_file=str(vocab_file), spm_file=str(spm_file), src_lang="en", tgt_lang="es")
    # Language tokens come after the pieces, then a few unused ids, as in the real model (128,112).
    vocab_size = max(tokenizer.lang_token_to_id.values()) + 1 + tokenizer.num_madeup_words
    config = M2M100Config(
        vocab_size=vocab_size,
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=256,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
    )
    torch.manual_seed(seed)
    model: Any = M2M100ForConditionalGeneration(config).eval()
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)


BUILDERS = {"m2m100_tiny": _m2m100_tiny}


def build(builder: str, out_dir: Path, options: dict[str, Any] | None = None) -> None:
    make = BUILDERS.get(builder)
    if make is None:
        raise ModelError(f"no tiny translation builder named {builder!r}; known: {', '.join(sorted(BUILDERS))}")
    seed = seed_option(builder, options)
    build_atomically(out_dir, lambda staging: make(seed, staging))
