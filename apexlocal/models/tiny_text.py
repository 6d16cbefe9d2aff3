"""Tokenizers and a text-encoder config for the `tiny` stand-ins: the real tokenizer classes over a
byte-level vocabulary with each family's special tokens and chat template, so a pipeline's own
prompt code runs unchanged. Shared by the image, writer and music stand-ins."""

from __future__ import annotations

from typing import Any

QWEN_SPECIALS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

# Qwen's ChatML, with the empty thinking block Qwen3 adds when thinking is switched off.
QWEN_CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% if m['content'] is string %}{{ m['content'] }}"
    "{% else %}{% for c in m['content'] %}{% if c['type'] == 'text' %}{{ c['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n"
    "{% endif %}{% endif %}"
)

MISTRAL_SPECIALS = (
    "<unk>",
    "<s>",
    "</s>",
    "[INST]",
    "[/INST]",
    "[SYSTEM_PROMPT]",
    "[/SYSTEM_PROMPT]",
    "[IMG]",
    "[IMG_BREAK]",
    "[IMG_END]",
    "<pad>",
)

# Mistral Small 3.1's layout: system prompt, then [INST] turns; content is a list of typed parts.
MISTRAL_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m['content'] is string %}{% set text = m['content'] %}"
    "{% else %}{% set text = m['content'] | selectattr('type', 'equalto', 'text') "
    "| map(attribute='text') | join('') %}{% endif %}"
    "{% if m['role'] == 'system' %}[SYSTEM_PROMPT]{{ text }}[/SYSTEM_PROMPT]"
    "{% elif m['role'] == 'user' %}[INST]{{ text }}[/INST]"
    "{% else %}{{ text }}{{ eos_token }}{% endif %}{% endfor %}"
)


# Tokenizers ------------------------------------------------------------------------------------


def byte_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from bytes to printable characters, used by byte-level BPE."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    mapping = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


def qwen_tokenizer() -> Any:
    from transformers import Qwen2Tokenizer

    chars = byte_to_unicode()
    vocab = {chars[b]: b for b in range(256)}
    for token in QWEN_SPECIALS:
        vocab[token] = len(vocab)
    tokenizer = Qwen2Tokenizer(vocab=vocab, merges=[], extra_special_tokens=list(QWEN_SPECIALS[1:]))
    tokenizer.chat_template = QWEN_CHAT_TEMPLATE
    return tokenizer


def mistral_tokenizer() -> Any:
    from transformers import LlamaTokenizer

    # Specials first (Mistral keeps them at the lowest ids), then the byte-fallback pieces.
    vocab = {token: i for i, token in enumerate(MISTRAL_SPECIALS)}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    vocab["▁"] = len(vocab)
    tokenizer = LlamaTokenizer(
        vocab=vocab,
        merges=[],
        pad_token="<pad>",
        add_prefix_space=False,
        extra_special_tokens=list(MISTRAL_SPECIALS[3:-1]),
    )
    tokenizer.chat_template = MISTRAL_CHAT_TEMPLATE
    return tokenizer


def qwen3_config(vocab_size: int, layers: int) -> Any:
    from transformers import Qwen3Config

    return Qwen3Config(
        vocab_size=vocab_size,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=layers,
        num_attention_heads=2,
        num_key_value_heads=2,
        head_dim=8,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
    )
