"""Random-weight stand-ins of the voice models for the `tiny` set.

`kokoro_tiny` builds Kokoro's own `KModel` class from a small config: the text side (ALBERT,
duration predictor, text encoder) is a few channels wide, while the decoder keeps the sizes its
code fixes (1024/512 channels, a 128+128 style vector) and the real upsampling (10 x 6, hop 5), so
one predicted frame still makes 600 samples at 24 kHz. `max_dur` is 6 (50 in the real model):
the random duration head then predicts about 3 frames (75 ms) per phoneme, near real speech, so
outputs have a plausible length. Weights
are written the way `kokoro-v1_0.pth` is (one state dict per submodule) and voices as `[510, 1,
256]` tensors in `voices/*.pt`; the engine then loads them with `KModel(config=..., model=...)`
exactly as it loads the real files. Outputs are noise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from apexlocal.errors import ModelError
from apexlocal.models.staging import build_atomically, seed_option

WEIGHTS_NAME = "kokoro-v1_0.pth"
# One stock voice per language, plus the default and the hosted stand-ins' voices.
TINY_VOICES = (
    "af_heart",
    "af_bella",
    "am_michael",
    "bf_emma",
    "ef_dora",
    "ff_siwis",
    "hf_alpha",
    "if_sara",
    "jf_alpha",
    "pf_dora",
    "zf_xiaobei",
)
# Phoneme symbols of misaki and espeak-ng output; a real config's vocab has 178 entries.
SYMBOLS = (
    ';:,.!?¡¿—…"«»“” '
    "abcdefghijklmnopqrstuvwxyz"
    "ɑɐɒæβɔɕçðʤəɚɛɜɟɡɥɨɪʝɬɫɯɰŋɲøθœɹɾɻʁɽʂʃʈʧʊʋʌɣɤχʎʐʒʔˈˌːʰʲ↓↑→↗↘ᵻᵊʣʥʦʨᵝꭧAIOQSTWYᵊ"
)


def tiny_kokoro_config() -> dict[str, Any]:
    vocab: dict[str, int] = {}
    for symbol in SYMBOLS:
        vocab.setdefault(symbol, len(vocab) + 1)  # 0 is the pad/boundary token
    return {
        "vocab": vocab,
        "n_token": 178,
        "hidden_dim": 512,
        "style_dim": 128,
        "n_layer": 1,
        "max_dur": 6,
        "dropout": 0.0,
        "n_mels": 80,
        "dim_in": 64,
        "max_conv_dim": 512,
        "text_encoder_kernel_size": 5,
        "multispeaker": True,
        "plbert": {
            "hidden_size": 32,
            "num_attention_heads": 2,
            "intermediate_size": 64,
            "max_position_embeddings": 512,
            "num_hidden_layers": 1,
            "dropout": 0.0,
            "embedding_size": 16,
        },
        "istftnet": {
            "upsample_kernel_sizes": [20, 12],
            "upsample_rates": [10, 6],
            "gen_istft_hop_size": 5,
            "gen_istft_n_fft": 20,
            "resblock_dilation_sizes": [[1, 3, 5]],
            "resblock_kernel_sizes": [3],
            "upsample_initial_channel": 512,
        },
    }


def _kokoro_tiny(staging: Path, seed: int) -> None:
    import torch
    from kokoro import KModel

    config = tiny_kokoro_config()
    (staging / "config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    # An empty weights file first: KModel always loads one, and this keeps the random init.
    torch.save({}, staging / WEIGHTS_NAME)
    torch.manual_seed(seed)
    model = KModel(repo_id="hexgrad/Kokoro-82M", config=config, model=str(staging / WEIGHTS_NAME))
    parts = ("bert", "bert_encoder", "predictor", "text_encoder", "decoder")
    torch.save({name: getattr(model, name).state_dict() for name in parts}, staging / WEIGHTS_NAME)
    (staging / "voices").mkdir()
    for i, voice in enumerate(TINY_VOICES):
        generator = torch.Generator().manual_seed(seed + i)
        pack = torch.randn(510, 1, 256, generator=generator) * 0.1
        torch.save(pack, staging / "voices" / f"{voice}.pt")


BUILDERS = {"kokoro_tiny": _kokoro_tiny}


def build(builder: str, out_dir: Path, options: dict[str, Any] | None = None) -> None:
    """Build the voice stand-in `builder` into `out_dir`, atomically (a staging folder renamed)."""
    make = BUILDERS.get(builder)
    if make is None:
        raise ModelError(f"no tiny voice builder named {builder!r}; known: {', '.join(sorted(BUILDERS))}")
    seed = seed_option(builder, options)
    build_atomically(out_dir, lambda staging: make(staging, seed))
