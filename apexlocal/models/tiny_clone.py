"""The random-weight stand-in of Chatterbox (Resemble AI, MIT), the zero-shot voice-cloning
model, for the `tiny` set. Chatterbox itself is imported by `models/torchaudio_compat.py`, which
supplies the few torchaudio objects it needs on this project's torch.

`ChatterboxTTS.from_local` builds `T3()`, `S3Gen()` and `VoiceEncoder()` at their fixed, full sizes
(0.5 B + 0.26 B parameters) and loads `ve.safetensors`, `t3_cfg.safetensors`, `s3gen.safetensors`,
`tokenizer.json` and, if present, `conds.pt`. The stand-in is the same classes with random weights
at small widths: `sized_components(sizes)` makes the constructors that `from_local` and
`S3Gen.__init__` call take the widths in `tiny_sizes.json` (a file only a stand-in has), so the
stand-in is saved in the real file layout and loaded by `from_local` itself. What stays at full
size: the voice encoder and the CAM++ speaker encoder (small already), the vocabularies (704 text,
8194 speech, 6561 S3 tokens), the flow encoder's 512 channels (fixed inside its class), mel
settings and the 24 kHz vocoder's upsampling. Outputs are noise.

The multilingual model (`ChatterboxMultilingualTTS.from_local`: `ve.pt`, `t3_mtl23ls_v2.safetensors`,
`s3gen.pt`, `grapheme_mtl_merged_expanded_v1.json`, and `Cangjie5_TC.json` for Chinese) has a
stand-in of its own, built the same way: T3 with the multilingual config (2454 text tokens), a
grapheme tokenizer with the 23 language tokens (`[es]` ...) and the characters of their scripts,
and a Cangjie table of a few characters. Its Llama keeps 14 layers of 16 heads, narrow ones:
T3's alignment analyzer, which the multilingual model runs at every step, reads heads of layers
9, 12 and 13 (`LLAMA_ALIGNED_HEADS`).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from apexlocal.errors import ModelError
from apexlocal.models.staging import build_atomically, seed_option
from apexlocal.models.torchaudio_compat import import_chatterbox, import_chatterbox_multilingual

TINY_SIZES_FILE = "tiny_sizes.json"
WEIGHT_FILES = ("ve.safetensors", "t3_cfg.safetensors", "s3gen.safetensors")
TOKENIZER_FILE = "tokenizer.json"
TINY_LLAMA_NAME = "apexlocal_tiny"

# Widths of the stand-in, keyword arguments by the constructor they go to.
TINY_SIZES: dict[str, Any] = {
    "llama": {
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
        "head_dim": 16,
    },
    "perceiver": {"pre_attention_query_size": 64, "embedding_dim": 64, "num_attn_heads": 4},
    "s3_tokenizer": {"n_audio_state": 64, "n_audio_head": 1, "n_audio_layer": 1},  # 64 per head: fixed rotary size
    "flow_encoder": {"attention_heads": 2, "linear_units": 64, "num_blocks": 1},
    "flow_decoder": {"channels": [32], "attention_head_dim": 16, "n_blocks": 1, "num_mid_blocks": 1, "num_heads": 2},
    "vocoder": {"base_channels": 32, "resblock_kernel_sizes": [3], "resblock_dilation_sizes": [[1, 3, 5]]},
    "f0_predictor": {"cond_channels": 32},
}

# The multilingual stand-in: the alignment analyzer needs layers up to 13 and heads up to 15.
TINY_MULTILINGUAL_SIZES: dict[str, Any] = {
    **TINY_SIZES,
    "llama": {
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 14,
        "num_attention_heads": 16,
        "num_key_value_heads": 16,
        "head_dim": 4,
    },
}
MULTILINGUAL_FILES = {
    "ve": "ve.pt",
    "t3": "t3_mtl23ls_v2.safetensors",
    "s3gen": "s3gen.pt",
    "tokenizer": "grapheme_mtl_merged_expanded_v1.json",
    "cangjie": "Cangjie5_TC.json",
}
# chatterbox.mtl_tts.SUPPORTED_LANGUAGES, in its order (tests/engines/voice_clone checks they agree).
MULTILINGUAL_LANGUAGES = ("ar da de el en es fi fr he hi it ja ko ms nl no pl pt ru sv sw tr zh").split()

# Constructors looked up by name at build time: (module, name) for each key of TINY_SIZES.
_SIZED_CONSTRUCTORS = {
    "perceiver": ("chatterbox.models.t3.modules.cond_enc", "Perceiver"),
    "flow_encoder": ("chatterbox.models.s3gen.s3gen", "UpsampleConformerEncoder"),
    "flow_decoder": ("chatterbox.models.s3gen.s3gen", "ConditionalDecoder"),
    "vocoder": ("chatterbox.models.s3gen.s3gen", "HiFTGenerator"),
    "f0_predictor": ("chatterbox.models.s3gen.s3gen", "ConvRNNF0Predictor"),
}

# One Chatterbox construction at a time: the sizing below swaps module attributes, so no other
# construction may run while it does.
CONSTRUCTION_LOCK = threading.RLock()


# Sizing ---------------------------------------------------------------------------------------


def read_tiny_sizes(model_dir: Path) -> dict[str, Any] | None:
    """The stand-in's widths, or None for a real model folder (which has no such file)."""
    path = Path(model_dir) / TINY_SIZES_FILE
    if not path.is_file():
        return None
    try:
        sizes = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"unreadable {path}: {exc}") from exc
    if not isinstance(sizes, dict) or set(sizes) - set(TINY_SIZES):
        raise ModelError(f"{path}: expected an object with parts among {', '.join(TINY_SIZES)}")
    return sizes


@contextlib.contextmanager
def sized_components(sizes: dict[str, Any] | None) -> Iterator[None]:
    """Within it, Chatterbox's constructors build the widths in `sizes` (None: the real ones).
    Holds CONSTRUCTION_LOCK throughout, since the swaps are visible process-wide."""
    with CONSTRUCTION_LOCK:
        if not sizes:
            yield
            return
        import_chatterbox()
        from chatterbox.models.t3 import llama_configs
        from chatterbox.models.t3.modules.t3_config import T3Config
        from s3tokenizer.model_v2 import ModelConfig, S3TokenizerV2

        llama_configs.LLAMA_CONFIGS[TINY_LLAMA_NAME] = {
            **llama_configs.LLAMA_CONFIGS["Llama_520M"],
            **sizes.get("llama", {}),
        }
        restore: list[tuple[Any, str, Any]] = []

        def swap(owner: Any, name: str, value: Any) -> None:
            restore.append((owner, name, getattr(owner, name)))
            setattr(owner, name, value)

        try:
            real_t3 = sys.modules["chatterbox.tts"].T3

            def tiny_t3(hp: Any = None) -> Any:
                # ChatterboxTTS builds T3() (English), the multilingual model T3(T3Config.multilingual()).
                hp = hp if hp is not None else T3Config.english_only()
                hp.llama_config_name = TINY_LLAMA_NAME
                return real_t3(hp)

            for module_name in ("chatterbox.tts", "chatterbox.mtl_tts"):
                swap(sys.modules[module_name], "T3", tiny_t3)
            for part, (module_name, name) in _SIZED_CONSTRUCTORS.items():
                if part in sizes:
                    module = importlib.import_module(module_name)
                    swap(module, name, _with_overrides(getattr(module, name), sizes[part]))
            if "s3_tokenizer" in sizes:
                # Chatterbox's S3Tokenizer calls S3TokenizerV2.__init__(name) without a config,
                # so the encoder's width is that function's default ModelConfig.
                config = ModelConfig(**sizes["s3_tokenizer"])
                swap(S3TokenizerV2.__init__, "__defaults__", (config,))
            yield
        finally:
            for owner, name, value in reversed(restore):
                setattr(owner, name, value)


def _with_overrides(cls: Any, overrides: dict[str, Any]) -> Callable[..., Any]:
    def build(*args: Any, **kwargs: Any) -> Any:
        return cls(*args, **{**kwargs, **overrides})

    return build


# The stand-in ---------------------------------------------------------------------------------

# [STOP] is text token 0 and [START] 255 (T3Config's stop/start_text_token); the rest are
# characters, as in the real grapheme tokenizers.
_TEXT_SYMBOLS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?;:'\"-()&%$#@/+=*<>[]_~àáâäçèéêëìíîïñòóôöùúûüœæ"
)
_SPECIALS = ["[STOP]", "[UNK]", "[SPACE]", "[PAD]", "[SEP]", "[CLS]", "[MASK]"]
START_ID = 255
# The multilingual tokenizer sees text lower-cased and NFKD-decomposed, with Chinese as Cangjie
# codes (`[cj_a]` ...) and Korean as jamo: printable ASCII and Latin-1, combining marks, and the
# blocks of Greek, Cyrillic, Hebrew, Arabic, Devanagari, Hangul jamo, CJK punctuation and kana.
_MULTILINGUAL_BLOCKS = (
    (0x21, 0x7E),
    (0xA1, 0xFF),
    (0x300, 0x36F),
    (0x370, 0x3FF),
    (0x400, 0x4FF),
    (0x590, 0x5FF),
    (0x600, 0x6FF),
    (0x900, 0x97F),
    (0x1100, 0x11FF),
    (0x3000, 0x30FF),
)
MULTILINGUAL_TEXT_TOKENS = 2454  # T3Config.multilingual().text_tokens_dict_size
# A few Traditional Chinese characters with their Cangjie codes, in Cangjie5_TC.json's form
# ("character<TAB>code" strings).
_TINY_CANGJIE = ["你\tonf", "好\tvnd", "我\thqi", "是\tamyo", "中\tl", "文\tyk"]


def tiny_tokenizer_json() -> str:
    """The English stand-in's tokenizer: 704 ids at most, like the real `tokenizer.json`."""
    return _tokenizer_json(_TEXT_SYMBOLS, [], limit=START_ID)


def tiny_multilingual_tokenizer_json() -> str:
    """The multilingual stand-in's: the language tokens and Cangjie letters as added tokens (as
    `MTLTokenizer` writes them into the text), then the scripts' characters."""
    symbols = [chr(c) for first, last in _MULTILINGUAL_BLOCKS for c in range(first, last + 1)]
    added = [f"[{code}]" for code in MULTILINGUAL_LANGUAGES] + [f"[cj_{c}]" for c in "abcdefghijklmnopqrstuvwxyz."]
    return _tokenizer_json(symbols, added, limit=MULTILINGUAL_TEXT_TOKENS)


def _tokenizer_json(symbols: Any, added: list[str], limit: int) -> str:
    from tokenizers import Tokenizer, models

    vocab: dict[str, int] = {}

    def add(token: str) -> None:
        if token not in vocab:
            vocab[token] = len(vocab) + (len(vocab) >= START_ID)  # id 255 is [START]'s

    for token in [*_SPECIALS, *symbols, *added]:
        add(token)
    if len(vocab) + 1 > limit:
        raise ModelError(f"tiny Chatterbox tokenizer: {len(vocab) + 1} tokens, more than {limit}")
    vocab["[START]"] = START_ID
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="[UNK]"))
    tokenizer.add_special_tokens([*_SPECIALS, "[START]", *added])
    return tokenizer.to_str()


def _chatterbox_tiny(staging: Path, seed: int) -> None:
    import torch
    from safetensors.torch import save_file

    import_chatterbox()
    from chatterbox.models.s3gen import S3Gen
    from chatterbox.models.voice_encoder import VoiceEncoder

    torch.manual_seed(seed)
    with sized_components(TINY_SIZES):
        t3 = sys.modules["chatterbox.tts"].T3()
        s3gen = S3Gen()
    ve = VoiceEncoder()
    for name, module in zip(WEIGHT_FILES, (ve, t3, s3gen), strict=True):
        save_file(_state(module), str(staging / name))
    (staging / TOKENIZER_FILE).write_text(tiny_tokenizer_json(), encoding="utf-8")
    (staging / TINY_SIZES_FILE).write_text(json.dumps(TINY_SIZES, indent=1), encoding="utf-8")


def _chatterbox_multilingual_tiny(staging: Path, seed: int) -> None:
    """In `ChatterboxMultilingualTTS.from_local`'s layout: ve and S3Gen as torch.save'd state
    dicts (.pt), T3 as safetensors."""
    import torch
    from safetensors.torch import save_file

    mtl = import_chatterbox_multilingual()
    from chatterbox.models.s3gen import S3Gen
    from chatterbox.models.t3.modules.t3_config import T3Config
    from chatterbox.models.voice_encoder import VoiceEncoder

    torch.manual_seed(seed)
    with sized_components(TINY_MULTILINGUAL_SIZES):
        t3 = mtl.T3(T3Config.multilingual())
        s3gen = S3Gen()
    ve = VoiceEncoder()
    files = MULTILINGUAL_FILES
    save_file(_state(t3), str(staging / files["t3"]))
    torch.save(_state(ve), staging / files["ve"])
    torch.save(_state(s3gen), staging / files["s3gen"])
    (staging / files["tokenizer"]).write_text(tiny_multilingual_tokenizer_json(), encoding="utf-8")
    (staging / files["cangjie"]).write_text(json.dumps(_TINY_CANGJIE, ensure_ascii=False), encoding="utf-8")
    (staging / TINY_SIZES_FILE).write_text(json.dumps(TINY_MULTILINGUAL_SIZES, indent=1), encoding="utf-8")


def _state(module: Any) -> dict[str, Any]:
    return {k: v.detach().clone().contiguous() for k, v in module.state_dict().items()}


BUILDERS = {"chatterbox_tiny": _chatterbox_tiny, "chatterbox_multilingual_tiny": _chatterbox_multilingual_tiny}


def build(builder: str, out_dir: Path, options: dict[str, Any] | None = None) -> None:
    """Build the cloning stand-in `builder` into `out_dir`, atomically (a staging folder renamed)."""
    make = BUILDERS.get(builder)
    if make is None:
        raise ModelError(f"no tiny voice-clone builder named {builder!r}; known: {', '.join(sorted(BUILDERS))}")
    seed = seed_option(builder, options)
    build_atomically(out_dir, lambda staging: make(staging, seed))
